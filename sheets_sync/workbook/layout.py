"""How wide a fitted tab's columns and how tall its wrapped rows must be to show their content.

Counted in characters and lines from the rows as written, so both backends size a tab
alike; each turns them into its own units (Google: pixels; .xlsx: character widths and
points). A column is as wide as its longest line within bounds (a wrapped column may be
wider, its longer lines wrap); a row is as tall as the most lines one of its wrapped cells
takes at that width. A text above the header whose right neighbour is empty spills into
it, as spreadsheets show text, so it does not widen its column.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sheets_sync.workbook.base import Cell

__all__ = ["MAX_WIDTH", "MIN_WIDTH", "WRAP_WIDTH", "Layout", "fit"]

MIN_WIDTH = 8
MAX_WIDTH = 40
WRAP_WIDTH = 72
"""Wide enough for a cost line in two units on one line."""
_PADDING = 2
_HEADER_PADDING = 4
"""A bold header beside its filter button."""


@dataclass(frozen=True)
class Layout:
    widths: tuple[int, ...]
    """Each column's width from A, in characters."""
    lines: Mapping[int, int]
    """Sheet row -> the lines its wrapped cells need, for the rows that need more than one."""


def _text(cell: Cell) -> str:
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    return cell or ""


def _longest(text: str) -> int:
    return max(map(len, text.split("\n")))


def _lines(text: str, width: int) -> int:
    """Lines ``text`` takes in a column ``width`` characters wide: a line as long as the
    column was fitted to takes one; a longer one wraps at spaces, so each of its lines
    holds a tenth less than the width."""
    room = max(1, width - _PADDING)
    return sum(1 if len(line) <= room else -(-len(line) * 11 // (room * 10)) for line in text.split("\n"))


def fit(rows: Sequence[Sequence[Cell]], header_row: int, wrap: Collection[int]) -> Layout:
    """The layout of ``rows`` (sheet rows from 1) whose header is row ``header_row``;
    ``wrap`` holds the 0-based columns whose text wraps below the header."""
    count = max(map(len, rows), default=0)
    widths = [MIN_WIDTH] * count
    for number, row in enumerate(rows, start=1):
        for col, cell in enumerate(row):
            text = _text(cell)
            if not text:
                continue
            if number < header_row:
                spills = col + 1 >= len(row) or not _text(row[col + 1])
                need = 0 if spills else len(text) + _PADDING
            elif number == header_row:
                need = len(text) + _HEADER_PADDING
            else:
                need = _longest(text) + _PADDING
            widths[col] = max(widths[col], need)
    for col in range(count):
        widths[col] = min(widths[col], WRAP_WIDTH if col in wrap else MAX_WIDTH)
    lines = {}
    for number in range(header_row + 1, len(rows) + 1):
        row = rows[number - 1]
        tallest = max((_lines(_text(row[col]), widths[col]) for col in wrap if col < len(row)), default=1)
        if tallest > 1:
            lines[number] = tallest
    return Layout(tuple(widths), lines)
