"""One workbook interface, two backends: Google Sheets (gspread) and a local .xlsx (calamine, zip patches).

    workbook = open_workbook(settings)                        # sheets_sync.connect
    tabs = workbook.read_tabs([MASTER, "MAP_UOM"])          # {tab: rows}; missing tabs absent
    require_tabs(tabs, [MASTER])                              # MissingTab naming init-sheet
    workbook.write([Rewrite("ISSUES", rows, style), CellUpdate(MASTER, 7, "INNERGY ID", "m-1")])

See ``base`` for the operations and the cell types.
"""

from __future__ import annotations

from sheets_sync.workbook.base import (
    Append,
    Cell,
    CellUpdate,
    Dropdown,
    Op,
    Rewrite,
    Rows,
    Style,
    Value,
    Workbook,
    column_index,
    header_columns,
    header_key,
    require_tabs,
)
from sheets_sync.workbook.retry import RetryPolicy

__all__ = [
    "Append",
    "Cell",
    "CellUpdate",
    "Dropdown",
    "Op",
    "RetryPolicy",
    "Rewrite",
    "Rows",
    "Style",
    "Value",
    "Workbook",
    "column_index",
    "header_columns",
    "header_key",
    "require_tabs",
]
