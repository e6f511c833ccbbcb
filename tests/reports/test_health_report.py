"""The health report's rendering: verdict from thresholds, escaped text, self-contained HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from reports.health import (
    DEFAULT_THRESHOLDS,
    Check,
    HealthReport,
    health_html,
    health_json,
    health_markdown,
    parse_thresholds,
)

WHEN = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _report(*checks: Check) -> HealthReport:
    return HealthReport(WHEN, checks)


def test_a_check_fails_only_above_its_limit_and_missing_never_fails() -> None:
    report = _report(
        Check("unmapped_statuses", 2, 1, (("On Hold", 2),), chart=True),
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
    report = _report(Check("unmapped_skus", len(details), 0, details, note=hostile, chart=True))

    page = health_html(report)
    markdown = health_markdown(report)

    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not re.search(r"\b(src|href)=", page)
    assert "<script>" not in markdown
    table = [line for line in markdown.splitlines() if "HYPERLINK" in line]
    assert table and all(line.count(" | ") - line.count("\\|") <= 5 for line in table)


def test_html_draws_inline_bars_for_charted_checks() -> None:
    report = _report(
        Check("unmapped_units", 5, 0, (("SHT", 4), ("ROLL", 1)), chart=True),
        Check("projects_without_innergy_id", 1, 0, (("23014: St. Luke's", 1),)),
    )

    page = health_html(report)

    assert page.count("<svg") == 1
    widths = [int(w) for w in re.findall(r'<rect [^>]*width="(\d+)"', page)]
    assert widths == sorted(widths, reverse=True) and widths[0] == 4 * widths[1]
    assert "UNHEALTHY" in page


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
