"""The "Material Library Export" .xlsx, laid out as a printed report, -> a materials table.

The layout: title lines; per category a row merged across A:P (``Division - SubDivision``)
followed by a header row (``Code / Description``, ``Last Date``, ``Price``, ``UOM``,
``GL Cost Type``, ``Vendor``: columns found by these names) and item rows where the code
and description share one multi-line cell, the unit cell carries ``Tax? N`` on a second
line, and the vendor cell holds either a vendor (further lines are notes) or a stock note
(``Stock:``, ``In Stock:``, ``N/A Stock:``), which is not a vendor.

A formula saved with no result (a file written by a program that does not calculate) reads
as blank from the results openpyxl gives; such a cell is found in a second read of the
formulas, made only when the file holds any, and its row is reported, not read as blank.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from itertools import repeat
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
import pandas as pd

from canonical.models import Problem
from ppak_import.schemas import MATERIALS, header_key
from ppak_import.table import Table

__all__ = ["DAMAGED", "read_library_report"]

DAMAGED: tuple[type[Exception], ...] = (zipfile.BadZipFile, zlib.error, EOFError, ParseError)
"""What reading a damaged file raises: no zip package, or a part whose deflate stream or XML
is broken (openpyxl reads a part only when its rows are asked for)."""

_COLUMNS = {
    "code": "Code / Description",
    "price_date": "Last Date",
    "price": "Price",
    "uom": "UOM",
    "gl_account": "GL Cost Type",
    "vendor": "Vendor",
}
"""Field -> the header of its column in the report."""
_HEADERS = {header_key(header): name for name, header in _COLUMNS.items()}
_TAX = re.compile(r"^tax\?\s*(.*)$", re.IGNORECASE)
_STOCK = re.compile(r"^(n/a\s+|in\s+)?stock:", re.IGNORECASE)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
"""A formula element in a worksheet part (``<f>``, ``<f t="shared" .../>``, ``<x:f>``)."""
_NO_RESULT = (
    "the cell holds a formula with no saved result (the file was saved by a program that does not "
    "calculate): open the export in Excel or LibreOffice and save it, so the result is stored"
)


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str):
        return [value]
    return [line.strip() for line in value.replace("\r\n", "\n").split("\n") if line.strip()]


def _item(cells: dict[str, Any], division: str | None, subdivision: str | None) -> dict[str, Any]:
    code, *description = _lines(cells.get("code")) or [""]
    unit, *unit_notes = _lines(cells.get("uom")) or [""]
    tax = next((m[1] for line in unit_notes if (m := _TAX.match(str(line)))), "")
    vendor_lines = [str(v) for v in _lines(cells.get("vendor"))]
    stock = bool(vendor_lines) and bool(_STOCK.match(vendor_lines[0]))
    return {
        "code": str(code),
        "description": "\n".join(str(d) for d in description),
        "division": division or "",
        "subdivision": subdivision or "",
        "uom": str(unit),
        "taxable": tax,
        "price": cells.get("price") if cells.get("price") is not None else "",
        "price_date": cells.get("price_date") if cells.get("price_date") is not None else "",
        "gl_account": cells.get("gl_account") or "",
        "vendor": "" if stock else (vendor_lines[0] if vendor_lines else ""),
        "notes": "; ".join(vendor_lines if stock else vendor_lines[1:]),
    }


def _has_formulas(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = (n for n in package.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml"))
        return any(_FORMULA.search(package.read(name)) for name in parts)


def _formula_rows(formulas: Any, sheet: int) -> Iterator[tuple[Any, ...]]:
    """Each row of sheet ``sheet`` as formulas (``=...``) and values; empty rows when the
    file holds no formula (``formulas`` is ``None``)."""
    if formulas is None:
        return repeat(())
    return iter(formulas.worksheets[sheet].iter_rows(values_only=True))


def _formula(value: Any) -> str | None:
    text = getattr(value, "text", value)  # an array formula is an object holding its text
    return text if isinstance(text, str) and text.startswith("=") else None


def _uncalculated(
    values: tuple[Any, ...], formulas: tuple[Any, ...], positions: dict[int, str]
) -> dict[int, str]:
    """Position -> formula of the named cells whose formula has no result (read as ``None``)."""
    return {
        i: formula
        for i in positions
        if i < len(values) and values[i] is None and i < len(formulas) and (formula := _formula(formulas[i]))
    }


def read_library_report(data: bytes, source: str) -> Table | None:
    """The report's items as a materials table (rows = sheet rows), or ``None`` if not one;
    one of ``DAMAGED`` for a file that cannot be read at all."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True) if _has_formulas(data) else None
    except (OSError, KeyError, ValueError):  # a package of no workbook: no report
        return None
    rows: list[tuple[int, dict[str, Any]]] = []
    skipped: Counter[str] = Counter()
    problems: list[Problem] = []
    header_row: int | None = None
    reported = 0
    for index, sheet in enumerate(book.worksheets):
        positions: dict[int, str] = {}
        division = subdivision = None
        rows_of_formulas = _formula_rows(formulas, index)
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            unread = _uncalculated(values, next(rows_of_formulas, ()), positions)
            filled = {i: v for i, v in enumerate(values) if v is not None and str(v).strip()}
            keys = {i: header_key(str(v)) for i, v in filled.items() if isinstance(v, str)}
            if any(k == "code / description" for k in keys.values()):
                if positions:
                    skipped["repeated header"] += 1
                positions = {i: _HEADERS[k] for i, k in keys.items() if k in _HEADERS}
                header_row = header_row or number
                continue
            category = len(filled) == 1 and isinstance(filled.get(0), str) and "\n" not in filled[0]
            if not positions:
                if category:
                    division, _, subdivision = (p.strip() for p in filled[0].partition(" - "))
                continue
            if unread:
                problems += [
                    Problem(
                        source=source,
                        row=number,
                        column=_COLUMNS[positions[i]],
                        value=formula,
                        message=_NO_RESULT,
                    )
                    for i, formula in unread.items()
                ]
                reported += 1
            elif not filled:
                skipped["blank line"] += 1
            elif category:
                division, _, subdivision = (p.strip() for p in filled[0].partition(" - "))
                skipped["category row"] += 1
            else:
                cells = {positions[i]: v for i, v in filled.items() if i in positions}
                outside = sorted(set(filled) - set(positions))
                if outside:
                    problems.append(
                        Problem(
                            source=source,
                            row=number,
                            value=str(filled[outside[0]]),
                            message="a value outside the report's named columns was ignored",
                            severity="warning",
                        )
                    )
                rows.append((number, _item(cells, division, subdivision)))
    book.close()
    if formulas is not None:
        formulas.close()
    if header_row is None:
        return None
    frame = pd.DataFrame([r for _, r in rows], index=[n for n, _ in rows], dtype=object)
    headers = _COLUMNS | {"description": "Code / Description", "taxable": "UOM", "notes": "Vendor"}
    headers |= {"division": "(category row)", "subdivision": "(category row)"}
    return Table(
        source=source,
        schema=MATERIALS,
        frame=frame,
        headers=headers,
        header_row=header_row,
        read=len(frame) + reported + sum(skipped.values()),
        skipped=skipped,
        problems=tuple(problems),
        reported=reported,
    )
