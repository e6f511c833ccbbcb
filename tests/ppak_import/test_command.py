"""``matsync ppak-import``: files written, counts in --json, exit 1 when nothing is readable."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sheets_sync.cli import app


def _run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["--json", "ppak-import", *args], env={"MATERIAL_LIBRARY_MASTER": ""})
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def test_samples_convert_with_counts(ppak_samples: Path, tmp_path: Path) -> None:
    code, body = _run("--export-dir", str(ppak_samples), "--output-dir", str(tmp_path))
    assert code == 0 and body["ok"] and body["workbook"] is None
    assert (body["materials"], body["projects"], body["project_lines"]) == (12, 5, 5)
    assert (tmp_path / "reports" / "etl_report.md").read_text(encoding="utf-8").startswith("# PPak ETL")
    html = Path(body["written"]["report_html"]).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert (tmp_path / "canonical" / "project_lines.jsonl").read_text(encoding="utf-8").count("\n") == 5


def test_nothing_readable_exits_1(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "readme.txt").write_text("nothing here\n")
    code, body = _run("--export-dir", str(tmp_path / "in"), "--output-dir", str(tmp_path / "out"))
    assert code == 1 and body["ok"] is False and body["files_read"] == 0
