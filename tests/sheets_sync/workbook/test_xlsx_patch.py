"""Whole-tab rewrites by zip-part patching, on real files read back by openpyxl and calamine."""

from __future__ import annotations

import logging
import random
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from sheets_sync.workbook import Append, CellUpdate, Dropdown, Rewrite, Style
from sheets_sync.workbook.base import CHANGE, MONEY, plan_write
from sheets_sync.workbook.xlsx import XlsxWorkbook, unstorable
from sheets_sync.workbook.xlsx_patch import MARKER, PatchPlan, Unpatchable, patch_plan
from sheets_sync.workbook.xlsx_patch.styles import BOOLEAN_FORMAT
from tests.sheets_sync.workbook.test_google import HOSTILE

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
    issues.auto_filter.ref = "A1:A9"  # openpyxl also names it for Excel: _xlnm._FilterDatabase
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


def _cells(sheet) -> dict[str, tuple[object, ...]]:
    """Each cell with a value or a look: value, type, bold, italic, font colour and fill, as
    openpyxl reads them (an empty cell without a look counts as no cell)."""
    seen = {}
    for row in sheet.iter_rows():
        for c in row:
            colour = getattr(c.font.color, "rgb", None)
            look = (
                bool(c.font.b),
                bool(c.font.i),
                colour if isinstance(colour, str) else None,
                c.fill.fill_type,
            )
            if c.value is not None or look != (False, False, None, None):
                seen[c.coordinate] = (
                    c.value,
                    c.value is not None and c.data_type,
                    *look,
                    c.fill.start_color.rgb,
                )
    return seen


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
    touched = {"xl/worksheets/sheet2.xml", "xl/styles.xml", "xl/workbook.xml"}
    assert {n: m for n, m in after.items() if n not in touched} == {
        n: m for n, m in before.items() if n not in touched
    }
    assert after[CUSTOM][2] == b"<item>the user's own part</item>"
    assert b">'ISSUES'!$A$1:$A$9<" in before["xl/workbook.xml"][2]
    assert after["xl/workbook.xml"][2] == before["xl/workbook.xml"][2].replace(b"$A$1:$A$9", b"$A$1:$E$4")
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
    book = load_workbook(xlsm, keep_vba=True)
    book.vba_archive.close()  # openpyxl leaves its in-memory copy of the macro parts open
    assert [[c.value for c in r] for r in book["ISSUES"].iter_rows()] == ROWS


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


def test_what_is_patched_and_what_goes_through_openpyxl(path, tmp_path):
    def plan(ops, where=path):
        workbook = XlsxWorkbook(where, create=True)
        known = workbook.read_tabs(["MINE", "ISSUES"])
        return patch_plan(where, plan_write(ops, known), known)

    assert isinstance(plan([Rewrite("ISSUES", ROWS, LOOK)]), PatchPlan)
    assert isinstance(
        plan([Rewrite("ISSUES", ROWS), CellUpdate("MINE", 2, 1, "x"), Append("MINE", [["BF"]])]), PatchPlan
    )
    assert isinstance(plan([Rewrite("ISSUES", ROWS), Append("ISSUES", [["more"]])]), Unpatchable)
    assert isinstance(plan([CellUpdate("MINE", 2, 1, "x"), Style("MINE", bold_header=True)]), PatchPlan)
    assert isinstance(plan([Style("MINE", bold_header=True), Style("MINE", filter=True)]), Unpatchable)
    assert isinstance(plan([CellUpdate("NEW", 3, 2, "Approve"), Style("NEW", header_row=3)]), PatchPlan)
    # Excel's tab names ignore case: openpyxl decides
    assert isinstance(plan([Rewrite("issues", ROWS)]), Unpatchable)
    assert isinstance(plan([Rewrite("T", ROWS)], tmp_path / "new.xlsx"), Unpatchable)


@pytest.mark.parametrize(
    ("ops", "fresh", "reason"),
    [
        ([Rewrite("T", ROWS)], True, "the workbook does not exist yet: a new file is made by openpyxl"),
        ([Rewrite("issues", ROWS)], False, "new tab 'issues' is named like an existing tab in all but case"),
        (
            [Style("MINE", bold_header=True), Style("MINE", filter=True)],
            False,
            "tab 'MINE' has two Styles in one batch",
        ),
        (
            [Rewrite("ISSUES", ROWS), Append("ISSUES", [["more"]])],
            False,
            "tab 'ISSUES' is rewritten and written to again in one batch",
        ),
    ],
)
def test_what_goes_through_openpyxl_says_why(path, tmp_path, ops, fresh, reason):
    where = tmp_path / "new.xlsx" if fresh else path
    known = XlsxWorkbook(where, create=True).read_tabs(["MINE", "ISSUES"])
    assert patch_plan(where, plan_write(ops, known), known) == Unpatchable(reason)


def test_an_overwritten_shared_formula_anchor_is_the_reason_logged(path, caplog):
    with zipfile.ZipFile(path) as source:
        parts = {i.filename: source.read(i) for i in source.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>",
        b'<row r="7"><c r="A7"><f t="shared" ref="A7:A8" si="0">1+1</f><v>2</v></c></row></sheetData>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)

    def logged(ops) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="sheets_sync.workbook.xlsx"):
            XlsxWorkbook(path).write(ops)
        return [r.getMessage() for r in caplog.records if r.name == "sheets_sync.workbook.xlsx"]

    assert logged([CellUpdate("MINE", 7, 1, "x")]) == [
        "writing library.xlsx through openpyxl: "
        "tab 'MINE': cell A7 is written but anchors a shared or array formula"
    ]
    assert logged([CellUpdate("MINE", 7, 2, "y")]) == [], "a patched write logs no fallback"


def _openpyxl_write(path, ops) -> None:
    """The same batch through the openpyxl writer, for a differential check."""
    workbook = XlsxWorkbook(path)
    workbook.read_tabs(["MINE", "ISSUES"])
    book = workbook._load_for_write()
    workbook._apply(book, plan_write(ops, workbook._known), workbook._known)
    book.save(path)


def test_cells_written_inside_a_tab_match_the_openpyxl_writer(path, tmp_path):
    twin = tmp_path / "twin.xlsx"
    twin.write_bytes(path.read_bytes())
    ops = [
        CellUpdate("MINE", 1, 1, "UNIT"),  # italic blue header keeps its font; headers ignore case
        CellUpdate("MINE", 3, 2, "=not a formula"),  # a cell in shared strings becomes text in place
        CellUpdate("MINE", 2, 2, None),  # emptied, keeps its green fill
        CellUpdate("MINE", 2, 5, 12.5),  # a new cell after the others in its row
        Append("MINE", [{"Unit": "LF", "Note": True}, ["PC", None, 3]]),
        CellUpdate("MINE", 9, 3, "far below"),
        CellUpdate("MINE", 9, 1, "first"),  # before the only cell of its row
        CellUpdate("MINE", 2, 4, "between"),  # between B2 and the new E2
    ]
    before = _members(path)
    XlsxWorkbook(path).write(ops)
    _openpyxl_write(twin, ops)
    after = _members(path)
    assert {n for n in after if after[n] != before.get(n)} == {"xl/worksheets/sheet1.xml"}
    ours, theirs = load_workbook(path)["MINE"], load_workbook(twin)["MINE"]
    assert _cells(ours) == _cells(theirs)
    assert ours["A1"].font.i and ours["A1"].font.color.rgb == "FF0000FF"
    assert ours["B2"].fill.start_color.rgb == "FF00FF00" and ours["B2"].value is None
    expected = XlsxWorkbook(twin).read_tabs(["MINE"])
    assert XlsxWorkbook(path).read_tabs(["MINE"]) == expected
    assert expected["MINE"][4:] == [["LF", True], ["PC", None, "3"], [], [], ["first", None, "far below"]]
    assert expected["MINE"][1] == ["EA", None, None, "between", "12.5"]
    assert _calamine(path, "MINE") == _calamine(twin, "MINE")
    assert ours.freeze_panes == "B2" and ours.column_dimensions["A"].width == 42


def test_a_style_on_a_tab_not_rewritten_matches_the_openpyxl_writer(path, tmp_path):
    twin = tmp_path / "twin.xlsx"
    twin.write_bytes(path.read_bytes())
    look = Style(
        "MINE",
        frozen_rows=2,
        checkboxes=("Done",),
        dropdowns={"Unit": Dropdown(values=("EA", "SHT"))},
        filter=True,
        row_colors={3: "#F4CCCC", 6: "#FFF2CC"},
    )
    ops = [CellUpdate("MINE", 1, 3, "Done"), look]
    before = _members(path)
    XlsxWorkbook(path).write(ops)
    _openpyxl_write(twin, ops)
    after = _members(path)
    assert {n for n in after if after[n] != before.get(n)} == {"xl/worksheets/sheet1.xml", "xl/styles.xml"}
    ours, theirs = load_workbook(path)["MINE"], load_workbook(twin)["MINE"]
    assert _cells(ours) == _cells(theirs)
    assert ours["A1"].font.b and ours["A1"].font.i and ours["A1"].font.color.rgb == "FF0000FF"
    assert ours["B2"].fill.start_color.rgb == "FF00FF00" and ours["B3"].fill.start_color.rgb == "FFF4CCCC"
    assert (
        (ours.freeze_panes, ours.auto_filter.ref)
        == (theirs.freeze_panes, theirs.auto_filter.ref)
        == ("A3", "A1:C4")
    )
    rules = {str(dv.sqref): dv.formula1 for dv in ours.data_validations.dataValidation}
    assert rules == {str(dv.sqref): dv.formula1 for dv in theirs.data_validations.dataValidation}
    assert rules == {"C2:C1048576": '"TRUE,FALSE"', "A2:A1048576": '"EA,SHT"'}
    assert XlsxWorkbook(path).read_tabs(["MINE"]) == XlsxWorkbook(twin).read_tabs(["MINE"])
    XlsxWorkbook(path).write(ops)
    assert _members(path) == after, "a second run changes nothing: no new formats, no second rule"


def test_a_new_tab_made_of_cells_and_a_style_matches_the_openpyxl_writer(path, tmp_path):
    twin = tmp_path / "twin.xlsx"
    twin.write_bytes(path.read_bytes())
    ops = [
        CellUpdate("DIFF", 1, 1, "Plan ID"),
        CellUpdate("DIFF", 3, 1, "Approve"),
        CellUpdate("DIFF", 3, 2, "SKU"),
        Style("DIFF", header_row=3, checkboxes=("Approve",), filter=True),
    ]
    XlsxWorkbook(path).write(ops)
    _openpyxl_write(twin, ops)
    assert _members(path)[CUSTOM][2] == b"<item>the user's own part</item>", "patched, not saved by openpyxl"
    ours, theirs = load_workbook(path), load_workbook(twin)
    assert ours.sheetnames == theirs.sheetnames == ["MINE", "ISSUES", "DIFF"]
    assert _cells(ours["DIFF"]) == _cells(theirs["DIFF"])
    assert ours["DIFF"]["A3"].font.b and not ours["DIFF"]["A1"].font.b
    assert (ours["DIFF"].freeze_panes, ours["DIFF"].auto_filter.ref) == ("A4", "A3:B3")
    assert XlsxWorkbook(path).read_tabs(["DIFF"]) == {"DIFF": [["Plan ID"], [], ["Approve", "SKU"]]}


def test_an_anchor_of_a_shared_formula_is_left_to_openpyxl(path):
    with zipfile.ZipFile(path) as source:
        parts = {i.filename: source.read(i) for i in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        b"</sheetData>",
        b'<row r="7"><c r="A7"><f t="shared" ref="A7:A8" si="0">1+1</f><v>2</v></c></row></sheetData>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    known = XlsxWorkbook(path).read_tabs(["MINE"])
    assert isinstance(
        patch_plan(path, plan_write([CellUpdate("MINE", 7, 1, "x")], known), known), Unpatchable
    )
    assert isinstance(patch_plan(path, plan_write([CellUpdate("MINE", 7, 2, "x")], known), known), PatchPlan)
    XlsxWorkbook(path).write([CellUpdate("MINE", 7, 1, "x")])
    assert XlsxWorkbook(path).read_tabs(["MINE"])["MINE"][6] == ["x"]


def test_text_that_reads_like_a_cell_reference_is_not_taken_for_the_cell(path):
    XlsxWorkbook(path).write([Rewrite("T", [["a"], ['say r="B2"']])])
    known = XlsxWorkbook(path).read_tabs(["T"])
    assert isinstance(patch_plan(path, plan_write([CellUpdate("T", 2, 3, "z")], known), known), PatchPlan)
    assert isinstance(patch_plan(path, plan_write([CellUpdate("T", 2, 2, "y")], known), known), Unpatchable)
    XlsxWorkbook(path).write([CellUpdate("T", 2, 2, "y")])
    assert XlsxWorkbook(path).read_tabs(["T"]) == {"T": [["a"], ['say r="B2"', "y"]]}


_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_EXCEL_NS = (
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr xr2 xr3" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
    'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3"'
)
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
EXCEL_PARTS = {
    "[Content_Types].xml": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="{_TYPE}.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/></Types>""",  # noqa: E501
    "_rels/.rels": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>""",  # noqa: E501
    "xl/workbook.xml": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook {_MAIN} {_EXCEL_NS}><fileVersion appName="xl" lastEdited="7" rupBuild="27328"/><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Choice Requires="x15"><x15ac:absPath url="C:\\shop\\" xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"/></mc:Choice></mc:AlternateContent><bookViews><workbookView xWindow="0" yWindow="0" windowWidth="28800" windowHeight="12300" activeTab="1"/></bookViews><sheets><sheet name="MINE" sheetId="1" r:id="rId1"/><sheet name="ISSUES" sheetId="4" r:id="rId2"/></sheets><calcPr calcId="191029"/></workbook>""",  # noqa: E501
    "xl/_rels/workbook.xml.rels": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="{_REL}/styles" Target="styles.xml"/><Relationship Id="rId2" Type="{_REL}/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId4" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>""",  # noqa: E501
    "xl/sharedStrings.xml": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst {_MAIN} count="3" uniqueCount="3"><si><t>Unit</t></si><si><t>EA</t></si><si><t>old issue</t></si></sst>""",  # noqa: E501
    "xl/styles.xml": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet {_MAIN} {_EXCEL_NS}><fonts count="2" x14ac:knownFonts="1"><font><sz val="11"/><color theme="1"/><name val="Aptos Narrow"/><family val="2"/><scheme val="minor"/></font><font><i/><sz val="11"/><color rgb="FF0000FF"/><name val="Aptos Narrow"/><family val="2"/><scheme val="minor"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium2" defaultPivotStyle="PivotStyleLight16"/></styleSheet>""",  # noqa: E501
    "xl/worksheets/sheet1.xml": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet {_MAIN} {_EXCEL_NS} xr:uid="{{00000000-0001-0000-0000-000000000000}}"><dimension ref="A1:A2"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><sheetData><row r="1" spans="1:1" x14ac:dyDescent="0.25"><c r="A1" s="1" t="s"><v>0</v></c></row><row r="2" spans="1:1" x14ac:dyDescent="0.25"><c r="A2" t="s"><v>1</v></c></row></sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>""",  # noqa: E501
    "xl/worksheets/sheet2.xml": f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet {_MAIN} {_EXCEL_NS} xr:uid="{{00000000-0001-0000-0100-000000000000}}"><sheetPr><tabColor rgb="FFFF0000"/></sheetPr><dimension ref="A1:B9"/><sheetViews><sheetView tabSelected="1" zoomScale="140" workbookViewId="0"><selection activeCell="B9" sqref="B9"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><cols><col min="2" max="2" width="30.7109375" customWidth="1"/></cols><sheetData><row r="1" spans="1:2" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>2</v></c><c r="B1"><f>1+1</f><v>2</v></c></row><row r="9" spans="1:2" x14ac:dyDescent="0.25"><c r="B9" s="1"><v>5</v></c></row></sheetData><dataValidations count="1"><dataValidation type="whole" operator="greaterThan" allowBlank="1" showInputMessage="1" showErrorMessage="1" sqref="E2:E9" xr:uid="{{4A1B2C3D-0000-0000-0000-000000000000}}"><formula1>0</formula1></dataValidation></dataValidations><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><extLst><ext uri="{{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations count="0" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"/></ext></extLst></worksheet>""",  # noqa: E501
}
"""A workbook as Excel writes one: shared strings, markup-compatibility namespaces, revision ids, extLst."""


@pytest.mark.filterwarnings("ignore:Data Validation extension is not supported")
def test_an_excel_written_workbook_keeps_its_parts_namespaces_and_extensions(tmp_path):
    from xml.etree import ElementTree

    path = tmp_path / "excel.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in EXCEL_PARTS.items():
            package.writestr(name, text.encode())
    assert XlsxWorkbook(path).read_tabs(["ISSUES"]) == {
        "ISSUES": [["old issue", "2"], [], [], [], [], [], [], [], [None, "5"]]
    }
    before = _members(path)
    XlsxWorkbook(path).write([Rewrite("ISSUES", ROWS, LOOK)])
    after = _members(path)
    for name in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml", "_rels/.rels"):
        assert after[name] == before[name]
    issues = after["xl/worksheets/sheet2.xml"][2]
    ElementTree.fromstring(issues)  # well-formed, every prefix declared
    assert b'mc:Ignorable="x14ac xr xr2 xr3"' in issues and b"<x14:dataValidations" in issues
    assert b'<tabColor rgb="FFFF0000"/>' in issues and b"<f>" not in issues
    book = load_workbook(path)
    sheet = book["ISSUES"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == ROWS
    assert sheet.column_dimensions["B"].width == pytest.approx(30.7109375)
    assert sheet.sheet_view.zoomScale == 140 and sheet.sheet_view.tabSelected and sheet.freeze_panes == "A2"
    assert sheet.sheet_properties.tabColor.rgb == "FFFF0000"
    assert len(sheet.data_validations.dataValidation) == 4
    assert book["MINE"]["A1"].font.i and book["MINE"]["A1"].value == "Unit"
    assert sheet["A1"].font.b and sheet["A1"].font.name == "Aptos Narrow"
    assert _calamine(path, "ISSUES") == [[v if v is not None else "" for v in row] for row in ROWS]
    assert XlsxWorkbook(path).read_tabs(["MINE"]) == {"MINE": [["Unit"], ["EA"]]}


@pytest.mark.parametrize("seed", range(12))
def test_random_cell_batches_match_the_openpyxl_writer(tmp_path, seed):
    rng = random.Random(seed)
    kinds = [None, "", "text", "=1+1", "00123", 7, -2.5, True, False, "a\nb"]
    book = Workbook()
    sheet = book.active
    sheet.title = "MINE"
    for _ in range(25):
        cell = sheet.cell(rng.randint(1, 12), rng.randint(1, 8), rng.choice(kinds[2:]))
        if rng.random() < 0.3:
            cell.font = Font(italic=True)
        if rng.random() < 0.3:
            cell.fill = PatternFill(fill_type="solid", start_color="FF00FF00")
    path, twin = tmp_path / "ours.xlsx", tmp_path / "twin.xlsx"
    book.save(path)
    twin.write_bytes(path.read_bytes())
    ops: list = [
        CellUpdate("MINE", rng.randint(1, 16), rng.randint(1, 10), rng.choice(kinds)) for _ in range(15)
    ]
    ops.insert(rng.randint(0, len(ops)), Append("MINE", [[rng.choice(kinds) for _ in range(4)]]))
    if rng.random() < 0.5:
        ops.append(Style("MINE", bold_header=True, row_colors={rng.randint(2, 14): "#FFF2CC"}))
    before = _members(path)
    XlsxWorkbook(path).write(ops)
    assert _members(path)["xl/theme/theme1.xml"] == before["xl/theme/theme1.xml"]
    _openpyxl_write(twin, ops)
    assert _cells(load_workbook(path)["MINE"]) == _cells(load_workbook(twin)["MINE"])
    assert XlsxWorkbook(path).read_tabs(["MINE"]) == XlsxWorkbook(twin).read_tabs(["MINE"])


def _layout(sheet) -> dict[str, object]:
    """What a fitted, protected tab's look is made of, as openpyxl reads it."""
    cells = {
        c.coordinate: (
            c.value,
            c.number_format,
            c.protection.locked,
            c.alignment.wrap_text,
            c.alignment.vertical,
            c.alignment.horizontal,
            c.fill.start_color.rgb if c.fill.fill_type else None,
            bool(c.font.b),
        )
        for row in sheet.iter_rows()
        for c in row
    }
    columns = {
        (d.min, d.max): (d.width if d.customWidth else None, d.protection.locked)
        for d in sheet.column_dimensions.values()
    }
    heights = {n: d.height for n, d in sheet.row_dimensions.items() if d.height}
    protection = {k: getattr(sheet.protection, k) for k in ("sheet", "sort", "autoFilter", "formatColumns")}
    rules = sorted(
        (str(dv.sqref), dv.type, dv.errorStyle, dv.formula1) for dv in sheet.data_validations.dataValidation
    )
    page = (
        sheet.page_setup.orientation,
        sheet.page_setup.fitToWidth,
        sheet.sheet_properties.pageSetUpPr.fitToPage,
    )
    return {
        "cells": cells,
        "columns": columns,
        "heights": heights,
        "protection": protection,
        "rules": rules,
        "page": page,
    }


def test_a_fitted_locked_tab_looks_the_same_from_both_writers(path, tmp_path):
    twin = tmp_path / "twin.xlsx"
    twin.write_bytes(path.read_bytes())
    rows = [
        ["Plan ID", "P-1", "", "Created", "today"],
        ["create", 2, "update", 1],
        ["Approve", "Note", "Changes", "Δ %", "Cost"],
        [True, "short", "a: 1 -> 2\nb: (blank) -> 3\nc: x -> y", 0.4, 12.5],
        [False, "a much longer note than the header", "one line", -0.1, 0.1899],
    ]
    look = Style(
        "REVIEW",
        header_row=3,
        checkboxes=("Approve",),
        protected=("Note", "Changes", "Δ %", "Cost"),
        locked=True,
        filter=True,
        fit=True,
        wrap=("Changes",),
        number_formats={"Δ %": CHANGE, "Cost": MONEY},
        row_colors={4: "#E6F4EA", 5: "#FEF7E0"},
        cell_colors={(2, 1): "#E6F4EA", (2, 3): "#FEF7E0"},
    )
    ops = [Rewrite("REVIEW", rows, look)]
    XlsxWorkbook(path).write(ops)
    _openpyxl_write(twin, ops)
    assert _members(path)[CUSTOM][2] == b"<item>the user's own part</item>", "patched, not saved by openpyxl"
    ours, theirs = _layout(load_workbook(path)["REVIEW"]), _layout(load_workbook(twin)["REVIEW"])
    assert ours == theirs
    assert ours["heights"] == {4: 42}
    assert ours["protection"] == {"sheet": True, "sort": False, "autoFilter": False, "formatColumns": False}
    assert ours["cells"]["A4"][:3] == (True, BOOLEAN_FORMAT, False) and ours["cells"]["B4"][2] is True
    assert ours["cells"]["C4"][3:5] == (True, "top") and ours["cells"]["B2"][5] == "left"
    assert ours["page"] == ("landscape", 1, True)
    XlsxWorkbook(path).write(ops)
    assert _layout(load_workbook(path)["REVIEW"]) == ours, "a second run looks the same"
