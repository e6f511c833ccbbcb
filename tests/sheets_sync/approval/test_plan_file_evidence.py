"""The plan file is evidence, not authority: push derives each approved change again and sends
only what the master, INNERGY and PPak give now.

End to end on the fake Sheets API and the INNERGY sandbox: a plan is made, its file is
edited as someone with access to the output folder might, the row is ticked and pushed.
INNERGY writes are counted at the sandbox; the master is read back from the fake.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from canonical.errors import ExitCode
from canonical.models import InnergyMaterial, Library, Material, UomMapping
from canonical.plan import Plan, build_plan, is_genuine, same_change
from canonical.serialize import to_jsonl
from innergy_client.sandbox import running_sandbox
from reports.plan import HEADER_ROW
from sheets_sync.approval.decide import EDITED, GONE, PPAK_MOVED
from sheets_sync.commands.init_sheet import init_sheet
from sheets_sync.commands.plan import plan
from sheets_sync.commands.ppak_import import ppak_import
from sheets_sync.commands.push import push
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.master.tabs import DIFF_INNERGY, DIFF_PPAK, MASTER, SPECS
from sheets_sync.routines.demo import _copy_exports, _fill_workbook, _seed_innergy
from sheets_sync.workbook import CellUpdate
from tests.fakes import push_world
from tests.fakes.push_world import World, part
from tests.fakes.sheets_server import FakeSheets

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world

UPDATE, CREATE, GONE_SKU = "P-0001", "P-0002", "P-0003"
REFUSED = (EDITED, GONE, PPAK_MOVED)


def _world(make_world: Callable[..., World]) -> tuple[World, str]:
    """An update (P-0001's cost), a create (P-0002) and a deactivation (P-0003), planned."""
    world = make_world([part(1, "5.00"), part(2)], in_innergy=[part(1), part(3)])
    return world, world.plan()


def _edit_plan(world: World, plan_id: str, edit: Callable[[dict[str, Any]], None], sku: str) -> None:
    """Change one change of the plan file in place, as a text editor would."""
    path = world.settings.output_dir / "plans" / f"{plan_id}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    found = [
        c for c in document["changes"] + document["ppak_changes"] if sku in (c.get("sku"), c.get("ppak_sku"))
    ]
    edit(found[0])
    path.write_text(json.dumps(document), encoding="utf-8")


def _cost(change: dict[str, Any]) -> None:
    change["payload"]["cost"] = "0.01"


def _name(change: dict[str, Any]) -> None:
    change["payload"]["name"] = "Cheap knock-off"


def _action(change: dict[str, Any]) -> None:
    change["action"] = "deactivate"
    change["payload"]["active"] = False


def _sku(change: dict[str, Any]) -> None:
    change["sku"] = change["payload"]["external_id"] = "P-9999"


def _line(change: dict[str, Any]) -> None:
    change["changes"].append({"field": "name", "old": "Part 1", "new": "Renamed in the file"})
    change["payload"]["name"] = "Renamed in the file"


@pytest.mark.parametrize(
    ("edit", "sku"),
    [(_cost, UPDATE), (_cost, CREATE), (_name, CREATE), (_action, UPDATE), (_sku, CREATE), (_line, UPDATE)],
    ids=["update-cost", "create-cost", "create-name", "action", "sku", "added-line"],
)
def test_an_edited_plan_file_change_is_refused_and_never_sent(
    make_world: Callable[..., World], edit: Callable[[dict[str, Any]], None], sku: str
) -> None:
    world, plan_id = _world(make_world)
    _edit_plan(world, plan_id, edit, sku)
    world.tick([sku])
    writes, records = world.innergy_writes(), world.sandbox.materials
    outcome = push(world.settings)
    assert outcome.exit_code == ExitCode.NEEDS_PERSON
    assert world.results()[sku] == EDITED
    assert (outcome.summary["stale"], outcome.summary["applied"]) == (1, 0)
    assert world.innergy_writes() == writes and world.sandbox.materials == records


def test_an_unedited_plan_file_applies_every_change(make_world: Callable[..., World]) -> None:
    world, _plan_id = _world(make_world)
    world.tick([UPDATE, CREATE, GONE_SKU])
    writes = world.innergy_writes()
    outcome = push(world.settings)
    assert outcome.exit_code == ExitCode.OK, outcome.lines
    assert set(world.results().values()) == {"applied"}
    assert world.innergy_writes() == writes + 3  # one create request, two edits
    costs = {r["ExternalId"]: Decimal(str(r["Cost"]["Value"])) for r in world.sandbox.materials}
    assert costs[UPDATE] == Decimal("5")


def test_a_change_other_rows_now_clash_with_is_refused_as_no_longer_given(
    make_world: Callable[..., World],
) -> None:
    """Its own row and record are as planned (fingerprints match), yet the master now gives
    another row its name: the plan's change is not what the inputs give any more."""
    world, _plan_id = _world(make_world)
    master = world.master()
    row = list(master).index(CREATE) + 2
    world.write([CellUpdate(MASTER, row, "Name", master[UPDATE]["Name"])])
    world.tick([UPDATE])
    writes = world.innergy_writes()
    push(world.settings)
    assert world.results()[UPDATE] == GONE
    assert world.innergy_writes() == writes


# -- DIFF_PPAK: what a tick writes into the master comes from the plan file too ----------------


def _ppak_world(make_world: Callable[..., World]) -> tuple[World, str]:
    """PPak prices P-0001 at 6.00 (differs) and has PP-1, which the master lacks (new)."""
    world = make_world([part(1, "5.00")], in_innergy=[part(1, "5.00")])
    _write_ppak(world, "8.00")
    return world, world.plan()


def _write_ppak(world: World, new_cost: str) -> None:
    items = [
        part(1, "6.00").model_copy(update={"ppak_skus": ("P-0001",)}),
        Material(sku="PP-1", name="PPak pull", category="Hardware", uom="EA", cost=Decimal(new_cost)),
    ]
    path = world.settings.output_dir / "canonical" / "ppak_materials.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_jsonl(items), encoding="utf-8")


def _tick_ppak(world: World, skus: list[str]) -> None:
    rows = world.tab(DIFF_PPAK)
    at = {str(r[3]): n for n, r in enumerate(rows[HEADER_ROW:], start=HEADER_ROW + 1)}
    world.write([CellUpdate(DIFF_PPAK, at[s], "Approve", True, header_row=HEADER_ROW) for s in skus])


def _ppak_results(world: World) -> dict[str, Any]:
    return {str(r[3]): r[7] if len(r) > 7 else None for r in world.tab(DIFF_PPAK)[HEADER_ROW:]}


def _master_costs(world: World) -> dict[str, str]:
    """SKU -> Cost as the master holds it (push may link INNERGY IDs meanwhile: not the point)."""
    return {sku: row["Cost"] for sku, row in world.master().items()}


def _new_row_cost(change: dict[str, Any]) -> None:
    change["master_row"]["cost"] = "0.01"


def _differs_price(change: dict[str, Any]) -> None:
    change["changes"][0]["new"] = "0.01"


@pytest.mark.parametrize(("edit", "sku"), [(_new_row_cost, "PP-1"), (_differs_price, UPDATE)])
def test_an_edited_ppak_change_is_refused_and_the_master_left_alone(
    make_world: Callable[..., World], edit: Callable[[dict[str, Any]], None], sku: str
) -> None:
    world, plan_id = _ppak_world(make_world)
    _edit_plan(world, plan_id, edit, sku)
    _tick_ppak(world, [sku])
    master = _master_costs(world)
    push(world.settings)
    assert _ppak_results(world)[sku] == EDITED
    assert _master_costs(world) == master


def test_unedited_ppak_changes_are_written_into_the_master(make_world: Callable[..., World]) -> None:
    world, _plan_id = _ppak_world(make_world)
    _tick_ppak(world, ["PP-1", UPDATE])
    push(world.settings)
    assert set(_ppak_results(world).values()) == {"applied"}
    master = world.master()
    assert Decimal(master["PP-1"]["Cost"]) == Decimal("8") and Decimal(master[UPDATE]["Cost"]) == Decimal("6")


def test_a_ppak_item_changed_since_the_plan_is_stale(make_world: Callable[..., World]) -> None:
    world, _plan_id = _ppak_world(make_world)
    _write_ppak(world, "9.00")  # ppak-import ran again: PP-1 costs more now
    _tick_ppak(world, ["PP-1"])
    master = _master_costs(world)
    push(world.settings)
    assert _ppak_results(world)["PP-1"] == PPAK_MOVED
    assert _master_costs(world) == master


# -- the diff is deterministic: what fingerprints pass derives to exactly the file's change -----


EACH = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="Each", innergy_common_uom="EA")
SHEET = UomMapping(
    source_uom="SHT",
    canonical_uom="SHT",
    innergy_uom_group="SF",
    innergy_common_uom="SF",
    base_units_per_uom=Decimal(32),
)


def _row(sku: str, **values: Any) -> Material:
    base = {"sku": sku, "name": f"Item {sku}", "category": "Hardware", "uom": "EA", "cost": "10"}
    return Material.model_validate(base | values)


def _held(sku: str | None, name: str, **values: Any) -> InnergyMaterial:
    base = {"innergy_id": f"id-{name}", "external_id": sku, "name": name, "uom_group": "Each", "cost": "10"}
    return InnergyMaterial.model_validate(base | {"common_uom": "EA"} | values)


def test_a_plan_file_derives_again_to_the_same_changes() -> None:
    """Every action kind, a cost divided per base unit (rounded to 4 places), a hand-entered
    record adopted by name, PPak rows: read back from JSON, each change is genuine and the
    one a second derivation gives."""
    materials = (
        _row("A", cost="12.5"),
        _row("B", uom="SHT", cost="45.67"),
        _row("C", active=False),
        _row("D"),
        _row("E"),
        _row("F", name="Item Z"),
    )
    library = Library(materials=materials, uoms=(EACH, SHEET))
    innergy = [
        _held("A", "Item A"),
        _held("C", "Item C"),
        _held("D", "Item D", active=False),
        _held(None, "item e"),
        _held("Z", "Item Z"),
    ]
    ppak = [_row("A", cost="13", ppak_skus=("A",)), _row("PP-1", ppak_skus=("PP-1",))]
    first = Plan.from_json(build_plan(library, innergy, ppak=ppak).to_json())
    again = build_plan(library, innergy, ppak=ppak).by_id()
    kinds = {getattr(c, "action", None) or getattr(c, "kind", None) for c in first.by_id().values()}
    assert kinds == {"create", "update", "deactivate", "reactivate", "conflict", "new", "differs"}
    assert any(line.field == "external_id" for c in first.changes for line in c.changes)  # E adopted
    for change_id, change in first.by_id().items():
        assert is_genuine(change) and same_change(change, again[change_id]), change


@pytest.fixture
def every_kind(tmp_path: Path) -> Iterator[Settings]:
    """The demo's library, INNERGY and PPak exports on the fake Sheets API, planned, all ticked."""
    with FakeSheets() as sheets, running_sandbox(seed=7) as running:
        settings = Settings(
            workbook=sheets.create_spreadsheet({MASTER: [list(SPECS[MASTER].headers)]}),
            sheets_endpoint=sheets.url,
            output_dir=tmp_path / "out",
            innergy_base_url=running.url,
            innergy_api_key=running.api_key,
            ppak_export_dir=tmp_path / "ppak",
        )
        _copy_exports(tmp_path / "ppak")
        init_sheet(settings)
        _fill_workbook(settings)
        _seed_innergy(running.url, running.api_key)
        ppak_import(settings)
        plan(settings)
        with open_workbook(settings) as workbook:
            tabs = workbook.read_tabs([DIFF_INNERGY, DIFF_PPAK])
            workbook.write(
                [
                    CellUpdate(tab, number, "Approve", True, header_row=HEADER_ROW)
                    for tab in (DIFF_INNERGY, DIFF_PPAK)
                    for number in range(HEADER_ROW + 1, len(tabs[tab]) + 1)
                ]
            )
        yield settings


def test_an_unedited_plan_of_every_kind_is_refused_nowhere(every_kind: Settings) -> None:
    outcome = push(every_kind)
    results = [r["result"] for r in outcome.summary["results"]]
    assert not [r for r in results if r in REFUSED], results
    assert outcome.summary["applied"] == sum(r == "applied" for r in results) > 10
    assert outcome.summary["stale"] == 0
