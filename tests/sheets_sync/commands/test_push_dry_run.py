"""``push --dry-run`` predicts exactly the writes the following ``push`` makes, for every action kind.

One world holds every kind a push handles: INNERGY creates, updates, deactivations and
reactivations, PPak rows added to the master and PPak cells updated, links, a stale row, a
conflict and an unknown change id. The dry run and the push that follows read the same
world; what the dry run says is compared with what INNERGY received (the journal's bodies)
and with what the workbook holds afterwards (every changed cell).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from innergy_client.sandbox import running_sandbox
from reports.plan import HEADER_ROW
from sheets_sync.approval.apply import NEW_ID
from sheets_sync.approval.write_back import KEY_COLUMNS
from sheets_sync.commands.init_sheet import init_sheet
from sheets_sync.commands.plan import plan
from sheets_sync.commands.ppak_import import ppak_import
from sheets_sync.commands.push import push
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.console import Outcome
from sheets_sync.master.tabs import DIFF_INNERGY, DIFF_PPAK, MASTER, SPECS
from sheets_sync.routines.demo import _copy_exports, _fill_workbook, _seed_innergy
from sheets_sync.workbook import CellUpdate
from tests.fakes.sheets_server import FakeSheets

TABS = (MASTER, DIFF_INNERGY, DIFF_PPAK)
Cells = dict[tuple[str, int, str], str]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Settings]:
    """The demo's library, INNERGY and PPak exports on the fake Sheets API, planned, every row ticked."""
    with FakeSheets() as fake, running_sandbox(seed=7) as sandbox:
        settings = Settings(
            workbook=fake.create_spreadsheet({MASTER: [list(SPECS[MASTER].headers)]}),
            sheets_endpoint=fake.url,
            output_dir=tmp_path / "out",
            innergy_base_url=sandbox.url,
            innergy_api_key=sandbox.api_key,
            ppak_export_dir=tmp_path / "ppak",
        )
        _copy_exports(tmp_path / "ppak")
        init_sheet(settings)
        _fill_workbook(settings)
        _seed_innergy(sandbox.url, sandbox.api_key)
        ppak_import(settings)
        plan(settings)
        _tick_everything(settings)
        _rename_one_update(settings)
        yield settings


def _tick_everything(settings: Settings) -> None:
    """Every diff row ticked, conflicts too; one tick names a change no plan holds."""
    with open_workbook(settings) as workbook:
        tabs = workbook.read_tabs([DIFF_INNERGY, DIFF_PPAK])
        ticks = [
            CellUpdate(tab, number, "Approve", True, header_row=HEADER_ROW)
            for tab in (DIFF_INNERGY, DIFF_PPAK)
            for number in range(HEADER_ROW + 1, len(tabs[tab]) + 1)
        ]
        below = len(tabs[DIFF_INNERGY]) + 1
        ticks += [
            CellUpdate(DIFF_INNERGY, below, "Change ID", "c-not-in-any-plan", header_row=HEADER_ROW),
            CellUpdate(DIFF_INNERGY, below, "Approve", True, header_row=HEADER_ROW),
        ]
        workbook.write(ticks)


def _rename_one_update(settings: Settings) -> None:
    """A person renames the master row of one proposed update after the plan: it goes stale."""
    with open_workbook(settings) as workbook:
        tabs = workbook.read_tabs([MASTER, DIFF_INNERGY])
        diff = tabs[DIFF_INNERGY]
        header = diff[HEADER_ROW - 1]
        sku_at, action_at = header.index("SKU"), header.index("Action")
        sku = next(row[sku_at] for row in diff[HEADER_ROW:] if row[action_at] == "update")
        master = tabs[MASTER]
        row = next(n for n, cells in enumerate(master[1:], start=2) if cells[0] == sku)
        workbook.write([CellUpdate(MASTER, row, "Name", "renamed after the plan")])


def _tabs(settings: Settings) -> dict[str, list[list[Any]]]:
    with open_workbook(settings) as workbook:
        return dict(workbook.read_tabs(TABS))


def _cells(tabs: Mapping[str, list[list[Any]]]) -> Cells:
    """Every non-empty cell under each tab's header, keyed by (tab, sheet row, header)."""
    cells: Cells = {}
    for tab, rows in tabs.items():
        header_row = 1 if tab == MASTER else HEADER_ROW
        header = [str(title) for title in rows[header_row - 1]]
        for number, row in enumerate(rows[header_row:], start=header_row + 1):
            for title, value in zip(header, row, strict=False):
                if value not in (None, ""):
                    cells[(tab, number, title)] = str(value)
    return cells


def _changed(before: Cells, after: Cells) -> Cells:
    return {key: value for key, value in after.items() if before.get(key) != value}


def _journal(settings: Settings, done: Outcome, column: str) -> list[tuple[str, str, Any]]:
    """(op, key, ``column``) of the push's INNERGY writes, as its journal holds them."""
    db = sqlite3.connect(settings.output_dir / "state.db")
    try:
        return db.execute(
            f"SELECT op, key, {column} FROM writes WHERE run_id = ? AND target = 'innergy.material'",
            (done.summary["run_id"],),
        ).fetchall()
    finally:
        db.close()


def _innergy_bodies(settings: Settings, done: Outcome) -> list[tuple[str, str, str]]:
    rows = _journal(settings, done, "payload")
    return sorted((op, key, json.dumps(json.loads(payload), sort_keys=True)) for op, key, payload in rows)


def _predicted_bodies(dry: Outcome) -> list[tuple[str, str, str]]:
    requests = dry.summary["would_write"]["innergy_requests"]
    return sorted((r["op"], r["sku"], json.dumps(r["body"], sort_keys=True)) for r in requests)


def test_the_world_holds_every_kind_of_write(world: Settings) -> None:
    dry = push(world, dry_run=True)
    ops = {r["op"] for r in dry.summary["would_write"]["innergy_requests"]}
    assert ops == {"create", "update", "deactivate", "reactivate"}
    counts = dry.summary
    assert counts["ppak_added"] and counts["ppak_updated"] and counts["linked"]
    assert counts["stale"] == 1
    results = {r["change_id"]: r["result"] for r in dry.summary["results"]}
    assert results["c-not-in-any-plan"].startswith("skipped: change c-not-in-any-plan is not in plan")


def test_dry_run_predicts_the_innergy_requests_of_the_push(world: Settings) -> None:
    dry = push(world, dry_run=True)
    done = push(world)
    assert _predicted_bodies(dry) == _innergy_bodies(world, done)


def test_dry_run_predicts_every_result_and_count_of_the_push(world: Settings) -> None:
    dry = push(world, dry_run=True)
    done = push(world)
    would = {(r["tab"], r["change_id"]): r["result"] for r in dry.summary["results"]}
    did = {(r["tab"], r["change_id"]): r["result"] for r in done.summary["results"]}
    assert {key: "applied" if r == "would apply" else r for key, r in would.items()} == did
    counted = ("ticked", "created", "updated", "deactivated", "reactivated", "ppak_added", "ppak_updated",
               "applied", "stale", "failed", "skipped", "linked")  # fmt: skip
    assert {k: dry.summary[k] for k in counted} == {k: done.summary[k] for k in counted}


def test_dry_run_predicts_every_cell_the_push_writes(world: Settings) -> None:
    before = _cells(_tabs(world))
    dry = push(world, dry_run=True)
    assert _cells(_tabs(world)) == before, "a dry run writes nothing"
    done = push(world)
    after = _cells(_tabs(world))
    changed = _changed(before, after)
    would = dry.summary["would_write"]
    rows = {
        (tab, str(value)): row
        for (tab, row, column), value in before.items()
        if KEY_COLUMNS.get(tab) == column
    }
    predicted: Cells = {
        (c["tab"], rows[c["tab"], c["key"]], c["column"]): str(c["value"]) for c in would["sheet_cells"]
    }
    created = {
        key: innergy_id for op, key, innergy_id in _journal(world, done, "innergy_id") if op == "create"
    }
    appended_from = max(row for tab, row, _ in before if tab == MASTER) + 1
    added = {k: v for k, v in changed.items() if k[0] == MASTER and k[1] >= appended_from}
    in_place = {k: v for k, v in changed.items() if k not in added}

    assert in_place.keys() == predicted.keys()
    for key, value in predicted.items():
        if key[2] == "Last Synced":
            continue  # a time, taken when each writes
        if value == NEW_ID:  # the id INNERGY gave the record this push created for the row
            sku = after[(MASTER, key[1], "SKU")]
            assert in_place[key] == created[sku], key
            continue
        assert in_place[key] == ("applied" if value == "would apply" else value), key
    rows_added = sorted({row for _, row, _ in added})
    new_rows = [{col: v for (_, row, col), v in added.items() if row == r} for r in rows_added]
    appended = [
        {k: str(v) for k, v in row.items() if v not in (None, "")} for row in would["sheet_appends"][MASTER]
    ]
    assert new_rows == appended
