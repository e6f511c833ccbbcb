"""Cells named by identity (``KeyedCell``), placed from a read made just before the write.

Both backends: the fake Sheets API (a person edits its state as the Sheets UI does) and a
real .xlsx file (saved by openpyxl meanwhile, as another program would).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sheets_sync.connect import open_workbook
from sheets_sync.workbook.base import CellUpdate, Expect, KeyedCell, Rewrite, Workbook, resolve_keyed
from sheets_sync.workbook.xlsx import XlsxWorkbook

TAB = [["SKU", "Name", "INNERGY ID"], ["A-1", "Oak", None], ["B-2", "Ash", None], ["C-3", "Elm", None]]


def test_a_key_found_once_becomes_a_cell_update_on_its_row() -> None:
    ops, missed, placed = resolve_keyed([KeyedCell("T", "SKU", " b-2 ", "INNERGY ID", "m-2")], {"T": TAB})
    assert ops == [CellUpdate("T", 3, "INNERGY ID", "m-2")]
    assert not missed and [row for _, row in placed] == [3]


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        (TAB[:2] + TAB[3:], "SKU B-2 is no longer in T"),
        ([*TAB, ["b-2", "Ash again"]], "SKU B-2 is on more than one row of T (3, 5)"),
        ([["Code", "Name"], ["B-2", "Ash"]], "T has no SKU column"),
    ],
    ids=["gone", "repeated", "no key column"],
)
def test_a_key_not_found_exactly_once_is_not_written(rows: list[list[Any]], reason: str) -> None:
    op = KeyedCell("T", "SKU", "B-2", "INNERGY ID", "m-2")
    ops, missed, _ = resolve_keyed([op], {"T": rows})
    assert ops == [] and [(m.op, m.reason) for m in missed] == [(op, reason)]


def test_an_expect_that_fails_holds_back_the_keyed_cells_of_its_tab_only() -> None:
    diff = [["Plan ID", "p-2"], [], ["Change ID", "Result"], ["c1", None]]
    ops, missed, _ = resolve_keyed(
        [
            Expect("D", 1, 2, "p-1", what="the Plan ID"),
            KeyedCell("D", "Change ID", "c1", "Result", "applied", header_row=3),
            KeyedCell("T", "SKU", "A-1", "INNERGY ID", "m-1"),
        ],
        {"D": diff, "T": TAB},
    )
    assert ops == [CellUpdate("T", 2, "INNERGY ID", "m-1")]
    assert [m.reason for m in missed] == ["the Plan ID of D is now p-2, not p-1"]


def _written(workbook: Workbook, person: Callable[[], None]) -> list[list[Any]]:
    """Read, let a person reorder the tab, then write two keyed cells; the tab as it is after."""
    workbook.read_tabs(["T"])
    person()
    missed = workbook.write(
        [KeyedCell("T", "SKU", "A-1", "INNERGY ID", "m-1"), KeyedCell("T", "SKU", "C-3", "INNERGY ID", "m-3")]
    )
    assert missed == []
    return workbook.read_tabs(["T"])["T"]


EXPECTED = [
    ["SKU", "Name", "INNERGY ID"],
    ["C-3", "Elm", "m-3"],
    ["New", "Row"],
    ["B-2", "Ash"],
    ["A-1", "Oak", "m-1"],
]


def test_google_places_keyed_cells_by_the_sheet_as_it_is_when_written(make_google_sheet: Any) -> None:
    sheet = make_google_sheet({"T": TAB})
    book = sheet.server.spreadsheets[sheet.settings.workbook]

    def person() -> None:
        with book.lock:
            rows = book.by_title("T").rows
            rows[1:] = [rows[3], ["New", "Row"], rows[2], rows[1]]

    with open_workbook(sheet.settings) as workbook:
        assert _written(workbook, person) == EXPECTED


def test_xlsx_reads_again_a_file_saved_since_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    XlsxWorkbook(path, create=True).write([Rewrite("T", TAB)])

    def person() -> None:
        book = load_workbook(path)
        sheet = book["T"]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        sheet.delete_rows(1, sheet.max_row)
        for row in [rows[0], rows[3], ["New", "Row"], rows[2], rows[1]]:
            sheet.append(row)
        book.save(path)

    with XlsxWorkbook(path) as workbook:
        assert _written(workbook, person) == EXPECTED
