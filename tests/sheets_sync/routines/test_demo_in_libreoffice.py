"""The demo's workbook as LibreOffice opens it: converted headless to PDF and to one CSV per
sheet without an error, a create row's Changes whole in the CSV, and on the printed page
every line of it (a row too short would clip its last lines, as the issue saw)."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from canonical.plan import Plan
from reports.plan import DIFF_INNERGY, HEADER_ROW, lines_of
from sheets_sync.cli import app
from sheets_sync.master.tabs import ALL_TABS

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc"
)
CSV_EACH_SHEET = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"
"""Comma, double quote, UTF-8, cells as shown, every sheet to its own file (LibreOffice 7.2+)."""


def _convert(workbook: Path, target: str, out: Path, profile: Path) -> subprocess.CompletedProcess[str]:
    """``soffice --convert-to`` with a profile of its own (two at once would share one)."""
    command = [str(SOFFICE), f"-env:UserInstallation={profile.as_uri()}", "--headless"]
    return subprocess.run(
        [*command, "--convert-to", target, "--outdir", str(out), str(workbook)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Plan]:
    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--dir", str(folder / "demo"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    workbook = Path(summary["workbook"])
    plan = Plan.from_json(Path(summary["steps"]["plan"]["files"]["plan"]).read_text(encoding="utf-8"))
    out, profile = folder / "converted", folder / "profile"
    for target in ("pdf", CSV_EACH_SHEET):
        done = _convert(workbook, target, out, profile)
        assert done.returncode == 0, done.stderr
        assert "error" not in done.stderr.casefold(), done.stderr
    return out, out / f"{workbook.stem}.pdf", plan


def _csv(out: Path, tab: str) -> list[list[str]]:
    [path] = out.glob(f"*-{tab}.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_every_sheet_converts(converted: tuple[Path, Path, Plan]) -> None:
    out, pdf, _ = converted
    assert pdf.stat().st_size > 0
    for tab in ALL_TABS:
        assert _csv(out, tab), tab


def test_a_create_rows_changes_are_whole_in_the_csv(converted: tuple[Path, Path, Plan]) -> None:
    out, _, plan = converted
    rows = _csv(out, DIFF_INNERGY)
    assert rows[0][:2] == ["Plan ID", plan.plan_id]
    header = rows[HEADER_ROW - 1]
    by_id = {row[header.index("Change ID")]: row for row in rows[HEADER_ROW:]}
    creates = [c for c in plan.changes if c.action == "create"]
    assert creates
    for change in creates:
        row = by_id[change.change_id]
        assert row[header.index("Changes")].splitlines() == lines_of(change).splitlines()
        assert row[header.index("Approve")] in ("TRUE", "FALSE")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_every_line_of_a_create_is_on_the_printed_page(converted: tuple[Path, Path, Plan]) -> None:
    _, pdf, plan = converted
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    printed = " ".join(text.split())
    for change in (c for c in plan.changes if c.action == "create"):
        for line in lines_of(change).splitlines():
            assert " ".join(line.split()) in printed, line
        assert re.search(r"(TRUE|FALSE) " + change.change_id, printed), (
            "Approve prints as a boolean, not 1 / 0"
        )
    assert re.search(r"Plan ID\s+" + re.escape(plan.plan_id), text)
