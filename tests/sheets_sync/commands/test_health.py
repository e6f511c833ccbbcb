"""matsync health over real files and the INNERGY sandbox: a broken migration fails, a fixed one passes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from canonical.errors import ExitCode
from canonical.models import InnergyMaterial, Material, Project
from canonical.serialize import to_jsonl
from innergy_client import InnergyClient, edit_body, to_canonical, to_wire
from innergy_client.sandbox import Sandbox, running_sandbox
from reports.health import DEFAULT_THRESHOLDS, parse_thresholds
from sheets_sync.commands.health import (
    check_health,
    diff_row_states,
    journal_baseline,
    open_issues,
    workbook_tabs,
)
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.store.journal import Journal
from sheets_sync.workbook import Rewrite

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DIFF = [
    ["Plan ID", "p-1"],
    [],
    ["Approve", "Change ID", "Action", "SKU", "Name", "Changes", "Result"],
    [True, "c1", "update", "A-1", "Maple", "cost: 1 -> 2", "applied"],
]
ISSUES = [["Severity", "Tab or File", "Row", "Column", "Value", "Message"]]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as box:
        yield box


class Migration:
    """A migration on disk and in the sandbox, with a sync baseline taken at 'sync' time."""

    def __init__(self, out: Path, sandbox: Sandbox) -> None:
        self.out, self.sandbox, self.xlsx = out, sandbox, out / "master.xlsx"
        self.client = InnergyClient(sandbox.url, sandbox.api_key, retries=0)
        self.write_tabs(DIFF_INNERGY=DIFF, ISSUES=ISSUES)
        (out / "canonical").mkdir(parents=True)

    def sync(self, materials: list[Material]) -> list[Material]:
        """Create the master in INNERGY, record the baseline, give the master its ids."""
        made = self.client.create_materials(
            [to_wire(InnergyMaterial(name=m.name, external_id=m.sku, cost=m.cost)) for m in materials]
        )
        with Journal.open(self.out / "state.db") as journal:  # what a successful push leaves
            run_id = journal.start_run("push")
            journal.set_baseline({r.id: to_canonical(r) for r in made})
            journal.finish_run(run_id, "ok")
        synced = [m.model_copy(update={"innergy_id": r.id}) for m, r in zip(materials, made, strict=True)]
        self.write("materials.jsonl", synced)
        return synced

    def write(self, name: str, records: Sequence[Any]) -> None:
        (self.out / "canonical" / name).write_text(to_jsonl(records), encoding="utf-8")

    def settings(self, **overrides: Any) -> Settings:
        values = {"output_dir": self.out, "innergy_base_url": self.sandbox.url, "workbook": str(self.xlsx)}
        values["innergy_api_key"] = self.sandbox.api_key
        return Settings(**{**values, **overrides})

    def write_tabs(self, **tabs: list[list[Any]]) -> None:
        """The tool-written tabs, in a real .xlsx workbook."""
        workbook = open_workbook(self.settings(), create=True)
        workbook.write([Rewrite(name, rows) for name, rows in tabs.items()])

    def health(self, **overrides: Any):
        now = datetime.now(UTC)
        return check_health(
            self.settings(**overrides), DEFAULT_THRESHOLDS, journal_baseline, workbook_tabs, now
        )


MATERIALS = [
    Material(sku="PLY-WO-34", name="3/4 White Oak Ply", category="Sheet", uom="SHT", cost=Decimal("142.85")),
    Material(sku="EB-WO", name="White Oak Edgeband", category="Edge", uom="LF", cost=Decimal("0.25")),
]


def test_broken_migration_names_each_problem_then_passes_once_fixed(tmp_path: Path, sandbox: Sandbox) -> None:
    migration = Migration(tmp_path, sandbox)
    migration.sync(MATERIALS)
    imported = Project(ppak_id="23014", name="St. Luke's", status="active", innergy_id="opp-1")
    unmapped = Project(ppak_id="23021", name="Teller Line", ppak_status="On Hold", innergy_id="opp-2")
    not_imported = Project(ppak_id="22987", name="Riverside Condos", status="complete")
    migration.write("projects.jsonl", [imported, unmapped, not_imported])
    drifted = next(r for r in migration.client.list_materials() if r.external_id == "EB-WO")
    migration.client.edit_material(drifted.id, edit_body(drifted, {"cost": Decimal("0.31")}))

    broken = migration.health()

    assert broken.exit_code == ExitCode.FAILED
    assert set(broken.summary["failing"]) == {
        "projects_without_innergy_id",
        "unmapped_statuses",
        "drifted_materials",
    }
    report = (tmp_path / "reports" / "health.md").read_text("utf-8")
    for named in ("22987: Riverside Condos", "On Hold", "EB-WO: White Oak Edgeband", "UNHEALTHY"):
        assert named in report
    assert "On Hold" in (tmp_path / "reports" / "health.html").read_text("utf-8")

    migration.write(
        "projects.jsonl",
        [
            imported,
            unmapped.model_copy(update={"status": "on-hold"}),
            not_imported.model_copy(update={"innergy_id": "opp-3"}),
        ],
    )
    current = migration.client.get_material(drifted.id)
    migration.client.edit_material(drifted.id, edit_body(current, {"cost": Decimal("0.25")}))

    fixed = migration.health()

    assert fixed.exit_code == ExitCode.OK, fixed.lines
    assert fixed.summary["healthy"] is True
    figures = json.loads((tmp_path / "reports" / "health.json").read_text("utf-8"))["figures"]
    assert figures["drifted_materials"] == 0 and figures["projects_without_innergy_id"] == 0


def test_unmanaged_and_diff_states_are_counted(tmp_path: Path, sandbox: Sandbox) -> None:
    migration = Migration(tmp_path, sandbox)
    migration.sync(MATERIALS)
    migration.client.create_materials([to_wire(InnergyMaterial(name="Hand-entered glue"))])
    migration.write_tabs(
        DIFF_INNERGY=[
            *DIFF,
            [None, "c2", "create", "B-1", "Birch", "", None],
            [True, "c3", "update", "B-2", "Ash", "", "stale: master row changed"],
            [True, "c4", "update", "B-3", "Elm", "", "failed: 400"],
        ],
        ISSUES=[*ISSUES, ["error", "MATERIAL_LIBRARY_MASTER", "7", "Cost", "abc", "not money"]],
    )

    outcome = migration.health()

    figures = outcome.summary["figures"]
    assert figures["unmanaged_innergy_materials"] == 1
    assert (figures["diff_rows_pending"], figures["diff_rows_stale"], figures["diff_rows_failed"]) == (
        1,
        1,
        1,
    )
    assert figures["open_issues"] == 1
    assert set(outcome.summary["failing"]) == {"diff_rows_stale", "diff_rows_failed"}
    relaxed = check_health(
        migration.settings(),
        parse_thresholds(["diff_rows_stale=1", "diff_rows_failed=none"]),
        journal_baseline,
        workbook_tabs,
        datetime.now(UTC),
    )
    assert relaxed.exit_code == ExitCode.OK


def test_missing_inputs_are_reported_not_crashed(tmp_path: Path) -> None:
    settings = Settings(output_dir=tmp_path)

    def no_workbook(_: Settings, __: Sequence[str]) -> Mapping[str, list[list[Any]]]:
        return settings.workbook_ref()  # raises ConfigError: no workbook configured

    outcome = check_health(settings, DEFAULT_THRESHOLDS, lambda _: ({}, None), no_workbook, NOW)

    assert outcome.exit_code == ExitCode.OK
    figures = dict(outcome.summary["figures"])
    assert figures.pop("inputs_unreadable") == 0, "nothing configured is nothing unreadable"
    assert all(value is None for value in figures.values())
    report = (tmp_path / "reports" / "health.md").read_text("utf-8")
    assert "matsync ppak-import" in report and "INNERGY_API_KEY is not set" in report
    assert "MATERIAL_LIBRARY_MASTER" in report


def test_bad_key_is_a_failing_finding_without_the_key(tmp_path: Path, sandbox: Sandbox) -> None:
    migration = Migration(tmp_path, sandbox)
    secret = "wrong-key-0123456789"

    outcome = migration.health(innergy_api_key=secret)

    assert outcome.exit_code == ExitCode.FAILED
    assert outcome.summary["failing"] == ["innergy_key"]
    written = "".join(p.read_text("utf-8") for p in (tmp_path / "reports").iterdir())
    assert "INNERGY_API_KEY" in written and secret not in written
    assert secret not in json.dumps(outcome.summary) + "\n".join(outcome.lines)


def test_diff_and_issue_rows_from_plain_rows() -> None:
    assert diff_row_states([[["no header here"]]]) == {"pending": [], "stale": [], "failed": []}
    assert open_issues([["Severity"], ["warning"], [None, None], ["error"], ["warning"]]) == [
        ("warning", 2),
        ("error", 1),
    ]


def test_cli_prints_figures_and_rejects_unknown_threshold(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sheets_sync.cli import app

    env = {"MIGRATION_OUTPUT_DIR": str(tmp_path), "INNERGY_API_KEY": "", "MATERIAL_LIBRARY_MASTER": ""}
    runner = CliRunner()

    result = runner.invoke(app, ["--json", "health", "--max", "open_issues=3"], env=env)
    bad = runner.invoke(app, ["health", "--max", "nonsense=1"], env=env)

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["healthy"] is True and Path(summary["paths"]["html"]).is_file()
    assert bad.exit_code == 2


def test_unmapped_values_from_the_etl_report_win_per_kind() -> None:
    from sheets_sync.commands.health import unmapped_counts

    report = {"unmapped": {"units": [{"value": "ROLL", "count": 3, "examples": ["line 4"]}]}}
    projects = [Project(ppak_id="1", name="A", ppak_status="On Hold"), Project(ppak_id="2", name="B")]

    found = unmapped_counts(projects, [], report)

    assert found["units"] == [("ROLL", 3)] and found["statuses"] == [("On Hold", 1)]


def test_progress_and_runs_come_from_the_sources(tmp_path: Path, sandbox: Sandbox) -> None:
    migration = Migration(tmp_path, sandbox)
    synced = migration.sync(MATERIALS)
    unlinked = Material(sku="NEW-1", name="Not yet in INNERGY", category="Edge", uom="LF", cost=Decimal("1"))
    migration.write("materials.jsonl", [*synced, unlinked])
    migration.write(
        "projects.jsonl",
        [
            Project(
                ppak_id="23014",
                name="St. Luke's",
                ppak_status="In Progress",
                status="active",
                innergy_id="o1",
            ),
            Project(ppak_id="23021", name="Teller Line", ppak_status="in progress ", status="active"),
            Project(ppak_id="22987", name="Riverside", ppak_status="On Hold"),
        ],
    )
    waiting, ticked = (
        [None, "c2", "create", "B-1", "Birch", "", None],
        ["x", "c3", "update", "B-2", "Ash", "", None],
    )
    migration.write_tabs(DIFF_INNERGY=[*DIFF, waiting, ticked], ISSUES=ISSUES)

    outcome = migration.health()

    report = json.loads((tmp_path / "reports" / "health.json").read_text("utf-8"))
    progress = {p["name"]: (p["done"], p["total"]) for p in report["progress"]}
    assert progress["projects_imported"] == (1, 3)
    assert progress["mapped_statuses"] == (1, 2)  # "In Progress" = "in progress "; "On Hold" is not mapped
    assert progress["diff_rows_reviewed"] == (2, 3)  # c1 has a Result, c3 is ticked, c2 waits
    assert progress["materials_linked"] == (2, 3)  # the master as pulled (the workbook has no master tab)
    assert [(r["command"], r["outcome"]) for r in report["runs"]] == [("push", "ok")]
    assert "Projects imported into INNERGY" in (tmp_path / "reports" / "health.html").read_text("utf-8")
    assert outcome.exit_code == ExitCode.FAILED
