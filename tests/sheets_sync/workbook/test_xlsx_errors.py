"""An .xlsx cell holding an error (``#REF!``, a formula's cached ``#DIV/0!``) reads as that
error, as Google's API gives it, never as the blank calamine makes of it."""

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
from sheets_sync.workbook.xlsx_errors import _in_part
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


def test_pull_names_an_error_cell_in_a_required_and_an_optional_column(tmp_path):
    path = tmp_path / "w.xlsx"
    _save(path, library_tabs([good("A-1"), good("#REF!"), good("A-3", **{"Vendor SKU": "#N/A"})]))
    settings = Settings(workbook=str(path), output_dir=tmp_path / "out")
    outcome = pull(settings)
    assert outcome.summary["materials"] == 1
    issues = open_workbook(settings).read_tabs([ISSUES])[ISSUES]
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in issues[1:]] == [
        (MASTER, "3", "SKU", "#REF!", "the cell shows the sheet error #REF!"),
        (MASTER, "4", "Vendor SKU", "#N/A", "the cell shows the sheet error #N/A"),
    ]


def test_a_part_read_in_chunks_of_any_size_finds_the_same_error_cells():
    part = (
        b'<worksheet><sheetData><row r="1"><c r="A1" t="e"><v>#REF!</v></c>'
        b'<c r="B1" t="inlineStr"><is><t>t="e" looks like one</t></is></c>'
        b"<c r='C1' s=\"2\" t='e'><f>VLOOKUP(A1,Z:Z,2,0)</f><v>#N/A</v></c></row>"
        b'<row r="2"><c r="AB2" t="e"/><c r="AC2"><v>3</v></c><c r="AD2" xt="e"><v>4</v></c>'
        b"</row></sheetData></worksheet>"
    )
    whole = {(1, 1): "#REF!", (1, 3): "#N/A", (2, 28): "#ERROR!"}
    for size in range(1, len(part) + 1):
        assert _in_part(io.BytesIO(part), size) == whole, size
