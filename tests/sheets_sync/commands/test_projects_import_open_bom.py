"""A BOM import whose answer was lost may have landed: never resent on a guess.

INNERGY cannot show a project's BOM back, so the open write is listed as awaiting a
person (exit 3) until ``--landed`` or ``--resend`` says what they found. The sandbox
commits the import and answers 503; the CLI runs through typer's runner.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from canonical.errors import ExitCode
from canonical.models import Project, ProjectLine
from canonical.serialize import to_jsonl
from innergy_client.sandbox import Sandbox, running_sandbox
from sheets_sync.cli import app
from sheets_sync.store.journal import Journal

FACILITY = "11111111-1111-1111-1111-111111111111"
BID_TYPE = "22222222-2222-2222-2222-222222222222"
IMPORT = ("POST", "/api/engineeringsync/importjson")
runner = CliRunner()


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with running_sandbox(identifier_field=None) as box:
        for name, value in {
            "MIGRATION_OUTPUT_DIR": str(tmp_path),
            "INNERGY_BASE_URL": box.url,
            "INNERGY_API_KEY": box.api_key,
            "INNERGY_FACILITY_ID": FACILITY,
            "INNERGY_BID_TYPE_ID": BID_TYPE,
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        yield box


def _run(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["--json", "projects-import", *args])
    return result.exit_code, json.loads(result.stdout)


def _sends(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests if r == IMPORT)


def _lost_bom(tmp_path: Path, sandbox: Sandbox) -> tuple[str, dict]:
    """A converted project whose BOM import landed and whose answers were all lost."""
    canonical = tmp_path / "canonical"
    canonical.mkdir()
    (canonical / "projects.jsonl").write_text(to_jsonl([Project(ppak_id="23014", name="Nurse Stations")]))
    lines = [ProjectLine(project_id="23014", line="10", sku="PLY-WO-34", quantity=14, uom="SHT")]
    (canonical / "project_lines.jsonl").write_text(to_jsonl(lines))
    assert _run()[0] == ExitCode.OK
    [opportunity] = sandbox.store.data["opportunities"].values()
    project = sandbox.win_opportunity(opportunity["Id"])
    sandbox.faults.commit_then_503_next = 100
    code, failed = _run()
    sandbox.faults.commit_then_503_next = 0
    assert code == ExitCode.FAILED and "may have landed" in failed["hint"]
    assert len(sandbox.bom(project["Id"])) == 1
    return project["Id"], failed


def test_a_lost_bom_import_is_never_resent_but_listed_for_a_person(tmp_path: Path, sandbox: Sandbox) -> None:
    project_id, _ = _lost_bom(tmp_path, sandbox)
    sends = _sends(sandbox)

    dry_code, dry = _run("--dry-run")
    code, again = _run()

    assert _sends(sandbox) == sends, "an open BOM import was sent again"
    assert (dry_code, code) == (ExitCode.NEEDS_PERSON, ExitCode.NEEDS_PERSON)
    [open_bom] = again["open_bom_imports"]
    assert dry["open_bom_imports"] == again["open_bom_imports"]
    assert (open_bom["project"], open_bom["innergy_project_id"]) == ("23014", project_id)
    assert open_bom["state"] == "unknown" and "503" in open_bom["why"] and open_bom["since"]
    assert again["ok"] is True and again["bom_lines"] == 0


@pytest.mark.parametrize(("word", "sent_again"), [("--landed", 0), ("--resend", 1)])
def test_a_persons_word_settles_it_landed_never_sent_or_resent_once(
    tmp_path: Path, sandbox: Sandbox, word: str, sent_again: int
) -> None:
    _lost_bom(tmp_path, sandbox)
    [open_bom] = _run("--dry-run")[1]["open_bom_imports"]
    sends = _sends(sandbox)

    code, settled = _run(word, open_bom["write_id"])
    later_code, later = _run()

    assert (code, later_code) == (ExitCode.OK, ExitCode.OK)
    assert settled["open_bom_imports"] == later["open_bom_imports"] == []
    assert (settled["bom_lines"], later["bom_lines"]) == (sent_again, 0)
    assert _sends(sandbox) == sends + sent_again
    with Journal.open(tmp_path / "state.db") as journal:
        assert journal.pending_writes() == []


def test_a_write_that_is_not_an_open_bom_import_is_a_usage_error(tmp_path: Path, sandbox: Sandbox) -> None:
    _lost_bom(tmp_path, sandbox)
    sends = _sends(sandbox)

    code, refused = _run("--resend", "1")

    assert code == ExitCode.USAGE and "not an open BOM import" in refused["error"]
    assert _sends(sandbox) == sends


def test_a_killed_bom_import_left_intended_is_listed_too(tmp_path: Path, sandbox: Sandbox) -> None:
    """The state a SIGKILL between intend and answer leaves: open, never resent."""
    project_id, _ = _lost_bom(tmp_path, sandbox)
    with Journal.open(tmp_path / "state.db") as journal:
        [lost] = journal.pending_writes()
        journal.mark_done(lost.write_id)
        run = journal.start_run("projects-import")
        journal.intend(
            run, target=lost.target, op="create", key=lost.key, payload={"EngineeringBomItems": []}
        )
    sends = _sends(sandbox)

    code, listed = _run()

    assert code == ExitCode.NEEDS_PERSON and _sends(sandbox) == sends
    [open_bom] = listed["open_bom_imports"]
    assert open_bom["state"] == "intended" and open_bom["innergy_project_id"] == project_id


def _health() -> dict:
    result = runner.invoke(app, ["--json", "health"])
    return json.loads(result.stdout)


def test_health_counts_an_open_bom_import_until_a_person_settles_it(tmp_path: Path, sandbox: Sandbox) -> None:
    _lost_bom(tmp_path, sandbox)
    [write_id] = [o["write_id"] for o in _run("--dry-run")[1]["open_bom_imports"]]

    before = _health()
    assert before["figures"]["open_bom_imports"] == 1
    assert "open_bom_imports" in before["failing"]

    assert _run("--landed", write_id)[0] == ExitCode.OK
    after = _health()
    assert after["figures"]["open_bom_imports"] == 0
    assert "open_bom_imports" not in after["failing"]
