"""The .xlsx cells calamine reads as blanks that are not: errors, and formulas with no result.

python-calamine gives an error cell as an empty string (dimastbk/python-calamine#105), so
a formula gone wrong (``#REF!`` after a deleted column, ``#N/A`` from a lookup) would read
as an empty cell: a malformed value turned blank, in a required column "SKU is required"
and in an optional one nothing at all. Google's API gives the same cell as its error text.
A formula saved without its result (openpyxl and many exporters write the formula only;
Excel and LibreOffice compute it on opening) reads as blank too, where Google, which always
computes, gives its value: such a cell becomes an ``Uncalculated`` holding the formula.

Here the tabs' worksheet parts are searched in their raw bytes, inflated a chunk at a time,
for cells typed ``t="e"`` and for formulas followed by no value; a part holding neither
costs a few C-level searches per chunk. The inflating releases the interpreter lock, so the
search runs beside calamine's own read.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterable
from html import unescape
from pathlib import Path
from typing import IO
from zipfile import BadZipFile, ZipFile

from canonical.normalize import sheet_error
from sheets_sync.workbook.a1 import column_number
from sheets_sync.workbook.base import Uncalculated
from sheets_sync.workbook.xlsx_patch.package import Package

__all__ = ["UnreadCells", "unread_cells"]

log = logging.getLogger(__name__)

UnreadCells = dict[tuple[int, int], str]
"""(row, column), both from 1 -> the error the cell shows, or its ``Uncalculated`` formula."""

_CHUNK = 1 << 20
_MARKS = (b't="e"', b"t='e'")
_SPACE = (b" ", b"\t", b"\n", b"\r")
_CELL_TAG = re.compile(rb"<c[\s/>]")
_REF = re.compile(rb"""\sr=["']([A-Z]{1,3})(\d+)["']""")
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_UNNAMED = "#ERROR!"
"""What an error cell shows when its part names no error we know (or none at all)."""
_NO_RESULT = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>([^<]*)</f>)\s*(<v\s*/>|<v>\s*</v>)?\s*</c>")
"""A formula (its text, but for a shared formula's later cells) with no value or an empty
one, closing its cell."""
_SOUGHT = "the error cells (#REF! ...) and formulas with no result"
_TYPE = re.compile(rb"""\st=["']([a-zA-Z]+)["']""")


def unread_cells(path: Path, tabs: Iterable[str]) -> dict[str, UnreadCells]:
    """Each of ``tabs``' error cells and formulas with no result (a tab with none, or not in
    the file, is left out). A package not laid out as Excel writes it is logged and read as
    having none: calamine's read, which reports a file it cannot open, stands."""
    try:
        with ZipFile(path) as book:
            package = Package.read(book)
            if package is None:
                log.warning("%s: %s were not looked for: unusual package", path, _SOUGHT)
                return {}
            parts = package.tabs()
            found = {}
            for tab in tabs:
                if rel := parts.get(tab):
                    with book.open(package.target(rel)) as part:
                        if cells := _in_part(part):
                            found[tab] = cells
            return found
    except (OSError, KeyError, BadZipFile, ValueError, EOFError, zlib.error) as exc:
        log.warning("%s: %s were not looked for (%s)", path, _SOUGHT, exc)
        return {}


def _in_part(part: IO[bytes], size: int = _CHUNK) -> UnreadCells:
    """The unread cells of one worksheet part, read ``size`` bytes at a time; each chunk is
    searched up to its last ``<c`` (the cells before it are whole), the rest carried on."""
    found: UnreadCells = {}
    carried = b""
    while chunk := part.read(size):
        data = carried + chunk
        cut = max(data.rfind(b"<c"), 0)
        _search(data[:cut], found)
        carried = data[cut:]
    _search(carried, found)
    return found


def _search(data: bytes, found: UnreadCells) -> None:
    for mark in _MARKS:
        at = data.find(mark)
        while at >= 0:
            _read_error(data, at, found)
            at = data.find(mark, at + 1)
    if data.find(b"<f") >= 0:
        for formula in _NO_RESULT.finditer(data):
            _read_formula(data, formula, found)


def _cell(tag: bytes) -> tuple[int, int] | None:
    """(row, column) of a cell's start tag; ``None`` when it names no reference."""
    ref = _REF.search(tag)
    return (int(ref.group(2)), column_number(ref.group(1).decode())) if ref else None


def _read_error(data: bytes, at: int, found: UnreadCells) -> None:
    """The error cell whose tag holds the ``t="e"`` at ``at``; nothing when the mark is in a
    text (the last tag opened before it is a ``<t>``) or the tag is a cell with no reference."""
    start, end = data.rfind(b"<", 0, at), data.find(b">", at)
    if start < 0 or end < 0 or data[at - 1 : at] not in _SPACE or not _CELL_TAG.match(data, start):
        return  # (the space: an attribute named ``t``, not one ending in it)
    tag = data[start : end + 1]
    if (cell := _cell(tag)) is None:
        return
    close = data.find(b"</c>", end)
    value = None if tag.endswith(b"/>") else _VALUE.search(data, end, close if close >= 0 else len(data))
    shown = value.group(1).decode("utf-8", "replace").strip() if value else ""
    found[cell] = shown if sheet_error(shown) else _UNNAMED


def _read_formula(data: bytes, formula: re.Match[bytes], found: UnreadCells) -> None:
    """The cell a formula with no result closes, unless it is an error cell (found by its
    type) or a text formula whose result is an empty text (``t="str"`` and an empty ``<v>``,
    as Excel and LibreOffice save ``=IF(A2,"","x")``)."""
    start = data.rfind(b"<c", 0, formula.start())
    end = data.find(b">", start)
    if start < 0 or not _CELL_TAG.match(data, start) or data[end + 1 : formula.start()].strip():
        return  # not the formula's own cell tag: the formula is not the cell's first element
    tag = data[start : end + 1]
    kind = _TYPE.search(tag)
    typed = kind.group(1) if kind else b"n"
    if typed == b"e" or (typed == b"str" and formula.group(2) is not None):
        return
    if (cell := _cell(tag)) is not None:
        text = formula.group(1)
        shown = "=" + unescape(text.decode("utf-8", "replace")) if text else "(a shared formula)"
        found[cell] = Uncalculated(shown)
