"""People edit the sheet while a push waits on INNERGY: every cell still lands on its own row.

A push of 40 ticked rows (20 creates, 20 cost updates) waits on a slow sandbox; when
INNERGY receives the first write, a person inserts a row above, deletes one, sorts the
master or sorts DIFF_INNERGY (on the fake Sheets API: directly in its state, as the
Sheets UI does; on .xlsx: another process opens the file, edits it and saves it). Then:
every INNERGY ID and Last Synced is on the row holding its SKU, every Result on the row
holding its Change ID, no other row changed, and the next plan proposes only what the
person's edit explains.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from canonical.errors import ExitCode, LockHeld
from canonical.models import Material
from sheets_sync.commands.plan import plan
from sheets_sync.commands.push import push
from sheets_sync.console import Outcome
from sheets_sync.master.tabs import DIFF_INNERGY, MASTER
from tests.fakes import push_world
from tests.fakes.master_tab import master_tab
from tests.fakes.push_world import HEADER_ROW, World, part, xlsx_world

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world

BYSTANDERS = [part(n) for n in range(900, 905)]
"""Unticked creates at the top of the master: rows the edits move, and nobody approved."""
CREATES = [part(n) for n in range(0, 20)]
UPDATES = [part(n, "9.50") for n in range(100, 120)]
TICKED = {m.sku for m in CREATES + UPDATES}
NEW = part(777)
"""The row a person inserts during the push."""
TOOL = ("INNERGY ID", "Last Synced")


def _world(make: Callable[..., World]) -> World:
    world = make(BYSTANDERS + CREATES + UPDATES, [part(n) for n in range(100, 120)])
    world.plan()
    world.tick(sorted(TICKED))
    return world


def _by_sku(rows: list[list[Any]], header_row: int = 1) -> dict[str, dict[str, Any]]:
    header = [str(c) for c in rows[header_row - 1]]
    return {str(r[header.index("SKU")]): dict(zip(header, r, strict=False)) for r in rows[header_row:] if r}


def _push_while(world: World, edit: Callable[[], None]) -> Outcome:
    """Push in a thread; ``edit`` runs when INNERGY has received the push's first write."""
    world.sandbox.faults.slow_write_answer = 0.2
    seen = len(world.sandbox.requests)
    outcome: list[Outcome] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(push(world.settings))
        except BaseException as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while not any(m == "POST" for m, _ in world.sandbox.requests[seen:]):
        assert time.monotonic() < deadline and thread.is_alive(), "push never wrote to INNERGY"
        time.sleep(0.005)
    edit()
    thread.join(60)
    world.sandbox.faults.slow_write_answer = 0.0
    assert not errors, errors
    return outcome[0]


def _check(world: World, before: dict[str, dict[str, Any]], outcome: Outcome) -> None:
    """Each tool cell on its own row, nothing else changed, Results by Change ID."""
    assert outcome.exit_code == ExitCode.OK, outcome.lines
    assert outcome.summary["applied"] == 40 and not outcome.summary["not_written"]
    ids = {r["ExternalId"]: r["Id"] for r in world.sandbox.materials}
    master = _by_sku(world.tab(MASTER))
    for sku, row in master.items():
        if sku in TICKED:
            assert row["INNERGY ID"] == ids[sku], sku
            assert row["Last Synced"], sku
        else:
            assert not row.get("INNERGY ID") and not row.get("Last Synced"), sku
        if sku in before:
            assert {k: v for k, v in row.items() if k not in TOOL} == {
                k: v for k, v in before[sku].items() if k not in TOOL
            }, sku
    diff = world.tab(DIFF_INNERGY)
    for sku, row in _by_sku(diff, HEADER_ROW).items():
        assert row.get("Result") == ("applied" if sku in TICKED else None), sku
        assert bool(row.get("Approve")) == (sku in TICKED), sku


def _replan(world: World) -> set[tuple[str, str]]:
    """(action, SKU) of every change the next plan proposes."""
    world.plan()
    return {(str(r["Action"]), sku) for sku, r in _by_sku(world.tab(DIFF_INNERGY), HEADER_ROW).items()}


def _creates(materials: list[Material]) -> set[tuple[str, str]]:
    return {("create", m.sku) for m in materials}


# -- on the fake Sheets API ------------------------------------------------------------


def _edit(world: World, tab: str, change: Callable[[list[list[Any]]], None]) -> Callable[[], None]:
    """A person's edit of a tab in the Sheets UI: the stored rows change, no API call."""
    assert world.fake is not None
    book = world.fake.spreadsheets[str(world.settings.workbook)]

    def edit() -> None:
        with book.lock:
            sheet = book.by_title(tab)
            assert sheet is not None
            change(sheet.rows)

    return edit


def _sorted_below(header_row: int, column: str) -> Callable[[list[list[Any]]], None]:
    def sort(rows: list[list[Any]]) -> None:
        at = [str(c).strip() for c in rows[header_row - 1]].index(column)
        body = sorted(rows[header_row:], key=lambda r: str(r[at]), reverse=True)
        rows[header_row:] = body

    return sort


EDITS: dict[str, tuple[str, Callable[[list[list[Any]]], None], set[tuple[str, str]]]] = {
    "insert a row above": (MASTER, lambda rows: rows.insert(1, master_tab([NEW])[1]), _creates([NEW])),
    "delete a row above": (MASTER, lambda rows: rows.pop(1), set()),
    "sort the master": (MASTER, _sorted_below(1, "SKU"), set()),
    "sort the diff tab": (DIFF_INNERGY, _sorted_below(HEADER_ROW, "SKU"), set()),
}


@pytest.mark.parametrize("name", EDITS)
def test_every_cell_lands_on_the_row_of_its_key_on_google(
    make_world: Callable[..., World], name: str
) -> None:
    world = _world(make_world)
    before = _by_sku(world.tab(MASTER))
    tab, change, caused = EDITS[name]

    outcome = _push_while(world, _edit(world, tab, change))

    _check(world, before, outcome)
    left = [b for b in BYSTANDERS if b.sku in _by_sku(world.tab(MASTER))]
    assert _replan(world) == _creates(left) | caused


def test_a_master_row_deleted_during_the_push_is_reported_and_settled_by_the_next_push(
    make_world: Callable[..., World],
) -> None:
    world = _world(make_world)
    gone = CREATES[0].sku

    def delete(rows: list[list[Any]]) -> None:
        rows[:] = [r for r in rows if r[0] != gone]

    outcome = _push_while(world, _edit(world, MASTER, delete))

    assert outcome.summary["applied"] == 40
    missed = outcome.summary["not_written"]
    assert {(m["key"], m["column"]) for m in missed} == {(gone, "INNERGY ID"), (gone, "Last Synced")}
    assert any(f"SKU {gone} is no longer in {MASTER}" in line for line in outcome.lines)
    assert gone not in _by_sku(world.tab(MASTER)), "nothing is written on another row instead"
    open_writes = world.journal_rows(
        f"select key from writes where target = 'sheet.{MASTER}' and state = 'unknown'"
    )
    assert open_writes == [(gone,)]
    writes = world.innergy_writes()
    again = push(world.settings)
    assert world.innergy_writes() == writes, "the next push sends nothing again"
    assert again.summary["pending_resolved"] == 1 and not again.summary["not_written"]
    assert world.journal_rows("select key from writes where state = 'unknown'") == []


def test_results_are_not_written_under_another_plan_id(make_world: Callable[..., World]) -> None:
    world = _world(make_world)

    def pasted(rows: list[list[Any]]) -> None:
        rows[0][1] = "20990101T000000-other"

    outcome = _push_while(world, _edit(world, DIFF_INNERGY, pasted))

    assert outcome.summary["applied"] == 40
    assert {m["tab"] for m in outcome.summary["not_written"]} == {DIFF_INNERGY}
    assert len(outcome.summary["not_written"]) == 40
    assert any("the Plan ID of DIFF_INNERGY is now 20990101T000000-other" in line for line in outcome.lines)
    assert not any(r.get("Result") for r in _by_sku(world.tab(DIFF_INNERGY), HEADER_ROW).values())
    master = _by_sku(world.tab(MASTER))
    assert all(master[sku]["INNERGY ID"] for sku in TICKED), "the master's cells still land"


def test_plan_during_a_push_exits_4_and_writes_nothing(make_world: Callable[..., World]) -> None:
    world = _world(make_world)
    diff = world.tab(DIFF_INNERGY)
    refused: list[BaseException] = []

    def plan_meanwhile() -> None:
        with pytest.raises(LockHeld) as caught:
            plan(world.settings)
        refused.append(caught.value)
        assert world.tab(DIFF_INNERGY) == diff, "the plan wrote nothing"

    outcome = _push_while(world, plan_meanwhile)

    assert refused and refused[0].exit_code == ExitCode.LOCKED
    assert "push" in str(refused[0])
    assert outcome.summary["applied"] == 40


# -- on a .xlsx file another process edits and saves -----------------------------------

EDITOR = """
import json, sys
from openpyxl import load_workbook
path, action, new_row = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
book = load_workbook(path)
sheet = book["MATERIAL_LIBRARY_MASTER"]
if action == "insert":
    sheet.insert_rows(2)
    for col, value in enumerate(new_row, start=1):
        sheet.cell(2, col).value = value
else:
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    rows.sort(key=lambda r: str(r[0]), reverse=True)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            sheet.cell(r, c).value = value
book.save(path)
print("saved", flush=True)
"""


@pytest.fixture
def editor(tmp_path: Path) -> Iterator[Callable[[Path, str], Callable[[], None]]]:
    """Another program holding the workbook's path: started now, edits and saves on cue."""
    started: list[subprocess.Popen[str]] = []

    def make(path: Path, action: str) -> Callable[[], None]:
        row = [None if v is None else str(v) for v in master_tab([NEW], checkboxes=False)[1]]
        process = subprocess.Popen(
            [sys.executable, "-c", EDITOR, str(path), action, json.dumps(row)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        started.append(process)
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"

        def edit() -> None:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write("go\n")
            process.stdin.flush()
            assert process.stdout.readline().strip() == "saved"

        return edit

    yield make
    for process in started:
        process.kill()
        process.wait()


@pytest.mark.parametrize(("action", "caused"), [("insert", _creates([NEW])), ("sort", set())])
def test_every_cell_lands_on_the_row_of_its_key_in_an_xlsx_saved_meanwhile(
    tmp_path: Path,
    sandbox: Any,
    editor: Callable[[Path, str], Callable[[], None]],
    action: str,
    caused: set[Any],
) -> None:
    world = xlsx_world(tmp_path, sandbox, BYSTANDERS + CREATES + UPDATES)
    push_world.seed_innergy(sandbox, [part(n) for n in range(100, 120)])
    world.plan()
    world.tick(sorted(TICKED))
    before = _by_sku(world.tab(MASTER))

    outcome = _push_while(world, editor(Path(str(world.settings.workbook)), action))

    _check(world, before, outcome)
    assert _replan(world) == _creates(BYSTANDERS) | caused
