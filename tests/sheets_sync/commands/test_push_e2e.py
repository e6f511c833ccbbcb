"""``matsync push`` end to end: unmodified gspread against the fake Sheets API, INNERGY's sandbox.

Every test lays out a workbook in the fake, INNERGY records in the sandbox, makes the
plan with the real ``plan`` function, ticks rows through the workbook interface, pushes,
and reads back what the fake and the sandbox hold.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from canonical.errors import ExitCode
from sheets_sync.commands.push import push
from sheets_sync.master.tabs import DIFF_INNERGY, MASTER, SYNC_LOG
from sheets_sync.workbook import CellUpdate
from tests.fakes import push_world
from tests.fakes.push_world import World, part

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world


def _mixed(make_world: Callable[..., World]) -> World:
    """Six creates (P-0000..P-0005) and four cost updates (P-0006..P-0009)."""
    existing = [part(n) for n in range(6, 10)]
    master = [part(n) for n in range(6)] + [part(n, "9.50") for n in range(6, 10)]
    world = make_world(master, existing)
    world.plan()
    return world


def test_no_ticks_writes_nothing_to_innergy(make_world: Callable[..., World]) -> None:
    world = _mixed(make_world)
    before = world.innergy_writes()
    outcome = push(world.settings)
    assert outcome.exit_code == ExitCode.OK
    assert outcome.summary["ticked"] == 0 and outcome.summary["applied"] == 0
    assert world.innergy_writes() == before
    assert len(world.tab(SYNC_LOG)) == 2  # header + this run


def test_ticks_on_a_subset_apply_exactly_that_subset_then_a_second_push_writes_nothing(
    make_world: Callable[..., World],
) -> None:
    world = _mixed(make_world)
    chosen = ["P-0001", "P-0003", "P-0007"]
    world.tick(chosen)
    first = push(world.settings)
    assert first.exit_code == ExitCode.OK, first.lines
    assert (first.summary["created"], first.summary["updated"], first.summary["applied"]) == (2, 1, 3)
    records = world.records()
    assert {s for s in records if s not in {f"P-{n:04}" for n in range(6, 10)}} == {"P-0001", "P-0003"}
    costs = {r["ExternalId"]: Decimal(str(r["Cost"]["Value"])) for r in world.sandbox.materials}
    assert costs["P-0007"] == Decimal("9.5") and costs["P-0006"] == Decimal("4.25")
    writes = world.innergy_writes()
    second = push(world.settings)
    assert world.innergy_writes() == writes, "a second push must not write to INNERGY"
    assert second.summary["skipped"] == 3 and second.summary["applied"] == 0
    assert world.records() == records


def test_results_ids_and_sync_log_are_written_back(make_world: Callable[..., World]) -> None:
    world = _mixed(make_world)
    world.tick(["P-0000", "P-0008"])
    outcome = push(world.settings)
    ids = {r["ExternalId"]: r["Id"] for r in world.sandbox.materials}
    master = world.master()
    for sku in ("P-0000", "P-0008"):
        assert master[sku]["INNERGY ID"] == ids[sku]
        assert master[sku]["Last Synced"]
    assert master["P-0001"].get("INNERGY ID") in (None, "")
    results = world.results()
    assert results["P-0000"] == results["P-0008"] == "applied"
    assert results["P-0001"] in (None, "")
    log = world.tab(SYNC_LOG)
    assert log[0][:3] == ["Time", "Command", "Actor"] and len(log) == 2
    row = dict(zip(log[0], log[1], strict=False))
    assert row["Command"] == "push" and row["Run ID"] == outcome.summary["run_id"]
    assert (row["Created"], row["Updated"], row["Outcome"]) == ("1", "1", "ok")


def test_a_master_row_edited_after_the_plan_then_ticked_is_stale(make_world: Callable[..., World]) -> None:
    world = _mixed(make_world)
    row = world.master()["P-0002"]
    assert row
    world.write([CellUpdate(MASTER, 4, "Name", "Part 2, renamed after the plan")])  # P-0002 is row 4
    world.tick(["P-0002", "P-0004"])
    before = world.innergy_writes()
    outcome = push(world.settings)
    assert outcome.exit_code == ExitCode.NEEDS_PERSON
    assert world.results()["P-0002"] == "stale: the master row changed since the plan"
    assert world.results()["P-0004"] == "applied"
    assert "P-0002" not in world.records()
    assert world.innergy_writes() == before + 1


def test_dry_run_writes_nothing_anywhere(make_world: Callable[..., World]) -> None:
    world = _mixed(make_world)
    world.tick(["P-0001", "P-0007"])
    assert world.fake is not None
    key = str(world.settings.workbook)
    snapshot = {name: world.fake.values(key, name) for name in (MASTER, DIFF_INNERGY)}
    journal = world.settings.output_dir / "state.db"
    writes = world.innergy_writes()
    outcome = push(world.settings, dry_run=True)
    assert outcome.summary["dry_run"] and outcome.summary["applied"] == 2
    assert outcome.summary["would_write"]["innergy"]["created"] == 1
    assert world.innergy_writes() == writes
    assert {name: world.fake.values(key, name) for name in snapshot} == snapshot
    assert world.fake.spreadsheets[key].by_title(SYNC_LOG) is None
    assert not journal.exists()


def test_sheets_requests_of_a_push_are_the_same_for_10_and_200_ticked_rows(
    make_world: Callable[..., World],
) -> None:
    requests = {}
    for first, ticked in ((0, 10), (1000, 200)):  # one sandbox: distinct SKUs per workbook
        skus = [f"P-{n:04}" for n in range(first, first + ticked)]
        kept = [part(n) for n in range(10)] if first else []  # else a plan would retire them all
        world = make_world([*kept, *(part(n) for n in range(first, first + ticked))], output=f"out-{ticked}")
        world.plan()
        world.tick(skus)
        assert world.fake is not None
        world.fake.reset_counts()
        outcome = push(world.settings)
        assert outcome.summary["created"] == ticked
        requests[ticked] = dict(world.fake.counts)
        results = world.results()
        assert {results[s] for s in skus} == {"applied"}
    assert requests[10] == requests[200]
    # metadata, the read, the read just before the write (rows are found by key), the
    # structure call, the values write, and the read that checks no key moved under it
    assert sum(requests[10].values()) <= 6, requests[10]
