"""The migration health report: checks against thresholds, as Markdown, HTML and JSON.

Each check is a count with the largest count still healthy (``None``: shown, never
failing). A check whose input is missing (no ETL yet, no INNERGY key) says so and does
not fail the report: a missing input is a finding for a person, not a crash. HTML is
one self-contained page: inline SVG bars, every text escaped, nothing fetched.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "DEFAULT_THRESHOLDS",
    "Check",
    "HealthReport",
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
    """What makes up the figure: (item, count), largest first; shown as a table / bars."""
    note: str | None = None
    """Why the figure is missing, or what a person should do."""
    chart: bool = False
    """Draw ``details`` as bars in the HTML (where counts differ enough to read a picture)."""

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
class HealthReport:
    created_at: datetime
    checks: tuple[Check, ...]

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
    }


def _md(text: Any) -> str:
    """Table-safe Markdown text: pipes, backticks, angle brackets and newlines defused."""
    out = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    return out.replace("<", "&lt;").replace(">", "&gt;").replace("\r", " ").replace("\n", " ")


def _limit(limit: int | None) -> str:
    return "report only" if limit is None else f"≤ {limit}"


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
        out += [f"- **{_md(c.label)}**: {c.value} (limit {c.limit})" for c in report.failing]
        out.append("")
    out += ["## Checks", "", "| Check | Value | Threshold | State | Note |", "|---|---:|---|---|---|"]
    for c in report.checks:
        value = "-" if c.value is None else str(c.value)
        out.append(f"| {_md(c.label)} | {value} | {_limit(c.limit)} | {c.state} | {_md(c.note or '')} |")
    for c in report.checks:
        if c.details:
            out += ["", f"### {_md(c.label)}", "", "| Item | Count |", "|---|---:|"]
            out += [f"| {_md(item)} | {n} |" for item, n in c.details]
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


_BAR_HEIGHT = 18
_BAR_WIDTH = 320


def _bars(details: Sequence[tuple[str, int]], limit: int = 15) -> str:
    """Horizontal bars for (item, count): an inline SVG, text escaped, no scripts."""
    shown = list(details[:limit])
    top = max((n for _, n in shown), default=0) or 1
    height = _BAR_HEIGHT * len(shown) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="560" height="{height}" role="img">']
    for i, (item, n) in enumerate(shown):
        y = i * _BAR_HEIGHT + 2
        width = max(1, round(_BAR_WIDTH * n / top))
        label = html.escape(item if len(item) <= 28 else item[:27] + "…")
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="12">{label}</text>'
            f'<rect x="200" y="{y}" width="{width}" height="{_BAR_HEIGHT - 4}" fill="#c0504d"/>'
            f'<text x="{206 + width}" y="{y + 13}" font-size="12">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def health_html(report: HealthReport) -> str:
    verdict = "HEALTHY" if report.healthy else "UNHEALTHY"
    colour = "#2e7d32" if report.healthy else "#c62828"
    rows = []
    for c in report.checks:
        value = "-" if c.value is None else str(c.value)
        style = ' style="background:#fde0dc"' if c.failing else ""
        rows.append(
            f"<tr{style}><td>{html.escape(c.label)}</td><td>{value}</td>"
            f"<td>{html.escape(_limit(c.limit))}</td><td>{c.state}</td>"
            f"<td>{html.escape(c.note or '')}</td></tr>"
        )
    charts = [
        f"<h3>{html.escape(c.label)}</h3>{_bars(c.details)}" for c in report.checks if c.details and c.chart
    ]
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Migration health</title>'
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 8px;border-bottom:1px solid #ddd}"
        "table{border-collapse:collapse}</style></head><body>"
        f'<h1>Migration health: <span style="color:{colour}">{verdict}</span></h1>'
        f"<p>Checked {html.escape(report.created_at.isoformat(timespec='seconds'))}.</p>"
        "<table><tr><th>Check</th><th>Value</th><th>Threshold</th><th>State</th><th>Note</th></tr>"
        + "".join(rows)
        + "</table>"
        + "".join(charts)
        + "<p>A check fails when its value is above its threshold (change with "
        "<code>matsync health --max NAME=N</code>); missing inputs are shown, never failed.</p>"
        "</body></html>\n"
    )
