"""The write-back: everything a push puts into the workbook, built as data and sent as one write.

INNERGY ID and Last Synced in the master, the cells and rows a DIFF_PPAK tick sets, the
links of rows in step with INNERGY, a Result per ticked row. The master writes are
journalled around the workbook write (with the cells' old values, for undo).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from canonical.models import Problem
from canonical.normalize import is_blank, sku_key
from canonical.plan import MaterialChange, PPakChange
from innergy_client import wire
from reports.plan import HEADER_ROW
from sheets_sync.approval.decide import Innergy
from sheets_sync.approval.diff_tabs import DIFF_TABS, Sheet, Ticked
from sheets_sync.approval.targets import MASTER_TARGET
from sheets_sync.master.issues import issues_rewrite
from sheets_sync.master.tabs import DIFF_PPAK, MASTER, SYNC_LOG, SYNC_LOG_HEADER
from sheets_sync.store.journal import Intent, Journal
from sheets_sync.workbook.base import Append, CellUpdate, Op, Rewrite, Rows, Workbook

__all__ = [
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


@dataclass
class WriteBack:
    """Everything a push writes to the workbook, sent as one workbook write."""

    cells: list[tuple[str, int, str, Any]] = field(default_factory=list)
    """(tab, sheet row, column header, value)."""
    appends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """tab -> rows to add at the bottom (SYNC_LOG, new master rows), by column header."""

    sync_log_exists: bool = True
    """False when the workbook has no SYNC_LOG tab yet: it is created with its header."""
    journalled: list[SheetWrite] = field(default_factory=list)
    """The master writes among ``cells`` and ``appends``, as the journal keeps them."""

    def set(self, tab: str, row: int, column: str, value: Any) -> None:
        self.cells.append((tab, row, column, value))

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
    back.set(MASTER, row, "INNERGY ID", innergy_id)
    back.set(MASTER, row, "Last Synced", synced)
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
        back.set(MASTER, row_number, column, line.new)
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
) -> None:
    """The workbook write, with its master writes (``back.journalled``) journalled around
    it: intended (with the old cell values, for undo) before, done after, unknown when the
    write fails, since part of it may have landed."""
    writes = back.journalled
    ids = journal.intend_many(run_id, [intent for intent, _ in writes]) if writes else []
    try:
        write_back(workbook, back, problems, sheet.issues)
    except BaseException as exc:
        journal.mark_unknown_many((w, f"the workbook write failed ({type(exc).__name__})") for w in ids)
        raise
    journal.mark_done_many((w, None, answer) for w, (_, answer) in zip(ids, writes, strict=True))


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
    ids = {row: value for tab, row, column, value in back.cells if (tab, column) == (MASTER, "INNERGY ID")}
    claimed = {m.innergy_id for m in sheet.library.materials if m.innergy_id} | set(ids.values())
    records = innergy.sole_records()
    links: list[SheetWrite] = []
    for material in sheet.library.materials:
        record, row = records.get(material.key), sheet.rows.get(material.key)
        if record is None or row is None or row in ids or record.id in claimed:
            continue
        old = sheet.master_cell(row, "INNERGY ID")
        if not is_blank(old):
            continue
        back.set(MASTER, row, "INNERGY ID", record.id)
        claimed.add(record.id)
        cells = {"row": row, "before": {"INNERGY ID": old}, "after": {"INNERGY ID": record.id}}
        intent = Intent(MASTER_TARGET, "link", material.sku, cells["before"], cells, None, plan_id)
        links.append((intent, cells["after"]))
    return links


def results_cells(results: Mapping[Ticked, str], sheet: Sheet, back: WriteBack) -> None:
    """Each ticked row's Result, in the Result column as its tab spells it."""
    for tick, result in results.items():
        column = sheet.tabs[tick.tab].result_column or "Result"
        back.set(tick.tab, tick.row, column, result)


def write_back(
    workbook: Workbook, back: WriteBack, problems: Sequence[Problem], issues: Rows | None = None
) -> None:
    """Everything push writes to the workbook, as one workbook write (constant Sheets calls).

    Problems replace the ISSUES rows of their own sources only (what other commands
    reported stays; ``issues`` is the tab as read); with no problems ISSUES is left alone.
    """
    ops: list[Op] = [
        CellUpdate(tab, row, column, value, header_row=HEADER_ROW if tab in DIFF_TABS else 1)
        for tab, row, column, value in back.cells
    ]
    for tab, rows in back.appends.items():
        if tab == SYNC_LOG and not back.sync_log_exists:
            table = [[r.get(c) for c in SYNC_LOG_HEADER] for r in rows]
            ops.append(Rewrite(SYNC_LOG, [list(SYNC_LOG_HEADER), *table]))
        else:
            ops.append(Append(tab, rows))
    rewrite = issues_rewrite(issues, problems, {p.source for p in problems}) if problems else None
    workbook.write([*ops, rewrite] if rewrite is not None else ops)
