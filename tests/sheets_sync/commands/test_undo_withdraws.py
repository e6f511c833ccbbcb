"""A tick approves one change of one plan, once: ``undo`` withdraws the approvals it reverted.

End to end on the fake Sheets API and the INNERGY sandbox: a real push of an update
(P-0001) and a create (P-0002), its undo, then what later pushes, plans and nightly runs
do with the old ticks. INNERGY writes are counted at the sandbox.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from canonical.errors import ExitCode
from reports.plan import HEADER_ROW
from sheets_sync.approval.decide import ALREADY, REVERTED_IN_TAB, REVERTED_NOTE, REVERTED_SKIP
from sheets_sync.commands.push import push
from sheets_sync.commands.undo import undo
from sheets_sync.master.tabs import DIFF_INNERGY
from sheets_sync.routines.nightly import nightly
from sheets_sync.store.journal import MIGRATIONS, Journal
from sheets_sync.workbook import CellUpdate, Rewrite
from tests.fakes import push_world
from tests.fakes.push_world import World, part

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world

UPDATE, CREATE = "P-0001", "P-0002"


@dataclass
class Undone:
    world: World
    plan_id: str
    push_run: str
    undo_run: str
    change_ids: dict[str, str]
    """SKU -> the change id the push applied."""


def _pushed(make_world: Callable[..., World]) -> tuple[World, str, str, dict[str, str]]:
    world = make_world([part(1, "5.00"), part(2)], in_innergy=[part(1)])
    plan_id = world.plan()
    ids = _rows(world)
    world.tick([UPDATE, CREATE])
    pushed = push(world.settings)
    assert pushed.summary["applied"] == 2, pushed.lines
    return world, plan_id, str(pushed.summary["run_id"]), {sku: row["Change ID"] for sku, row in ids.items()}


def _undo(world: World, run_id: str) -> str:
    outcome = undo(world.settings, run_id)
    assert outcome.exit_code == ExitCode.OK, outcome.lines
    return str(outcome.summary["run_id"])


@pytest.fixture
def undone(make_world: Callable[..., World]) -> Undone:
    world, plan_id, push_run, ids = _pushed(make_world)
    return Undone(world, plan_id, push_run, _undo(world, push_run), ids)


def _rows(world: World) -> dict[str, dict[str, Any]]:
    """SKU -> its DIFF_INNERGY row by header."""
    rows = world.tab(DIFF_INNERGY)
    header = [str(title) for title in rows[HEADER_ROW - 1]]
    return {str(r[3]): dict(zip(header, r, strict=False)) for r in rows[HEADER_ROW:] if len(r) > 3}


def _costs(world: World) -> dict[str, Decimal]:
    return {str(r["ExternalId"]): Decimal(str(r["Cost"]["Value"])) for r in world.sandbox.materials}


def test_undo_unticks_the_rows_it_reverted_found_by_change_id_and_says_why(
    make_world: Callable[..., World],
) -> None:
    world, _plan_id, push_run, _ids = _pushed(make_world)
    rows = world.tab(DIFF_INNERGY)  # a reviewer sorts the tab: the rows are not where push found them
    moved = rows[HEADER_ROW:][::-1]
    world.write([Rewrite(DIFF_INNERGY, [*rows[:HEADER_ROW], *moved])])
    assert world.tab(DIFF_INNERGY)[HEADER_ROW:] == moved != rows[HEADER_ROW:]
    undo_run = _undo(world, push_run)
    shown = _rows(world)
    for sku in (UPDATE, CREATE):
        assert shown[sku]["Approve"] is False
        assert shown[sku]["Result"] == REVERTED_IN_TAB.format(run=undo_run)


def test_undo_leaves_a_diff_tab_of_another_plan_alone(make_world: Callable[..., World]) -> None:
    world, _plan_id, push_run, _ids = _pushed(make_world)
    world.write([CellUpdate(DIFF_INNERGY, 1, 2, "20990101T000000Z-another")])  # B1: another plan now
    before = world.tab(DIFF_INNERGY)
    _undo(world, push_run)
    assert world.tab(DIFF_INNERGY) == before


def test_push_undo_replan_nightly_writes_nothing_more_to_innergy(undone: Undone) -> None:
    world = undone.world
    writes, costs = world.innergy_writes(), _costs(world)
    assert costs[UPDATE] == Decimal("4.25")  # the update is undone
    world.plan()
    shown = _rows(world)
    assert shown[UPDATE]["Change ID"] == undone.change_ids[UPDATE]  # the same change, proposed again
    assert shown[UPDATE]["Approve"] is False
    assert shown[UPDATE]["Result"] == REVERTED_NOTE.format(run=undone.undo_run)
    assert nightly(world.settings, lock_timeout=0).summary["push"]["ticked"] == 0
    assert world.innergy_writes() == writes and _costs(world) == costs
    assert _rows(world)[UPDATE]["Result"] == REVERTED_NOTE.format(run=undone.undo_run)  # still said


def test_an_old_tick_ticked_again_is_never_applied_by_push_plan_or_nightly(undone: Undone) -> None:
    """The old plan's tab still shows the ticks (a reviewer ticked them again): they approved
    the change once, and the journal knows the undo took it back."""
    world = undone.world
    writes, costs = world.innergy_writes(), _costs(world)
    world.tick([UPDATE, CREATE])
    again = push(world.settings)
    assert again.summary["applied"] == 0 and again.summary["skipped"] == 2
    results = world.results()
    assert results[UPDATE] == results[CREATE] == REVERTED_SKIP.format(run=undone.undo_run)
    world.tick([UPDATE, CREATE])
    planned = world.plan()
    assert planned != undone.plan_id
    shown = _rows(world)
    assert shown[UPDATE]["Approve"] is False
    assert shown[UPDATE]["Result"] == REVERTED_NOTE.format(run=undone.undo_run)
    assert nightly(world.settings, lock_timeout=0).exit_code == ExitCode.NEEDS_PERSON
    assert world.innergy_writes() == writes and _costs(world) == costs


def test_a_new_tick_in_the_new_plan_applies_the_change_again_once(undone: Undone) -> None:
    world = undone.world
    world.plan()
    writes = world.innergy_writes()
    world.tick([UPDATE])
    first = push(world.settings)
    assert first.summary["updated"] == 1, first.lines
    assert world.innergy_writes() == writes + 1 and _costs(world)[UPDATE] == Decimal("5")
    assert push(world.settings).summary["applied"] == 0
    assert world.innergy_writes() == writes + 1
    world.plan()
    assert UPDATE not in _rows(world)  # in step with INNERGY: nothing left to propose, nor to note


def test_the_undo_of_the_undo_applies_again_so_nothing_is_noted_and_nothing_reapplied(
    undone: Undone,
) -> None:
    world = undone.world
    _undo(world, undone.undo_run)
    assert _costs(world)[UPDATE] == Decimal("5")
    with Journal.open(world.settings.output_dir / "state.db") as journal:
        assert journal.reverted_changes() == []
    writes = world.innergy_writes()
    world.tick([UPDATE])
    push(world.settings)
    assert world.results()[UPDATE] == ALREADY
    assert world.innergy_writes() == writes


def test_the_journal_names_the_plan_change_and_undo_run_of_each_revert(undone: Undone) -> None:
    with Journal.open(undone.world.settings.output_dir / "state.db") as journal:
        reverted = journal.reverted_changes()
    assert {(r.plan_id, r.change_id, r.undo_run) for r in reverted} == {
        (undone.plan_id, undone.change_ids[sku], undone.undo_run) for sku in (UPDATE, CREATE)
    }


def test_a_journal_from_schema_1_learns_what_its_undos_reverted(tmp_path: Path) -> None:
    """Before schema 2 an undo write named the write it reverted only in its change id."""
    path = tmp_path / "state.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    at = "2024-01-01T00:00:00.000000+00:00"
    db.executemany(
        "INSERT INTO runs (run_id, command, actor, plan_id, started_at, undo_of) VALUES (?, ?, 'x', ?, ?, ?)",
        [("push-1", "push", "plan-1", at, None), ("undo-1", "undo", None, at, "push-1")],
    )
    db.executemany(
        "INSERT INTO writes (write_id, run_id, seq, target, op, key, state, change_id, plan_id,"
        " created_at, updated_at) VALUES (?, ?, 1, 'innergy.material', 'update', 'S', 'done', ?, ?, ?, ?)",
        [(1, "push-1", "C1", "plan-1", at, at), (2, "undo-1", "undo:1", None, at, at)],
    )
    db.commit()
    db.close()
    with Journal.open(path) as journal:
        assert journal.writes("undo-1")[0].reverts == "1"
        assert [(r.plan_id, r.change_id, r.undo_run) for r in journal.reverted_changes()] == [
            ("plan-1", "C1", "undo-1")
        ]


def test_a_change_counts_as_reverted_while_its_last_undo_is_odd_and_no_push_applied_it_since(
    tmp_path: Path,
) -> None:
    """Undo, undo of the undo, and again: the chain's parity says where the change stands;
    a later push of the same change (another plan) applies it again."""
    material = "innergy.material"
    with Journal.open(tmp_path / "state.db", secrets=[]) as journal:
        pushed = journal.start_run("push", plan_id="plan-1")
        write = journal.intend(pushed, material, "update", "S", change_id="C1", plan_id="plan-1")
        journal.mark_done(write)
        runs = []
        for _ in range(3):
            run = journal.start_run("undo", undo_of=runs[-1][0] if runs else pushed)
            last = runs[-1][1] if runs else write
            undo_write = journal.intend(run, material, "update", "S", change_id=f"undo:{last}", reverts=last)
            journal.mark_done(undo_write)
            runs.append((run, undo_write))
            reverted = [(r.plan_id, r.change_id, r.undo_run) for r in journal.reverted_changes()]
            assert reverted == ([("plan-1", "C1", run)] if len(runs) % 2 else [])
        again = journal.start_run("push", plan_id="plan-2")
        journal.mark_done(journal.intend(again, material, "update", "S", change_id="C1", plan_id="plan-2"))
        assert journal.reverted_changes() == []
