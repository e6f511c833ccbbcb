"""The browser harness hears what it must: a test that trusts it can fail only if it can."""

from __future__ import annotations

from pathlib import Path

from tests.reports.chromium import Browser


def test_script_errors_console_errors_and_blocked_loads_are_heard(chromium: Browser, tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body>"
        '<script>console.error("boom"); notDefined();</script><img src="http://127.0.0.1:9/x.png">'
        "</body></html>",
        encoding="utf-8",
    )

    opened = chromium.open(bad)

    assert any("console: boom" in e for e in opened.errors)
    assert any(e.startswith("exception:") for e in opened.errors)
    assert any("Content Security Policy" in e for e in opened.errors)  # the image was refused


def test_a_chart_without_a_size_is_seen_as_one(chromium: Browser, tmp_path: Path) -> None:
    page = tmp_path / "flat.html"
    page.write_text(
        '<!DOCTYPE html><html><body><svg aria-label="flat" width="0" height="40"></svg>'
        '<svg aria-label="fine" width="100" height="40"></svg></body></html>',
        encoding="utf-8",
    )

    opened = chromium.open(page)

    assert opened.errors == ()
    assert [(c.label, c.w > 0 and c.h > 0) for c in opened.charts] == [("flat", False), ("fine", True)]
