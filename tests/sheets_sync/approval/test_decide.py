"""Push: ticks, staleness, and applying exactly the approved rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canonical.models import InnergyMaterial, Library, Material, UomMapping
from canonical.plan import build_plan
from innergy_client import wire
from innergy_client.mapping import to_wire
from reports.plan import diff_innergy_rows
from sheets_sync.approval.decide import ALREADY, Innergy, Known, decide
from sheets_sync.approval.diff_tabs import read_diff_tab
from sheets_sync.master.tabs import DIFF_INNERGY

UOM = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="EA", innergy_common_uom="EA")


def material(sku: str, **values: object) -> Material:
    base: dict[str, object] = {
        "name": f"Part {sku}",
        "category": "Hardware",
        "uom": "EA",
        "cost": Decimal("2.50"),
    }
    return Material(sku=sku, **{**base, **values})


def record(sku: str, innergy_id: str, **values: object) -> wire.Material:
    wanted = InnergyMaterial(
        external_id=sku, name=f"Part {sku}", category="Hardware", uom_group="EA", common_uom="EA",
        cost=Decimal("2.5"),
    )  # fmt: skip
    body = to_wire(wanted.model_copy(update=values))
    return wire.Material.model_validate({**wire.json_body(body), "Id": innergy_id})


@pytest.fixture
def world() -> tuple[Library, Innergy]:
    library = Library(
        materials=(material("A-1"), material("B-2", cost=Decimal("3")), material("C-3")), uoms=(UOM,)
    )
    innergy = Innergy((record("B-2", "id-b"), record("Z-9", "id-z")))
    return library, innergy


def _plan(library: Library, innergy: Innergy):  # type: ignore[no-untyped-def]
    from innergy_client.mapping import to_canonical

    return build_plan(library, [to_canonical(r) for r in innergy.records])


@pytest.mark.parametrize(
    ("cell", "ticked"),
    [(True, True), ("TRUE", True), (" x ", True), ("Yes", True), ("YES", True), (False, False),
     ("no", False), ("", False), (None, False), ("1", False)],
)  # fmt: skip
def test_a_tick_is_a_checkbox_or_true_x_yes_in_any_case(world, cell, ticked) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(*world)
    rows = diff_innergy_rows(plan)
    first = next(i for i, row in enumerate(rows) if row and row[1] == plan.changes[0].change_id)
    rows[first][0] = cell
    tab = read_diff_tab(DIFF_INNERGY, rows)
    assert tab.plan_id == plan.plan_id
    assert [t.change_id for t in tab.ticked] == ([plan.changes[0].change_id] if ticked else [])
    if ticked:
        assert tab.ticked[0].row == first + 1  # as a person sees it: header rows counted from 1


def test_only_ticked_rows_are_read_with_their_sheet_rows(world) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(*world)
    chosen = {plan.changes[0].change_id, plan.changes[-1].change_id}
    tab = read_diff_tab(DIFF_INNERGY, diff_innergy_rows(plan, chosen))
    assert {t.change_id for t in tab.ticked} == chosen
    assert all(t.row > 3 for t in tab.ticked)
    assert tab.result_column == "Result"


def test_a_master_row_edited_after_the_plan_is_stale(world) -> None:  # type: ignore[no-untyped-def]
    library, innergy = world
    plan = _plan(library, innergy)
    ticks = read_diff_tab(DIFF_INNERGY, diff_innergy_rows(plan, [c.change_id for c in plan.changes])).ticked
    edited = Library(
        materials=(material("A-1", name="Part A-1 renamed"), *library.materials[1:]), uoms=library.uoms
    )
    verdicts = {d.change.sku: d.verdict for d in decide(ticks, plan, edited, innergy, Known())}  # type: ignore[union-attr]
    assert verdicts["A-1"] == "stale: the master row changed since the plan"
    assert verdicts["B-2"] is None and verdicts["C-3"] is None


def test_an_innergy_record_changed_after_the_plan_is_stale(world) -> None:  # type: ignore[no-untyped-def]
    library, innergy = world
    plan = _plan(library, innergy)
    ticks = read_diff_tab(DIFF_INNERGY, diff_innergy_rows(plan, [c.change_id for c in plan.changes])).ticked
    moved = Innergy(
        (record("B-2", "id-b", notes="edited in INNERGY"), record("Z-9", "id-z"), record("C-3", "id-c"))
    )
    verdicts = {d.change.sku: d.verdict for d in decide(ticks, plan, library, moved, Known())}  # type: ignore[union-attr]
    assert verdicts["B-2"] == "stale: the INNERGY record changed since the plan"
    assert verdicts["C-3"] == "stale: INNERGY has a record with this SKU since the plan"
    assert verdicts["A-1"] is None


def test_an_applied_change_is_skipped_and_an_unknown_id_is_reported(world) -> None:  # type: ignore[no-untyped-def]
    library, innergy = world
    plan = _plan(library, innergy)
    rows = diff_innergy_rows(plan, [plan.changes[0].change_id])
    rows.append([True, "C-not-in-plan", "create", "X", "X", "", ""])
    ticks = read_diff_tab(DIFF_INNERGY, rows).ticked
    decisions = decide(ticks, plan, library, innergy, Known(frozenset({plan.changes[0].change_id})))
    assert decisions[0].verdict == ALREADY
    assert decisions[1].verdict is not None and decisions[1].verdict.startswith(
        "skipped: change C-not-in-plan"
    )
