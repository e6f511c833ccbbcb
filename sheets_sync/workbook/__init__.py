"""One workbook interface, two backends: Google Sheets (gspread) and a local .xlsx (openpyxl).

    workbook = open_workbook(settings)
    tabs = workbook.read_tabs([MASTER, "MAP_UOM"])          # {tab: rows}; missing tabs absent
    require_tabs(tabs, [MASTER])                              # MissingTab naming init-sheet
    workbook.write([Rewrite("ISSUES", rows, style), CellUpdate(MASTER, 7, "INNERGY ID", "m-1")])

See ``base`` for the operations and the cell types.
"""

from __future__ import annotations

from sheets_sync.config import GoogleSheetRef, Settings
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
    "open_workbook",
    "require_tabs",
]


def open_workbook(settings: Settings, *, create: bool = False, retry: RetryPolicy | None = None) -> Workbook:
    """The workbook ``MATERIAL_LIBRARY_MASTER`` names; ``create`` allows a new .xlsx file."""
    ref = settings.workbook_ref(must_exist=not create)
    if isinstance(ref, GoogleSheetRef):
        from sheets_sync.workbook.google import open_google

        return open_google(settings, ref.key, policy=retry)
    from sheets_sync.workbook.xlsx import XlsxWorkbook

    return XlsxWorkbook(ref.path, create=create)
