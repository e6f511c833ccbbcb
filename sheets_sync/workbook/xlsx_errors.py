"""The cells an .xlsx holds as errors (``#REF!``, ``#N/A`` ...), which calamine reads as blanks.

python-calamine gives an error cell as an empty string (dimastbk/python-calamine#105), so
a formula gone wrong (``#REF!`` after a deleted column, ``#N/A`` from a lookup) would read
as an empty cell: a malformed value turned blank, in a required column "SKU is required"
and in an optional one nothing at all. Google's API gives the same cell as its error text.
Here the tabs' worksheet parts are searched for cells typed ``t="e"`` in their raw bytes,
inflated a chunk at a time; a part holding none costs one C-level search per chunk. The
inflating releases the interpreter lock, so the search runs beside calamine's own read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO
from zipfile import BadZipFile, ZipFile

from canonical.normalize import sheet_error
from sheets_sync.workbook.a1 import column_number
from sheets_sync.workbook.xlsx_patch.package import Package

__all__ = ["ErrorCells", "error_cells"]

log = logging.getLogger(__name__)

ErrorCells = dict[tuple[int, int], str]
"""(row, column), both from 1 -> the error the cell shows."""

_CHUNK = 1 << 20
_MARKS = (b't="e"', b"t='e'")
_SPACE = (b" ", b"\t", b"\n", b"\r")
_CELL_TAG = re.compile(rb"<c[\s/>]")
_REF = re.compile(rb"""\sr=["']([A-Z]{1,3})(\d+)["']""")
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_UNNAMED = "#ERROR!"
"""What an error cell shows when its part names no error we know (or none at all)."""


def error_cells(path: Path, tabs: Iterable[str]) -> dict[str, ErrorCells]:
    """Each of ``tabs``' error cells (a tab with none, or not in the file, is left out). A
    package not laid out as Excel writes it is logged and read as having none: calamine's
    read, which reports a file it cannot open, stands."""
    try:
        with ZipFile(path) as book:
            package = Package.read(book)
            if package is None:
                log.warning("%s: the error cells (#REF! ...) were not looked for: unusual package", path)
                return {}
            parts = package.tabs()
            found = {}
            for tab in tabs:
                if rel := parts.get(tab):
                    with book.open(package.target(rel)) as part:
                        if cells := _in_part(part):
                            found[tab] = cells
            return found
    except (OSError, KeyError, BadZipFile, ValueError) as exc:
        log.warning("%s: the error cells (#REF! ...) were not looked for (%s)", path, exc)
        return {}


def _in_part(part: IO[bytes], size: int = _CHUNK) -> ErrorCells:
    """The error cells of one worksheet part, read ``size`` bytes at a time; each chunk is
    searched up to its last ``<c`` (the cells before it are whole), the rest carried on."""
    found: ErrorCells = {}
    carried = b""
    while chunk := part.read(size):
        data = carried + chunk
        cut = max(data.rfind(b"<c"), 0)
        _search(data[:cut], found)
        carried = data[cut:]
    _search(carried, found)
    return found


def _search(data: bytes, found: ErrorCells) -> None:
    for mark in _MARKS:
        at = data.find(mark)
        while at >= 0:
            _read_cell(data, at, found)
            at = data.find(mark, at + 1)


def _read_cell(data: bytes, at: int, found: ErrorCells) -> None:
    """The error cell whose tag holds the ``t="e"`` at ``at``; nothing when the mark is in a
    text (the last tag opened before it is a ``<t>``) or the tag is a cell with no reference."""
    start, end = data.rfind(b"<", 0, at), data.find(b">", at)
    if start < 0 or end < 0 or data[at - 1 : at] not in _SPACE or not _CELL_TAG.match(data, start):
        return  # (the space: an attribute named ``t``, not one ending in it)
    tag = data[start : end + 1]
    ref = _REF.search(tag)
    if ref is None:
        return
    close = data.find(b"</c>", end)
    value = None if tag.endswith(b"/>") else _VALUE.search(data, end, close if close >= 0 else len(data))
    shown = value.group(1).decode("utf-8", "replace").strip() if value else ""
    cell = (int(ref.group(2)), column_number(ref.group(1).decode()))
    found[cell] = shown if sheet_error(shown) else _UNNAMED
