"""Otto's contract: with ``--json`` every exit prints exactly one JSON object, valid against
the schema shipped in the package (the one ``matsync skills`` names): on success, exit 3,
failure and usage error, for every command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from sheets_sync.cli import app
from sheets_sync.commands.skills import outcome_schema_path
from tests.fakes import push_world
from tests.fakes.push_world import World, part, seed_innergy, xlsx_world

sandbox = push_world.sandbox
runner = CliRunner()
SCHEMA = json.loads(outcome_schema_path().read_text(encoding="utf-8"))
COMMANDS = {c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands if c.callback}


def _one_object(args: list[str], env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["--json", *args], env=env)
    body = json.loads(result.stdout)  # the whole of stdout: one object, nothing around it
    jsonschema.validate(body, SCHEMA)
    assert body["exit_code"] == result.exit_code and body["ok"] is (result.exit_code in (0, 3)), body
    return result.exit_code, body


@pytest.fixture
def world(tmp_path: Path, sandbox: Any) -> Iterator[World]:
    seed_innergy(sandbox, [part(n) for n in range(3)])
    yield xlsx_world(tmp_path, sandbox, [part(n, "9.00") for n in range(3)] + [part(7)])


def _env(world: World) -> dict[str, str]:
    return {
        "MATERIAL_LIBRARY_MASTER": str(world.settings.workbook),
        "MIGRATION_OUTPUT_DIR": str(world.settings.output_dir),
        "INNERGY_BASE_URL": world.settings.innergy_base_url,
        "INNERGY_API_KEY": world.sandbox.api_key,
        "PPAK_EXPORT_DIR": str(Path(__file__).resolve().parents[3] / "shared" / "samples" / "ppak"),
    }


def test_the_commands_known_here_are_the_ones_the_cli_has() -> None:
    assert {"plan", "push", "nightly", "health", "skills", "undo", "history", "demo"} <= set(COMMANDS)


def test_success_and_exit_3_on_the_daily_cycle(world: World) -> None:
    env = _env(world)
    seen = {}
    for args in (["init-sheet"], ["pull"], ["plan"], ["history"], ["skills"], ["push"], ["push", "--dry-run"],
                 ["health"], ["nightly"], ["check-innergy-spec", "--from-innergy"]):  # fmt: skip
        code, body = _one_object(args, env)
        seen[args[0]] = code
        assert body["command"] == args[0]
    assert seen["plan"] == 3 and seen["pull"] == 0 and seen["skills"] == 0
    world.tick(["P-0000", "P-0007"])
    code, pushed = _one_object(["push"], env)
    assert code == 0 and pushed["applied"] == 2
    code, undone = _one_object(["undo", "--run", pushed["run_id"], "--dry-run"], env)
    assert undone["command"] == "undo"


@pytest.mark.parametrize(
    "command", ["init-sheet", "pull", "plan", "push", "nightly", "health", "export-import-file"]
)
def test_a_failure_is_one_object_with_its_error(tmp_path: Path, command: str) -> None:
    env = {"MATERIAL_LIBRARY_MASTER": str(tmp_path / "missing" / "nowhere.csv"),
           "MIGRATION_OUTPUT_DIR": str(tmp_path / "out")}  # fmt: skip
    code, body = _one_object([command], env)
    assert code == 1 and body["command"] == command and body["error"]


@pytest.mark.parametrize("args", [["no-such-command"], ["plan", "--no-such-flag"], ["health", "--max"],
                                  ["undo"], ["push", "extra-argument"]])  # fmt: skip
def test_a_usage_error_is_one_object_with_exit_2(tmp_path: Path, args: list[str]) -> None:
    code, body = _one_object(args, {"MIGRATION_OUTPUT_DIR": str(tmp_path)})
    assert code == 2 and body["ok"] is False and body["error"]
    assert body["command"] == (args[0] if args[0] in COMMANDS else "matsync")


def test_the_schema_refuses_what_otto_could_not_rely_on() -> None:
    """The schema is a real check: an object without ``ok``, or ``ok`` wrong for its exit."""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"command": "plan", "exit_code": 0}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"command": "push", "ok": False, "exit_code": 3}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"command": "push", "ok": False, "exit_code": 1}, SCHEMA)  # no error


def test_skills_points_at_the_schema() -> None:
    result = runner.invoke(app, ["--json", "skills"])
    assert Path(json.loads(result.stdout)["outcome_schema"]) == outcome_schema_path()
    assert outcome_schema_path().is_file()
