"""``layout.fit`` measures columns at C speed; it must size every tab as measuring each
cell in turn does (the rule written out plainly below, as it was before)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from sheets_sync.workbook.base import Cell
from sheets_sync.workbook.layout import MAX_WIDTH, MIN_WIDTH, WRAP_WIDTH, Layout, fit


def _shown(cell: Cell) -> str:
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    return cell or ""


def _lines(text: str, width: int) -> int:
    room = max(1, width - 2)
    return sum(1 if len(line) <= room else -(-len(line) * 11 // (room * 10)) for line in text.split("\n"))


def cell_by_cell(rows: Sequence[Sequence[Cell]], header_row: int, wrap: Collection[int]) -> Layout:
    """The rule, one cell at a time: the width each needs, then each wrapped row's lines."""
    widths = [MIN_WIDTH] * max(map(len, rows), default=0)
    for number, row in enumerate(rows, start=1):
        for col, cell in enumerate(row):
            text = _shown(cell)
            if not text:
                continue
            if number < header_row:
                spills = col + 1 >= len(row) or not _shown(row[col + 1])
                need = 0 if spills else len(text) + 2
            elif number == header_row:
                need = len(text) + 4
            else:
                need = max(map(len, text.split("\n"))) + 2
            widths[col] = max(widths[col], need)
    widths = [min(w, WRAP_WIDTH if col in wrap else MAX_WIDTH) for col, w in enumerate(widths)]
    lines = {}
    for number in range(header_row + 1, len(rows) + 1):
        row = rows[number - 1]
        tallest = max((_lines(_shown(row[c]), widths[c]) for c in wrap if c < len(row)), default=1)
        if tallest > 1:
            lines[number] = tallest
    return Layout(tuple(widths), lines)


_text = st.text(st.sampled_from("ab \n-é"), max_size=90)
cells = st.one_of(st.none(), st.booleans(), _text)
tables = st.lists(st.lists(cells, max_size=6), max_size=12)


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(min_value=1, max_value=4), st.sets(st.integers(min_value=0, max_value=6)))
def test_fit_sizes_as_measuring_each_cell_does(
    rows: list[list[Cell]], header_row: int, wrap: set[int]
) -> None:
    assert fit(rows, header_row, wrap) == cell_by_cell(rows, header_row, wrap)


def test_a_long_line_inside_a_cell_sets_the_width_and_wraps() -> None:
    rows: list[list[Cell]] = [["Title", "Changes"], [True, "short\n" + "x" * 100], [None, "one"]]
    layout = fit(rows, 1, {1})
    assert layout.widths == (len("Title") + 4, WRAP_WIDTH)
    assert layout.lines == {2: 3}
