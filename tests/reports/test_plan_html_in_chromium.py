"""The plan report opened in headless Chromium: no complaint, charts with a size, hostile
names shown as text, the 40 % price change and the unit-trap PPak row flagged, what a
PPak ``new`` row adds shown, readable printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.plan import plan_html
from tests.reports.chromium import Browser, Opened, assert_sound
from tests.reports.review_plan import HOSTILE, NEW_PPAK, PRICED, TRAPPED, review_plan

LETTER = 740
"""CSS pixels across a Letter page inside the browser's default print margins."""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "plan.html"
    path.write_text(plan_html(review_plan()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def opened(chromium: Browser, page: Path) -> Opened:
    return chromium.open(page)


def test_the_page_is_sound_with_its_summary_charts(opened: Opened) -> None:
    assert_sound(opened)
    assert {c.label for c in opened.charts} == {"Changes by action", "Changes by flag"}


def test_hostile_names_render_as_text(opened: Opened) -> None:
    for name in HOSTILE:
        row = opened.row_with(name)  # a Name cell holding exactly the name as typed
        assert f"name: (blank) -> {name}" in row[4]
    assert "script" not in opened.tags and "img" not in opened.tags


def test_the_price_change_and_the_unit_trap_are_flagged(opened: Opened) -> None:
    priced = opened.row_with(PRICED)
    trapped = opened.row_with(TRAPPED)

    assert "price +40 %" in priced[-1] and "+40.0 %" in priced
    assert "unit trap ×32" in trapped[-1] and "price +3100 %" in trapped[-1]
    assert "Look twice: 4 flagged changes" in opened.text  # the trap, the price, a rename, a deactivation
    assert opened.text.index(TRAPPED) < opened.text.index("DIFF_INNERGY: ")  # flagged rows come first


def test_a_new_ppak_row_says_what_a_tick_adds(opened: Opened) -> None:
    new = opened.row_with(NEW_PPAK)

    assert new[1] == "new"
    assert new[5].splitlines() == [
        f"sku: (blank) -> {NEW_PPAK}",
        f"name: (blank) -> {HOSTILE[1]}",
        "category: (blank) -> Edgeband",
        "uom: (blank) -> EA",
        "cost: (blank) -> 0.245 per EA",  # as the tab says it
    ]


def test_printed_it_fits_the_paper(chromium: Browser, page: Path) -> None:
    assert_sound(chromium.open(page, width=LETTER, media="print"), print_width=LETTER)
    pdf, complaints = chromium.pdf(page)
    assert pdf.startswith(b"%PDF-") and complaints == ()
