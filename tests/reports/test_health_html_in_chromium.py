"""The health report opened in headless Chromium: no complaint, progress and trend charts
with a size, check names shown, notes without raw backticks, hostile text as text,
readable printed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reports.health import DEFAULT_THRESHOLDS, Check, HealthReport, Progress, RunSummary, health_html
from tests.reports.chromium import Browser, Opened, assert_sound
from tests.reports.review_plan import HOSTILE

LETTER = 740
NOTE = "no canonical projects yet: run `matsync ppak-import`"


def report() -> HealthReport:
    special = {
        "projects_without_innergy_id": Check(
            "projects_without_innergy_id", 5, 0, tuple((f"2301{i}: {n}", 1) for i, n in enumerate(HOSTILE))
        ),
        "unmapped_skus": Check("unmapped_skus", None, 0, note=NOTE),
    }
    checks = [special.get(name, Check(name, 0, limit)) for name, limit in DEFAULT_THRESHOLDS.items()]
    return HealthReport(
        datetime(2026, 12, 3, 13, 35, tzinfo=UTC),
        tuple(checks),
        (
            Progress("materials_linked", "Materials linked to INNERGY", 182, 191),
            Progress("projects_imported", "Projects imported into INNERGY", 0, 5),
            Progress("mapped_skus", "PPak SKUs mapped", None, None, NOTE),
        ),
        tuple(
            RunSummary(
                f"run-{day}", "nightly", f"2026-11-{day}T02:30:00+00:00", "ok", day % 7, day % 3, day % 2
            )
            for day in range(10, 30)
        ),
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("health") / "health.html"
    path.write_text(health_html(report()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def opened(chromium: Browser, page: Path) -> Opened:
    return chromium.open(page)


def test_the_page_is_sound_with_progress_and_trend(opened: Opened) -> None:
    assert_sound(opened)
    assert [c.label for c in opened.charts] == ["Progress", "Runs"]
    assert "182 / 191 · 95 %" in opened.text and "0 / 5 · 0 %" in opened.text
    assert "What the last 20 runs did" in opened.text


def test_every_check_shows_the_name_max_takes(opened: Opened) -> None:
    for name in DEFAULT_THRESHOLDS:
        assert name in opened.row_with(name)
    assert "--max projects_without_innergy_id=N" in opened.text  # said beside what fails


def test_notes_show_code_not_backticks(opened: Opened) -> None:
    note = opened.row_with("unmapped_skus")[-1]

    assert note == "no canonical projects yet: run matsync ppak-import"
    assert "code" in opened.tags


def test_hostile_items_render_as_text(opened: Opened) -> None:
    for i, name in enumerate(HOSTILE):
        assert f"2301{i}: {name}" in opened.text


def test_printed_it_fits_the_paper(chromium: Browser, page: Path) -> None:
    assert_sound(chromium.open(page, width=LETTER, media="print"), print_width=LETTER)
    pdf, complaints = chromium.pdf(page)
    assert pdf.startswith(b"%PDF-") and complaints == ()
