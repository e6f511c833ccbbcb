"""INNERGY's material-import sheet: written in INNERGY's columns, read back exactly."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from canonical import InnergyMaterial
from canonical.errors import InnergyFileError
from innergy_client import read_library_file, write_import_file
from innergy_client.wire import IMPORT_COLUMNS

ROWS = [
    InnergyMaterial(
        external_id="PLY-1", name="=SUM(A1:A9)", cost=Decimal("2.1875"), margin=Decimal("0.35"),
        category="Sheet Goods", uom_group="SF", common_uom="4'x8'", active=False, notes="+1 call me",
    ),
    InnergyMaterial(external_id="HW-2", name="Hinge, 110°", cost=Decimal("4"), weight=Decimal("0.2")),
]  # fmt: skip


def test_the_sheet_has_innergys_25_columns_in_order_and_literal_text(tmp_path: Path) -> None:
    path = tmp_path / "import.xlsx"
    assert write_import_file(ROWS, path) == []
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert len(IMPORT_COLUMNS) == 25
    assert [c.value for c in sheet[1]] == list(IMPORT_COLUMNS)
    name = sheet.cell(row=2, column=1)
    assert (name.value, name.data_type) == ("=SUM(A1:A9)", "s")
    assert sheet.cell(row=2, column=IMPORT_COLUMNS.index("Status") + 1).value == "Inactive"


def test_what_is_written_reads_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "import.xlsx"
    write_import_file(ROWS, path)
    materials, problems = read_library_file(path)
    assert problems == [] and materials == ROWS


def test_naughty_strings_survive_the_file_or_are_reported(tmp_path: Path, naughty_strings: list[str]) -> None:
    rows = [InnergyMaterial(external_id=f"N-{n}", name=f"#{n}", description=text or None)
            for n, text in enumerate(naughty_strings)]  # fmt: skip
    path = tmp_path / "naughty.xlsx"
    problems = write_import_file(rows, path)
    left_out = {p.message.split("'")[1] for p in problems}
    assert problems and all(p.column == "Description" for p in problems)
    materials, read_problems = read_library_file(path)
    assert read_problems == []
    expected = [r for r in rows if r.external_id not in left_out]
    assert [(m.external_id, m.description) for m in materials] == [
        (r.external_id, (r.description or "").strip() or None) for r in expected
    ]


def test_a_csv_export_with_bad_cells_gives_problems_with_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "innergy.csv"
    path.write_bytes(
        "materialname,Cost,Margin,Status,ExternalID,Note\r\n"
        'Oak 4/4,$7.50,35%,Active,OAK-44,"two\r\nlines"\r\n'
        'Ash 4/4,"$1,39.50",,Active,ASH-44,\r\n'
        ",3,,,NONAME,\r\n"
        "Café,abc,,Retired,CAFE,\r\n".encode("cp1252")
    )
    materials, problems = read_library_file(path)
    assert [(m.name, m.cost, m.margin, m.notes) for m in materials] == [
        ("Oak 4/4", Decimal("7.50"), Decimal("0.35"), "two\r\nlines")
    ]
    found = {(p.row, p.column): p.value for p in problems}
    assert found == {(4, "Cost"): "$1,39.50", (5, "MaterialName"): "",
                     (6, "Cost"): "abc", (6, "Status"): "Retired"}  # fmt: skip
    assert all(p.source == "innergy.csv" for p in problems)


def test_a_file_that_is_not_innergys_export_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("SKU,Name\nA,B\n", encoding="utf-8")
    with pytest.raises(InnergyFileError, match="no MaterialName column"):
        read_library_file(path)
    with pytest.raises(InnergyFileError, match=r"\.xlsx or \.csv"):
        read_library_file(tmp_path / "library.pdf")
