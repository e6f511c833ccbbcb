"""The no-API path: INNERGY's material-import spreadsheet, written and read back.

``write_import_file`` writes the 25 columns of INNERGY's upload sheet, in order, from
canonical materials; text goes in as literal text (a name that starts with ``=`` stays
a name, never a formula). ``read_library_file`` reads INNERGY's material library from an
exported ``.xlsx`` or ``.csv`` of the same columns, for ``plan --innergy-source FILE``;
every row ends as an ``InnergyMaterial`` or a ``Problem`` naming file, row and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from canonical.errors import InnergyFileError
from canonical.models import InnergyMaterial, Problem
from canonical.normalize import (
    XML_FORBIDDEN,
    BadValue,
    clean_text,
    is_blank,
    parse_decimal,
    parse_money,
    parse_percent,
)
from innergy_client.wire import IMPORT_COLUMNS

__all__ = ["read_library_file", "write_import_file"]

COLUMN_FIELDS = {
    "MaterialName": "name",
    "Location": "location",
    "Cost": "cost",
    "Margin": "margin",
    "BudgetGroup": "category",
    "Status": "active",
    "UoMGroup": "uom_group",
    "Description": "description",
    "Note": "notes",
    "DefaultCommonUoM": "common_uom",
    "Weight": "weight",
    "Manufacturer": "manufacturer",
    "ManufacturerSKU": "manufacturer_sku",
    "ExternalID": "external_id",
    "Vendor": "vendor",
    "VendorSKU": "vendor_sku",
    "LeadTime": "lead_time",
    "Id": "innergy_id",
}
"""Import-sheet column -> ``InnergyMaterial`` field. The other columns (GL accounts, MRP
type, stock ...) have no canonical field: written blank, ignored on reading. ``Id`` is
not an import column but INNERGY's exports may carry it."""

_FORMULA_START = ("=", "+", "-", "@")


def _cell_value(field: str, material: InnergyMaterial) -> Any:
    value = getattr(material, field)
    if field == "active":
        return "Active" if value else "Inactive"
    return value


def write_import_file(materials: Iterable[InnergyMaterial], path: Path) -> list[Problem]:
    """Write the import sheet; the materials a spreadsheet cannot hold, as problems.

    A text with control characters (other than tab and newline), U+FFFE or U+FFFF cannot be stored in
    .xlsx: that material is left out and reported, never written altered.
    """
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Materials"
    sheet.append(list(IMPORT_COLUMNS))
    problems: list[Problem] = []
    row = 2
    for material in materials:
        values = [
            _cell_value(COLUMN_FIELDS[c], material) if c in COLUMN_FIELDS else None for c in IMPORT_COLUMNS
        ]
        bad = next(
            (
                (c, v)
                for c, v in zip(IMPORT_COLUMNS, values, strict=True)
                if isinstance(v, str) and XML_FORBIDDEN.search(v)
            ),
            None,
        )
        if bad:
            problems.append(
                Problem(
                    source=path.name,
                    column=bad[0],
                    value=repr(bad[1]),
                    message=f"material {material.external_id or material.name!r} left out: the text "
                    "holds characters a spreadsheet cannot store (control characters, U+FFFE, U+FFFF)",
                )
            )
            continue
        for column, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = sheet.cell(row=row, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # literal text, even when it starts with "="
                if value.startswith(_FORMULA_START):
                    cell.quotePrefix = True
        row += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return problems


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.active
        assert sheet is not None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        book.close()


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="strict")
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    for values in reader:
        yield line, list(values)
        line = reader.line_num + 1


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "cost": lambda raw: None if (m := parse_money(raw)) is None else m.value,
    "margin": parse_percent,
    "weight": lambda raw: parse_decimal(raw, "weight"),
}


def _active(raw: Any) -> bool:
    text = clean_text(raw)
    if text is None or text.casefold() == "active":
        return True
    if text.casefold() == "inactive":
        return False
    raise BadValue(f"status {text!r} is neither Active nor Inactive")


def read_library_file(path: Path) -> tuple[list[InnergyMaterial], list[Problem]]:
    """INNERGY's material library from an exported .xlsx or .csv of the import columns.

    Headers are matched case-insensitively; unknown columns are ignored. Raises
    ``InnergyFileError`` when the file cannot be read or has no ``MaterialName`` column.
    """
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv"):
        raise InnergyFileError(f"{path.name}: INNERGY's library must be an .xlsx or .csv file")
    try:
        rows = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
        _, header = next(rows, (1, []))
        by_name = {str(h).strip().casefold(): i for i, h in enumerate(header) if not is_blank(h)}
        columns = {
            field: by_name[c.casefold()] for c, field in COLUMN_FIELDS.items() if c.casefold() in by_name
        }
        if "name" not in columns:
            raise InnergyFileError(f"{path.name}: row 1 has no MaterialName column (is it INNERGY's export?)")
        materials: list[InnergyMaterial] = []
        problems: list[Problem] = []
        for number, values in rows:
            if all(is_blank(v) for v in values):
                continue
            material = _material(path.name, number, values, columns, header, problems)
            if material is not None:
                materials.append(material)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InnergyFileError(f"cannot read {path.name}: {exc}") from exc
    return materials, problems


def _material(
    source: str,
    number: int,
    values: list[Any],
    columns: dict[str, int],
    header: list[Any],
    problems: list[Problem],
) -> InnergyMaterial | None:
    record: dict[str, Any] = {}
    ok = True
    for field, index in columns.items():
        raw = values[index] if index < len(values) else None
        try:
            parse = _active if field == "active" else _PARSERS.get(field, clean_text)
            record[field] = parse(raw)
        except BadValue as exc:
            ok = False
            problems.append(
                Problem(
                    source=source, row=number, column=str(header[index]), value=str(raw), message=str(exc)
                )
            )
    if ok and record.get("name") is None:
        problems.append(
            Problem(
                source=source, row=number, column="MaterialName", value="", message="MaterialName is blank"
            )
        )
        return None
    return InnergyMaterial(**{k: v for k, v in record.items() if v is not None}) if ok else None
