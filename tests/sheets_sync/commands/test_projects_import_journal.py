"""projects-import is journal-first: however INNERGY echoes our identifier, nothing is created twice.

The sandbox follows the updated contract (opportunities echo ``ExternalIdentifier``), the
old one (``ExternalId``), or echoes no identifier at all; the sample exports go through
the real ETL; ``health`` reads what the imports left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from canonical.models import Library, PhaseMapping, Project, ProjectLine, StatusMapping
from canonical.serialize import from_jsonl, to_jsonl
from innergy_client.sandbox import Sandbox, running_sandbox
from ppak_import import run_etl, write_outputs
from reports.health import parse_thresholds
from sheets_sync.commands.health import check_health, journal_baseline, workbook_tabs
from sheets_sync.commands.projects_import import run_projects_import
from sheets_sync.config import Settings
from sheets_sync.store.journal import Journal

FACILITY = "11111111-1111-1111-1111-111111111111"
BID_TYPE = "22222222-2222-2222-2222-222222222222"
LIBRARY = Library(
    statuses=(StatusMapping(ppak_status="In Progress", canonical_status="active", innergy_status="Active"),),
    phases=(PhaseMapping(ppak_phase="Fabrication", canonical_phase="fab", innergy_workflow_step="Shop"),),
)
ECHOES = ["ExternalIdentifier", "ExternalId", None]


@pytest.fixture(params=ECHOES, ids=["ExternalIdentifier", "ExternalId", "no-identifier"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with running_sandbox(identifier_field=request.param) as box:
        yield box


def _settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return Settings(
        output_dir=tmp_path,
        innergy_base_url=sandbox.url,
        innergy_api_key=sandbox.api_key,
        innergy_facility_id=FACILITY,
        innergy_bid_type_id=BID_TYPE,
    )


def _opportunities(sandbox: Sandbox) -> list[dict]:
    answer = httpx.get(sandbox.url + "/api/opportunities", headers={"Api-Key": sandbox.api_key})
    return answer.json()["Items"]


def _projects(tmp_path: Path) -> list[Project]:
    return from_jsonl((tmp_path / "canonical" / "projects.jsonl").read_text("utf-8"), Project)


def _bar_die(tmp_path: Path) -> None:
    """One canonical project, 23030 "Bar Die"."""
    canonical = tmp_path / "canonical"
    canonical.mkdir()
    (canonical / "projects.jsonl").write_text(to_jsonl([Project(ppak_id="23030", name="Bar Die")]))


def _without_id(settings: Settings) -> int:
    outcome = check_health(settings, parse_thresholds([]), journal_baseline, workbook_tabs)
    return int(outcome.summary["figures"]["projects_without_innergy_id"])


def test_twice_on_the_samples_each_project_exists_once_and_health_counts_them_imported(
    tmp_path: Path, sandbox: Sandbox, ppak_samples: Path
) -> None:
    write_outputs(run_etl(ppak_samples, LIBRARY), tmp_path)
    settings = _settings(tmp_path, sandbox)
    expected = [p.name for p in _projects(tmp_path)]

    first = run_projects_import(settings)
    dry = run_projects_import(settings, dry_run=True)
    second = run_projects_import(settings)

    assert Counter(o["Name"] for o in _opportunities(sandbox)) == Counter(expected)
    assert len(expected) == 5
    assert (first.summary["created"], second.summary["created"], dry.summary["would_create"]) == (5, 0, 0)
    assert second.summary["existing"] == 5
    ids = {p.external_id: p.innergy_id for p in _projects(tmp_path)}
    assert sorted(ids.values()) == sorted(o["Id"] for o in _opportunities(sandbox))
    assert _without_id(settings) == 0
    findings = [p for p in second.summary["problems"] if "not created again" in p["message"]]
    if sandbox.identifier_field is None:
        assert sorted(f["value"] for f in findings) == sorted(ids)
        assert all("without our identifier" in f["message"] for f in findings)
    else:
        assert findings == []


def test_a_won_opportunity_is_found_by_its_opportunity_and_its_bom_is_sent_once(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    canonical = tmp_path / "canonical"
    canonical.mkdir()
    (canonical / "projects.jsonl").write_text(to_jsonl([Project(ppak_id="23014", name="Nurse Stations")]))
    lines = [
        ProjectLine(project_id="23014", line="10", sku="PLY-WO-34", quantity=14, uom="SHT"),
        ProjectLine(project_id="23014", line="40", line_type="Labor", sku="LAB-CNC", quantity=6, uom="HR"),
    ]
    (canonical / "project_lines.jsonl").write_text(to_jsonl(lines))
    settings = _settings(tmp_path, sandbox)
    run_projects_import(settings)
    [opportunity] = _opportunities(sandbox)
    project = sandbox.win_opportunity(opportunity["Id"])

    converted = run_projects_import(settings)
    again = run_projects_import(settings)

    assert (converted.summary["converted"], converted.summary["bom_lines"]) == (1, 1)
    assert (again.summary["created"], again.summary["converted"], again.summary["bom_lines"]) == (0, 1, 0)
    assert [line["Type"] for line in sandbox.bom(project["Id"])] == [1]
    assert [p.innergy_id for p in _projects(tmp_path)] == [project["Id"]]
    labour = [p for p in converted.summary["problems"] if p["column"] == "line_type"]
    assert len(labour) == 1 and "Labor line" in labour[0]["message"]
    assert len(_opportunities(sandbox)) == 1


def test_a_journalled_opportunity_gone_from_the_listing_is_a_finding_never_a_second_create(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    _bar_die(tmp_path)
    settings = _settings(tmp_path, sandbox)
    run_projects_import(settings)
    [made] = _opportunities(sandbox)
    with sandbox.store.lock:  # someone removed it in INNERGY
        del sandbox.store.data["opportunities"][made["Id"]]

    outcome = run_projects_import(settings)

    assert outcome.summary["created"] == 0 and _opportunities(sandbox) == []
    [finding] = [p for p in outcome.summary["problems"] if p["source"] == "INNERGY"]
    assert finding["value"] == "23030" and "does not list it" in finding["message"]
    assert made["Id"] in finding["message"]


def test_an_answer_lost_after_the_create_landed_creates_nothing_twice(
    tmp_path: Path, sandbox: Sandbox, ppak_samples: Path
) -> None:
    write_outputs(run_etl(ppak_samples, LIBRARY), tmp_path)
    sandbox.faults.commit_then_503_next = 1

    outcome = run_projects_import(_settings(tmp_path, sandbox))

    assert outcome.summary["created"] == 5
    assert len(_opportunities(sandbox)) == 5
    assert sorted(p.innergy_id or "" for p in _projects(tmp_path)) == sorted(
        o["Id"] for o in _opportunities(sandbox)
    )


def test_an_opportunity_create_left_unknown_is_settled_from_the_listing_never_recreated(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """The journal holds a create ``unknown`` (its answer lost) that did land: found, not made twice."""
    _bar_die(tmp_path)
    body = {"Name": "Bar Die", "FacilityId": FACILITY, "BidTypeId": BID_TYPE, "ExternalIdentifier": "23030"}
    landed = httpx.post(
        sandbox.url + "/api/opportunities/create", json=[body], headers={"Api-Key": sandbox.api_key}
    )
    with Journal.open(tmp_path / "state.db") as journal:
        run = journal.start_run("projects-import")
        write = journal.intend(run, target="innergy.opportunity", op="create", key="23030", payload=body)
        journal.mark_unknown(write, "INNERGY POST /api/opportunities/create failed after 5 tries: HTTP 503")

    outcome = run_projects_import(_settings(tmp_path, sandbox))

    assert outcome.summary["created"] == 0 and len(_opportunities(sandbox)) == 1
    assert [p.innergy_id for p in _projects(tmp_path)] == [landed.json()[0]["Id"]]
    with Journal.open(tmp_path / "state.db") as journal:
        assert journal.done_creates("innergy.opportunity")["23030"].innergy_id == landed.json()[0]["Id"]
