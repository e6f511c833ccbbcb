"""Push links master rows to INNERGY: blank INNERGY ID cells of rows whose SKU is exactly one
INNERGY record's external id are filled, journalled, and put back blank by undo.

End to end: the fake Sheets API, the sandbox, the real ``plan``, ``push``, ``health`` and ``undo``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from canonical.errors import ExitCode
from canonical.models import Library, Material, UomMapping
from canonical.plan import build_plan
from reports.plan import diff_ppak_rows
from sheets_sync.approval.decide import Known, decide
from sheets_sync.approval.diff_tabs import Sheet, read_diff_tab
from sheets_sync.approval.write_back import WriteBack, ppak_master_writes
from sheets_sync.commands.health import health
from sheets_sync.commands.push import push
from sheets_sync.commands.undo import undo
from sheets_sync.master.tabs import DIFF_PPAK, MASTER, MASTER_FIELDS
from sheets_sync.workbook import CellUpdate
from tests.fakes import push_world
from tests.fakes.push_world import World, part

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world

UOM = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="EA", innergy_common_uom="EA")


def _ids(world: World) -> dict[str, str]:
    return {str(r["ExternalId"]): str(r["Id"]) for r in world.sandbox.materials}


def _id_cells(world: World) -> dict[str, object]:
    return {sku: row.get("INNERGY ID") for sku, row in world.master().items()}


def _without_id(world: World) -> int:
    return int(health(world.settings).summary["figures"]["materials_without_innergy_id"])


def test_rows_in_step_with_innergy_are_linked_by_a_push_with_nothing_ticked(
    make_world: Callable[..., World],
) -> None:
    materials = [part(n) for n in range(5)]
    world = make_world(materials, materials)
    world.plan()
    assert _without_id(world) == 5

    outcome = push(world.settings)

    assert outcome.exit_code == ExitCode.OK, outcome.lines
    assert (outcome.summary["ticked"], outcome.summary["linked"]) == (0, 5)
    assert _id_cells(world) == _ids(world)
    assert {row.get("Last Synced") for row in world.master().values()} == {None}  # nothing was synced
    assert _without_id(world) == 0
    again = push(world.settings)
    assert again.summary["linked"] == 0


def test_a_push_of_some_ticked_rows_links_every_matching_row_and_health_counts_none(
    make_world: Callable[..., World],
) -> None:
    existing = [part(n) for n in range(6)]
    world = make_world([*existing[:4], part(4, "8.00"), part(5, "9.00")], existing)
    world.plan()
    world.tick(["P-0004"])

    outcome = push(world.settings)

    assert outcome.exit_code == ExitCode.OK, outcome.lines
    assert (outcome.summary["updated"], outcome.summary["linked"]) == (1, 5)
    assert _id_cells(world) == _ids(world)
    assert world.master()["P-0004"]["Last Synced"]  # the applied row: written back as before
    assert _without_id(world) == 0


def test_a_linked_row_whose_change_waits_for_approval_is_not_stale_later(
    make_world: Callable[..., World],
) -> None:
    existing = [part(n) for n in range(3)]
    world = make_world([part(0), part(1, "5.55"), part(2, "6.66")], existing)
    world.plan()
    world.tick(["P-0001"])
    assert push(world.settings).summary["linked"] == 2  # P-0000 and the unticked P-0002

    world.tick(["P-0002"])
    later = push(world.settings)

    assert later.exit_code == ExitCode.OK, later.lines
    assert world.results()["P-0002"] == "applied"
    costs = {r["ExternalId"]: Decimal(str(r["Cost"]["Value"])) for r in world.sandbox.materials}
    assert costs["P-0002"] == Decimal("6.66")


def test_a_typed_id_is_never_overwritten_and_a_record_named_by_another_row_is_not_linked_twice(
    make_world: Callable[..., World],
) -> None:
    existing = [part(n) for n in range(3)]
    world = make_world([*existing, part(3)], existing)
    ids = _ids(world)
    world.write(
        [
            CellUpdate(MASTER, 2, "INNERGY ID", "typed-by-hand"),  # P-0000
            CellUpdate(MASTER, 5, "INNERGY ID", ids["P-0001"]),  # P-0003 names P-0001's record
        ]
    )
    world.plan()

    outcome = push(world.settings)

    cells = _id_cells(world)
    assert cells["P-0000"] == "typed-by-hand"
    assert cells["P-0001"] in (None, "")  # its record is claimed by P-0003's typed id
    assert cells["P-0002"] == ids["P-0002"]
    assert cells["P-0003"] == ids["P-0001"]
    assert outcome.summary["linked"] == 1


def test_a_sku_two_innergy_records_carry_is_not_linked(make_world: Callable[..., World]) -> None:
    twin = Material(sku="p-00 01", name="Part 1, entered twice", category="Hardware", uom="EA",
                    cost=Decimal("4.25"))  # fmt: skip
    world = make_world([part(0), part(1)], [part(0), part(1), twin])

    outcome = push(world.settings)

    cells = _id_cells(world)
    assert cells["P-0000"] == _ids(world)["P-0000"]
    assert cells["P-0001"] in (None, "")
    assert outcome.summary["linked"] == 1


def test_undo_of_a_push_puts_the_linked_cells_back_blank(make_world: Callable[..., World]) -> None:
    existing = [part(n) for n in range(3)]
    world = make_world([part(0), part(1), part(2, "7.25")], existing)
    world.plan()
    before = world.tab(MASTER)
    world.tick(["P-0002"])
    pushed = push(world.settings)
    assert pushed.summary["linked"] == 2 and world.tab(MASTER) != before

    undone = undo(world.settings, str(pushed.summary["run_id"]))

    assert undone.exit_code == ExitCode.OK, undone.lines
    assert world.tab(MASTER) == before
    assert undone.summary["counts"]["cells_restored"] == 3


def test_dry_run_lists_the_links_and_writes_nothing(make_world: Callable[..., World]) -> None:
    materials = [part(n) for n in range(2)]
    world = make_world(materials, materials)
    before = world.tab(MASTER)

    outcome = push(world.settings, dry_run=True)

    assert outcome.summary["linked"] == 2
    cells = {(c["key"], c["column"], c["value"]) for c in outcome.summary["would_write"]["sheet_cells"]}
    ids = _ids(world)
    assert cells == {("P-0000", "INNERGY ID", ids["P-0000"]), ("P-0001", "INNERGY ID", ids["P-0001"])}
    assert world.tab(MASTER) == before
    assert not (world.settings.output_dir / "state.db").exists()


def test_a_ppak_change_on_a_row_linked_since_the_plan_is_not_stale_but_an_edit_still_is() -> None:
    row = part(1)
    plan = build_plan(Library(materials=(row,), uoms=(UOM,)), [], ppak=[part(1, "5.00")])
    (change,) = plan.ppak_changes
    ticks = read_diff_tab(DIFF_PPAK, diff_ppak_rows(plan, [change.change_id])).ticked

    def verdict(now: Material) -> str | None:
        (decision,) = decide(ticks, plan, Library(materials=(now,), uoms=(UOM,)), None, Known())
        return decision.verdict

    assert verdict(row.model_copy(update={"innergy_id": "rec-1"})) is None
    assert verdict(row.model_copy(update={"innergy_id": "rec-1", "name": "renamed"})) == (
        "stale: the master row changed since the plan"
    )


def test_a_ppak_cell_write_journals_the_cells_own_text_under_the_master_sku() -> None:
    library = Library(materials=(part(1),), uoms=(UOM,))
    (change,) = build_plan(library, [], ppak=[part(1, "5.00")]).ppak_changes
    header = list(MASTER_FIELDS)
    cells = dict.fromkeys(header) | {"SKU": "P-0001", "Name": "Part 1", "UoM": "EA", "Cost": "$4.25"}
    master = [header, ["other"], [cells[h] for h in header]]  # P-0001 is on sheet row 3
    sheet = Sheet(library, {"p-0001": 3}, {}, master=master)
    back = WriteBack()

    _, written = ppak_master_writes(change, sheet, back)

    assert written == {"row": 3, "before": {"Cost": "$4.25"}, "after": {"Cost": "5.00"}}
    assert back.cells == [(MASTER, "P-0001", "Cost", "5.00")]
    assert change.canonical_sku == "P-0001"  # journalled under this key (push._ppak_key)


def test_with_nothing_ticked_and_no_innergy_key_push_does_not_call_innergy(
    make_world: Callable[..., World],
) -> None:
    materials = [part(n) for n in range(2)]
    world = make_world(materials, materials)
    calls = len(world.sandbox.requests)

    outcome = push(world.settings.model_copy(update={"innergy_api_key": None}))

    assert outcome.exit_code == ExitCode.OK, outcome.lines
    assert outcome.summary["linked"] == 0
    assert len(world.sandbox.requests) == calls
    assert {row.get("INNERGY ID") for row in world.master().values()} == {None}


def test_dry_run_counts_the_links_the_push_then_makes(make_world: Callable[..., World]) -> None:
    """P-0007's ID comes back with its update's result, so it is no link, dry run or not."""
    world = make_world(
        [part(n) for n in range(6)] + [part(n, "9.50") for n in range(6, 10)], [part(n) for n in range(6, 10)]
    )
    world.plan()
    world.tick(["P-0001", "P-0007"])
    dry = push(world.settings, dry_run=True)
    done = push(world.settings)
    assert (dry.summary["linked"], done.summary["linked"]) == (3, 3)
    assert (dry.summary["applied"], done.summary["applied"]) == (2, 2)
