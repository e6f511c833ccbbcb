"""The health report's rendering: verdict from thresholds, escaped text, self-contained HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

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

WHEN = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SVG = {"xmlns", "width", "height", "viewbox", "role", "aria-label", "font-size", "font-weight", "x", "y"}
SVG |= {"x1", "x2", "y1", "y2", "rx", "fill", "stroke", "text-anchor"}


class _Elements(HTMLParser):
    """Every attribute name on the page: none may load (src, href) or run (on...) anything."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes |= {name for name, _ in attrs}


def _report(*checks: Check) -> HealthReport:
    return HealthReport(WHEN, checks)


def test_a_check_fails_only_above_its_limit_and_missing_never_fails() -> None:
    report = _report(
        Check("unmapped_statuses", 2, 1, (("On Hold", 2),)),
        Check("drifted_materials", 0, 0),
        Check("open_issues", 40, None),
        Check("last_sync_age_hours", None, 48, note="no successful sync yet"),
    )

    assert not report.healthy
    assert [c.name for c in report.failing] == ["unmapped_statuses"]
    figures = health_json(report)
    assert figures["failing"] == ["unmapped_statuses"]
    assert figures["figures"]["last_sync_age_hours"] is None
    assert _report(Check("unmapped_statuses", 1, 1)).healthy


def test_user_text_is_escaped_in_markdown_and_html(naughty_strings: list[str]) -> None:
    hostile = '<script>alert(1)</script> | `x` =HYPERLINK("http://evil")'
    details = tuple((s, 1) for s in [hostile, *naughty_strings[:200]])
    report = _report(Check("unmapped_skus", len(details), 0, details, note=hostile))

    page = health_html(report)
    markdown = health_markdown(report)

    assert "<script>" not in page and "&lt;script&gt;" in page
    elements = _Elements()
    elements.feed(page)
    assert elements.attributes <= {"class", "style", "lang", "charset", "http-equiv", "content", "name"} | SVG
    assert "<script>" not in markdown
    table = [line for line in markdown.splitlines() if "HYPERLINK" in line]
    assert table and all(line.count(" | ") - line.count("\\|") <= 5 for line in table)


def test_html_draws_progress_in_proportion_and_each_run() -> None:
    report = HealthReport(
        WHEN,
        (Check("projects_without_innergy_id", 1, 0, (("23014: St. Luke's", 1),)),),
        progress=(
            Progress("materials_linked", "Materials linked", 150, 200),
            Progress("projects_imported", "Projects imported", 0, 5),
            Progress("mapped_skus", "PPak SKUs mapped", None, None, "run `matsync ppak-import`"),
        ),
        runs=(
            RunSummary("r1", "push", "2026-11-23T02:30:00+00:00", "ok", done=8, stale=2),
            RunSummary("r2", "nightly", "2026-11-24T02:30:00+00:00", "interrupted", done=3, failed=1),
        ),
    )

    page = health_html(report)
    markdown = health_markdown(report)

    track, filled = (int(w) for w in re.findall(r'<rect x="0" y="\d+" width="(\d+)"', page)[:2])
    assert filled == round(track * 150 / 200)  # 75 % of the track, drawn in proportion
    assert "150 / 200 · 75 %" in page and "0 / 5 · 0 %" in page and "not available" in page
    assert "<code>matsync ppak-import</code>" in page and "`matsync" not in page
    assert len(re.findall(r"<title>11-2[34] \w+: \d+ (done|stale|failed)</title>", page)) == 4  # parts not 0
    assert "| 2026-11-24 02:30 | nightly | interrupted | 3 | 0 | 1 | r2 |" in markdown
    assert "| Materials linked | 150 / 200 (75 %) |" in markdown
    assert "<code>projects_without_innergy_id</code>" in page  # the name --max takes


def test_markdown_documents_every_threshold() -> None:
    checks = tuple(Check(name, 0, limit) for name, limit in DEFAULT_THRESHOLDS.items())

    markdown = health_markdown(_report(*checks))

    assert "HEALTHY" in markdown and "--max NAME=N" in markdown
    for name in DEFAULT_THRESHOLDS:
        assert f"`{name}`" in markdown


def test_thresholds_parse_and_reject_nonsense() -> None:
    limits = parse_thresholds(["drifted_materials=3", "open_issues=5", "diff_rows_stale=none"])

    assert (limits["drifted_materials"], limits["open_issues"], limits["diff_rows_stale"]) == (3, 5, None)
    assert limits["unmapped_units"] == DEFAULT_THRESHOLDS["unmapped_units"]
    with pytest.raises(ValueError, match="unknown health check"):
        parse_thresholds(["drift=1"])
    with pytest.raises(ValueError, match="whole number"):
        parse_thresholds(["drifted_materials=-1"])
