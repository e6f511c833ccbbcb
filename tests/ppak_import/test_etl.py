"""The ETL on the samples and on dirty files: accounting, mappings, traps, stable bytes."""

from __future__ import annotations

import csv
import io
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from canonical.models import Library, Material, PhaseMapping, Project, ProjectLine, SkuMapping, StatusMapping
from canonical.serialize import to_jsonl
from ppak_import import run_etl, write_outputs

LIBRARY = Library(
    statuses=(StatusMapping(ppak_status="In Progress", canonical_status="active", innergy_status="Active"),),
    phases=(PhaseMapping(ppak_phase="Fabrication", canonical_phase="fab", innergy_workflow_step="Shop"),),
    skus=(SkuMapping(ppak_sku="PLYWO34-VC-4X8", canonical_sku="PLY-WO-34"),),
)


def _data_rows(path: Path) -> int:
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path).worksheets[0]
        first = next(r[0].row for r in sheet.iter_rows() if r[0].value == "Code / Description")
        return sheet.max_row - first
    text = path.read_bytes().decode("cp1252")
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1


def test_every_sample_row_is_accounted_for(ppak_samples: Path) -> None:
    result = run_etl(ppak_samples, LIBRARY)
    files = result.summary()["files"]
    assert {f["file"] for f in files} == {p.name for p in ppak_samples.iterdir()}
    for f in files:
        assert f["rows_read"] == _data_rows(ppak_samples / f["file"])
        assert f["rows_read"] == f["converted"] + f["reported"] + sum(f["skipped"].values())
    errors = {(p.source, p.row) for p in result.problems if p.severity == "error"}
    assert sum(f["reported"] for f in files) == len(errors)
    total = sum(f["converted"] for f in files)
    assert total == sum(len(frame) for frame in result.records.values())


def test_outputs_are_canonical_and_byte_identical(ppak_samples: Path, tmp_path: Path) -> None:
    first = write_outputs(run_etl(ppak_samples, LIBRARY), tmp_path / "a")
    second = write_outputs(run_etl(ppak_samples, LIBRARY), tmp_path / "b")
    for (kind, path), model in zip(first.items(), (Material, Project, ProjectLine), strict=True):
        text = path.read_text(encoding="utf-8")
        assert text and text == second[kind].read_text(encoding="utf-8")
        records = [model.model_validate_json(line) for line in text.splitlines()]
        assert to_jsonl(records) == text


def _by(result, kind: str, field: str) -> dict:
    return {r[field]: r for r in result.records[kind].to_dict("records")}


def test_mappings_change_orders_and_traps(ppak_samples: Path) -> None:
    result = run_etl(ppak_samples, LIBRARY)
    projects = result.records["projects"].to_dict("records")
    assert [(p["ppak_id"], p["change_order"]) for p in projects if p["ppak_id"] == "22987"] == [
        ("22987", None),
        ("22987", "CO1"),
    ]
    nurse = next(p for p in projects if p["ppak_id"] == "23014")
    assert (nurse["status"], nurse["innergy_status"], nurse["phase"]) == ("active", "Active", "fab")
    unmapped = result.summary()["unmapped"]
    assert {"value": "Bid", "count": 1, "examples": ["PPak_Projects.csv:5"]} in unmapped["statuses"]
    materials = _by(result, "materials", "sku")
    assert materials["PLY-WO-34"]["ppak_skus"] == ["PLYWO34-VC-4X8"]
    assert materials["PLY-WO-34"]["margin"] == str(Decimal("0.2593"))
    assert materials["WDWOAK44-RS"]["uom"] == "BF"
    lines = result.records["lines"].to_dict("records")
    assert (
        lines[0]["sku"] == "PLY-WO-34" and lines[1]["sku"] is None and lines[1]["ppak_sku"] == "EB-WO-15/16"
    )
    assert lines[3]["project_id"] == "23014"
    messages = {(p.source, p.row, p.severity): p.message for p in result.problems}
    assert "misplaced thousands" in messages[("PPak_Materials.csv", 6, "error")]
    assert "unit trap" in messages[("PPak_Materials.csv", 9, "warning")]
    assert "PPak_Materials.csv row 2" in messages[("PPak_MaterialLibraryExport.xlsx", 6, "error")]


HEADER = "Project ID,Est Rev,Line,Item #,Qty,UOM,Unit Cost,Need By,Notes Col\r\n"
DIRTY = [
    ("23014,1,10,X1,2,GAL,$1204.00,2023-01-01,n", "warning", "priced per PAIL"),
    ("23014,1,20,X1,2,Bd Ft,$9.75/LF,3/28/23,n", "error", "priced per LF"),
    ("23014,1,30,X1,two,EA,1,,n", "error", "not a number"),
    ("23014,1,40,X1,1,EA,$1,39.50,,n", "error", "more fields"),
    ("23014,1,50,X1,1,EA,1,13/45/2023,n", "error", "date"),
    ("23014,1,60,X1,1,Bucket,1,,n", "warning", "no MAP_UOM"),
    (",1,70,X1,1,EA,1,,n", "error", "project id is blank"),
    ("23014 ,1,10 ,X1,1,EA,1,,n", "error", "duplicate"),
]
ITEMS = (
    "Item Code,Description,Division,UOM,Purch UOM,Conv,Price\r\n"
    "X1,Conversion varnish 5 gal,Finishing,GAL,PAIL,5,$240.80\r\n"
)


@pytest.mark.parametrize(("row", "severity", "message"), DIRTY)
def test_dirty_line_values(tmp_path: Path, row: str, severity: str, message: str) -> None:
    (tmp_path / "items.csv").write_bytes(ITEMS.encode("cp1252"))
    first = DIRTY[0][0] if row.startswith("23014 ,") else ""
    body = HEADER + (first + "\r\n" if first else "") + row + "\r\nTotal,,,,,,$99\r\n\r\n"
    (tmp_path / "lines.csv").write_bytes(body.encode("cp1252"))
    result = run_etl(tmp_path, Library())
    line = 3 if first else 2
    found = [
        p for p in result.problems if p.source == "lines.csv" and p.row == line and p.severity == severity
    ]
    assert any(message in p.message for p in found), result.problems
    entry = next(f for f in result.files if f["file"] == "lines.csv")
    assert entry["skipped"] == {"blank line": 1, "summary line": 1}
    assert entry["extra_columns"] == ["Notes Col"]
    assert entry["rows_read"] == entry["converted"] + entry["reported"] + 2
    assert entry["reported"] == (1 if severity == "error" else 0)


def test_nothing_readable(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("hello,world\n1,2\n")
    result = run_etl(tmp_path, Library())
    assert not result.readable
    assert result.files[0]["note"].startswith("no header row")


def test_header_synonyms_and_title_lines(tmp_path: Path, ppak_samples: Path) -> None:
    text = (ppak_samples / "PPak_Materials.csv").read_bytes().decode("cp1252")
    text = "Materials export\r\n\r\n" + text.replace("Item Code", "Part Number", 1)
    (tmp_path / "m.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    shutil.copy(ppak_samples / "PPak_Projects.csv", tmp_path / "whatever.txt")
    result = run_etl(tmp_path, Library())
    kinds = {f["file"]: (f["kind"], f["encoding"], f["header_row"]) for f in result.files}
    assert kinds == {"m.csv": ("materials", "utf-8-sig", 3), "whatever.txt": ("projects", "cp1252", 1)}
    assert any(p.source == "m.csv" and p.row == 8 and "thousands" in p.message for p in result.problems)


def test_a_key_repeated_in_a_later_file_is_reported_naming_the_first(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(
        (HEADER + "23014,1,10,X1,2,EA,1,,n\r\n23014,1,20,X1,2,EA,1,,n\r\n").encode()
    )
    (tmp_path / "b.csv").write_bytes(
        (HEADER + "23015,1,10,X1,2,EA,1,,n\r\n 23014,1,20 ,X1,3,EA,1,,n\r\n").encode()
    )
    result = run_etl(tmp_path, Library())
    assert [r["line"] for r in result.records["lines"].to_dict("records")] == ["10", "20", "10"]
    left_out = [p for p in result.problems if p.message.startswith("duplicate")]
    assert [(p.source, p.row, p.value) for p in left_out] == [("b.csv", 3, "23014 / 1 / 20")]
    assert "a.csv row 3" in left_out[0].message
    kept = next(p for p in result.problems if p.message.startswith("kept;"))
    assert (kept.source, kept.row, kept.severity) == ("a.csv", 3, "warning")
    assert [(f["converted"], f["reported"]) for f in result.files] == [(2, 0), (1, 1)]
