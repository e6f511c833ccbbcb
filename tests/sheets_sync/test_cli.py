"""The CLI frame: complete help, global flags anywhere, contract exit codes, no secrets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sheets_sync.cli import app

REPO = Path(__file__).resolve().parents[2]
CONTRACT_COMMANDS = [
    "init-sheet", "pull", "ppak-import", "plan", "push", "nightly", "projects-import", "health",
    "export-import-file", "sandbox", "demo", "skills", "history", "undo", "check-innergy-spec",
]  # fmt: skip
runner = CliRunner()


def registered() -> list[str]:
    return [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]  # type: ignore[union-attr]


def test_every_contract_command_is_registered() -> None:
    assert sorted(registered()) == sorted(CONTRACT_COMMANDS)


def test_top_level_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for name in CONTRACT_COMMANDS:
        assert re.search(rf"\b{re.escape(name)}\b", result.output), name


@pytest.mark.parametrize("name", CONTRACT_COMMANDS)
def test_every_command_has_help_text(name: str) -> None:
    command = next(
        c for c in app.registered_commands if (c.name or c.callback.__name__.replace("_", "-")) == name
    )  # type: ignore[union-attr]
    doc = (command.callback.__doc__ or "").strip()  # type: ignore[union-attr]
    assert len(doc) > 20, f"{name} has no help text"
    result = runner.invoke(app, [name, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert doc.splitlines()[0][:30] in " ".join(result.output.split())


@pytest.mark.parametrize("name", ["", *CONTRACT_COMMANDS])
def test_help_reads_as_a_person_types_it(name: str) -> None:
    """No type names where a flag takes no value; the global options in every command's help."""
    result = runner.invoke(app, [*([name] if name else []), "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "<bool>" not in result.output and "<list[" not in result.output
    for option in ("--json", "--verbose", "--workbook", "--output-dir"):
        assert option in result.output, (name, option)
    if name:
        assert "Global options" in result.output


def test_version() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"matsync {version('matsync')}"


@pytest.mark.parametrize("name", CONTRACT_COMMANDS)
def test_every_command_is_documented_in_the_readme(name: str) -> None:
    assert f"matsync {name}" in (REPO / "README.md").read_text(encoding="utf-8")


def test_unknown_command_is_a_usage_error() -> None:
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


@pytest.mark.parametrize("args", [["--json", "pull"], ["pull", "--json"]])
def test_json_before_or_after_the_command(args: list[str], tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MATERIAL_LIBRARY_MASTER", raising=False)
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["ok"] is False
    assert "MATERIAL_LIBRARY_MASTER" in summary["error"]


def test_valued_global_option_after_the_command(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "nope.xlsx"
    result = runner.invoke(app, ["pull", "--workbook", str(missing), "--json"])
    assert result.exit_code == 1
    assert "does not exist" in json.loads(result.stdout)["error"]


def test_errors_are_one_line_without_the_key(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    secret = "sk-live-0123456789abcdef"
    monkeypatch.setenv("INNERGY_API_KEY", secret)
    monkeypatch.setenv("MATERIAL_LIBRARY_MASTER", f"https://example.com/{secret}")
    result = runner.invoke(app, ["pull"])
    assert result.exit_code == 1
    assert secret not in result.output
    assert "[redacted]" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("as_json", [False, True])
def test_a_hint_is_printed_on_its_own_line(as_json: bool, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MIGRATION_OUTPUT_DIR", raising=False)
    result = runner.invoke(app, ["--json"] * as_json + ["projects-import"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"matsync: no canonical projects at {Path('migration_output/canonical/projects.jsonl')}",
        "matsync: hint: run `matsync ppak-import` first",
    ]
    if as_json:
        summary = json.loads(result.stdout)
        assert summary["ok"] is False and summary["hint"] == "run `matsync ppak-import` first"
        assert "ppak-import" not in summary["error"]
