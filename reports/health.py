"""The migration health report: checks against thresholds, progress and runs, as Markdown,
HTML and JSON.

Each check is a count with the largest count still healthy (``None``: shown, never
failing). A check whose input is missing (no ETL yet, no INNERGY key) says so and does
not fail the report: a missing input is a finding for a person, not a crash. Beside the
checks, which count what is wrong, the report shows how far the migration has come (a
share done of a whole: materials linked 182 / 191) and what the journal's last runs did,
because a migration lead asks "how far are we, and is it moving" before "what is wrong".
HTML is one self-contained page (``reports.page``): inline SVG, every text escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reports import markdown as md
from reports import page

__all__ = [
    "DEFAULT_THRESHOLDS",
    "Check",
    "HealthReport",
    "Progress",
    "RunSummary",
    "health_html",
    "health_json",
    "health_markdown",
    "parse_thresholds",
]

DEFAULT_THRESHOLDS: Mapping[str, int | None] = {
    "inputs_unreadable": 0,
    "innergy_key": 0,
    "projects_without_innergy_id": 0,
    "unmapped_statuses": 0,
    "unmapped_phases": 0,
    "unmapped_skus": 0,
    "unmapped_units": 0,
    "materials_without_innergy_id": 0,
    "drifted_materials": 0,
    "unmanaged_innergy_materials": None,
    "diff_rows_pending": None,
    "diff_rows_stale": 0,
    "diff_rows_failed": 0,
    "last_sync_age_hours": 48,
    "open_issues": None,
    "open_bom_imports": 0,
}
"""Check -> the largest value still healthy (``None``: reported only). Override with
``matsync health --max NAME=N`` (``--max NAME=none`` makes a check informational)."""

LABELS: Mapping[str, str] = {
    "inputs_unreadable": "Configured inputs that could not be read (never healthy)",
    "innergy_key": "INNERGY key check failed",
    "projects_without_innergy_id": "Canonical projects without an INNERGY id",
    "unmapped_statuses": "Unmapped PPak statuses",
    "unmapped_phases": "Unmapped PPak phases",
    "unmapped_skus": "Unmapped PPak SKUs",
    "unmapped_units": "Unmapped PPak units",
    "materials_without_innergy_id": "Master materials without an INNERGY ID",
    "drifted_materials": "INNERGY materials edited outside the master since the last sync",
    "unmanaged_innergy_materials": "INNERGY materials with no external id matching no master row",
    "diff_rows_pending": "Diff rows awaiting review or push",
    "diff_rows_stale": "Diff rows stale",
    "diff_rows_failed": "Diff rows failed",
    "last_sync_age_hours": "Hours since the last successful sync",
    "open_issues": "Open ISSUES rows",
    "open_bom_imports": (
        "BOM imports whose answer was lost, awaiting a person (matsync projects-import --dry-run lists them)"
    ),
}


def parse_thresholds(pairs: Sequence[str]) -> dict[str, int | None]:
    """``NAME=N`` overrides on top of the defaults; an unknown name is a ``ValueError``."""
    thresholds = dict(DEFAULT_THRESHOLDS)
    for pair in pairs:
        name, _, raw = pair.partition("=")
        name = name.strip()
        if name not in thresholds:
            raise ValueError(f"unknown health check {name!r} (known: {', '.join(thresholds)})")
        text = raw.strip().lower()
        if text in ("none", ""):
            thresholds[name] = None
        elif text.isdigit():
            thresholds[name] = int(text)
        else:
            raise ValueError(f"--max {pair!r}: the limit must be a whole number or 'none'")
    return thresholds


@dataclass(frozen=True)
class Check:
    """One figure of the report; ``value`` is ``None`` when its input was not available."""

    name: str
    value: int | None
    limit: int | None
    details: tuple[tuple[str, int], ...] = ()
    """What makes up the figure: (item, count), largest first; shown as a list or table."""
    note: str | None = None
    """Why the figure is missing, or what a person should do (``code`` spans allowed)."""

    @property
    def failing(self) -> bool:
        return self.value is not None and self.limit is not None and self.value > self.limit

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    @property
    def state(self) -> str:
        if self.value is None:
            return "not available"
        return "FAIL" if self.failing else "ok"


@dataclass(frozen=True)
class Progress:
    """A share of the migration done: ``done`` of ``total``; both ``None`` when it could not be
    counted (``note`` says why)."""

    name: str
    label: str
    done: int | None
    total: int | None
    note: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """One journalled run as the trend shows it: when, what, how it ended, what it did."""

    run_id: str
    command: str
    started_at: str
    outcome: str | None
    done: int
    """Changes it applied, exported, created or reverted."""
    stale: int = 0
    failed: int = 0


@dataclass(frozen=True)
class HealthReport:
    created_at: datetime
    checks: tuple[Check, ...]
    progress: tuple[Progress, ...] = ()
    runs: tuple[RunSummary, ...] = ()
    """Oldest first."""
    runs_note: str | None = None
    """Why there are no runs to show, when the journal could not be read."""

    @property
    def healthy(self) -> bool:
        return not any(c.failing for c in self.checks)

    @property
    def failing(self) -> list[Check]:
        return [c for c in self.checks if c.failing]


def health_json(report: HealthReport) -> dict[str, Any]:
    """The key figures, as ``--json`` prints them and ``health.json`` keeps them."""
    return {
        "created_at": report.created_at.isoformat(),
        "healthy": report.healthy,
        "failing": [c.name for c in report.failing],
        "figures": {c.name: c.value for c in report.checks},
        "thresholds": {c.name: c.limit for c in report.checks},
        "checks": [
            {
                "name": c.name,
                "label": c.label,
                "value": c.value,
                "limit": c.limit,
                "state": c.state,
                "note": c.note,
                "details": [{"item": item, "count": n} for item, n in c.details],
            }
            for c in report.checks
        ],
        "progress": [
            {"name": p.name, "label": p.label, "done": p.done, "total": p.total, "note": p.note}
            for p in report.progress
        ],
        "runs": [
            {
                "run_id": r.run_id,
                "command": r.command,
                "started_at": r.started_at,
                "outcome": r.outcome,
                "done": r.done,
                "stale": r.stale,
                "failed": r.failed,
            }
            for r in report.runs
        ],
    }


def _limit(limit: int | None) -> str:
    return "report only" if limit is None else f"≤ {limit}"


def _value(value: int | None) -> str:
    return "-" if value is None else str(value)


def _share(p: Progress) -> str:
    if p.done is None or p.total is None:
        return "not available"
    return f"{p.done} / {p.total}" + (f" ({100 * p.done / p.total:.0f} %)" if p.total else "")


def _no_runs(report: HealthReport) -> str:
    return report.runs_note or (
        "No run in the journal yet: push, nightly, projects-import, undo and export-import-file "
        "each record one."
    )


def _when(run: RunSummary) -> str:
    """``2026-12-03 13:35`` from the journal's ISO time (as stored, UTC)."""
    return run.started_at[:16].replace("T", " ")


def health_markdown(report: HealthReport) -> str:
    verdict = "HEALTHY" if report.healthy else "UNHEALTHY"
    out = [
        f"# Migration health: {verdict}",
        "",
        f"Checked {report.created_at.isoformat(timespec='seconds')}.",
        "",
    ]
    if report.failing:
        out += ["## Problems", ""]
        out += [f"- **{md.cell(c.label)}** (`{c.name}`): {c.value} (limit {c.limit})" for c in report.failing]
        out.append("")
    if report.progress:
        out += ["## Progress", ""]
        out += md.table(
            ("What", "Done", "Note"),
            ([md.cell(p.label), _share(p), md.with_code(p.note or "")] for p in report.progress),
        )
        out.append("")
    out += ["## Runs", ""]
    if not report.runs:
        out += [md.cell(_no_runs(report)), ""]
    else:
        out += md.table(
            ("Started (UTC)", "Command", "Outcome", "Done", "Stale", "Failed", "Run ID"),
            (
                [_when(r), md.cell(r.command), md.cell(r.outcome or "running"), str(r.done), str(r.stale),
                 str(r.failed), md.cell(r.run_id)]
                for r in report.runs
            ),
        )  # fmt: skip
        out.append("")
    out += ["## Checks", ""]
    out += md.table(
        ("Check", "Name", "Value", "Threshold", "State", "Note"),
        (
            [
                md.cell(c.label),
                f"`{c.name}`",
                _value(c.value),
                _limit(c.limit),
                c.state,
                md.with_code(c.note or ""),
            ]
            for c in report.checks
        ),
    )
    for c in report.checks:
        if c.details:
            out += [
                "",
                f"### {md.cell(c.label)}",
                "",
                *md.table(("Item", "Count"), ([md.cell(i), str(n)] for i, n in c.details)),
            ]
    out += [
        "",
        "## Thresholds",
        "",
        "Each check fails when its value is above its threshold; `matsync health` then exits 1.",
        "Change one with `matsync health --max NAME=N`, or `--max NAME=none` to report it only.",
        "A check whose input is missing is shown as not available and does not fail.",
        "",
    ]
    out += [f"- `{c.name}`: {_limit(c.limit)}" for c in report.checks]
    return "\n".join(out) + "\n"


_DONE, _STALE, _FAILED = "#1e8e3e", "#f29900", "#d93025"
_STYLE = (
    "tr.fail td{background:#fce8e6}td.state-FAIL{color:#a50e0e;font-weight:600}"
    ".items{columns:3 18em;margin:4px 0;padding-left:1.2em}.items li{break-inside:avoid}"
    ".problems li{margin:2px 0}.charts>div{flex:1 1 460px;max-width:640px}"
)


def _progress_html(report: HealthReport) -> str:
    if not report.progress:
        return ""
    meters = [page.Meter(p.label, p.done, p.total) for p in report.progress]
    notes = "".join(
        f"<li><b>{page.esc(p.label)}</b>: {page.with_code(p.note)}</li>" for p in report.progress if p.note
    )
    return (
        f"<div>{page.figure('How far the migration has come', page.meters('Progress', meters))}"
        + (f'<ul class="muted">{notes}</ul>' if notes else "")
        + "</div>"
    )


def _runs_html(report: HealthReport) -> str:
    if not report.runs:
        return f'<div><h3>Runs</h3><p class="muted">{page.esc(_no_runs(report))}</p></div>'
    points = [
        page.Column(
            _when(r)[5:10],
            r.command,
            (
                page.Bar("done", r.done, _DONE),
                page.Bar("stale", r.stale, _STALE),
                page.Bar("failed", r.failed, _FAILED),
            ),
            alarm=r.outcome not in ("ok", "exported"),
        )
        for r in report.runs
    ]
    key = page.legend(
        [(_DONE, "done", "changes applied, created or reverted"), (_STALE, "stale", "ticked rows left alone"),
         (_FAILED, "failed", "writes INNERGY refused")]
    )  # fmt: skip
    last = report.runs[-1]
    caption = (
        "What the last run did" if len(points) == 1 else f"What the last {len(points)} runs did, oldest left"
    )
    return (
        f"<div>{page.figure(caption, page.columns('Runs', points))}{key}"
        f'<p class="muted">A red label: the run did not end ok. Last: {page.esc(last.command)} '
        f"{page.esc(_when(last))} UTC, {page.esc(last.outcome or 'still running')}, run "
        f"{page.esc(last.run_id)} (<code>matsync history</code> lists every run).</p></div>"
    )


def _details_html(check: Check) -> str:
    """A check's items: a compact list when each counts once, else a table with counts."""
    if all(n == 1 for _, n in check.details):
        items = "".join(f"<li>{page.esc(item)}</li>" for item, _ in check.details)
        return f'<ul class="items">{items}</ul>'
    return page.table(("Item", "Count"), check.details, {"Count"})


def _failing_html(report: HealthReport) -> str:
    if not report.failing:
        return "<p>No check is above its threshold.</p>"
    problems = "".join(
        f"<li><b>{page.esc(c.label)}</b>: {c.value} (limit {c.limit}); "
        f"to change the limit: <code>--max {page.esc(c.name)}=N</code></li>"
        for c in report.failing
    )
    return f'<h2>What needs a person</h2><ul class="problems">{problems}</ul>'


def _check_row(c: Check) -> str:
    state = f'<td class="state-{c.state.replace(" ", "-")}">{page.esc(c.state)}</td>'
    row = '<tr class="fail">' if c.failing else "<tr>"
    return (
        f"{row}<td>{page.esc(c.label)}</td>"
        f'<td><code>{page.esc(c.name)}</code></td><td class="num">{_value(c.value)}</td>'
        f"<td>{page.esc(_limit(c.limit))}</td>{state}<td>{page.with_code(c.note)}</td></tr>"
    )


def health_html(report: HealthReport) -> str:
    """One self-contained page: verdict, what fails, progress, runs, every check with its name."""
    healthy = report.healthy
    checks = (
        "<h2>Checks</h2><table><thead><tr><th>Check</th><th>Name (for <code>--max</code>)</th>"
        '<th class="num">Value</th><th>Threshold</th><th>State</th><th>Note</th></tr></thead>'
        f"<tbody>{''.join(map(_check_row, report.checks))}</tbody></table>"
        '<p class="muted">A check fails when its value is above its threshold; change one with '
        "<code>matsync health --max NAME=N</code> (<code>--max NAME=none</code>: report only). "
        "A check whose input is missing is shown as not available.</p>"
    )
    details = "".join(
        f"<h3>{page.esc(c.label)} ({c.value})</h3>{_details_html(c)}" for c in report.checks if c.details
    )
    verdict = (
        f'<span class="verdict {"ok" if healthy else "bad"}">{"HEALTHY" if healthy else "UNHEALTHY"}</span>'
    )
    body = (
        f"<h1>Migration health: {verdict}</h1>"
        f'<p class="muted">Checked {page.esc(report.created_at.isoformat(timespec="seconds"))}.</p>'
        f"{_failing_html(report)}<h2>Progress</h2>"
        f'<div class="charts">{_progress_html(report)}{_runs_html(report)}</div>{checks}'
        + (f"<h2>Details</h2>{details}" if details else "")
    )
    return page.page("Migration health", body, _STYLE)
