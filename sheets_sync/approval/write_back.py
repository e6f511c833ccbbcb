"""The write-back: everything a push puts into the workbook, built as data and sent as one write.

INNERGY ID and Last Synced in the master, the cells and rows a DIFF_PPAK tick sets, the
links of rows in step with INNERGY, a Result per ticked row. The master writes are
journalled around the workbook write (with the cells' old values, for undo).

Every cell is named by identity, never by the row it sat on when push read the sheet:
master cells by SKU, diff-tab cells by Change ID (``KEY_COLUMNS``), placed by the
workbook from a read made just before the write, and Results only under the Plan ID
push read. A cell whose key moved, vanished or repeats meanwhile is not written: it is
reported, its journal entry stays open, and the next push settles it from the journal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from canonical.models import Problem
from canonical.normalize import is_blank, sku_key
from canonical.plan import MaterialChange, PPakChange
from innergy_client import wire
from reports.cells import fit_cell
from reports.plan import HEADER_ROW
from sheets_sync.approval.decide import Innergy
from sheets_sync.approval.diff_tabs import DIFF_TABS, Sheet, Ticked
from sheets_sync.approval.targets import MASTER_TARGET
from sheets_sync.master.issues import issues_rewrite
from sheets_sync.master.tabs import DIFF_PPAK, MASTER, SYNC_LOG, SYNC_LOG_HEADER
from sheets_sync.store.journal import Intent, Journal
from sheets_sync.workbook.base import Append, Expect, KeyedCell, Missed, Op, Rewrite, Rows, Workbook

__all__ = [
    "KEY_COLUMNS",
    "SheetWrite",
    "WriteBack",
    "link_ids",
    "lost_write_back",
    "master_cells",
    "ppak_master_writes",
    "ppak_sheet_write",
    "results_cells",
    "write_back",
    "write_back_journalled",
]

TOOL_COLUMNS = ("INNERGY ID", "Last Synced")
"""The master columns push writes (besides the cells a DIFF_PPAK tick sets)."""
SheetWrite = tuple[Intent, Any]
"""A master write as journalled (``payload``: row, before, after) and its answer."""
KEY_COLUMNS = {MASTER: "SKU", **dict.fromkeys(DIFF_TABS, "Change ID")}
"""The column that names a row of each tab push writes cells into."""


@dataclass
class WriteBack:
    """Everything a push writes to the workbook, sent as one workbook write."""

    cells: list[tuple[str, str, str, Any]] = field(default_factory=list)
    """(tab, key, column header, value): the row is the one whose ``KEY_COLUMNS`` cell holds key."""
    appends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """tab -> rows to add at the bottom (SYNC_LOG, new master rows), by column header."""

    sync_log_exists: bool = True
    """False when the workbook has no SYNC_LOG tab yet: it is created with its header."""
    journalled: list[SheetWrite] = field(default_factory=list)
    """The master writes among ``cells`` and ``appends``, as the journal keeps them."""
    plan_ids: dict[str, str | None] = field(default_factory=dict)
    """diff tab -> the Plan ID push read there: its Results are written only under it."""

    def set(self, tab: str, key: str, column: str, value: Any) -> None:
        self.cells.append((tab, key, column, value))

    def append(self, tab: str, row: dict[str, Any]) -> None:
        self.appends.setdefault(tab, []).append(row)


def master_cells(
    back: WriteBack, sheet: Sheet, sku: str, innergy_id: str, synced: str, plan_id: str
) -> list[SheetWrite]:
    """INNERGY ID and Last Synced for a master row, journalled with the cells' old values."""
    row = sheet.rows.get(sku_key(sku))
    if row is None:
        return []
    old = {column: sheet.master_cell(row, column) for column in TOOL_COLUMNS}
    back.set(MASTER, sku, "INNERGY ID", innergy_id)
    back.set(MASTER, sku, "Last Synced", synced)
    cells = {"row": row, "before": old, "after": {"INNERGY ID": innergy_id, "Last Synced": synced}}
    return [(Intent(MASTER_TARGET, "write_back", sku, old, cells, None, plan_id), cells["after"])]


PPAK_COLUMNS = {"uom": "UoM", "cost": "Cost", "description": "Description"}
"""DIFF_PPAK ``differs`` fields -> the master column a tick updates."""


def ppak_master_writes(
    change: PPakChange, sheet: Sheet, back: WriteBack
) -> tuple[list[Problem], dict[str, Any]]:
    """A ticked DIFF_PPAK row into the master: a new row, or the differing cells updated.

    Returns the problems (what a new row could not be given) and what was written (with
    the cells' old values, for undo).
    """
    if change.kind == "new" and change.master_row is not None:
        row = change.master_row
        values = {
            "SKU": row.sku,
            "Name": row.name,
            "Category": row.category,
            "UoM": row.uom,
            "Cost": str(row.cost),
        }
        problems = [
            Problem(
                source=DIFF_PPAK,
                column=column,
                value=None,
                message=f"PPak item {change.ppak_sku} was added to the master without {column}: fill it in",
                severity="warning",
            )
            for column, value in values.items()
            if value in (None, "")
        ]
        back.append(MASTER, values)
        return problems, {"added": values}
    master = sheet.library.material(change.canonical_sku or "")
    row_number = sheet.rows.get(sku_key(change.canonical_sku or ""))
    if master is None or row_number is None:
        return [], {}
    before, after = {}, {}
    for line in change.changes:
        column = PPAK_COLUMNS.get(line.field)
        if column is None:
            continue
        before[column] = sheet.master_cell(row_number, column)  # the cell's own text, for undo
        after[column] = line.new
        back.set(MASTER, change.canonical_sku or "", column, line.new)
    return [], {"row": row_number, "before": before, "after": after}


def ppak_sheet_write(change: PPakChange, sheet: Sheet, back: WriteBack) -> tuple[list[Problem], SheetWrite]:
    """A ticked DIFF_PPAK row's master write and its journal entry, keyed by the master SKU."""
    problems, written = ppak_master_writes(change, sheet, back)
    intent = Intent(
        MASTER_TARGET, f"ppak_{change.kind}", _ppak_key(change), written.get("before"), written,
        change.change_id, sheet.plan_id,
    )  # fmt: skip
    return problems, (intent, written)


def _ppak_key(change: PPakChange) -> str:
    """The master SKU a DIFF_PPAK row writes to (the new row's SKU for ``new``)."""
    if change.master_row is not None:
        return change.master_row.sku
    return change.canonical_sku or change.ppak_sku


def write_back_journalled(
    workbook: Workbook,
    back: WriteBack,
    problems: Sequence[Problem],
    sheet: Sheet,
    journal: Journal,
    run_id: str,
) -> list[Missed]:
    """The workbook write, with its master writes (``back.journalled``) journalled around
    it: intended (with the old cell values, for undo) before, done after, unknown when the
    write fails, since part of it may have landed, or when its row could not be placed
    (the next push settles it from the master)."""
    writes = back.journalled
    ids = journal.intend_many(run_id, [intent for intent, _ in writes]) if writes else []
    try:
        missed = write_back(workbook, back, problems, sheet.issues)
    except BaseException as exc:
        journal.mark_unknown_many((w, f"the workbook write failed ({type(exc).__name__})") for w in ids)
        raise
    off = {sku_key(m.op.key): m.reason for m in missed if m.op.tab == MASTER}
    done, unplaced = [], []
    for write_id, (intent, answer) in zip(ids, writes, strict=True):
        reason = off.get(sku_key(intent.key))
        if reason is None:
            done.append((write_id, None, answer))
        else:
            unplaced.append((write_id, reason))
    journal.mark_done_many(done)
    journal.mark_unknown_many(unplaced)
    return missed


def lost_write_back(sheet: Sheet, innergy: Innergy, change: MaterialChange) -> wire.Material | None:
    """An applied change whose write-back was lost (a crash): the record whose id the row lacks."""
    material = sheet.library.material(change.sku)
    record = innergy.record_for(change) or innergy.by_key.get(sku_key(change.sku))
    if material is not None and record is not None and material.innergy_id != record.id:
        return record
    return None


def link_ids(back: WriteBack, sheet: Sheet, innergy: Innergy, plan_id: str | None) -> list[SheetWrite]:
    """Fill blank INNERGY ID cells of master rows whose SKU is exactly one INNERGY record's
    external id, so rows in step with INNERGY are linked without a change to approve.

    Nothing is applied to INNERGY and nothing a person typed is overwritten: only blank
    cells, only from the records read by this push (never a stale id), never a record that
    another row already names or a row this push writes itself, no Last Synced (nothing was
    synced). A SKU two records share stays blank (the plan lists it as a conflict).
    """
    ids = {
        sku_key(key): value
        for tab, key, column, value in back.cells
        if (tab, column) == (MASTER, "INNERGY ID")
    }
    claimed = {m.innergy_id for m in sheet.library.materials if m.innergy_id} | set(ids.values())
    records = innergy.sole_records()
    links: list[SheetWrite] = []
    for material in sheet.library.materials:
        record, row = records.get(material.key), sheet.rows.get(material.key)
        if record is None or row is None or material.key in ids or record.id in claimed:
            continue
        old = sheet.master_cell(row, "INNERGY ID")
        if not is_blank(old):
            continue
        back.set(MASTER, material.sku, "INNERGY ID", record.id)
        claimed.add(record.id)
        cells = {"row": row, "before": {"INNERGY ID": old}, "after": {"INNERGY ID": record.id}}
        intent = Intent(MASTER_TARGET, "link", material.sku, cells["before"], cells, None, plan_id)
        links.append((intent, cells["after"]))
    return links


def results_cells(results: Mapping[Ticked, str], sheet: Sheet, back: WriteBack) -> None:
    """Each ticked row's Result, in the Result column as its tab spells it, by Change ID,
    under the Plan ID push read in that tab."""
    for tick, result in results.items():
        tab = sheet.tabs[tick.tab]
        back.plan_ids[tick.tab] = tab.plan_id
        back.set(tick.tab, tick.change_id, tab.result_column or "Result", result)


def write_back(
    workbook: Workbook, back: WriteBack, problems: Sequence[Problem], issues: Rows | None = None
) -> list[Missed]:
    """Everything push writes to the workbook, as one workbook write (constant Sheets calls).

    Problems replace the ISSUES rows of their own sources only (what other commands
    reported stays; ``issues`` is the tab as read); with no problems ISSUES is left alone.
    Returns the cells not written (their key moved, vanished or repeats). Text over the
    workbook's cell limit (an INNERGY error in a Result, a long pasted Plan ID) is cut.
    """
    limit = workbook.max_cell_chars

    def fit(value: Any, where: str) -> Any:
        return fit_cell(value, limit, where) if isinstance(value, str) else value

    guards: list[Op] = [
        Expect(tab, 1, 2, plan_id, what="the Plan ID") for tab, plan_id in back.plan_ids.items()
    ]
    ops: list[Op] = [
        KeyedCell(
            tab, KEY_COLUMNS[tab], key, column, fit(value, f"the whole is in the journal ({tab} {column})"),
            header_row=HEADER_ROW if tab in DIFF_TABS else 1,
        )
        for tab, key, column, value in back.cells
    ]  # fmt: skip
    for tab, rows in back.appends.items():
        fitted = [{c: fit(v, f"the whole is in the journal ({tab} {c})") for c, v in r.items()} for r in rows]
        if tab == SYNC_LOG and not back.sync_log_exists:
            table = [[r.get(c) for c in SYNC_LOG_HEADER] for r in fitted]
            ops.append(Rewrite(SYNC_LOG, [list(SYNC_LOG_HEADER), *table]))
        else:
            ops.append(Append(tab, fitted))
    rewrite = issues_rewrite(issues, problems, {p.source for p in problems}, limit) if problems else None
    return workbook.write([*guards, *ops, *([rewrite] if rewrite is not None else [])])
