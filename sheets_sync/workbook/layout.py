"""How wide a fitted tab's columns and how tall its wrapped rows must be to show their content.

Counted in characters and lines from the rows as written, so both backends size a tab
alike; each turns them into its own units (Google: pixels; .xlsx: character widths and
points). A column is as wide as its longest line within bounds (a wrapped column may be
wider, its longer lines wrap); a row is as tall as the most lines one of its wrapped cells
takes at that width. A text above the header whose right neighbour is empty spills into
it, as spreadsheets show text, so it does not widen its column.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat, zip_longest
from typing import cast

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


_SHOWN: dict[Cell, Cell] = {True: "TRUE", False: "FALSE", None: ""}
"""``get(cell, cell)``: a cell as it shows, text as itself (cells are text, booleans or None)."""


def _texts(cells: Iterable[Cell]) -> list[str]:
    """Each cell as it shows, looked up at C speed (``_SHOWN``)."""
    listed = list(cells)
    return cast(list[str], list(map(_SHOWN.get, listed, listed)))


def _text(cell: Cell) -> str:
    return _texts([cell])[0]


def _lines(text: str, width: int) -> int:
    """Lines ``text`` takes in a column ``width`` characters wide: a line as long as the
    column was fitted to takes one; a longer one wraps at spaces, so each of its lines
    holds a tenth less than the width."""
    room = max(1, width - _PADDING)
    return sum(1 if len(line) <= room else -(-len(line) * 11 // (room * 10)) for line in text.split("\n"))


def fit(rows: Sequence[Sequence[Cell]], header_row: int, wrap: Collection[int]) -> Layout:
    """The layout of ``rows`` (sheet rows from 1) whose header is row ``header_row``;
    ``wrap`` holds the 0-based columns whose text wraps below the header.

    The rows below the header are measured a column at a time, its lines joined and split
    at C speed (a DIFF tab of 2,500 changes: 30,000 cells)."""
    count = max(map(len, rows), default=0)
    widths = [MIN_WIDTH] * count
    for number, row in enumerate(rows[:header_row], start=1):
        for col, cell in enumerate(row):
            text = _text(cell)
            if not text:
                continue
            if number < header_row:
                spills = col + 1 >= len(row) or not _text(row[col + 1])
                need = 0 if spills else len(text) + _PADDING
            else:
                need = len(text) + _HEADER_PADDING
            widths[col] = max(widths[col], need)
    columns = [_texts(c) for c in zip_longest(*rows[header_row:])]
    for col, texts in enumerate(columns):  # an empty cell's 0 + padding is below MIN_WIDTH
        widths[col] = max(widths[col], max(map(len, "\n".join(texts).split("\n"))) + _PADDING)
    for col in range(count):
        widths[col] = min(widths[col], WRAP_WIDTH if col in wrap else MAX_WIDTH)
    wrapped = [map(_lines, columns[col], repeat(widths[col])) for col in wrap if col < len(columns)]
    tallest = map(max, zip(*wrapped, strict=True)) if wrapped else ()
    lines = {number: most for number, most in enumerate(tallest, start=header_row + 1) if most > 1}
    return Layout(tuple(widths), lines)
