"""An .xlsx cell holding an error (``#REF!``, a formula's cached ``#DIV/0!``) reads as that
error, as Google's API gives it, and a formula saved with no result as an ``Uncalculated``
holding the formula: never as the blank calamine makes of either."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from canonical.errors import WorkbookError
from sheets_sync.commands.pull import pull
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.master.tabs import ISSUES, MASTER
from sheets_sync.workbook.base import Uncalculated
from sheets_sync.workbook.xlsx_blanks import _in_part, unread_cells
from tests.sheets_sync.commands.test_pull import good, library_tabs


def _save(path, tabs):
    """Tabs written by openpyxl, which types a cell holding an error's name as an error."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in tabs.items():
        sheet = book.create_sheet(name)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                if value not in (None, ""):
                    sheet.cell(number, column, value)
    book.save(path)


def _replace_cell(path, cell_ref, xml):
    """The first tab's cell ``cell_ref`` replaced by ``xml`` (as another program writes it)."""
    with zipfile.ZipFile(path) as book:
        parts = {info.filename: book.read(info) for info in book.infolist()}
    part = parts["xl/worksheets/sheet1.xml"].decode()
    start = part.index(f'<c r="{cell_ref}"')
    stop = part.index("</c>", start) + len("</c>")
    parts["xl/worksheets/sheet1.xml"] = (part[:start] + xml + part[stop:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts.items():
            book.writestr(name, data)


def _read(path, tab="T"):
    return open_workbook(Settings(workbook=str(path))).read_tabs([tab])[tab]


def test_error_cells_read_as_their_errors_wherever_they_are(tmp_path):
    path = tmp_path / "w.xlsx"
    _save(
        path,
        {
            "T": [
                ["SKU", "Name", "Cost"],
                ["A", "#REF!", 5],
                ["B", "x", "#N/A"],  # the last cell of its row: calamine's blank is trimmed
                [],
                [None, None, "#DIV/0!"],  # a row holding nothing else
                ["#VALUE!", "placeholder"],
            ]
        },
    )
    # a text that looks like an error cell's tag stays text
    _replace_cell(path, "B6", '<c r="B6" t="inlineStr"><is><t>t="e" &lt;c r="Z9" t="e"&gt;</t></is></c>')
    assert _read(path) == [
        ["SKU", "Name", "Cost"],
        ["A", "#REF!", "5"],
        ["B", "x", "#N/A"],
        [],
        [None, None, "#DIV/0!"],
        ["#VALUE!", 't="e" <c r="Z9" t="e">'],
    ]


def test_a_formulas_cached_error_reads_as_it_and_an_unnamed_error_as_error(tmp_path):
    path = tmp_path / "w.xlsx"
    _save(path, {"T": [["a", "b"], ["x", "placeholder"], ["y", "placeholder"]]})
    _replace_cell(path, "B2", '<c r="B2" s="0" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    _replace_cell(path, "B3", "<c r='B3' t='e'/>")
    assert _read(path) == [["a", "b"], ["x", "#DIV/0!"], ["y", "#ERROR!"]]


def test_an_error_calamine_cannot_read_is_a_workbook_error_naming_the_tab(tmp_path):
    path = tmp_path / "w.xlsx"
    _save(path, {"T": [["a", "b"], ["x", "placeholder"]]})
    _replace_cell(path, "B2", "<c r='B2' t='e'><v>oops</v></c>")
    with pytest.raises(WorkbookError, match=r"tab 'T' of workbook .* cannot be read .*oops"):
        _read(path)


def test_a_tab_starting_right_of_column_a_and_below_row_1_keeps_its_errors_in_place(tmp_path):
    path = tmp_path / "w.xlsx"
    _save(path, {"T": [[], [], [None, None, "h1", "h2"], [None, None, "v", "#NAME?"]]})
    assert _read(path) == [[], [], [None, None, "h1", "h2"], [None, None, "v", "#NAME?"]]


def test_error_cells_are_found_across_a_large_part(tmp_path):
    """A part many times the size read at once: errors on either side of every cut."""
    path = tmp_path / "w.xlsx"
    rows = [
        [f"SKU-{n:05d}", f"a longer text cell for row {n}", "#N/A" if n % 997 == 0 else n]
        for n in range(40_000)
    ]
    _save(path, {"T": rows})
    assert len(zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")) > 3 * (1 << 20)
    read = _read(path)
    assert [n for n, row in enumerate(read) if row[2] == "#N/A"] == list(range(0, 40_000, 997))
    assert read[1] == ["SKU-00001", "a longer text cell for row 1", "1"]


def test_pull_names_an_error_cell_and_a_formula_with_no_result_in_required_and_optional_columns(tmp_path):
    path = tmp_path / "w.xlsx"
    rows = [
        good("A-1"),
        good("#REF!"),
        good("A-3", **{"Vendor SKU": "#N/A"}),
        good("A-4", Cost="=12.5*2"),
        good("A-5", **{"Margin %": "=0.1+0.2"}),
    ]
    _save(path, library_tabs(rows))
    settings = Settings(workbook=str(path), output_dir=tmp_path / "out")
    outcome = pull(settings)
    assert outcome.summary["materials"] == 1
    issues = open_workbook(settings).read_tabs([ISSUES])[ISSUES]
    no_result = "the cell holds a formula with no saved result"
    assert [(r[1], r[2], r[3], r[4], r[5].split(" (")[0]) for r in issues[1:]] == [
        (MASTER, "3", "SKU", "#REF!", "the cell shows the sheet error #REF!"),
        (MASTER, "4", "Vendor SKU", "#N/A", "the cell shows the sheet error #N/A"),
        (MASTER, "5", "Cost", "=12.5*2", no_result),
        (MASTER, "6", "Margin %", "=0.1+0.2", no_result),
    ]
    assert "open the workbook in Excel or LibreOffice and save it" in issues[-1][5]


def test_a_part_read_in_chunks_of_any_size_finds_the_same_cells():
    part = (
        b'<worksheet><sheetData><row r="1"><c r="A1" t="e"><v>#REF!</v></c>'
        b'<c r="B1" t="inlineStr"><is><t>t="e" looks like one, &lt;f&gt;&lt;/f&gt;&lt;/c&gt; too</t></is></c>'
        b"<c r='C1' s=\"2\" t='e'><f>VLOOKUP(A1,Z:Z,2,0)</f><v>#N/A</v></c></row>"
        b'<row r="2"><c r="AB2" t="e"/><c r="AC2"><v>3</v></c><c r="AD2" xt="e"><v>4</v></c>'
        b'<c r="AE2">\n  <f>A1&amp;"x"</f>\n  <v/>\n</c><c r="AF2" t="n"><f>1+1</f><v>2</v></c>'
        b'<c r="AG2" t="str"><f>""</f><v></v></c><c r="AH2" t="str"><f t="shared" si="0"/></c>'
        b"</row></sheetData><conditionalFormatting><cfRule><formula>A1&gt;0</formula></cfRule>"
        b"</conditionalFormatting></worksheet>"
    )
    whole = {
        (1, 1): "#REF!",
        (1, 3): "#N/A",
        (2, 28): "#ERROR!",
        (2, 31): Uncalculated('=A1&"x"'),
        (2, 34): Uncalculated("(a shared formula)"),
    }
    for size in range(1, len(part) + 1):
        assert _in_part(io.BytesIO(part), size) == whole, size


def test_a_formula_saved_without_its_result_reads_as_that_formula(tmp_path):
    """openpyxl saves a formula with no result, as many exporters do; calamine reads it as a
    blank (and drops a row that holds nothing else)."""
    path = tmp_path / "w.xlsx"
    rows = [["a", "b", "c"], ["x", "=1+1", 5], ["y", '=A2&"z"'], [None, None, None, "=SUM(C2:C3)"]]
    _save(path, {"T": rows})
    read = _read(path)
    assert read == [
        ["a", "b", "c"],
        ["x", Uncalculated("=1+1"), "5"],
        ["y", Uncalculated('=A2&"z"')],
        [None, None, None, Uncalculated("=SUM(C2:C3)")],
    ]
    assert read[1][1] != "=1+1"  # not the text it holds


def test_a_formula_with_its_result_saved_reads_as_the_result(tmp_path):
    """As Excel and LibreOffice save them: a number, a text, and an empty text (a blank)."""
    path = tmp_path / "w.xlsx"
    _save(path, {"T": [["a", "b", "c"], ["p1", "p2", "p3"]]})
    _replace_cell(path, "A2", '<c r="A2" t="n"><f aca="false">2*3</f><v>6</v></c>')
    _replace_cell(path, "B2", '<c r="B2" t="str"><f>"x"&amp;"y"</f><v>xy</v></c>')
    _replace_cell(path, "C2", '<c r="C2" s="0" t="str"><f aca="false">IF(1,"","x")</f><v></v></c>')
    assert _read(path) == [["a", "b", "c"], ["6", "xy"]]


def test_a_corrupt_part_is_a_workbook_error_naming_the_tab_and_the_search_only_logs_it(tmp_path, caplog):
    path = tmp_path / "w.xlsx"
    _save(path, {"T": [[f"SKU-{n}", f"name {n} " * 5, n] for n in range(3000)]})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as book:
        info = book.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for at in range(start + 2000, start + 2400):  # inside the compressed stream
        data[at] ^= 0x5A
    path.write_bytes(bytes(data))
    assert unread_cells(path, ["T"]) == {}
    assert "were not looked for" in caplog.text
    with pytest.raises(WorkbookError, match=r"tab 'T' of workbook .* cannot be read"):
        _read(path)
