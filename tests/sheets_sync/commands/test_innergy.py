"""`matsync check-innergy-spec` end to end, and the bad-key path against the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from innergy_client.sandbox import Sandbox, running_sandbox
from innergy_client.spec import openapi_document
from sheets_sync.cli import app

SECRET = "tenant-key-5be1f0c2a9d4"
runner = CliRunner()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as running:
        yield running


def matsync(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("INNERGY_", "MATERIAL_"))}
    return subprocess.run(
        [sys.executable, "-m", "sheets_sync", *args], cwd=cwd, env={**environment, **env},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("as_json", [False, True])
def test_a_bad_key_exits_1_with_one_line_and_the_key_nowhere(
    sandbox: Sandbox, tmp_path: Path, as_json: bool
) -> None:
    args = ["--json"] * as_json + ["check-innergy-spec", "--from-innergy"]
    result = matsync(args, tmp_path, INNERGY_BASE_URL=sandbox.url, INNERGY_API_KEY=SECRET)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("matsync: INNERGY answered GET /api/version with a web page")
    assert "INNERGY_API_KEY" in line
    assert SECRET not in result.stdout + result.stderr
    if as_json:
        assert json.loads(result.stdout)["ok"] is False
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(SECRET not in p.read_text(errors="replace") for p in written)


def test_the_check_against_the_live_sandbox_is_a_full_match(sandbox: Sandbox, tmp_path: Path) -> None:
    result = matsync(
        ["--json", "check-innergy-spec", "--from-innergy"], tmp_path,
        INNERGY_BASE_URL=sandbox.url, INNERGY_API_KEY=sandbox.api_key,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["ok"] is True and set(summary["counts"]) == {"match"}


def test_an_edited_spec_file_exits_1_and_names_the_finding(tmp_path: Path) -> None:
    doc = openapi_document()
    del doc["components"]["schemas"]["MaterialWrite"]["properties"]["ExternalId"]
    path = tmp_path / "innergy.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["check-innergy-spec", str(path)])
    assert result.exit_code == 1
    assert "request missing ExternalId: the document has no such field" in result.output
    good = tmp_path / "good.json"
    good.write_text(json.dumps(openapi_document()), encoding="utf-8")
    assert runner.invoke(app, ["check-innergy-spec", str(good)]).exit_code == 0


def test_neither_file_nor_from_innergy_is_a_usage_error(tmp_path: Path) -> None:
    assert runner.invoke(app, ["check-innergy-spec"]).exit_code == 2
