"""``matsync init-sheet``: create or repair every contract tab, in one read and one write.

Missing tabs are created with their headers; missing contract columns are added at the
right of a tab's header row; user data, user columns and their order are never touched.
Formatting (frozen header, bold header, checkboxes, drop-downs fed by MAP_UOM and the
master's categories, protected tool columns, a filter) is (re)applied each run, so a
second run changes nothing.
"""

from __future__ import annotations

from typing import Any

from canonical.errors import ExitCode
from sheets_sync.config import Settings
from sheets_sync.console import Outcome
from sheets_sync.master.tabs import ALL_TABS, MASTER, SPECS, TabSpec
from sheets_sync.workbook.base import CellUpdate, Dropdown, Op, Rows, column_index

__all__ = ["init_sheet", "repair_ops"]

CATEGORY_LIMIT = 500
"""Google Sheets' limit on the items of a drop-down list."""


def _categories(master: Rows | None) -> tuple[str, ...]:
    if not master:
        return ()
    at = column_index(master[0], "Category")
    if at is None:
        return ()
    values = {
        cell.strip() for r in master[1:] if len(r) > at and isinstance(cell := r[at], str) and cell.strip()
    }
    return tuple(sorted(values, key=lambda v: (v.casefold(), v)))[:CATEGORY_LIMIT]


def _header_ops(spec: TabSpec, rows: Rows | None) -> tuple[list[Op], list[str]]:
    """Header cells to write (only missing ones, at the right) and the titles added."""
    header = rows[spec.header_row - 1] if rows and len(rows) >= spec.header_row else []
    missing = [title for title in spec.headers if column_index(header, title) is None]
    ops: list[Op] = [
        CellUpdate(spec.name, spec.header_row, len(header) + offset, title)
        for offset, title in enumerate(missing, start=1)
    ]
    if spec.header_row > 1 and rows is None:
        ops.insert(0, CellUpdate(spec.name, 1, 1, "Plan ID"))
    return ops, missing


def repair_ops(tabs: dict[str, Rows]) -> tuple[list[Op], dict[str, Any]]:
    """The operations that bring the contract tabs to shape, and what they change."""
    ops: list[Op] = []
    created: list[str] = []
    repaired: dict[str, list[str]] = {}
    categories = _categories(tabs.get(MASTER))
    for spec in SPECS.values():
        rows = tabs.get(spec.name)
        header_ops, missing = _header_ops(spec, rows)
        ops.extend(header_ops)
        if rows is None:
            created.append(spec.name)
        elif missing:
            repaired[spec.name] = missing
        dropdowns = dict(spec.dropdowns)
        if spec.name == MASTER and categories:
            dropdowns["Category"] = Dropdown(values=categories)
        ops.append(spec.style(dropdowns=dropdowns))
    return ops, {"created": created, "repaired": repaired}


def init_sheet(settings: Settings) -> Outcome:
    """Create or repair the workbook's contract tabs (a missing .xlsx is created)."""
    from sheets_sync.connect import open_workbook
    from sheets_sync.store.lock import run_lock

    with run_lock(settings.output_dir, "init-sheet"), open_workbook(settings, create=True) as workbook:
        tabs = workbook.read_tabs(ALL_TABS)
        ops, changes = repair_ops(tabs)
        workbook.write(ops)
    summary = {"command": "init-sheet", "tabs": list(ALL_TABS), **changes}
    lines = [
        f"created: {', '.join(changes['created']) or 'none'}",
        *(f"added to {tab}: {', '.join(cols)}" for tab, cols in changes["repaired"].items()),
        f"{len(ALL_TABS)} contract tabs ready",
    ]
    return Outcome(summary, ExitCode.OK, lines)
