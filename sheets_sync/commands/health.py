"""``matsync health``: gather the migration's figures, judge them, write the report.

The figures come from pure functions over data (canonical records, INNERGY's library,
the journal's sync baseline and runs, the diff and ISSUES tabs); ``check_health`` only
reads the sources, one at a time, and turns a source that cannot be read into a check
(and a progress figure) marked "not available" with the reason. A missing ETL or key is a
finding, never a crash; a bad key is a failing check whose message names the variable,
never the key.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from canonical.errors import ExitCode, InnergyAuthError, MasterTabError, MatsyncError
from canonical.models import InnergyMaterial, Material, Project, ProjectLine
from canonical.plan import is_tick
from canonical.serialize import fingerprint
from reports.health import (
    DEFAULT_THRESHOLDS,
    Check,
    HealthReport,
    Progress,
    RunSummary,
    health_html,
    health_json,
    health_markdown,
    parse_thresholds,
)
from sheets_sync.approval.targets import BOM_TARGET
from sheets_sync.config import Settings
from sheets_sync.console import Outcome
from sheets_sync.master.reader import parse_library
from sheets_sync.master.tabs import DIFF_INNERGY, DIFF_PPAK, ISSUES, MAPPING_TABS, MASTER
from sheets_sync.store.files import read_jsonl
from sheets_sync.store.journal import Journal, Run
from sheets_sync.store.paths import Outputs

T = TypeVar("T")

__all__ = [
    "check_health",
    "diff_row_states",
    "diff_rows_reviewed",
    "drifted",
    "health",
    "journal_open_boms",
    "journal_runs",
    "mapping_coverage",
    "materials_without_id",
    "open_issues",
    "projects_without_id",
    "run_summary",
    "unmanaged",
    "unmapped_counts",
]

Counts = list[tuple[str, int]]
_DRIFT_IGNORED = {"created_on", "modified_on"}


def _counted(values: Iterable[str | None]) -> Counts:
    return Counter(v for v in values if v).most_common()


def projects_without_id(projects: Iterable[Project]) -> Counts:
    return [(f"{p.external_id}: {p.name}", 1) for p in projects if not p.innergy_id]


def unmapped_counts(
    projects: Iterable[Project], lines: Iterable[ProjectLine], etl_report: Mapping[str, Any] | None = None
) -> dict[str, Counts]:
    """Unmapped PPak values with how often each occurs.

    The ETL report's ``unmapped`` section wins per kind (it also sees units and rows the
    ETL left out); otherwise they are read off the canonical records, where a PPak value
    without its canonical counterpart is what unmapped means.
    """
    projects, lines = list(projects), list(lines)
    found = {
        "statuses": _counted(p.ppak_status for p in projects if not p.status),
        "phases": _counted(p.ppak_phase for p in projects if not p.phase),
        "skus": _counted(line.ppak_sku for line in lines if not line.sku),
        "units": [],
    }
    section = (etl_report or {}).get("unmapped") or {}
    for kind in found:
        given = section.get(kind)
        if isinstance(given, Mapping):
            found[kind] = sorted(((str(k), int(v)) for k, v in given.items()), key=lambda kv: -kv[1])
        elif isinstance(given, list):
            found[kind] = [
                (str(i.get("value")), int(i.get("count", 1))) for i in given if isinstance(i, Mapping)
            ]
    return found


def mapping_coverage(
    projects: Iterable[Project],
    lines: Iterable[ProjectLine],
    ppak_items: Iterable[Material],
    unmapped: Mapping[str, Counts],
) -> dict[str, tuple[int, int]]:
    """Per kind (statuses, phases, SKUs): how many distinct PPak values are mapped, of those seen.

    Values are told apart trimmed and case-folded. Seen are those the canonical records
    carry and those reported unmapped (the ETL also counts rows it left out). Units are not
    counted: the canonical records hold them already mapped, so the PPak values seen are
    not known here (unmapped units stay a check).
    """
    projects, lines = list(projects), list(lines)
    seen = {
        "statuses": [p.ppak_status for p in projects],
        "phases": [p.ppak_phase for p in projects],
        "skus": [line.ppak_sku for line in lines] + [code for item in ppak_items for code in item.ppak_skus],
    }
    coverage = {}
    for kind, values in seen.items():
        missing = {_value_key(value) for value, _ in unmapped.get(kind, [])}
        known = {_value_key(v) for v in values if v and v.strip()} | missing
        coverage[kind] = (len(known - missing), len(known))
    return coverage


def _value_key(value: str) -> str:
    return value.strip().casefold()


def materials_without_id(materials: Iterable[Material]) -> Counts:
    return [(f"{m.sku}: {m.name}", 1) for m in materials if m.active and not m.innergy_id]


def _content(record: InnergyMaterial) -> str:
    return fingerprint(record.model_dump(mode="json", exclude=_DRIFT_IGNORED))


def drifted(current: Iterable[InnergyMaterial], baseline: Mapping[str, InnergyMaterial]) -> Counts:
    """INNERGY records that differ from what the last sync left there (edited in INNERGY)."""
    return [
        (f"{r.external_id or r.innergy_id}: {r.name}", 1)
        for r in current
        if r.innergy_id is not None
        and r.innergy_id in baseline
        and _content(r) != _content(baseline[r.innergy_id])
    ]


def unmanaged(current: Iterable[InnergyMaterial], materials: Iterable[Material]) -> Counts:
    """Hand-entered INNERGY records (no external id) whose name matches no master row."""
    names = {m.name.casefold() for m in materials}
    return [(r.name, 1) for r in current if not r.external_id and r.name.casefold() not in names]


def _header(rows: Sequence[Sequence[Any]], first: str) -> tuple[int, dict[str, int]] | None:
    for number, row in enumerate(rows):
        keys = [str(c).strip().casefold() if c is not None else "" for c in row]
        if first in keys:
            return number, {k: i for i, k in enumerate(keys) if k}
    return None


def diff_row_states(tabs: Iterable[Sequence[Sequence[Any]]]) -> dict[str, Counts]:
    """Rows of the diff tabs by state: pending (no Result yet), stale, failed."""
    states: dict[str, Counts] = {"pending": [], "stale": [], "failed": []}
    for rows in tabs:
        found = _header(rows, "change id")
        if found is None:
            continue
        at, columns = found
        cid, result = columns["change id"], columns.get("result")
        for row in rows[at + 1 :]:
            change = row[cid] if cid < len(row) else None
            if not change:
                continue
            text = str(row[result] or "").strip() if result is not None and result < len(row) else ""
            state = "pending" if not text else text.split(":", 1)[0].strip().casefold()
            if state in states:
                states[state].append((f"{change}: {text}" if text else str(change), 1))
    return states


def diff_rows_reviewed(tabs: Iterable[Sequence[Sequence[Any]]]) -> tuple[int, int]:
    """(rows a person has dealt with, rows) of the diff tabs: a row is dealt with once ticked
    or once it has a Result (push wrote one, or a tick was withdrawn)."""
    reviewed = total = 0
    for rows in tabs:
        found = _header(rows, "change id")
        if found is None:
            continue
        at, columns = found
        cid, approve, result = columns["change id"], columns.get("approve"), columns.get("result")
        for row in rows[at + 1 :]:
            if cid >= len(row) or not row[cid]:
                continue
            total += 1
            ticked = approve is not None and approve < len(row) and is_tick(row[approve])
            written = result is not None and result < len(row) and str(row[result] or "").strip()
            reviewed += bool(ticked or written)
    return reviewed, total


def open_issues(rows: Sequence[Sequence[Any]]) -> Counts:
    """ISSUES rows below the header, by severity."""
    found = _header(rows, "severity")
    if found is None:
        return []
    at, columns = found
    severity = columns["severity"]
    return _counted(
        str(row[severity] or "unspecified") if severity < len(row) else "unspecified"
        for row in rows[at + 1 :]
        if any(c not in (None, "") for c in row)
    )


# -- reading the sources -------------------------------------------------------------------


def _check(name: str, thresholds: Mapping[str, int | None], details: Counts) -> Check:
    return Check(name, sum(n for _, n in details), thresholds[name], tuple(details))


def _missing(name: str, thresholds: Mapping[str, int | None], why: str) -> Check:
    return Check(name, None, thresholds[name], note=why)


def _read_json(path: Path) -> Mapping[str, Any] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, Mapping) else None


_MAPPED = {
    "statuses": "Distinct PPak statuses mapped",
    "phases": "Distinct PPak phases mapped",
    "skus": "Distinct PPak SKUs mapped",
}


def _canonical_checks(out: Path, limits: Mapping[str, int | None]) -> tuple[list[Check], list[Progress]]:
    """The checks and progress figures of the ETL's canonical files."""
    files = Outputs(out)
    projects_path, lines_path = files.canonical("projects.jsonl"), files.canonical("project_lines.jsonl")
    items_path = files.canonical("ppak_materials.jsonl")
    kinds = ("statuses", "phases", "skus", "units")
    if not projects_path.is_file():
        why = "no canonical projects yet: run `matsync ppak-import`"
        checks = [_missing("projects_without_innergy_id", limits, why)]
        checks += [_missing(f"unmapped_{k}", limits, why) for k in kinds]
        progress = [Progress("projects_imported", "Projects imported into INNERGY", None, None, why)]
        progress += [Progress(f"mapped_{k}", label, None, None, why) for k, label in _MAPPED.items()]
        return checks, progress
    projects = read_jsonl(projects_path, Project)[0]
    lines = read_jsonl(lines_path, ProjectLine)[0] if lines_path.is_file() else []
    items = read_jsonl(items_path, Material)[0] if items_path.is_file() else []
    without = projects_without_id(projects)
    checks = [_check("projects_without_innergy_id", limits, without)]
    unmapped = unmapped_counts(projects, lines, _read_json(files.report("etl_report.json")))
    checks += [_check(f"unmapped_{k}", limits, unmapped[k]) for k in kinds]
    progress = [
        Progress(
            "projects_imported", "Projects imported into INNERGY", len(projects) - len(without), len(projects)
        )
    ]
    coverage = mapping_coverage(projects, lines, items, unmapped)
    progress += [Progress(f"mapped_{k}", label, *coverage[k]) for k, label in _MAPPED.items()]
    return checks, progress


def _master(out: Path, read: Mapping[str, Sequence[Sequence[Any]]] | None) -> list[Material] | None:
    """The master as the workbook holds it now (push writes INNERGY IDs there); without a
    readable workbook, as the last pull or plan saved it."""
    if read is not None and MASTER in read:
        return list(parse_library(read)[0].materials)  # type: ignore[arg-type]
    path = Outputs(out).canonical("materials.jsonl")
    return read_jsonl(path, Material)[0] if path.is_file() else None


def _innergy(settings: Settings) -> tuple[list[InnergyMaterial] | None, str | None, bool]:
    """INNERGY's library (or None), why it is missing, and whether the key was refused."""
    if settings.innergy_api_key is None:
        return None, "INNERGY_API_KEY is not set: INNERGY was not checked", False
    from innergy_client import to_canonical
    from sheets_sync.connect import innergy_client

    try:
        with innergy_client(settings) as client:
            client.version()
            return [to_canonical(m) for m in client.list_materials()], None, False
    except InnergyAuthError as exc:
        return None, f"{exc}: {exc.hint}" if exc.hint else str(exc), True
    except MatsyncError as exc:
        return None, f"INNERGY could not be read: {exc}", False


def _last_age_hours(last: datetime | None, now: datetime) -> int | None:
    if last is None:
        return None
    last = last if last.tzinfo else last.replace(tzinfo=UTC)
    return int((now - last).total_seconds() // 3600)


Baseline = Callable[[Settings], tuple[Mapping[str, InnergyMaterial], datetime | None]]
Tabs = Callable[[Settings, Sequence[str]], Mapping[str, Sequence[Sequence[Any]]]]
Runs = Callable[[Settings], Sequence[Run]]
OpenBoms = Callable[[Settings], Counts | None]


def _linked(master: Sequence[Material] | None, why: str) -> Progress:
    label = "Materials linked to INNERGY (active master rows with an INNERGY ID)"
    if master is None:
        return Progress("materials_linked", label, None, None, why)
    active = [m for m in master if m.active]
    return Progress("materials_linked", label, sum(bool(m.innergy_id) for m in active), len(active))


def _reviewed(read: Mapping[str, Sequence[Sequence[Any]]] | None, why: str) -> Progress:
    label = "Diff rows reviewed (ticked, or with a Result)"
    if read is None:
        return Progress("diff_rows_reviewed", label, None, None, why)
    return Progress(
        "diff_rows_reviewed",
        label,
        *diff_rows_reviewed([read.get(DIFF_INNERGY, []), read.get(DIFF_PPAK, [])]),
    )


def gather(
    settings: Settings,
    thresholds: Mapping[str, int | None],
    now: datetime,
    baseline: Baseline,
    tabs: Tabs,
    runs: Runs,
    open_boms: OpenBoms,
) -> HealthReport:
    """Every check, each from its own source; a source that fails marks only its checks."""
    out, limits = settings.output_dir, thresholds
    checks, progress = _canonical_checks(out, limits)
    try:
        read: Mapping[str, Sequence[Sequence[Any]]] | None = tabs(
            settings, (DIFF_INNERGY, DIFF_PPAK, ISSUES, MASTER, *MAPPING_TABS)
        )
        unreadable = None
    except (MatsyncError, OSError) as exc:
        read, unreadable = None, f"workbook not readable: {exc}"
    # inputs the settings name that could not be read: "not available" is never healthy
    lost = [f"the workbook ({unreadable})"] if settings.workbook and unreadable else []
    try:
        master, no_master = _master(out, read), "no canonical master: run `matsync pull`"
    except MasterTabError as exc:  # a master read through a broken header says nothing
        master, no_master = None, f"the master is not readable: {exc}"
        lost.append(no_master)
    if master is None:
        checks.append(_missing("materials_without_innergy_id", limits, no_master))
    else:
        checks.append(_check("materials_without_innergy_id", limits, materials_without_id(master)))
    progress.insert(0, _linked(master, no_master))
    progress.append(_reviewed(read, unreadable or "workbook not readable"))
    current, why, refused = _innergy(settings)
    checks.append(Check("innergy_key", int(refused) if refused or current is not None else None,
                        limits["innergy_key"], note=why))  # fmt: skip
    try:
        synced, last = baseline(settings)
        age: Check = Check("last_sync_age_hours", _last_age_hours(last, now), limits["last_sync_age_hours"],
                           note=None if last else "no successful sync in the journal yet")  # fmt: skip
    except (MatsyncError, OSError) as exc:
        synced, age = {}, _missing("last_sync_age_hours", limits, f"journal not readable: {exc}")
        lost.append(f"the journal ({exc})")
    try:
        boms = open_boms(settings)
        checks.append(
            _missing("open_bom_imports", limits, "no journal yet")
            if boms is None
            else _check("open_bom_imports", limits, boms)
        )
    except (MatsyncError, OSError) as exc:
        checks.append(_missing("open_bom_imports", limits, f"journal not readable: {exc}"))
    if current is None:
        checks += [
            _missing(n, limits, why or "") for n in ("drifted_materials", "unmanaged_innergy_materials")
        ]
    else:
        checks.append(_check("drifted_materials", limits, drifted(current, synced)))
        if master is None:
            checks.append(_missing("unmanaged_innergy_materials", limits, "no canonical master"))
        else:
            checks.append(_check("unmanaged_innergy_materials", limits, unmanaged(current, master)))
    checks.append(age)
    if settings.innergy_api_key is not None and current is None and not refused:
        lost.append(f"INNERGY ({why})")
    checks.append(
        Check("inputs_unreadable", len(lost), limits["inputs_unreadable"], note="; ".join(lost) or None)
    )
    if read is not None:
        states = diff_row_states([read.get(DIFF_INNERGY, []), read.get(DIFF_PPAK, [])])
        checks += [_check(f"diff_rows_{s}", limits, states[s]) for s in ("pending", "stale", "failed")]
        checks.append(_check("open_issues", limits, open_issues(read.get(ISSUES, []))))
    else:
        why = unreadable or "workbook not readable"
        checks += [
            _missing(n, limits, why) for n in ("diff_rows_pending", "diff_rows_stale", "diff_rows_failed")
        ]
        checks.append(_missing("open_issues", limits, why))
    try:
        history, no_history = tuple(map(run_summary, runs(settings))), None
    except (MatsyncError, OSError) as exc:  # the trend is a picture, not a check
        history, no_history = (), f"journal not readable: {exc}"
    order = list(DEFAULT_THRESHOLDS)
    ordered = tuple(sorted(checks, key=lambda c: order.index(c.name)))
    return HealthReport(now, ordered, tuple(progress), history, no_history)


def check_health(
    settings: Settings,
    thresholds: Mapping[str, int | None],
    baseline: Baseline,
    tabs: Tabs,
    now: datetime | None = None,
    runs: Runs | None = None,
    open_boms: OpenBoms | None = None,
) -> Outcome:
    """``matsync health``: write ``reports/health.{md,html,json}``; exit 1 when unhealthy.

    ``runs`` gives the journal's runs for the trend (default: ``journal_runs``), ``open_boms``
    its open BOM imports (default: ``journal_open_boms``)."""
    report = gather(
        settings,
        thresholds,
        now or datetime.now(UTC),
        baseline,
        tabs,
        runs or journal_runs,
        open_boms or journal_open_boms,
    )
    folder = settings.output_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    figures = health_json(report)
    paths = {
        "md": folder / "health.md",
        "html": folder / "health.html",
        "json": folder / "health.json",
    }
    paths["md"].write_text(health_markdown(report), encoding="utf-8")
    paths["html"].write_text(health_html(report), encoding="utf-8")
    paths["json"].write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = {
        "command": "health",
        **({} if report.healthy else {"error": f"migration unhealthy: {', '.join(figures['failing'])}"}),
        "healthy": report.healthy,
        "failing": figures["failing"],
        "figures": figures["figures"],
        "paths": {k: str(p) for k, p in paths.items()},
    }
    lines = [f"migration {'healthy' if report.healthy else 'UNHEALTHY'}; report: {paths['md']}"]
    lines += [
        f"FAIL {c.label}: {c.value} (limit {c.limit})" + (f": {c.note}" if c.note else "")
        for c in report.failing
    ]
    lines += [f"n/a  {c.label}: {c.note}" for c in report.checks if c.value is None]
    return Outcome(summary, ExitCode.OK if report.healthy else ExitCode.FAILED, lines)


def journal_baseline(settings: Settings) -> tuple[Mapping[str, InnergyMaterial], datetime | None]:
    """The journal's sync baseline and the time of the last successful sync (none yet: empty)."""
    none: tuple[Mapping[str, InnergyMaterial], datetime | None] = ({}, None)
    return _from_journal(settings, lambda journal: (journal.baseline(), journal.last_success()), none)


_TREND_RUNS = 20
_DONE_BY_PUSH = ("applied", "exported")
_DONE_OTHERWISE = ("created", "updated", "deactivated", "reactivated")


def run_summary(run: Run) -> RunSummary:
    """A run as the trend draws it. ``done``: what push and export-import-file count as applied
    or exported; for projects-import and undo, what they created, updated or (re)activated."""
    counts = run.counts
    keys = _DONE_BY_PUSH if "applied" in counts else _DONE_OTHERWISE
    done = sum(int(counts.get(key) or 0) for key in keys)
    stale, failed = int(counts.get("stale") or 0), int(counts.get("failed") or 0)
    return RunSummary(run.run_id, run.command, run.started_at, run.outcome, done, stale, failed)


def journal_runs(settings: Settings) -> list[Run]:
    """The journal's last runs, oldest first (no journal yet: none)."""
    return _from_journal(settings, lambda journal: journal.runs(limit=_TREND_RUNS)[::-1], [])


def journal_open_boms(settings: Settings) -> Counts | None:
    """The BOM imports whose answer was lost, by INNERGY project id (no journal yet: None).

    Only a person can settle one (a BOM cannot be read back), so each is a finding until
    ``projects-import --landed`` or ``--resend`` records their word."""
    return _from_journal(
        settings, lambda journal: _counted(w.key for w in journal.pending_writes(BOM_TARGET)), None
    )


def _from_journal(settings: Settings, read: Callable[[Journal], T], absent: T) -> T:
    """``read`` of the journal, opened for it alone; ``absent`` when there is no journal yet."""
    from sheets_sync.connect import existing_journal

    journal = existing_journal(settings)
    if journal is None:
        return absent
    with journal:
        return read(journal)


def workbook_tabs(settings: Settings, names: Sequence[str]) -> Mapping[str, Sequence[Sequence[Any]]]:
    """The named tabs of the configured workbook, in one read."""
    settings.workbook_ref()  # no workbook configured: a clear ConfigError, before any backend loads
    from sheets_sync.connect import open_workbook

    with open_workbook(settings) as workbook:
        return workbook.read_tabs(names)


def health(settings: Settings, limits: Sequence[str] = ()) -> Outcome:
    """``matsync health`` on the real sources; ``limits`` are ``NAME=N`` overrides.

    A malformed override raises ``ValueError`` (the CLI reports it as a usage error).
    """
    return check_health(settings, parse_thresholds(limits), journal_baseline, workbook_tabs)
