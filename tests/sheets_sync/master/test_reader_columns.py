"""pull parses the master column by column, each distinct cell once: no value may leak
from one row to another through that cache, and problems keep their row and order."""

from __future__ import annotations

import gc
import itertools
from decimal import Decimal

from sheets_sync.master.reader import parse_library, reference_parse_library
from sheets_sync.workbook.base import Uncalculated
from tests.sheets_sync.commands.test_pull import good, library_tabs

# Cells equal under ``==`` (and so one dict key) but read differently by the parsers.
LOOKALIKES = [1, 1.0, True, "1", "1.0", " 1 ", 0, 0.0, -0.0, False, Decimal("1.0"), Decimal("1"), "0"]
ODD = [
    "(clear)",
    " (clear) ",
    "#REF!",
    "abc",
    "",
    None,
    "1,00",
    "-2",
    "inf",
    "=1+1",
    Uncalculated("=1+1"),  # a formula saved with no result: not the text it holds
    float("nan"),
    float("-inf"),
    Decimal("NaN"),
]


def master() -> list[list[object]]:
    cycle = itertools.cycle([*LOOKALIKES, *ODD])
    rows = []
    for i in range(3 * (len(LOOKALIKES) + len(ODD))):
        a, b, c, d = (next(cycle) for _ in range(4))
        cells = {"Thickness (in)": a, "Taxable": b, "Grade": c, "Margin %": d}
        if i % 7 == 3:
            cells["Name"] = c  # a required text column with odd cells too
        rows.append(good(f"SKU-{i}", **cells))
    return rows


def test_each_row_reads_as_it_would_alone():
    rows = master()
    library, problems, numbers = parse_library(library_tabs(rows))
    alone = [parse_library(library_tabs([r])) for r in rows]
    assert library.materials == tuple(m for lib, _, _ in alone for m in lib.materials)
    assert [m.model_fields_set for m in library.materials] == [
        m.model_fields_set for lib, _, _ in alone for m in lib.materials
    ]
    expected = [p.model_copy(update={"row": n + 2}) for n, (_, found, _) in enumerate(alone) for p in found]
    assert problems == expected
    assert numbers == {f"sku-{i}": i + 2 for i in range(len(rows))}
    assert problems and library.materials  # the sample holds both kinds


def test_lookalike_cells_keep_their_own_reading():
    rows = [good(f"S{i}", Grade=v, Taxable=v) for i, v in enumerate([1, 1.0, True, "1", 0, -0.0, False])]
    library, problems, _ = parse_library(library_tabs(rows))
    assert problems == []
    assert [m.grade for m in library.materials] == ["1", "1.0", "True", "1", "0", "-0.0", "False"]
    assert [m.taxable for m in library.materials] == [True, True, True, True, False, False, False]


def test_the_collector_is_left_as_it_was():
    parse_library(library_tabs(master()))
    assert gc.isenabled()
    gc.disable()
    try:
        parse_library(library_tabs(master()))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_column_of_one_kind_of_number_keys_its_cells_by_value_and_each_reads_as_alone():
    nan = float("nan")
    columns = {
        "floats with both zeros": [2.5, 0.0, -0.0, 2.5, 0.0],
        "floats, no zero": [2.5, 1e20, nan, nan, float("nan"), 0.1],
        "ints": [1, 2, 1, 0, -3],
        "bools": [True, False, True, None],
    }
    for name, cells in columns.items():
        rows = [good(f"S{i}", Grade=v, **{"Margin %": v}) for i, v in enumerate(cells)]
        library, problems, _ = parse_library(library_tabs(rows))
        alone = [parse_library(library_tabs([r])) for r in rows]
        assert [(m.grade, m.margin) for m in library.materials] == [
            (m.grade, m.margin) for lib, _, _ in alone for m in lib.materials
        ], name
        assert [(p.column, p.value, p.message) for p in problems] == [
            (p.column, p.value, p.message) for _, found, _ in alone for p in found
        ], name
    grades = [
        m.grade
        for m in parse_library(library_tabs([good("Z0", Grade=0.0), good("Z1", Grade=-0.0)]))[0].materials
    ]
    assert grades == ["0.0", "-0.0"]


TEXTS = [" Oak ", "Oak", "#REF!", "#1 grade", "", "   ", None, "(clear)", " (clear) ", "x", "#n/a", "\t#N/A "]
"""A text column's cells: trimmed text, blanks, clears, sheet errors and a text that only
starts like one."""


def test_a_text_column_reads_trimmed_text_and_tells_blanks_clears_and_sheet_errors_apart():
    library, problems, _ = parse_library(library_tabs([good(f"S{i}", Grade=v) for i, v in enumerate(TEXTS)]))
    assert [(m.sku, m.grade, m.cleared) for m in library.materials] == [
        ("S0", "Oak", ()),
        ("S1", "Oak", ()),
        ("S3", "#1 grade", ()),
        ("S4", None, ()),
        ("S5", None, ()),
        ("S6", None, ()),
        ("S7", None, ("grade",)),
        ("S8", None, ("grade",)),
        ("S9", "x", ()),
    ]
    assert [(p.row, p.value, p.message) for p in problems] == [
        (4, "#REF!", "the cell shows the sheet error #REF!"),
        (12, "#n/a", "the cell shows the sheet error #n/a"),
        (13, "\t#N/A ", "the cell shows the sheet error #N/A"),
    ]


def test_a_required_text_column_holds_back_its_blank_cleared_and_error_cells():
    library, problems, _ = parse_library(library_tabs([good(f"S{i}", Name=v) for i, v in enumerate(TEXTS)]))
    assert [(m.sku, m.name) for m in library.materials] == [
        ("S0", "Oak"),
        ("S1", "Oak"),
        ("S3", "#1 grade"),
        ("S9", "x"),
    ]
    assert [(p.row, p.message) for p in problems] == [
        (4, "the cell shows the sheet error #REF!"),
        (6, "Name is required"),
        (7, "Name is required"),
        (8, "Name is required"),
        (9, "Name is required and cannot be cleared"),
        (10, "Name is required and cannot be cleared"),
        (12, "the cell shows the sheet error #n/a"),
        (13, "the cell shows the sheet error #N/A"),
    ]


def test_a_column_of_distinct_texts_still_tells_each_odd_cell_apart():
    """A column whose every cell differs (SKUs, names) is read in one pass when no cell is
    odd; one blank, clear, sheet error, or a ``#`` after a line break, anywhere in it,
    still reads as the cell-by-cell reference path reads it."""
    odd_cells = [*TEXTS, "two\n#lines", "last", Uncalculated(" text 1 ")]
    for column, odd in itertools.product(["Grade", "Name"], odd_cells):
        rows = [good(f"S{i}", **{column: f" text {i} "}) for i in range(5)]
        rows.insert(2, good("ODD", **{column: odd}))
        tabs = library_tabs(rows)
        assert parse_library(tabs) == reference_parse_library(tabs), (column, odd)
        s1 = [m for m in parse_library(tabs)[0].materials if m.sku == "S1"]
        assert [getattr(m, column.lower()) for m in s1] == ["text 1"]


def test_a_yes_no_cell_does_not_lend_its_reading_to_an_equal_number():
    """``True == 1.0``: in a number column, a yes/no cell and the number it equals are
    each read as themselves, whichever comes first."""
    for cells in ([True, 1.0], [1.0, True], [False, 0.0]):
        tabs = library_tabs([good(f"S{i}", **{"Thickness (in)": v}) for i, v in enumerate(cells)])
        library, problems, _ = parse_library(tabs)
        assert (library, problems) == reference_parse_library(tabs)[:2], cells
        assert len(library.materials) == 1 and len(problems) == 1, cells


def test_a_required_text_column_left_blank_throughout_holds_back_every_row():
    for blanks in ([None] * 4, [None, "", "  ", None]):
        library, problems, _ = parse_library(
            library_tabs([good(f"S{i}", Name=b) for i, b in enumerate(blanks)])
        )
        assert library.materials == (), blanks
        assert [(p.row, p.column, p.message) for p in problems] == [
            (n, "Name", "Name is required") for n in range(2, 6)
        ], blanks
