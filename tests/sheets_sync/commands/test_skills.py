"""The Otto manifest: every command line runs in this CLI, every variable is one we read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sheets_sync.cli import app
from sheets_sync.commands.skills import SKILLS, Skill
from sheets_sync.config import ENV_VARS
from sheets_sync.store.journal import ACTOR_ENV

runner = CliRunner()
OTTO_SKILLS = {
    "run_ppak_export_etl",
    "run_innergy_project_import",
    "sync_innergy_material_library",
    "migration_health_check",
}


def _accepted(argv: tuple[str, ...]) -> bool:
    """Whether this CLI parses the command line (``--help`` stops it before it runs)."""
    assert argv[0] == "matsync"
    result = runner.invoke(app, [*argv[1:], "--help"])
    return result.exit_code == 0 and "Usage:" in result.stdout


def test_the_four_skills_are_in_the_manifest() -> None:
    assert {s.name for s in SKILLS} == OTTO_SKILLS


@pytest.mark.parametrize("skill", SKILLS, ids=lambda s: s.name)
def test_every_command_line_is_one_this_cli_accepts(skill: Skill) -> None:
    for argv in (skill.command, skill.dry_run):
        if argv is not None:
            assert "--json" in argv
            assert _accepted(argv), argv


def test_a_command_line_that_does_not_exist_would_be_caught() -> None:
    assert not _accepted(("matsync", "--json", "sync-everything"))
    assert not _accepted(("matsync", "--json", "nightly", "--force"))


@pytest.mark.parametrize("skill", SKILLS, ids=lambda s: s.name)
def test_every_variable_named_is_one_the_configuration_reads(skill: Skill) -> None:
    known = {*ENV_VARS.values(), ACTOR_ENV}
    assert set(skill.requires) | set(skill.optional) <= known
    assert not set(skill.requires) & set(skill.optional)


@pytest.mark.parametrize("skill", SKILLS, ids=lambda s: s.name)
def test_exit_codes_are_the_contract_ones(skill: Skill) -> None:
    codes = [int(code) for code, _ in skill.exit_codes]
    assert codes[0] == 0 and set(codes) <= {0, 1, 2, 3, 4, 130, 143}
    assert (4 in codes) == (skill.name == "sync_innergy_material_library")  # only nightly locks
    writes_innergy = {"sync_innergy_material_library", "run_innergy_project_import"}
    assert ({130, 143} <= set(codes)) == (skill.name in writes_innergy)  # a signal interrupts them


def test_skills_json_prints_the_manifest_without_any_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MATERIAL_LIBRARY_MASTER", raising=False)
    result = runner.invoke(app, ["skills", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [s["name"] for s in printed["skills"]] == [s.name for s in SKILLS]
    nightly = next(s for s in printed["skills"] if s["name"] == "sync_innergy_material_library")
    assert nightly["command"] == ["matsync", "--json", "nightly"] and nightly["exit_codes"]["4"]
    human = runner.invoke(app, ["skills"])
    assert human.exit_code == 0 and "matsync --json projects-import" in human.stdout
