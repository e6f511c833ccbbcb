"""projects-import against the INNERGY sandbox: once per project, dry runs write nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from canonical.errors import ConfigError
from canonical.models import Project, ProjectLine
from canonical.serialize import from_jsonl, to_jsonl
from innergy_client.sandbox import Sandbox, running_sandbox
from sheets_sync.commands.projects_import import run_projects_import
from sheets_sync.config import Settings

FACILITY = "11111111-1111-1111-1111-111111111111"
BID_TYPE = "22222222-2222-2222-2222-222222222222"

PROJECTS = [
    Project(
        ppak_id="23014",
        name="St. Luke's Hospital - 3rd Flr Nurse Stations",
        customer="Turner Construction",
        ppak_status="In Progress",
        status="active",
        innergy_status="Active",
        ppak_phase="Fabrication",
        phase="fabrication",
        innergy_workflow_step="Shop",
        bid_date=date(2023, 3, 14),
        due_date=date(2023, 9, 29),
        contract_amount=Decimal("184250.00"),
    ),
    Project(ppak_id="23014", change_order="CO#1", name="St. Luke's CO#1: added reveal"),
    Project(ppak_id="23030", name="Café Lumière = Bar Die", contract_amount=Decimal("0")),
]
LINES = [
    ProjectLine(project_id="23014", line="10", sku="PLY-WO-34", quantity=Decimal("14"), uom="SHT"),
    ProjectLine(project_id="23014", line="20", sku=None, ppak_sku="XX-UNMAPPED", quantity=Decimal("1")),
]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as box:
        yield box


def _settings(tmp_path: Path, sandbox: Sandbox, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "output_dir": tmp_path,
        "innergy_base_url": sandbox.url,
        "innergy_api_key": sandbox.api_key,
        "innergy_facility_id": FACILITY,
        "innergy_bid_type_id": BID_TYPE,
        **overrides,
    }
    return Settings(**values)


def _write(tmp_path: Path, projects: list[Project], lines: list[ProjectLine] = LINES) -> Path:
    canonical = tmp_path / "canonical"
    canonical.mkdir(parents=True, exist_ok=True)
    (canonical / "project_lines.jsonl").write_text(to_jsonl(lines), encoding="utf-8")
    path = canonical / "projects.jsonl"
    path.write_text(to_jsonl(projects), encoding="utf-8")
    return path


def _opportunities(sandbox: Sandbox) -> list[dict]:
    answer = httpx.get(sandbox.url + "/api/opportunities", headers={"Api-Key": sandbox.api_key})
    return answer.json()["Items"]


def test_importing_twice_creates_each_project_once(tmp_path: Path, sandbox: Sandbox) -> None:
    path = _write(tmp_path, PROJECTS)
    settings = _settings(tmp_path, sandbox)

    first = run_projects_import(settings)
    second = run_projects_import(settings)

    made = _opportunities(sandbox)
    assert sorted(o["ExternalIdentifier"] for o in made) == ["23014", "23014-CO#1", "23030"]
    assert first.summary["created"] == 3 and second.summary["created"] == 0
    assert second.summary["existing"] == 3
    by_id = {o["ExternalIdentifier"]: o for o in made}
    luke = by_id["23014"]
    assert (luke["FacilityId"], luke["BidTypeId"]) == (FACILITY, BID_TYPE)
    assert (luke["BidDueDate"], luke["SubstantialCompletionDate"], luke["ProjectedRevenue"]) == (
        "2023-03-14",
        "2023-09-29",
        184250,
    )
    assert luke["WorkflowStepName"] == "Shop"
    assert by_id["23030"]["Name"] == "Café Lumière = Bar Die"
    recorded = {p.external_id: p.innergy_id for p in from_jsonl(path.read_text("utf-8"), Project)}
    assert recorded == {k: o["Id"] for k, o in by_id.items()}


def test_converted_project_gets_its_bom_lines_once(tmp_path: Path, sandbox: Sandbox) -> None:
    path = _write(tmp_path, PROJECTS)
    settings = _settings(tmp_path, sandbox)
    run_projects_import(settings)
    won = next(o for o in _opportunities(sandbox) if o["ExternalIdentifier"] == "23014")
    project = sandbox.win_opportunity(won["Id"])

    outcome = run_projects_import(settings)
    run_projects_import(settings)

    assert outcome.summary["converted"] == 1 and outcome.summary["bom_lines"] == 1
    assert [line["Name"] for line in sandbox.bom(project["Id"])] == ["PLY-WO-34"]
    unsent = [p for p in outcome.summary["problems"] if "not sent" in p["message"]]
    assert len(unsent) == 1 and "sku" in unsent[0]["column"]
    recorded = {p.external_id: p.innergy_id for p in from_jsonl(path.read_text("utf-8"), Project)}
    assert recorded["23014"] == project["Id"]
    assert len(_opportunities(sandbox)) == 3


def test_dry_run_writes_nothing_and_lists_problems(tmp_path: Path, sandbox: Sandbox) -> None:
    broken = Project(ppak_id="23099", name="", ppak_status="On Hold")
    path = _write(tmp_path, [*PROJECTS, broken])
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    outcome = run_projects_import(_settings(tmp_path, sandbox), dry_run=True)

    assert _opportunities(sandbox) == []
    assert not any(method == "POST" for method, _ in sandbox.requests)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert outcome.summary["would_create"] == 3
    mine = [p for p in outcome.summary["problems"] if p["value"] in ("23099", "On Hold")]
    assert {p["column"] for p in mine} == {"Name", "status"}
    assert path.read_bytes() == before[path]


def test_missing_bid_type_is_one_clear_error(tmp_path: Path, sandbox: Sandbox) -> None:
    _write(tmp_path, PROJECTS)
    settings = _settings(tmp_path, sandbox, innergy_bid_type_id=None)

    with pytest.raises(ConfigError) as caught:
        run_projects_import(settings)

    assert "INNERGY_BID_TYPE_ID" in str(caught.value)
    assert "INNERGY_FACILITY_ID" not in str(caught.value)
    assert _opportunities(sandbox) == []


def test_facility_is_discovered_from_existing_opportunities(tmp_path: Path, sandbox: Sandbox) -> None:
    _write(tmp_path, PROJECTS[:1])
    run_projects_import(_settings(tmp_path, sandbox))
    _write(tmp_path, PROJECTS[1:])

    run_projects_import(_settings(tmp_path, sandbox, innergy_facility_id=None))

    assert {o["FacilityId"] for o in _opportunities(sandbox)} == {FACILITY}


def test_lost_answer_after_commit_creates_nothing_twice(tmp_path: Path, sandbox: Sandbox) -> None:
    _write(tmp_path, PROJECTS)
    sandbox.faults.commit_then_503_next = 1

    run_projects_import(_settings(tmp_path, sandbox))

    assert len(_opportunities(sandbox)) == 3


def test_cli_json_and_bad_line(tmp_path: Path, sandbox: Sandbox) -> None:
    from typer.testing import CliRunner

    from sheets_sync.cli import app

    path = _write(tmp_path, PROJECTS[:1])
    nameless = Project(ppak_id="23099", name=" ").model_dump_json()
    path.write_text(path.read_text("utf-8") + '{"ppak_id": 5}\n' + nameless + "\n", encoding="utf-8")
    env = {
        "MIGRATION_OUTPUT_DIR": str(tmp_path),
        "INNERGY_BASE_URL": sandbox.url,
        "INNERGY_API_KEY": sandbox.api_key,
        "INNERGY_FACILITY_ID": FACILITY,
        "INNERGY_BID_TYPE_ID": BID_TYPE,
    }
    result = CliRunner().invoke(app, ["--json", "projects-import"], env=env)

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["created"] == 1
    assert [(p["row"], p["column"]) for p in summary["problems"] if p["source"] == "projects.jsonl"] == [
        (2, "ppak_id"),
        (3, "Name"),
    ]
    assert sandbox.api_key not in result.output


def test_dry_run_without_a_key_validates_offline(tmp_path: Path, sandbox: Sandbox) -> None:
    path = _write(tmp_path, [*PROJECTS, Project(ppak_id="23099", name=" ")])
    before = path.read_bytes()

    outcome = run_projects_import(_settings(tmp_path, sandbox, innergy_api_key=None), dry_run=True)

    assert outcome.summary["would_create"] == 3
    assert sandbox.requests == [] and path.read_bytes() == before
    assert any("INNERGY_API_KEY" in p["message"] for p in outcome.summary["problems"])


def test_writes_and_ids_are_journalled(tmp_path: Path, sandbox: Sandbox) -> None:
    from sheets_sync.store.journal import Journal

    _write(tmp_path, PROJECTS)

    outcome = run_projects_import(_settings(tmp_path, sandbox))

    with Journal.open(tmp_path / "state.db") as journal:
        run = journal.run(outcome.summary["run_id"])
        ids = journal.ids("innergy.project")
        finished = {r.run_id: r.outcome for r in journal.runs()}
    assert run is not None and finished[outcome.summary["run_id"]] == "ok"
    assert sorted((w.key, w.state) for w in run.writes) == [
        ("23014", "done"),
        ("23014-CO#1", "done"),
        ("23030", "done"),
    ]
    assert ids == {o["ExternalIdentifier"]: o["Id"] for o in _opportunities(sandbox)}


def test_a_crashed_runs_open_write_is_settled_not_resent(tmp_path: Path, sandbox: Sandbox) -> None:
    from sheets_sync.store.journal import Journal

    _write(tmp_path, PROJECTS[:1])
    with Journal.open(tmp_path / "state.db") as journal:  # the crashed run: intended, sent, then died
        crashed = journal.start_run("projects-import")
        write_id = journal.intend(crashed, target="innergy.opportunity", op="create", key="23014")
    landed = httpx.post(
        sandbox.url + "/api/opportunities/create",
        headers={"Api-Key": sandbox.api_key},
        json=[
            {
                "Name": "St. Luke's",
                "FacilityId": FACILITY,
                "BidTypeId": BID_TYPE,
                "ExternalIdentifier": "23014",
            }
        ],
    ).json()[0]

    outcome = run_projects_import(_settings(tmp_path, sandbox))

    assert outcome.summary["created"] == 0 and len(_opportunities(sandbox)) == 1
    with Journal.open(tmp_path / "state.db") as journal:
        settled = next(w for w in journal.run(crashed).writes if w.write_id == write_id)
        assert journal.pending_writes() == []
    assert (settled.state, settled.innergy_id) == ("done", landed["Id"])


def test_sample_exports_through_the_etl_import_once(
    tmp_path: Path, sandbox: Sandbox, ppak_samples: Path
) -> None:
    from canonical.models import Library, PhaseMapping, StatusMapping

    etl = pytest.importorskip("ppak_import.etl", reason="the PPak ETL (issue 5) has not landed")

    library = Library(
        statuses=(
            StatusMapping(ppak_status="In Progress", canonical_status="active", innergy_status="Active"),
        ),
        phases=(PhaseMapping(ppak_phase="Fabrication", canonical_phase="fab", innergy_workflow_step="Shop"),),
    )
    etl.write_outputs(etl.run_etl(ppak_samples, library), tmp_path)
    settings = _settings(tmp_path, sandbox)

    first = run_projects_import(settings)
    second = run_projects_import(settings)

    made = [o["ExternalIdentifier"] for o in _opportunities(sandbox)]
    assert first.summary["created"] == len(made) > 0 and second.summary["created"] == 0
    assert len(set(made)) == len(made)
    assert second.summary["existing"] == len(made)
