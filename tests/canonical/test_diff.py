"""The keyed diff, table-driven: every action, the rename, blank cells, (clear), conflicts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from canonical import InnergyMaterial, Library, Material, UomMapping
from canonical.diff import diff_materials, diff_ppak, display
from canonical.projection import COMPARED_FIELDS, project_material

UOMS = (
    UomMapping(
        source_uom="SHT",
        canonical_uom="SHT",
        innergy_uom_group="Area",
        innergy_common_uom="4x8",
        base_units_per_uom=Decimal(32),
    ),
    UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="Each", innergy_common_uom="EA"),
)


def row(**changes: Any) -> Material:
    base: dict[str, Any] = {
        "sku": "PLY-34",
        "name": "Ply 3/4 WO",
        "category": "Sheet Goods",
        "uom": "SHT",
        "cost": "142.85",
        "vendor": "Acme",
        "notes": "stock",
    }
    return Material.model_validate(base | changes)


def record(**changes: Any) -> InnergyMaterial:
    base: dict[str, Any] = {
        "innergy_id": "r1",
        "external_id": "PLY-34",
        "name": "Ply 3/4 WO",
        "category": "Sheet Goods",
        "uom_group": "Area",
        "common_uom": "4x8",
        "cost": "4.4641",  # 142.85 / 32, half-even to 4 places
        "vendor": "Acme",
        "notes": "stock",
    }
    return InnergyMaterial.model_validate(base | changes)


def run(
    rows: list[Material], records: list[InnergyMaterial], baseline: dict[str, InnergyMaterial] | None = None
):
    return diff_materials(Library(materials=tuple(rows), uoms=UOMS), records, baseline)


def summary(rows: list[Material], records: list[InnergyMaterial]) -> list[tuple[str, str, list[tuple]]]:
    return [
        (c.action, c.sku, [(f.field, f.old, f.new) for f in c.fields]) for c in run(rows, records).changes
    ]


CASES = [
    ("identical", [row()], [record()], []),
    (
        "cost per base unit",
        [row(cost="150")],
        [record()],
        [("update", "PLY-34", [("cost", "4.4641", "4.6875")])],
    ),
    ("money at 4 places", [row()], [record(cost="4.46410")], []),
    ("text folded both sides", [row(name="Ply  3/4\tWO ")], [record(name=" Ply 3/4 WO")], []),
    (
        "case is a change",
        [row(vendor="ACME")],
        [record()],
        [("update", "PLY-34", [("vendor", "Acme", "ACME")])],
    ),
    ("blank means no change", [row(notes=None, vendor=None)], [record()], []),
    (
        "(clear) clears",
        [row(notes=None, cleared=("notes",))],
        [record()],
        [("update", "PLY-34", [("notes", "stock", None)])],
    ),
    ("(clear) of an empty field", [row(notes=None, cleared=("notes",))], [record(notes="")], []),
    ("create", [row(sku="NEW-1", name="New")], [], None),
    ("inactive row not created", [row(active=False)], [], []),
    ("gone from master", [], [record()], [("deactivate", "PLY-34", [("active", "yes", "no")])]),
    (
        "marked inactive",
        [row(active=False, cost="1")],
        [record()],
        [("deactivate", "PLY-34", [("active", "yes", "no")])],
    ),
    ("already inactive", [row(active=False)], [record(active=False)], []),
    ("gone and already inactive", [], [record(active=False)], []),
    ("reactivate", [row()], [record(active=False)], [("reactivate", "PLY-34", [("active", "no", "yes")])]),
    ("sku matched ignoring case and space", [row(sku="ply -34")], [record()], []),
    (
        "hand-entered matched by name",
        [row()],
        [record(external_id=None, name="PLY 3/4 wo")],
        [("update", "PLY-34", [("external_id", None, "PLY-34"), ("name", "PLY 3/4 wo", "Ply 3/4 WO")])],
    ),
]


@pytest.mark.parametrize(("rows", "records", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_actions(rows: list[Material], records: list[InnergyMaterial], expected: list | None) -> None:
    got = summary(rows, records)
    if expected is None:  # a create lists every value it sets
        assert [(a, s) for a, s, _ in got] == [("create", "NEW-1")]
        assert ("cost", None, "4.4641") in got[0][2]
        return
    assert got == expected


def test_rename_in_the_master_updates_the_same_record() -> None:
    result = run([row(sku="PLY-34-WO", innergy_id="r1")], [record()])
    [change] = result.changes
    assert change.action == "update"
    assert [(f.field, f.old, f.new) for f in change.fields] == [("external_id", "PLY-34", "PLY-34-WO")]
    assert change.payload is not None and change.payload.innergy_id == "r1"
    assert change.payload.external_id == "PLY-34-WO"


def test_renamed_row_keeps_its_record_even_when_a_new_row_takes_the_old_sku() -> None:
    result = run([row(sku="OLD-NEW", innergy_id="r1"), row(name="Other")], [record()])
    actions = {(c.action, c.sku) for c in result.changes}
    assert ("update", "OLD-NEW") in actions
    assert ("create", "PLY-34") in actions


def test_update_payload_is_innergy_record_with_changed_fields_only() -> None:
    current = record(weight="12.5", location="Bay 4", cost="4")
    [change] = run([row(notes=None)], [current]).changes
    assert change.payload == current.model_copy(update={"cost": Decimal("4.4641")})


def test_create_payload_is_the_projection() -> None:
    [change] = run([row(margin="0.35")], []).changes
    assert change.payload is not None
    assert change.payload.innergy_id is None and change.payload.external_id == "PLY-34"
    assert change.payload.margin == Decimal("0.35") and change.payload.uom_group == "Area"


@pytest.mark.parametrize(
    ("rows", "records", "reason"),
    [
        ([row()], [record(), record(innergy_id="r2", name="Twin")], "share this external id"),
        ([row(sku="B-2")], [record()], "already used in INNERGY by SKU PLY-34"),
        ([row(sku="A"), row(sku="B")], [], "also given to SKU"),
        (
            [row()],
            [record(external_id=None, innergy_id="h1"), record(external_id=None, innergy_id="h2")],
            "2 hand-entered",
        ),
    ],
    ids=["duplicate external id", "name of another sku", "name twice in master", "two hand-entered"],
)
def test_conflicts_are_shown_not_applied(
    rows: list[Material], records: list[InnergyMaterial], reason: str
) -> None:
    conflicts = [c for c in run(rows, records).changes if c.action == "conflict"]
    assert conflicts, "expected a conflict"
    assert all(c.payload is None for c in conflicts)
    assert any(reason in (c.reason or "") for c in conflicts)


def test_the_first_master_row_wins_a_record_two_rows_claim() -> None:
    """Two rows naming one INNERGY ID, or two rows fitting one hand-entered record: the row
    higher in the master gets it, whatever the SKUs."""
    rows = [row(sku="Z-9", innergy_id="r1"), row(sku="A-1", name="Other", innergy_id="r1")]
    by_id = {(c.action, c.sku) for c in run(rows, [record()]).changes}
    assert ("update", "Z-9") in by_id and ("conflict", "A-1") in by_id
    hand = record(external_id=None, innergy_id="h1")
    by_name = run([row(sku="Z-9"), row(sku="A-1", active=False)], [hand])
    [adopted] = [c for c in by_name.changes if c.record is hand]
    assert adopted.sku == "Z-9"


def test_innergy_edit_since_last_sync_clashes_only_on_fields_the_master_changed() -> None:
    synced = record()
    edited = record(vendor="Bolt")
    both = run([row(vendor="Cobalt")], [edited], {"r1": synced}).changes
    assert [c.action for c in both] == ["conflict"]
    assert "vendor" in (both[0].reason or "")
    only_innergy = run([row()], [edited], {"r1": synced}).changes
    assert [c.action for c in only_innergy] == ["update"]


def test_unmatched_hand_entered_records_are_unmanaged_never_deactivated() -> None:
    hand = record(external_id=None, innergy_id="h1", name="Shop rag")
    result = run([row()], [record(), hand])
    assert result.unmanaged == (hand,)
    assert result.changes == ()


def test_bad_base_units_is_a_problem_not_a_crash() -> None:
    bad = UomMapping(source_uom="BX", canonical_uom="BOX", base_units_per_uom=Decimal(0))
    library = Library(materials=(row(uom="BX"), row(sku="OK", name="Fine", uom="EA")), uoms=(*UOMS, bad))
    result = diff_materials(library, [])
    assert [c.sku for c in result.changes] == ["OK"]
    [problem] = result.problems
    assert problem.value == "BX" and problem.column == "Base Units per UoM"


TEXT = st.sampled_from([None, "Acme", "acme", " Acme ", "Ac  me", "Ac\tme", "Other", "=1+1", "\u05e9\u05dc"])
MONEY = st.sampled_from(["0.35", "0.3500", "0.35004", "0.35005", "0.35015", "0.4", "142.85", "142.8512"])
COLUMNS = {"description": TEXT, "vendor": TEXT, "notes": TEXT, "lead_time": TEXT, "margin": MONEY}


def _oracle_view(values: dict[str, Any], blanks_mean_no_change: bool, cleared: tuple[str, ...] = ()):
    """The contract's comparison rules, written independently of the diff: money at 4 places,
    text with white space folded, a blank master cell (not ``(clear)``) left out."""
    view = {}
    for field, value in values.items():
        if value is None and blanks_mean_no_change and field not in cleared:
            continue
        if isinstance(value, Decimal):
            value = value.quantize(Decimal("0.0001"))
        elif isinstance(value, str):
            value = " ".join(value.split()) or None
        view[field] = value
    return view


@settings(max_examples=300, deadline=None)
@given(
    master=st.fixed_dictionaries(COLUMNS),
    innergy=st.fixed_dictionaries({**COLUMNS, "cost": MONEY}),
    cleared=st.lists(st.sampled_from(["description", "vendor", "notes", "lead_time"]), unique=True),
)
def test_field_detail_agrees_with_deepdiff(master: dict, innergy: dict, cleared: list[str]) -> None:
    """DeepDiff, over the same pair with the contract's rules applied, is the oracle of which
    fields changed and their old and new values (the diff itself does not call DeepDiff: see
    the module docstring)."""
    mine = row(**master, cleared=tuple(cleared))
    theirs = record(**innergy)
    wanted = project_material(mine, UOMS[0]).model_dump(include=set(COMPARED_FIELDS))
    now = theirs.model_dump(include=set(COMPARED_FIELDS))
    new = _oracle_view(wanted, blanks_mean_no_change=True, cleared=tuple(cleared))
    old = _oracle_view({f: now[f] for f in new}, blanks_mean_no_change=False)
    oracle = DeepDiff(old, new, view="tree")
    expected = {
        (d.path(output_format="list")[0], display(d.t1), display(d.t2))
        for kind in ("values_changed", "type_changes")
        for d in oracle.get(kind, ())
    }
    [change] = run([mine], [theirs]).changes or [None]
    found = {(f.field, f.old, f.new) for f in change.fields} if change else set()
    assert {f for f, _, _ in found} == {f for f, _, _ in expected}
    for field, was, value in found:
        assert was == display(now[field]) and value == display(wanted[field])


def ppak_item(**changes: Any) -> Material:
    base: dict[str, Any] = {
        "sku": "P100",
        "name": "Ply",
        "category": "Sheet Goods",
        "uom": "SHT",
        "cost": "142.85",
        "ppak_skus": ("P100",),
    }
    return Material.model_validate(base | changes)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (ppak_item(), [("new", "P100", None, [])]),
        (ppak_item(ppak_skus=("ply-34",)), []),
        (
            ppak_item(ppak_skus=("PLY-34",), cost="150"),
            [("differs", "PLY-34", "PLY-34", [("cost", "142.85", "150.00")])],
        ),
        (
            ppak_item(ppak_skus=("PLY-34",), uom="Sheet", cost="142.85"),
            [],
        ),
        (
            ppak_item(ppak_skus=("PLY-34",), uom="EA"),
            [("differs", "PLY-34", "PLY-34", [("uom", "SHT", "EA")])],
        ),
        (
            ppak_item(ppak_skus=("PLY-34",), description="Ply  3/4 \n WO"),
            [],
        ),
        (
            ppak_item(ppak_skus=("PLY-34",), description="Birch"),
            [("differs", "PLY-34", "PLY-34", [("description", "Ply 3/4 WO", "Birch")])],
        ),
    ],
    ids=["new", "same", "price", "unit synonym", "unit differs", "description folded", "description differs"],
)
def test_ppak(item: Material, expected: list) -> None:
    library = Library(materials=(row(description="Ply 3/4 WO"),), uoms=UOMS)
    got = [
        (p.kind, p.ppak_sku, p.canonical_sku, [(f.field, f.old, f.new) for f in p.fields])
        for p in diff_ppak([item], library).changes
    ]
    assert got == expected


def test_ppak_new_row_carries_what_a_tick_adds() -> None:
    [change] = diff_ppak([ppak_item()], Library(uoms=UOMS)).changes
    assert change.master_row is not None
    assert (change.master_row.sku, change.master_row.uom, change.master_row.cost) == (
        "P100",
        "SHT",
        Decimal("142.85"),
    )


def test_ppak_price_converted_to_the_master_unit() -> None:
    sf = UomMapping(
        source_uom="SF", canonical_uom="SF", innergy_uom_group="Area", base_units_per_uom=Decimal(1)
    )
    library = Library(materials=(row(),), uoms=(*UOMS, sf))
    same = ppak_item(ppak_skus=("PLY-34",), uom="SF", cost="4.4640625")
    [change] = diff_ppak([same], library).changes
    assert [(f.field, f.old, f.new) for f in change.fields] == [("uom", "SHT", "SF")]
    dearer = ppak_item(ppak_skus=("PLY-34",), uom="SF", cost="5")
    [change] = diff_ppak([dearer], library).changes
    assert ("cost", "142.85", "160.00") in [(f.field, f.old, f.new) for f in change.fields]


def test_mapping_to_a_missing_master_row_is_a_problem() -> None:
    from canonical import SkuMapping

    library = Library(skus=(SkuMapping(ppak_sku="P100", canonical_sku="GONE"),))
    result = diff_ppak([ppak_item()], library)
    assert result.changes == () and "GONE" in result.problems[0].message
