"""Starting matsync loads no backend library: each command imports what it uses.

Every command is a new process (Otto runs one after another), so a library loaded at
start is paid by all of them: numpy through openpyxl alone was a quarter of a second.
"""

from __future__ import annotations

import subprocess
import sys

from tests.fakes.matsync_process import ROOT

HEAVY = ("openpyxl", "pandas", "numpy", "gspread", "python_calamine", "google.auth")


def test_the_cli_and_plan_load_no_backend_library() -> None:
    probe = (
        "import sys, sheets_sync.cli, sheets_sync.connect, sheets_sync.commands.plan;"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "", f"loaded at start: {loaded}"
