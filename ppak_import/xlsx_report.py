"""The "Material Library Export" .xlsx, laid out as a printed report, -> a materials table.

The layout: title lines; per category a row merged across A:P (``Division - SubDivision``)
followed by a header row (``Code / Description``, ``Last Date``, ``Price``, ``UOM``,
``GL Cost Type``, ``Vendor``: columns found by these names) and item rows where the code
and description share one multi-line cell, the unit cell carries ``Tax? N`` on a second
line, and the vendor cell holds either a vendor (further lines are notes) or a stock note
(``Stock:``, ``In Stock:``, ``N/A Stock:``), which is not a vendor.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from typing import Any

import openpyxl
import pandas as pd

from canonical.models import Problem
from ppak_import.schemas import MATERIALS, header_key
from ppak_import.table import Table

__all__ = ["read_library_report"]

_HEADERS = {
    "code / description": "code",
    "last date": "price_date",
    "price": "price",
    "uom": "uom",
    "gl cost type": "gl_account",
    "vendor": "vendor",
}
_TAX = re.compile(r"^tax\?\s*(.*)$", re.IGNORECASE)
_STOCK = re.compile(r"^(n/a\s+|in\s+)?stock:", re.IGNORECASE)


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


def read_library_report(data: bytes, source: str) -> Table | None:
    """The report's items as a materials table (rows = sheet rows), or ``None`` if not one."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    rows: list[tuple[int, dict[str, Any]]] = []
    skipped: Counter[str] = Counter()
    problems: list[Problem] = []
    header_row: int | None = None
    for sheet in book.worksheets:
        positions: dict[int, str] = {}
        division = subdivision = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
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
            if not filled:
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
    if header_row is None:
        return None
    frame = pd.DataFrame([r for _, r in rows], index=[n for n, _ in rows], dtype=object)
    headers = {
        "code": "Code / Description",
        "description": "Code / Description",
        "division": "(category row)",
    }
    headers |= {"subdivision": "(category row)", "uom": "UOM", "taxable": "UOM", "notes": "Vendor"}
    headers |= {"price": "Price", "price_date": "Last Date", "gl_account": "GL Cost Type", "vendor": "Vendor"}
    return Table(
        source=source,
        schema=MATERIALS,
        frame=frame,
        headers=headers,
        header_row=header_row,
        read=len(frame) + sum(skipped.values()),
        skipped=skipped,
        problems=tuple(problems),
    )
