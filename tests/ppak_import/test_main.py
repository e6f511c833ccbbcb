"""``python -m ppak_import`` runs the ETL alone and accounts for every file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ppak_import", *args], capture_output=True, text=True, check=False
    )


def test_the_samples_convert_without_a_workbook(ppak_samples: Path, tmp_path: Path) -> None:
    result = run("--export-dir", str(ppak_samples), "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"]["files_read"] == 4
    assert summary["counts"]["projects"] == 5
    assert (tmp_path / "canonical" / "projects.jsonl").read_text(encoding="utf-8").count("\n") == 5
    assert summary["unmapped"]["statuses"], "without MAP_STATUS every status is unmapped"


def test_nothing_readable_exits_1(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("just,some\nother,file\n")
    result = run("--export-dir", str(tmp_path), "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 1
    assert json.loads(result.stdout)["counts"]["files_read"] == 0
