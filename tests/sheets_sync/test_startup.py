"""Starting matsync loads no backend library: each command imports what it uses.

Every command is a new process (Otto runs one after another), so a library loaded at
start is paid by all of them: numpy through openpyxl alone was a quarter of a second.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fakes.matsync_process import ROOT

HEAVY = ("openpyxl", "pandas", "numpy", "gspread", "python_calamine", "google.auth", "typer.rich_utils")
"""Backend libraries, and typer's rich formatting (0.14 s), which only an error or --help needs."""


def test_the_cli_and_plan_load_no_backend_library() -> None:
    probe = (
        "import sys, sheets_sync.cli, sheets_sync.connect, sheets_sync.commands.plan;"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "", f"loaded at start: {loaded}"


def test_a_plan_shaped_xlsx_read_and_patched_write_load_no_openpyxl(tmp_path: Path) -> None:
    """Calamine reads, the zip patcher writes a styled DIFF tab (number formats included): openpyxl
    (0.3 s of imports) is for the fallback writer only."""
    import openpyxl

    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "MATERIAL_LIBRARY_MASTER"
    book.active.append(["SKU", "Name", "Cost"])
    book.active.append(["PLY-1", "Birch ply", 12.5])
    book.create_sheet("DIFF_INNERGY").append(["old"])
    book.save(path)
    probe = (
        "import sys; from sheets_sync.workbook.xlsx import XlsxWorkbook;"
        "from sheets_sync.workbook import Rewrite;"
        f"book = XlsxWorkbook(__import__('pathlib').Path({str(path)!r}));"
        "rows = book.read_tabs(['MATERIAL_LIBRARY_MASTER', 'DIFF_INNERGY']);"
        "assert rows['MATERIAL_LIBRARY_MASTER'][1][0] == 'PLY-1', rows;"
        "from sheets_sync.master.tabs import SPECS; from reports.plan import DIFF_INNERGY_HEADER as head;"
        "rows = [['legend'], [], list(head), [False, 'c1', '=1+1', 'PLY-1', 'n', 'x', None, 0.05]];"
        "book.write([Rewrite('DIFF_INNERGY', rows, SPECS['DIFF_INNERGY'].style())]);"
        "assert book.read_tabs(['DIFF_INNERGY'])['DIFF_INNERGY'][3][1:3] == ['c1', '=1+1'];"
        "print(','.join(m for m in ('openpyxl', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"loaded: {done.stdout.strip()}"
