"""Push under INNERGY's faults, end to end: lost answers and 429/500 storms.

The workbook is on the fake Sheets API, INNERGY is the sandbox, the plan is made by the
real ``plan``; only the INNERGY client is tuned (retries, backoff, batch size) so the
storms finish fast.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from canonical.errors import ExitCode, SheetsApiError
from innergy_client import InnergyClient
from reports.plan import HEADER_ROW
from sheets_sync.commands.ppak_import import ppak_import
from sheets_sync.commands.push import push
from sheets_sync.master.tabs import DIFF_PPAK
from sheets_sync.workbook import CellUpdate
from tests.fakes import push_world
from tests.fakes.push_world import World, part

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world


def test_a_503_after_a_committed_create_then_push_again_gives_exactly_one_record(
    make_world: Callable[..., World],
) -> None:
    world = make_world([part(n) for n in range(3)])
    world.plan()
    world.tick(["P-0000", "P-0001", "P-0002"])
    world.sandbox.faults.commit_then_503_next = 1
    with InnergyClient(world.sandbox.url, world.sandbox.api_key, retries=0, backoff=0.0) as client:
        first = push(world.settings, client=client)
        writes = world.innergy_writes()
        second = push(world.settings, client=client)
    assert first.exit_code == ExitCode.OK, first.lines
    assert first.summary["created"] == 3 and first.summary["failed"] == 0
    assert world.records() == {"P-0000": 1, "P-0001": 1, "P-0002": 1}
    assert second.summary["skipped"] == 3 and world.innergy_writes() == writes
    ids = {r["ExternalId"]: r["Id"] for r in world.sandbox.materials}
    assert {sku: row["INNERGY ID"] for sku, row in world.master().items()} == ids


def test_thirty_percent_429_and_500_every_ticked_row_applied_exactly_once(
    make_world: Callable[..., World],
) -> None:
    existing = [part(n) for n in range(20)]
    master = [part(n, "6.75") for n in range(20)] + [part(n) for n in range(20, 40)]
    world = make_world(master, existing)
    world.plan()
    world.tick([m.sku for m in master])
    world.sandbox.faults.update({"failure_rate": 0.15, "rate_limit_rate": 0.15, "retry_after": 0.0})
    with InnergyClient(
        world.sandbox.url, world.sandbox.api_key, backoff=0.0, retries=12, batch_size=5
    ) as client:
        outcome = push(world.settings, client=client)
        again = push(world.settings, client=client)
    world.sandbox.faults.update({"failure_rate": 0.0, "rate_limit_rate": 0.0})
    # without faults: a listing and 4 create batches and 20 edits, then a listing again
    assert client.calls > 1 + 4 + 20 + 1, "the storm did not happen"
    assert outcome.exit_code == ExitCode.OK, outcome.lines
    assert (outcome.summary["created"], outcome.summary["updated"]) == (20, 20)
    assert again.summary["skipped"] == 40 and again.summary["applied"] == 0
    assert world.records() == {m.sku: 1 for m in master}
    costs = {r["ExternalId"]: Decimal(str(r["Cost"]["Value"])) for r in world.sandbox.materials}
    assert costs == {m.sku: m.cost for m in master}
    assert set(world.results().values()) == {"skipped: already applied"}


@pytest.mark.parametrize("landed", [False, True])
def test_a_failed_workbook_write_leaves_its_master_writes_unknown_and_the_next_push_settles_them(
    make_world: Callable[..., World], landed: bool
) -> None:
    """INNERGY took the creates, then every values write of the workbook failed (after being
    carried out, when ``landed``). The journal must not claim the master cells were
    written; the next push settles them from the master as read and INNERGY is not
    written again."""
    world = make_world([part(n) for n in range(3)])
    world.plan()
    world.tick(["P-0000", "P-0001", "P-0002"])
    assert world.fake is not None
    world.fake.inject(503, count=None, kind="values.batchUpdate", committed=landed)
    with pytest.raises(SheetsApiError):
        push(world.settings)
    assert _master_writes(world) == [("write_back", "unknown")] * 3
    assert world.records() == {"P-0000": 1, "P-0001": 1, "P-0002": 1}
    world.fake.clear_faults()
    writes = world.innergy_writes()
    again = push(world.settings)
    assert again.exit_code == ExitCode.OK, again.lines
    assert again.summary["pending_resolved"] == 3 and world.innergy_writes() == writes
    ids = {r["ExternalId"]: r["Id"] for r in world.sandbox.materials}
    assert {sku: row["INNERGY ID"] for sku, row in world.master().items()} == ids
    first = [("write_back", "done" if landed else "failed")] * 3
    assert _master_writes(world) == first + ([] if landed else [("write_back", "done")] * 3)


def test_a_ticked_ppak_row_whose_workbook_write_failed_is_added_by_the_next_push(
    make_world: Callable[..., World], tmp_path: Path
) -> None:
    """Before the journal waited for the workbook write, this row counted as applied and was
    never added to the master."""
    world = make_world([part(0)])
    world.settings = world.settings.model_copy(update={"ppak_export_dir": _ppak_exports(tmp_path)})
    ppak_import(world.settings)
    world.plan()
    rows = world.tab(DIFF_PPAK)
    sku = rows[HEADER_ROW][[str(c).casefold() for c in rows[HEADER_ROW - 1]].index("ppak sku")]
    world.write([CellUpdate(DIFF_PPAK, HEADER_ROW + 1, "Approve", True, header_row=HEADER_ROW)])
    assert world.fake is not None
    world.fake.inject(503, count=None, kind="values.batchUpdate")
    with pytest.raises(SheetsApiError):
        push(world.settings)
    assert sku not in world.master()
    world.fake.clear_faults()
    again = push(world.settings)
    assert again.exit_code == ExitCode.OK, again.lines
    assert sku in world.master() and again.summary["ppak_added"] == 1
    assert _master_writes(world) == [("ppak_new", "failed"), ("ppak_new", "done")]


def _master_writes(world: World) -> list[tuple[str, str]]:
    return world.journal_rows(
        "SELECT op, state FROM writes WHERE target = 'sheet.MATERIAL_LIBRARY_MASTER' ORDER BY write_id"
    )  # type: ignore[return-value]


def _ppak_exports(tmp_path: Path) -> Path:
    """The demo's PPak exports (every item is new to a master of P- parts)."""
    folder = tmp_path / "ppak"
    folder.mkdir()
    for item in resources.files("sheets_sync").joinpath("demo_assets", "ppak").iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    return folder
