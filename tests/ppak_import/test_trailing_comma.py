"""Excel's trailing comma: the samples re-saved with one on every line convert exactly as before."""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import pytest

from canonical.models import Library, PhaseMapping, SkuMapping, StatusMapping
from ppak_import import run_etl, write_outputs
from reports.etl import etl_markdown

LIBRARY = Library(
    statuses=(StatusMapping(ppak_status="In Progress", canonical_status="active", innergy_status="Active"),),
    phases=(PhaseMapping(ppak_phase="Fabrication", canonical_phase="fab", innergy_workflow_step="Shop"),),
    skus=(SkuMapping(ppak_sku="PLYWO34-VC-4X8", canonical_sku="PLY-WO-34"),),
)
CSVS = ("PPak_Materials.csv", "PPak_Projects.csv", "PPak_ProjectMaterials.csv")


def _resave(text: str, newline: str, encoding: str) -> bytes:
    """Every line, the header included, ending with a comma (the samples hold no quoted line breaks)."""
    lines = text.replace("\r\n", "\n").split("\n")
    body = newline.join(line + "," if line else line for line in lines)
    return (codecs.BOM_UTF8 if encoding == "utf-8-sig" else b"") + body.encode(encoding.removesuffix("-sig"))


def _folder(folder: Path, samples: Path, newline: str | None = None, encoding: str = "cp1252") -> Path:
    folder.mkdir()
    for path in samples.iterdir():
        if path.name in CSVS and newline is not None:
            (folder / path.name).write_bytes(_resave(path.read_bytes().decode("cp1252"), newline, encoding))
        else:
            shutil.copy(path, folder / path.name)
    return folder


@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["crlf", "lf"])
@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_resaved_samples_give_the_same_canonical_output_row_for_row(
    tmp_path: Path, ppak_samples: Path, newline: str, encoding: str
) -> None:
    original = run_etl(_folder(tmp_path / "original", ppak_samples), LIBRARY)
    resaved = run_etl(_folder(tmp_path / "resaved", ppak_samples, newline, encoding), LIBRARY)

    for kind, frame in original.records.items():
        assert len(frame) > 0
        assert resaved.records[kind].to_dict("records") == frame.to_dict("records"), kind
    assert resaved.problems == original.problems
    written = write_outputs(original, tmp_path / "out-original")
    again = write_outputs(resaved, tmp_path / "out-resaved")
    assert {k: p.read_bytes() for k, p in again.items()} == {k: p.read_bytes() for k, p in written.items()}
    before = {f["file"]: f for f in original.files}
    for entry in resaved.files:
        counts = ("rows_read", "converted", "reported", "skipped", "summary_lines")
        assert {k: entry.get(k) for k in counts} == {k: before[entry["file"]].get(k) for k in counts}
        if entry["file"] in CSVS:
            assert entry["encoding"] == encoding
            assert [n for n in entry["notes"] if "trailing comma" in n] == [entry["notes"][0]]
            assert before[entry["file"]]["notes"] == []
            assert f"| {entry['file']} | {entry['notes'][0]} |" in etl_markdown(resaved.summary())


def test_a_row_with_more_non_empty_fields_than_the_header_is_still_reported(
    tmp_path: Path, ppak_samples: Path
) -> None:
    folder = _folder(tmp_path / "in", ppak_samples, "\r\n", "cp1252")
    path = folder / "PPak_Projects.csv"
    spill = "23050,Kitchen,Acme,Dayton,OH,JDM,,Bid,Estimating,,,,$1,200.00,,Custom,Commercial,note,\r\n"
    path.write_bytes(path.read_bytes() + spill.encode("cp1252"))

    result = run_etl(folder, LIBRARY)

    (problem,) = [p for p in result.problems if p.source == "PPak_Projects.csv" and p.row == 7]
    assert "more fields than the header's 17" in problem.message and problem.value == "note"
    assert "23050" not in result.records["projects"]["ppak_id"].tolist()
    entry = next(f for f in result.files if f["file"] == "PPak_Projects.csv")
    assert (entry["converted"], entry["reported"]) == (5, 1)
