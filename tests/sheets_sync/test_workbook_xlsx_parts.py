"""Whole-tab rewrites by zip-part patching, on real files read back by openpyxl and calamine."""

from __future__ import annotations

import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from sheets_sync.workbook import Append, CellUpdate, Dropdown, Rewrite, Style
from sheets_sync.workbook.base import plan_write
from sheets_sync.workbook.xlsx import XlsxWorkbook, unstorable
from sheets_sync.workbook.xlsx_parts import MARKER, patch_plan
from tests.sheets_sync.test_workbook_google import HOSTILE

CUSTOM = "customXml/item1.xml"
"""A part openpyxl does not know and drops on save: kept only when the parts are patched."""
LOOK = Style(
    "ISSUES",
    checkboxes=("Done",),
    dropdowns={"Severity": Dropdown(values=("error", "warning")), "UoM": Dropdown(source=("MINE", "Unit"))},
    filter=True,
    row_colors={2: "#F4CCCC", 3: "#FFF2CC"},
)
ROWS = [
    ["Severity", "Message", "Done", "UoM", "Cost"],
    ["error", "=1+1", True, "EA", 1.5],
    ["warning", "00123", False, None, 7],
    ["info", "last", None, "SHT", -0.25],
]


@pytest.fixture
def path(tmp_path):
    """A user's workbook: a formatted tab in shared strings, an ISSUES tab, and a custom part."""
    path = tmp_path / "library.xlsx"
    book = Workbook()
    mine = book.active
    mine.title = "MINE"
    mine.append(["Unit", "Note"])
    for unit in ("EA", "SHT", "BF"):
        mine.append([unit, f"{unit} note"])
    mine["A1"].font = Font(italic=True, color="FF0000FF")
    mine["B2"].fill = PatternFill(fill_type="solid", start_color="FF00FF00")
    mine.column_dimensions["A"].width = 42
    mine.freeze_panes = "B2"
    issues = book.create_sheet("ISSUES")
    issues.append(["old header"])
    issues.column_dimensions["B"].width = 30
    rule = DataValidation(type="whole", operator="greaterThan", formula1="0")
    rule.add("E2:E9")
    issues.add_data_validation(rule)
    book.save(path)
    with zipfile.ZipFile(path, "a") as package:
        package.writestr(CUSTOM, "<item>the user's own part</item>")
    return path


def _members(path) -> dict[str, tuple[int, int, bytes]]:
    with zipfile.ZipFile(path) as package:
        return {i.filename: (i.CRC, i.compress_size, package.read(i)) for i in package.infolist()}


def _cells(sheet) -> list[list[tuple[object, str, bool, str | None, str | None]]]:
    return [
        [(c.value, c.data_type, bool(c.font.b), c.fill.fill_type, c.fill.start_color.rgb) for c in row]
        for row in sheet.iter_rows()
    ]


def _calamine(path, tab: str) -> list[list[object]]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        return book.get_sheet_by_name(tab).to_python()
    finally:
        book.close()


def test_a_rewrite_patches_only_its_tab_and_reads_the_same_in_openpyxl_and_calamine(path):
    before, mine_before = _members(path), _cells(load_workbook(path)["MINE"])
    XlsxWorkbook(path).write([Rewrite("ISSUES", ROWS, LOOK)])
    after = _members(path)
    touched = {"xl/worksheets/sheet2.xml", "xl/styles.xml"}
    assert {n: m for n, m in after.items() if n not in touched} == {
        n: m for n, m in before.items() if n not in touched
    }
    assert after[CUSTOM][2] == b"<item>the user's own part</item>"
    book = load_workbook(path)
    assert book.sheetnames == ["MINE", "ISSUES"]
    assert _cells(book["MINE"]) == mine_before
    assert book["MINE"].column_dimensions["A"].width == 42 and book["MINE"].freeze_panes == "B2"
    sheet = book["ISSUES"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == ROWS
    assert _calamine(path, "ISSUES") == [[v if v is not None else "" for v in row] for row in ROWS]
    assert sheet["B2"].data_type == "s" and sheet["B3"].value == "00123"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:E4"
    assert [sheet.cell(1, c).font.b for c in range(1, 6)] == [True] * 5
    assert not sheet["A2"].font.b
    assert {sheet.cell(2, c).fill.start_color.rgb for c in range(1, 6)} == {"FFF4CCCC"}
    assert {sheet.cell(3, c).fill.start_color.rgb for c in range(1, 6)} == {"FFFFF2CC"}
    assert sheet["A4"].fill.fill_type is None
    rules = {str(dv.sqref): (dv.formula1, dv.errorTitle) for dv in sheet.data_validations.dataValidation}
    assert rules == {
        "E2:E9": ("0", None),  # the user's rule stays
        "C2:C1048576": ('"TRUE,FALSE"', MARKER),
        "A2:A1048576": ('"error,warning"', MARKER),
        "D2:D1048576": ("'MINE'!$A$2:$A$1048576", MARKER),
    }
    assert sheet.column_dimensions["B"].width == 30


def test_hostile_and_naughty_values_stay_literal_text(path, naughty_strings):
    values = [*HOSTILE, "_x0041_", "a\r\nb", "tab\there", *(s for s in naughty_strings if s)]
    storable = [v for v in values if unstorable(v) is None]
    XlsxWorkbook(path).write([Rewrite("T", [["x", v] for v in storable])])
    assert [r[1] for r in XlsxWorkbook(path).read_tabs(["T"])["T"]] == storable
    assert [r[1] for r in _calamine(path, "T")] == storable
    sheet = load_workbook(path)["T"]
    # openpyxl does not undo Excel's own escape of text shaped like "_x0041_" (calamine and Excel do)
    shown = [v.replace("_x0041_", "_x005F_x0041_") for v in storable]
    assert [(c.value, c.data_type) for c in sheet["B"]] == [(v, "s") for v in shown]


def test_a_rerun_is_idempotent_and_a_shorter_tab_keeps_no_old_rows(path):
    long_rows = [ROWS[0], *([f"w{i}", f"row {i}", False, "EA", i] for i in range(60))]
    XlsxWorkbook(path).write([Rewrite("ISSUES", long_rows, Style("ISSUES", row_colors={40: "#F4CCCC"}))])
    XlsxWorkbook(path).write([Rewrite("ISSUES", ROWS, LOOK)])
    first = _members(path)
    XlsxWorkbook(path).write([Rewrite("ISSUES", ROWS, LOOK)])
    assert _members(path) == first
    sheet = load_workbook(path)["ISSUES"]
    assert sheet.max_row == 4 and len(sheet.data_validations.dataValidation) == 4
    assert XlsxWorkbook(path).read_tabs(["ISSUES"])["ISSUES"] == [
        ["Severity", "Message", "Done", "UoM", "Cost"],
        ["error", "=1+1", True, "EA", "1.5"],
        ["warning", "00123", False, None, "7"],
        ["info", "last", None, "SHT", "-0.25"],
    ]


def test_new_tabs_are_registered_after_the_others(path):
    XlsxWorkbook(path).write(
        [
            Rewrite("DIFF A", [["Approve"], [True]], Style("DIFF A", checkboxes=("Approve",))),
            Rewrite("B&<'", [[1]]),
        ]
    )
    assert load_workbook(path).sheetnames == ["MINE", "ISSUES", "DIFF A", "B&<'"]
    assert XlsxWorkbook(path).read_tabs(["DIFF A", "B&<'"]) == {
        "DIFF A": [["Approve"], [True]],
        "B&<'": [["1"]],
    }
    assert XlsxWorkbook(path).tab_names() == ["MINE", "ISSUES", "DIFF A", "B&<'"]
    assert _members(path)[CUSTOM][2] == b"<item>the user's own part</item>"


def test_macros_and_other_parts_survive_in_an_xlsm(tmp_path, path):
    xlsm = tmp_path / "library.xlsm"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("xl/vbaProject.bin", bytes(range(256)) * 40)
    vba = _members(xlsm)["xl/vbaProject.bin"]
    XlsxWorkbook(xlsm).write([Rewrite("ISSUES", ROWS, LOOK)])
    assert _members(xlsm)["xl/vbaProject.bin"] == vba
    assert [[c.value for c in r] for r in load_workbook(xlsm, keep_vba=True)["ISSUES"].iter_rows()] == ROWS


def test_the_calculation_chain_of_a_rewritten_tab_is_dropped(path):
    with zipfile.ZipFile(path) as source:
        parts = {i.filename: source.read(i) for i in source.infolist()}
    rel = b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'  # noqa: E501
    kind = b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/>'  # noqa: E501
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", rel + b"</Relationships>"
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", kind + b"</Types>")
    parts["xl/calcChain.xml"] = (
        b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="A1" i="2"/></calcChain>'  # noqa: E501
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    XlsxWorkbook(path).write([Rewrite("ISSUES", ROWS)])
    after = _members(path)
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"][2] + after["[Content_Types].xml"][2]
    assert load_workbook(path)["ISSUES"]["A1"].value == "Severity"


def test_edits_inside_a_tab_and_new_files_go_through_openpyxl(path, tmp_path):
    def plan(ops, where=path):
        workbook = XlsxWorkbook(where, create=True)
        known = workbook.read_tabs(["MINE", "ISSUES"])
        return patch_plan(where, plan_write(ops, known), known)

    assert plan([Rewrite("ISSUES", ROWS, LOOK)]) is not None
    assert plan([Rewrite("ISSUES", ROWS), Append("ISSUES", [["more"]])]) is None
    assert plan([Rewrite("ISSUES", ROWS), CellUpdate("MINE", 2, 1, "x")]) is None
    assert plan([Style("MINE", bold_header=True)]) is None
    assert plan([Rewrite("issues", ROWS)]) is None  # Excel's tab names ignore case: openpyxl decides
    assert plan([Rewrite("T", ROWS)], tmp_path / "new.xlsx") is None
