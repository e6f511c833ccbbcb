"""The .xlsx backend on real files: literal text, atomic writes, kept formatting, locks."""

from __future__ import annotations

import gc
import os
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from canonical.errors import UnstorableValue, WorkbookLocked
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.workbook import Append, CellUpdate, Rewrite, Style
from sheets_sync.workbook.xlsx import unstorable
from tests.sheets_sync.workbook.test_google import HOSTILE


@pytest.fixture
def path(tmp_path):
    return tmp_path / "library.xlsx"


def _open(path, create=False):
    return open_workbook(Settings(workbook=str(path)), create=create)


def test_hostile_values_round_trip_as_literal_text(path):
    _open(path, create=True).write([Rewrite("T", [[v] for v in HOSTILE])])
    assert [r[0] for r in _open(path).read_tabs(["T"])["T"]] == HOSTILE
    cell = load_workbook(path)["T"]["A1"]
    assert cell.data_type == "s" and cell.value == "=1+1"


def test_naughty_strings_round_trip_or_are_refused_whole(path, naughty_strings):
    values = [s for s in naughty_strings if s != ""]
    storable = [s for s in values if unstorable(s) is None]
    refused = [s for s in values if unstorable(s) is not None]
    assert refused, "the corpus holds control characters an .xlsx cannot store"
    _open(path, create=True).write([Rewrite("T", [["x", v] for v in storable])])
    assert [r[1] for r in _open(path).read_tabs(["T"])["T"]] == storable
    before = path.read_bytes()
    with pytest.raises(UnstorableValue, match="U\\+00"):
        _open(path).write([Rewrite("T", [["x", v] for v in values])])
    assert path.read_bytes() == before


def test_other_tabs_and_user_formatting_survive_a_write(path):
    book = Workbook()
    book.active.title = "MINE"
    book["MINE"]["A1"] = "keep me"
    book["MINE"]["A1"].font = Font(italic=True, color="FF0000FF")
    book["MINE"].column_dimensions["A"].width = 42
    book.save(path)
    _open(path).write(
        [Rewrite("ISSUES", [["Severity"], ["error"]], Style("ISSUES", row_colors={2: "#F4CCCC"}))]
    )
    _open(path).write([Append("ISSUES", [{"Severity": "warning"}]), CellUpdate("MINE", 2, 1, "added")])
    again = load_workbook(path)
    assert again.sheetnames == ["MINE", "ISSUES"]
    assert again["MINE"]["A1"].value == "keep me" and again["MINE"]["A1"].font.italic
    assert again["MINE"].column_dimensions["A"].width == 42
    assert again["ISSUES"]["A2"].fill.start_color.rgb == "FFF4CCCC"
    assert _open(path).read_tabs(["ISSUES"])["ISSUES"] == [["Severity"], ["error"], ["warning"]]
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_a_workbook_open_in_excel_is_locked_and_left_alone(path):
    _open(path, create=True).write([Rewrite("T", [["x"]])])
    before = path.read_bytes()
    (path.parent / f"~${path.name}").write_text("owner")
    with pytest.raises(WorkbookLocked, match="open in another program"):
        _open(path).write([Rewrite("T", [["y"]])])
    assert path.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_file_that_cannot_be_replaced_is_locked(path):
    _open(path, create=True).write([Rewrite("T", [["x"]])])
    path.parent.chmod(0o500)
    try:
        with pytest.raises(WorkbookLocked, match="cannot be replaced"):
            _open(path).write([Rewrite("T", [["y"]])])
    finally:
        path.parent.chmod(0o700)
    assert _open(path).read_tabs(["T"]) == {"T": [["x"]]}


def test_checkboxes_read_back_as_booleans_and_rewrite_drops_old_rows(path):
    workbook = _open(path, create=True)
    workbook.write(
        [Rewrite("D", [["Approve"], [True], [False], [True]], Style("D", checkboxes=("Approve",)))]
    )
    workbook.write([Rewrite("D", [["Approve"], [False]], Style("D", checkboxes=("Approve",)))])
    assert _open(path).read_tabs(["D"]) == {"D": [["Approve"], [False]]}
    sheet = load_workbook(path)["D"]
    assert sheet.freeze_panes == "A2"
    assert len(sheet.data_validations.dataValidation) == 1


def test_reads_each_cell_as_cell_text_reads_it(path):
    from datetime import date, datetime

    from python_calamine import CalamineWorkbook

    from sheets_sync.workbook.base import cell_text

    book = Workbook()
    values = [1, 1.0, -0.0, 0.1, 2.5, 1e20, 123456789012345678, True, False, "1", "", None, "x"]
    values += [date(2024, 1, 2), datetime(2024, 1, 2, 3, 4, 5), 0.1, 2.5, True, None, None]
    for row in range(3):
        book.active.append(values[row:])
    book.active.append([])
    book.save(path)
    calamine = CalamineWorkbook.from_path(str(path))
    expected = [[cell_text(v) for v in r] for r in calamine.get_sheet_by_name("Sheet").to_python()]
    calamine.close()
    for row in expected:
        while row and row[-1] is None:
            row.pop()
    assert _open(path).read_tabs(["Sheet"]) == {"Sheet": expected}
    assert gc.isenabled(), "the read pauses the cyclic collector only while it reads"
    assert expected[0][:4] == ["1", "1", "0", "0.1"] and expected[0][7] is True


def test_cells_keep_their_place_when_a_tab_starts_below_row_1_or_right_of_column_a(path):
    book = Workbook()
    book.active.title = "Right"
    book["Right"]["C3"], book["Right"]["D4"] = "x", 1.5
    below = book.create_sheet("Below")
    below["A3"], below["D4"] = "y", True
    book.create_sheet("Empty")
    book.save(path)
    assert _open(path).read_tabs(["Right", "Below", "Empty"]) == {
        "Right": [[], [], [None, None, "x"], [None, None, None, "1.5"]],
        "Below": [[], [], ["y"], [None, None, None, True]],
        "Empty": [],
    }


@pytest.mark.parametrize("number", [float("nan"), float("-inf"), Decimal("NaN"), Decimal("-sNaN")], ids=repr)
def test_a_number_that_is_not_finite_is_refused_not_written_empty(path, number):
    _open(path, create=True).write([Rewrite("T", [["x"]])])
    before = path.read_bytes()
    with pytest.raises(UnstorableValue, match=r"T!B1: is .*, not a finite number"):
        _open(path).write([Rewrite("T", [["x", number]])])
    assert path.read_bytes() == before


def test_with_closes_the_workbook_however_the_block_ends(path):
    _open(path, create=True).write([Rewrite("T", [["a"]])])
    with _open(path) as workbook:
        assert workbook.read_tabs(["T"]) == {"T": [["a"]]}
        assert workbook._known == {"T": [["a"]]}
    assert workbook._known == {}, "closed: the rows read are let go"
    workbook.close()  # closing again does nothing
    with pytest.raises(RuntimeError, match="mid-block"), _open(path) as failing:
        failing.read_tabs(["T"])
        raise RuntimeError("mid-block")
    assert failing._known == {}


def test_the_cell_limit_counts_characters_as_excel_does() -> None:
    """An emoji is two of Excel's characters: 20,000 of them do not fit a cell of 32,767."""
    assert unstorable("🙂" * 16_383) is None
    assert "32768 characters (as Excel counts them)" in str(unstorable("🙂" * 16_384))
    assert unstorable("x" * 32_767) is None and unstorable("x" * 32_768) is not None
