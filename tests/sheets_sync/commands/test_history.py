"""``matsync history`` over a real journal: runs newest first, one run field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sheets_sync.cli import app
from sheets_sync.commands.history import field_changes, history
from sheets_sync.config import Settings
from sheets_sync.store.journal import Journal

runner = CliRunner()
BEFORE = {"Id": "m-1", "ExternalId": "PLY-1", "Name": "Birch ply", "Cost": {"Value": "41.50"}}
AFTER = {**BEFORE, "Name": "Birch ply =1+1", "Cost": {"Value": "43.00"}}


@pytest.fixture
def journalled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """Three finished runs (a push, a nightly by Otto, an undo of the push)."""
    with Journal.open(tmp_path / "state.db") as journal:
        push = journal.start_run("push", actor="dana", plan_id="plan-1")
        update = journal.intend(push, "innergy.material", "update", "PLY-1", BEFORE, AFTER, "c-1", "plan-1")
        journal.mark_done(update, innergy_id="m-1", answer={**AFTER, "ModifiedOn": "2026-11-24T10:00:00Z"})
        create = journal.intend(
            push, "innergy.material", "create", "MDF-2", None, {"Name": "MDF"}, "c-2", "plan-1"
        )
        journal.mark_failed(create, "400: UoM group unknown")
        journal.finish_run(push, "failed", {"updated": 1, "failed": 1, "created": 0})
        monkeypatch.setenv("MATSYNC_ACTOR", "otto")
        nightly = journal.start_run("nightly", plan_id="plan-2")
        journal.finish_run(nightly, "ok", {"updated": 0})
        undo = journal.start_run("undo", undo_of=push)
        journal.finish_run(undo, "ok", {"updated": 1})
    return tmp_path, [push, nightly, undo]


def test_runs_are_listed_newest_first_with_actor_and_counts(journalled: tuple[Path, list[str]]) -> None:
    out, (push, nightly, undo) = journalled
    outcome = history(Settings(output_dir=out))
    assert [r["run_id"] for r in outcome.summary["runs"]] == [undo, nightly, push]
    assert [r["actor"] for r in outcome.summary["runs"]] == ["otto", "otto", "dana"]
    assert outcome.summary["runs"][2]["counts"] == {"updated": 1, "failed": 1, "created": 0}
    assert outcome.lines[0].startswith(f"{undo}  undo (undo of {push})  by otto")
    assert outcome.lines[2].endswith("failed  [updated 1, failed 1]")


def test_one_run_shows_every_write_with_before_and_after(journalled: tuple[Path, list[str]]) -> None:
    out, (push, _, _) = journalled
    outcome = history(Settings(output_dir=out), push)
    run = outcome.summary["run"]
    update, create = run["writes"]
    assert (update["before"], update["payload"], update["state"]) == (BEFORE, AFTER, "done")
    assert {c["field"]: (c["before"], c["after"]) for c in update["changes"]} == {
        "Cost": ({"Value": "41.50"}, {"Value": "43.00"}),
        "ModifiedOn": (None, "2026-11-24T10:00:00Z"),
        "Name": ("Birch ply", "Birch ply =1+1"),
    }
    assert (create["state"], create["error"], create["after"]) == (
        "failed",
        "400: UoM group unknown",
        {"Name": "MDF"},
    )
    text = "\n".join(outcome.lines)
    assert "1. update innergy.material PLY-1 -> m-1 [done]" in text
    assert "Name: Birch ply -> Birch ply =1+1" in text
    assert "2. create innergy.material MDF-2 [failed: 400: UoM group unknown]" in text
    assert "Name: (none) -> MDF" in text


def test_history_json_through_the_cli_and_an_unknown_run(journalled: tuple[Path, list[str]]) -> None:
    out, (push, _, _) = journalled
    listed = runner.invoke(app, ["--output-dir", str(out), "history", "--json"])
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)["runs"]) == 3
    one = runner.invoke(app, ["history", "--run", push, "--json", "--output-dir", str(out)])
    assert json.loads(one.stdout)["run"]["run_id"] == push
    missing = runner.invoke(app, ["--output-dir", str(out), "history", "--run", "nope"])
    assert missing.exit_code == 2 and "no run nope" in missing.output


def test_history_without_a_journal_creates_none(tmp_path: Path) -> None:
    outcome = history(Settings(output_dir=tmp_path / "out"))
    assert outcome.summary["runs"] == [] and not (tmp_path / "out").exists()


def test_field_changes_handles_missing_and_non_record_values() -> None:
    assert field_changes(None, {"a": 1}) == [{"field": "a", "before": None, "after": 1}]
    assert field_changes({"a": 1}, {"a": 1}) == []
    assert field_changes([1], [2]) == [{"field": "", "before": [1], "after": [2]}]
