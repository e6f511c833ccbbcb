"""Footers and summary lines: wherever their words sit, never records, each named in the report."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from canonical.models import Library
from ppak_import import run_etl
from reports.etl import etl_markdown

KINDS = {
    "PPak_Materials.csv": "materials",
    "PPak_Projects.csv": "projects",
    "PPak_ProjectMaterials.csv": "lines",
}
FOOTERS = (
    ("Total",),
    ("Total", "7 items"),
    ("Grand Total", "$184,250.00"),
    ("Count: 7",),
    ("Page 2 of 3",),
    ("7 items",),
    ("$1,234.50",),
)
"""Cells of one footer, from a column onwards (in the last column: ending there)."""


def _line(width: int, column: int, cells: tuple[str, ...]) -> tuple[str, str]:
    """A CSV line holding ``cells`` from ``column`` on, and the text the report shows for it."""
    row = [""] * width
    start = column if column + len(cells) <= width else width - len(cells)
    row[start : start + len(cells)] = cells
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(row)
    return out.getvalue(), " | ".join(cells)


def _with_footers(samples: Path, folder: Path, name: str) -> list[tuple[int, str]]:
    """The sample with every footer in its first, second and last column; (line, text) of each."""
    folder.mkdir()
    for path in samples.iterdir():
        shutil.copy(path, folder / path.name)
    text = (samples / name).read_bytes().decode("cp1252")
    width = len(next(csv.reader(io.StringIO(text))))
    lines = text.count("\r\n")
    expected = []
    for column in (0, 1, width - 1):
        for cells in FOOTERS:
            written, shown = _line(width, column, cells)
            text += written
            lines += 1
            expected.append((lines, shown))
    (folder / name).write_bytes(text.encode("cp1252"))
    return expected


@pytest.mark.parametrize("name", list(KINDS))
def test_footers_in_any_column_are_skipped_and_named(tmp_path: Path, ppak_samples: Path, name: str) -> None:
    original = run_etl(ppak_samples, Library())
    expected = _with_footers(ppak_samples, tmp_path / "in", name)

    result = run_etl(tmp_path / "in", Library())

    kind = KINDS[name]
    assert result.records[kind].to_dict("records") == original.records[kind].to_dict("records")
    assert result.problems == original.problems
    entry = next(f for f in result.files if f["file"] == name)
    before = next(f for f in original.files if f["file"] == name)
    assert [(s["row"], s["text"]) for s in entry["summary_lines"]] == expected
    assert entry["skipped"].get("summary line") == len(expected) == 21
    assert entry["rows_read"] == before["rows_read"] + 21
    assert (entry["converted"], entry["reported"]) == (before["converted"], before["reported"])
    markdown = etl_markdown(result.summary())
    for row, shown in expected:
        assert f"| {name} | {row} | {shown.replace('|', chr(92) + '|')} |" in markdown


def _append(path: Path, line: str) -> None:
    path.write_bytes(path.read_bytes() + line.encode("cp1252"))


def test_a_project_or_item_named_total_with_a_valid_key_is_converted(
    tmp_path: Path, ppak_samples: Path
) -> None:
    folder = tmp_path / "in"
    shutil.copytree(ppak_samples, folder)
    _append(folder / "PPak_Projects.csv", "23040,Total Wine & More Store 12,Total Wine,Dayton,OH,,,Bid\r\n")
    _append(folder / "PPak_Projects.csv", "Total,6 projects\r\n")
    item = "Hardware,Hinges,TOTAL-HNG-110,Total hinge 110,EA,EA,1,,,,,,,,,$4.10\r\n"
    _append(folder / "PPak_Materials.csv", item)

    result = run_etl(folder, Library())

    projects = {p["ppak_id"]: p for p in result.records["projects"].to_dict("records")}
    assert projects["23040"]["name"] == "Total Wine & More Store 12"
    assert projects["23040"]["customer"] == "Total Wine"
    assert "Total" not in projects
    materials = {m["sku"]: m for m in result.records["materials"].to_dict("records")}
    assert materials["TOTAL-HNG-110"]["name"] == "Total hinge 110"
    entry = next(f for f in result.files if f["file"] == "PPak_Projects.csv")
    assert entry["summary_lines"] == [{"row": 8, "text": "Total | 6 projects"}]


def test_a_record_without_its_key_is_still_reported_not_skipped(tmp_path: Path, ppak_samples: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(ppak_samples, folder)
    _append(folder / "PPak_Projects.csv", ",Riverside Condos Unit 5A,Hartmann,Covington,KY\r\n")

    result = run_etl(folder, Library())

    assert any(p.row == 7 and "project id is blank" in p.message for p in result.problems)
    entry = next(f for f in result.files if f["file"] == "PPak_Projects.csv")
    assert entry["summary_lines"] == [] and entry["reported"] == 1


def test_a_count_in_the_key_column_is_no_key(tmp_path: Path) -> None:
    """The footer of the issue: ``Total,7 items`` under an export whose first column is the name."""
    (tmp_path / "projects.csv").write_bytes(
        b"Project Name,Project ID,Customer,Status\r\nKitchen,23014,Acme,Bid\r\nTotal,7 items,,\r\n"
    )

    result = run_etl(tmp_path, Library())

    assert result.records["projects"]["ppak_id"].tolist() == ["23014"]
    assert result.files[0]["summary_lines"] == [{"row": 3, "text": "Total | 7 items"}]
