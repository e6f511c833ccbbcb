"""A read-only workbook is the owner's word: refused, never replaced, its bytes and mode kept."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from canonical.errors import WorkbookError
from sheets_sync.workbook import Rewrite
from sheets_sync.workbook.xlsx import XlsxWorkbook


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "library.xlsx"


def _open(path: Path, create: bool = False) -> XlsxWorkbook:
    return XlsxWorkbook(path, create=create)


def test_a_read_only_workbook_is_refused_and_left_exactly_as_it_was(path: Path) -> None:
    _open(path, create=True).write([Rewrite("T", [["x"]])])
    path.chmod(0o444)
    before = path.read_bytes()
    with pytest.raises(WorkbookError, match="is read-only") as refused:
        _open(path).write([Rewrite("T", [["y"]])])
    assert "chmod u+w" in str(refused.value.hint)
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444


RUN_AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run matsync as another user (nobody) against root's file",
)
def test_a_read_only_workbook_of_another_user_is_refused_by_the_cli() -> None:
    """Run as ``nobody`` in a folder it may write, on a 0444 file root owns: exit 1, unchanged."""
    folder = Path(tempfile.mkdtemp(prefix="matsync-nobody-"))  # pytest's own folders are root's only
    try:
        folder.chmod(0o777)
        book = folder / "library.xlsx"
        _open(book, create=True).write([Rewrite("MATERIAL_LIBRARY_MASTER", [["SKU"]])])
        book.chmod(0o444)
        before = book.read_bytes()
        result = subprocess.run(
            [*RUN_AS_NOBODY, sys.executable, "-m", "sheets_sync", "--workbook", str(book),
             "--output-dir", str(folder / "out"), "init-sheet"],
            capture_output=True, text=True, env={**os.environ, "HOME": str(folder)}, cwd=folder,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        assert "is read-only" in result.stderr
        assert book.read_bytes() == before and stat.S_IMODE(book.stat().st_mode) == 0o444
        assert book.stat().st_uid == 0
    finally:
        shutil.rmtree(folder)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run matsync as another user (nobody) beside root's .env",
)
def test_a_dotenv_this_user_cannot_read_is_a_clear_error() -> None:
    folder = Path(tempfile.mkdtemp(prefix="matsync-nobody-"))
    try:
        folder.chmod(0o711)
        (folder / ".env").write_text("INNERGY_API_KEY=root-only\n")
        (folder / ".env").chmod(0o600)
        result = subprocess.run(
            [*RUN_AS_NOBODY, sys.executable, "-m", "sheets_sync", "history"],
            capture_output=True, text=True, env={**os.environ, "HOME": "/"}, cwd=folder,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        assert "cannot read" in result.stderr and ".env" in result.stderr
        assert "unexpected error" not in result.stderr and "root-only" not in result.stderr
    finally:
        shutil.rmtree(folder)
