"""How a tab looks to a person, read back from either backend: one question, two answers.

``GoogleLook`` reads the fake Sheets server's state (what Google would keep of our
requests); ``XlsxLook`` reads the saved file with openpyxl (what Excel and LibreOffice
open). Widths are in characters and heights in lines, each backend's units turned back
with the same constants the backend used; rows and columns are 1-based.
"""

from __future__ import annotations

from typing import Any, Protocol

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from sheets_sync.workbook.google import CHAR_PIXELS, LINE_PIXELS
from sheets_sync.workbook.xlsx_patch.styles import BOOLEAN_FORMAT
from tests.fakes.sheets_fixtures import GoogleSheet

__all__ = ["GoogleLook", "TabLook", "XlsxLook"]

XLSX_LINE_POINTS = 14


class TabLook(Protocol):
    def value(self, tab: str, row: int, col: int) -> Any: ...
    def width(self, tab: str, col: int) -> float | None:
        """Characters, ``None`` when the column keeps the default width."""

    def lines(self, tab: str, row: int) -> float:
        """How many lines of text the row is tall enough for."""

    def wraps(self, tab: str, row: int, col: int) -> bool: ...
    def number_format(self, tab: str, row: int, col: int) -> str | None: ...
    def checkbox(self, tab: str, row: int, col: int) -> bool:
        """A boolean cell a person ticks: Google's BOOLEAN rule; a TRUE/FALSE list and format in .xlsx."""

    def fill(self, tab: str, row: int, col: int) -> str | None:
        """``#RRGGBB``."""

    def warns(self, tab: str, row: int, col: int) -> bool:
        """Editing the cell is refused or warned about (the tool's cell)."""

    def frozen(self, tab: str) -> int: ...
    def filtered(self, tab: str) -> tuple[int, int] | None:
        """(header row, columns) the filter covers."""


def _hex(colour: dict[str, float] | None) -> str | None:
    if not colour:
        return None
    return "#" + "".join(f"{round(colour.get(k, 0) * 255):02X}" for k in ("red", "green", "blue"))


class GoogleLook:
    def __init__(self, sheet: GoogleSheet) -> None:
        self.sheet = sheet

    def value(self, tab: str, row: int, col: int) -> Any:
        return self.sheet.sheet(tab).value(row, col)

    def width(self, tab: str, col: int) -> float | None:
        sheet = self.sheet.sheet(tab)
        return sheet.width(col) / CHAR_PIXELS if col - 1 in sheet.widths else None

    def lines(self, tab: str, row: int) -> float:
        return (self.sheet.sheet(tab).height(row) - 4) / LINE_PIXELS

    def wraps(self, tab: str, row: int, col: int) -> bool:
        return self.sheet.sheet(tab).format_at(row, col).get("wrapStrategy") == "WRAP"

    def number_format(self, tab: str, row: int, col: int) -> str | None:
        return self.sheet.sheet(tab).format_at(row, col).get("numberFormat", {}).get("pattern")

    def checkbox(self, tab: str, row: int, col: int) -> bool:
        sheet = self.sheet.sheet(tab)
        rule = sheet.validation_at(row, col) or {}
        return rule.get("condition", {}).get("type") == "BOOLEAN" and isinstance(sheet.value(row, col), bool)

    def fill(self, tab: str, row: int, col: int) -> str | None:
        return _hex(self.sheet.sheet(tab).format_at(row, col).get("backgroundColor"))

    def warns(self, tab: str, row: int, col: int) -> bool:
        return any(p.get("warningOnly") for p in self.sheet.sheet(tab).protected_at(row, col))

    def frozen(self, tab: str) -> int:
        return self.sheet.sheet(tab).frozen_rows

    def filtered(self, tab: str) -> tuple[int, int] | None:
        spec = self.sheet.sheet(tab).basic_filter
        if spec is None:
            return None
        grid = spec["range"]
        return grid["startRowIndex"] + 1, grid["endColumnIndex"] - grid.get("startColumnIndex", 0)


class XlsxLook:
    def __init__(self, path: Any) -> None:
        self.book = load_workbook(path)

    def _sheet(self, tab: str) -> Worksheet:
        return self.book[tab]

    def value(self, tab: str, row: int, col: int) -> Any:
        return self._sheet(tab).cell(row, col).value

    def width(self, tab: str, col: int) -> float | None:
        for dimension in self._sheet(tab).column_dimensions.values():
            if dimension.min <= col <= dimension.max and dimension.customWidth:
                return float(dimension.width)
        return None

    def lines(self, tab: str, row: int) -> float:
        return (self._sheet(tab).row_dimensions[row].height or 15) / XLSX_LINE_POINTS

    def wraps(self, tab: str, row: int, col: int) -> bool:
        return bool(self._sheet(tab).cell(row, col).alignment.wrap_text)

    def number_format(self, tab: str, row: int, col: int) -> str | None:
        code = self._sheet(tab).cell(row, col).number_format
        return None if code == "General" else code

    def _rules(self, tab: str, row: int, col: int) -> list[Any]:
        cell = self._sheet(tab).cell(row, col).coordinate
        return [dv for dv in self._sheet(tab).data_validations.dataValidation if cell in dv.sqref]

    def checkbox(self, tab: str, row: int, col: int) -> bool:
        cell = self._sheet(tab).cell(row, col)
        lists = [
            dv for dv in self._rules(tab, row, col) if dv.type == "list" and dv.formula1 == '"TRUE,FALSE"'
        ]
        return cell.data_type == "b" and cell.number_format == BOOLEAN_FORMAT and bool(lists)

    def fill(self, tab: str, row: int, col: int) -> str | None:
        fill = self._sheet(tab).cell(row, col).fill
        return "#" + fill.start_color.rgb[2:] if fill.fill_type == "solid" else None

    def warns(self, tab: str, row: int, col: int) -> bool:
        sheet = self._sheet(tab)
        locked = bool(sheet.protection.sheet) and sheet.cell(row, col).protection.locked
        warned = any(dv.type == "custom" and dv.errorStyle == "warning" for dv in self._rules(tab, row, col))
        return locked or warned

    def frozen(self, tab: str) -> int:
        pane = self._sheet(tab).freeze_panes
        return int(pane[1:]) - 1 if pane else 0

    def filtered(self, tab: str) -> tuple[int, int] | None:
        ref = self._sheet(tab).auto_filter.ref
        if not ref:
            return None
        left, top, right, _ = range_boundaries(ref)
        return top, right - left + 1
