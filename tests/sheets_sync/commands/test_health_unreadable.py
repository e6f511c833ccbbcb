"""``health`` never calls a migration healthy when an input it is configured to check
cannot be read: the workbook (missing, truncated), INNERGY (unreachable)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sheets_sync.cli import app

runner = CliRunner()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _health(tmp_path: Path, **env: str) -> tuple[int, dict, str]:
    result = runner.invoke(
        app, ["--json", "health"], env={"MIGRATION_OUTPUT_DIR": str(tmp_path / "out"), **env}
    )
    return (
        result.exit_code,
        json.loads(result.stdout),
        (tmp_path / "out" / "reports" / "health.md").read_text(),
    )


def _truncated(tmp_path: Path) -> Path:
    from sheets_sync.workbook import Rewrite
    from sheets_sync.workbook.xlsx import XlsxWorkbook

    path = tmp_path / "library.xlsx"
    XlsxWorkbook(path, create=True).write([Rewrite("MATERIAL_LIBRARY_MASTER", [["SKU"]])])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


@pytest.mark.parametrize("broken", ["missing", "truncated"])
def test_a_workbook_that_cannot_be_read_is_unhealthy_and_named(tmp_path: Path, broken: str) -> None:
    path = tmp_path / "gone.xlsx" if broken == "missing" else _truncated(tmp_path)
    code, body, report = _health(tmp_path, MATERIAL_LIBRARY_MASTER=str(path))
    assert code == 1 and body["healthy"] is False and "inputs_unreadable" in body["failing"]
    assert body["figures"]["inputs_unreadable"] == 1
    assert "the workbook" in report and path.name in report


def test_innergy_that_cannot_be_reached_is_unhealthy_and_named(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    code, body, report = _health(tmp_path, INNERGY_BASE_URL=url, INNERGY_API_KEY="sandbox-key")
    assert code == 1 and "inputs_unreadable" in body["failing"]
    assert "INNERGY (INNERGY could not be read" in report


def test_inputs_not_configured_are_reported_not_failed(tmp_path: Path) -> None:
    _, body, _ = _health(tmp_path)
    assert body["figures"]["inputs_unreadable"] == 0 and "inputs_unreadable" not in body["failing"]
