"""The Otto skill manifest: what the automation agent may run, with what, and what comes back.

Kept as data so that ``matsync skills --json`` prints it and a test proves every command
line in it runs in this CLI and every variable in it is one the configuration reads.
Otto sets ``MATSYNC_ACTOR=otto`` so the journal records its runs as its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from sheets_sync.console import Outcome
from sheets_sync.store.journal import ACTOR_ENV
from sheets_sync.store.paths import JOURNAL_FILE

__all__ = ["SKILLS", "Skill", "outcome_schema_path", "skills"]

_SHEETS_ACCESS = ("GOOGLE_SERVICE_ACCOUNT_FILE", "MATSYNC_SHEETS_ENDPOINT")
_JSON = "stdout: one JSON object (counts, problems, paths written)"
_OK, _FAILED, _USAGE = (
    ("0", "done; nothing needs a person"),
    ("1", "failed or could not run"),
    ("2", "usage error"),
)
_STOPPED = (
    ("130", "interrupted by SIGINT: no new write was sent; what landed is written back and logged "
            "(outcome interrupted); run it again for the rest"),
    ("143", "interrupted by SIGTERM (a scheduler's stop): as for 130"),
)  # fmt: skip


@dataclass(frozen=True)
class Skill:
    name: str
    summary: str
    command: tuple[str, ...]
    """The command line, JSON output on."""
    dry_run: tuple[str, ...] | None
    """A command line that checks everything and writes nothing, where there is one."""
    requires: tuple[str, ...]
    """Environment variables that must be set."""
    optional: tuple[str, ...]
    outputs: tuple[str, ...]
    """Paths are under MIGRATION_OUTPUT_DIR; tabs are in the workbook."""
    exit_codes: tuple[tuple[str, str], ...]
    when: str


SKILLS: tuple[Skill, ...] = (
    Skill(
        name="run_ppak_export_etl",
        summary="PPak exports -> canonical files through the mapping tabs; unmapped values reported",
        command=("matsync", "--json", "ppak-import"),
        dry_run=None,
        requires=("MATERIAL_LIBRARY_MASTER", "PPAK_EXPORT_DIR"),
        optional=("MIGRATION_OUTPUT_DIR", *_SHEETS_ACCESS),
        outputs=(
            _JSON,
            "canonical/ppak_materials.jsonl",
            "canonical/projects.jsonl",
            "canonical/project_lines.jsonl",
            "reports/etl_report.md",
            "reports/etl_report.html",
            "reports/etl_report.json",
            "ISSUES tab",
        ),
        exit_codes=(_OK, _FAILED, _USAGE),
        when="on demand, whenever new PPak exports land in PPAK_EXPORT_DIR",
    ),
    Skill(
        name="run_innergy_project_import",
        summary="canonical projects -> INNERGY opportunities, idempotent by PPak id; journalled",
        command=("matsync", "--json", "projects-import"),
        dry_run=("matsync", "--json", "projects-import", "--dry-run"),
        requires=("INNERGY_API_KEY", "INNERGY_FACILITY_ID", "INNERGY_BID_TYPE_ID"),
        optional=("MIGRATION_OUTPUT_DIR", "INNERGY_BASE_URL", ACTOR_ENV),
        outputs=(
            _JSON + "; run_id of the journalled run",
            f"{JOURNAL_FILE} (journal: every write, before and after)",
        ),
        exit_codes=(
            _OK,
            _FAILED,
            _USAGE,
            ("3", "done; a BOM import whose answer was lost awaits a person (--landed / --resend)"),
            *_STOPPED,
        ),
        when="after run_ppak_export_etl; safe to repeat (nothing is created twice)",
    ),
    Skill(
        name="sync_innergy_material_library",
        summary="lock; push the approved diff rows to INNERGY; re-plan; log to SYNC_LOG",
        command=("matsync", "--json", "nightly"),
        dry_run=("matsync", "--json", "push", "--dry-run"),
        requires=("MATERIAL_LIBRARY_MASTER", "INNERGY_API_KEY"),
        optional=("MIGRATION_OUTPUT_DIR", "INNERGY_BASE_URL", ACTOR_ENV, *_SHEETS_ACCESS),
        outputs=(
            _JSON + "; run_id and plan_id",
            "plans/<plan id>.json",
            "reports/plan_<plan id>.md, .html, .json",
            f"{JOURNAL_FILE} (journal: every write, before and after)",
            "DIFF_INNERGY, DIFF_PPAK, SYNC_LOG, ISSUES tabs",
        ),
        exit_codes=(
            _OK,
            (
                "1",
                "failed or could not run, a ticked row failed, or the plan was refused (an unreadable "
                "master, a mass deactivation) and a person must look (--allow-mass-deactivate is a "
                "person's word, never added unattended)",
            ),
            _USAGE,
            ("3", "done; new changes or stale rows await review in the diff tabs"),
            ("4", "another run holds the lock; nothing was done, run again later"),
            *_STOPPED,
        ),
        when="nightly; a run that finds the lock held exits 4 and is simply retried next time",
    ),
    Skill(
        name="migration_health_check",
        summary="health report against documented thresholds; a source not configured is reported n/a",
        command=("matsync", "--json", "health"),
        dry_run=None,
        requires=(),
        optional=(
            "MATERIAL_LIBRARY_MASTER",
            "INNERGY_API_KEY",
            "MIGRATION_OUTPUT_DIR",
            "INNERGY_BASE_URL",
            *_SHEETS_ACCESS,
        ),
        outputs=(_JSON + "; healthy and the failing checks", "reports/health.md, .html, .json"),
        exit_codes=(("0", "healthy"), ("1", "unhealthy by the thresholds, or could not run"), _USAGE),
        when="daily, after sync_innergy_material_library",
    ),
)


def skills() -> Outcome:
    """The manifest, as JSON for Otto or as a short listing for a person."""
    listed = [{**asdict(s), "exit_codes": dict(s.exit_codes)} for s in SKILLS]
    lines: list[str] = []
    for skill in SKILLS:
        lines += [
            f"{skill.name}: {skill.summary}",
            f"  run:      {' '.join(skill.command)}",
            f"  needs:    {', '.join(skill.requires) or '-'}",
            f"  exits:    {'; '.join(f'{code} {meaning}' for code, meaning in skill.exit_codes)}",
            f"  when:     {skill.when}",
        ]
    schema = outcome_schema_path()
    lines.append(f"every --json object follows {schema}")
    return Outcome(
        {"command": "skills", "actor_variable": ACTOR_ENV, "skills": listed, "outcome_schema": str(schema)},
        lines=lines,
    )


def outcome_schema_path() -> Path:
    """The JSON Schema of every ``--json`` object (shipped in the package)."""
    return Path(str(resources.files("sheets_sync").joinpath("outcome.schema.json")))
