"""The library report's formulas: a result saved in the file is read, a formula with none is
reported with its row, column and formula, never read as a blank cell."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from canonical.models import Library
from ppak_import import run_etl

REPORT = "PPak_MaterialLibraryExport.xlsx"
PRICE, VENDOR = "F", "M"
FIRST_ITEM, SECOND_ITEM = 6, 7
"""The sample's first two item rows (3/4" White Oak, then Maple), both in Sheet Goods."""


def _with_formulas(samples: Path, folder: Path, formulas: dict[str, str]) -> Path:
    """The sample report with ``formulas`` (cell -> formula) written in, as openpyxl saves
    them: the formula only, no result."""
    folder.mkdir()
    book = openpyxl.load_workbook(samples / REPORT)
    for cell, formula in formulas.items():
        book.worksheets[0][cell] = formula
    book.save(folder / REPORT)
    return folder / REPORT


def _patch_sheet(path: Path, change) -> None:
    """Rewrite the first worksheet part of ``path`` through ``change`` (bytes -> bytes), as
    another program would have written it."""
    with zipfile.ZipFile(path) as book:
        parts = {item: book.read(item) for item in book.namelist()}
    parts["xl/worksheets/sheet1.xml"] = change(parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for item, data in parts.items():
            book.writestr(item, data)


def _entry(result) -> dict:
    return next(f for f in result.files if f["file"] == REPORT)


def _skus(result) -> set[str]:
    return set(result.records["materials"]["ppak_skus"].map(lambda codes: codes[0]))


def test_a_formula_with_no_result_is_reported_not_read_as_blank(ppak_samples: Path, tmp_path: Path) -> None:
    alone = tmp_path / "sample"
    alone.mkdir()
    shutil.copy(ppak_samples / REPORT, alone)
    before = run_etl(alone, Library())
    path = _with_formulas(
        ppak_samples,
        tmp_path / "exports",
        {f"{PRICE}{FIRST_ITEM}": "=142.85*1", f"{VENDOR}{SECOND_ITEM}": '="Rehau"'},
    )
    result = run_etl(path.parent, Library())

    was_found = {(p.row, p.message) for p in before.problems}
    found = [p for p in result.problems if (p.row, p.message) not in was_found]
    assert [(p.row, p.column, p.value) for p in found] == [
        (FIRST_ITEM, "Price", "=142.85*1"),
        (SECOND_ITEM, "Vendor", '="Rehau"'),
    ]
    assert all(
        p.severity == "error" and "no saved result" in p.message and "LibreOffice" in p.message for p in found
    )
    assert not any("blank" in p.message for p in result.problems if p.source == REPORT)
    entry, was = _entry(result), _entry(before)
    assert entry["rows_read"] == was["rows_read"]
    assert entry["reported"] == was["reported"] + 2
    assert entry["converted"] + entry["reported"] + sum(entry["skipped"].values()) == entry["rows_read"]
    assert {"PLYWO34-VC-4X8", "PLYMAP34-MDF-4X8"}.isdisjoint(_skus(result))


def test_a_formula_whose_result_is_saved_reads_as_the_result(ppak_samples: Path, tmp_path: Path) -> None:
    path = _with_formulas(ppak_samples, tmp_path / "exports", {f"{PRICE}{FIRST_ITEM}": "=142.85*2"})
    cell = rb'(<c r="' + f"{PRICE}{FIRST_ITEM}".encode() + rb'"[^>]*>)<f>([^<]*)</f>(<v\s*/>|<v></v>)?'
    _patch_sheet(path, lambda xml: re.sub(cell, rb"\1<f>\2</f><v>285.7</v>", xml, count=1))
    result = run_etl(path.parent, Library())

    assert not [p for p in result.problems if p.row == FIRST_ITEM and p.severity == "error"]
    oak = next(
        r for r in result.records["materials"].to_dict("records") if r["ppak_skus"] == ["PLYWO34-VC-4X8"]
    )
    assert oak["cost"] == "285.7"


def test_a_shared_formulas_later_cells_are_found(ppak_samples: Path, tmp_path: Path) -> None:
    """A shared formula names its text once; the cells after the first hold only its index."""
    path = _with_formulas(
        ppak_samples, tmp_path / "exports", {f"{PRICE}{FIRST_ITEM}": "=1+1", f"{PRICE}{SECOND_ITEM}": "=1+1"}
    )

    def share(xml: bytes) -> bytes:
        first, second = (f"{PRICE}{row}".encode() for row in (FIRST_ITEM, SECOND_ITEM))
        head = rb'<f t="shared" ref="' + first + b":" + second + rb'" si="0">1+1</f>'
        xml = re.sub(rb'(<c r="' + first + rb'"[^>]*>)<f>1\+1</f>(<v\s*/>|<v></v>)?', rb"\1" + head, xml)
        return re.sub(
            rb'(<c r="' + second + rb'"[^>]*>)<f>1\+1</f>(<v\s*/>|<v></v>)?',
            rb'\1<f t="shared" si="0"/>',
            xml,
        )

    _patch_sheet(path, share)
    result = run_etl(path.parent, Library())

    found = {
        (p.row, p.column) for p in result.problems if p.source == REPORT and "no saved result" in p.message
    }
    assert found == {(FIRST_ITEM, "Price"), (SECOND_ITEM, "Price")}


@pytest.mark.parametrize("text", ["=", "=not a formula", "==1"])
def test_text_that_starts_with_an_equals_sign_is_text(ppak_samples: Path, tmp_path: Path, text: str) -> None:
    """A cell typed as text is no formula, whatever it starts with: it is read as written."""
    folder = tmp_path / "exports"
    folder.mkdir()
    book = openpyxl.load_workbook(ppak_samples / REPORT)
    cell = book.worksheets[0][f"{VENDOR}{FIRST_ITEM}"]
    cell.value, cell.data_type = text, "s"
    book.save(folder / REPORT)
    result = run_etl(folder, Library())

    assert not [p for p in result.problems if p.row == FIRST_ITEM and p.severity == "error"]
    oak = next(
        r for r in result.records["materials"].to_dict("records") if r["ppak_skus"] == ["PLYWO34-VC-4X8"]
    )
    assert oak["vendor"] == text


def _truncated(xml: bytes) -> bytes:
    return xml[: len(xml) // 2]


def _garbled_deflate(path: Path) -> None:
    """Flip bytes inside the worksheet part's deflate stream, leaving the package whole."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as book:
        info = book.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for at in range(start + 20, start + 60):
        data[at] ^= 0x55
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["not a zip", "truncated XML", "garbled deflate"])
def test_a_damaged_report_is_noted_and_the_other_files_are_read(
    ppak_samples: Path, tmp_path: Path, damage: str
) -> None:
    path = _with_formulas(ppak_samples, tmp_path / "exports", {})
    if damage == "not a zip":
        path.write_bytes(b"Code / Description,Price\r\nX,1\r\n")
    elif damage == "truncated XML":
        _patch_sheet(path, _truncated)
    else:
        _garbled_deflate(path)
    shutil.copy(ppak_samples / "PPak_Materials.csv", path.parent)
    result = run_etl(path.parent, Library())

    assert _entry(result)["note"].startswith("cannot be read as a workbook, the file is damaged: ")
    read = next(f for f in result.files if f["file"] == "PPak_Materials.csv")
    assert read["converted"] > 0
