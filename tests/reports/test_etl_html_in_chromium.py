"""The ETL report opened in headless Chromium: no complaint, one stacked bar per file with a
size, the accounting in the table, hostile file names and values as text, readable printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from canonical.models import Library
from ppak_import import run_etl
from reports.etl import etl_html
from tests.reports.chromium import Browser, Opened, assert_sound
from tests.reports.review_plan import HOSTILE

LETTER = 740


def hostile_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """The samples' summary with a file, an unmapped value and a problem named by ``HOSTILE``."""
    entry = {"file": HOSTILE[0], "kind": None, "encoding": None, "note": HOSTILE[1]}
    unmapped = {
        **summary["unmapped"],
        "skus": [{"value": v, "count": 1, "examples": [f"{v}:2"]} for v in HOSTILE],
    }
    problem = {"severity": "error", "source": HOSTILE[2], "row": 3, "column": HOSTILE[3], "value": HOSTILE[1],
               "message": HOSTILE[0]}  # fmt: skip
    return {**summary, "files": [*summary["files"], entry], "unmapped": unmapped,
            "problems": [*summary["problems"], problem]}  # fmt: skip


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, ppak_samples: Path) -> Path:
    path = tmp_path_factory.mktemp("etl") / "etl_report.html"
    path.write_text(etl_html(hostile_summary(run_etl(ppak_samples, Library()).summary())), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def opened(chromium: Browser, page: Path) -> Opened:
    return chromium.open(page)


def test_the_page_is_sound_with_its_accounting_chart(opened: Opened) -> None:
    assert_sound(opened)
    assert [c.label for c in opened.charts] == ["Rows per file"]


def test_every_file_accounts_for_its_rows(opened: Opened) -> None:
    workbook = opened.row_with("PPak_MaterialLibraryExport.xlsx")
    csv = opened.row_with("PPak_Materials.csv")

    assert workbook[3:8] == ("11", "3", "2", "6", "2 blank line, 2 category row, 2 repeated header")
    assert csv[3:7] == ("10", "9", "1", "0")
    assert "11 rows" in opened.text and "not read" in opened.text


def test_hostile_names_render_as_text(opened: Opened) -> None:
    assert opened.row_with(HOSTILE[0])[1] == f"not read: {HOSTILE[1]}"
    for name in HOSTILE:
        assert opened.row_with(name)
    assert "script" not in opened.tags and "img" not in opened.tags


def test_printed_it_fits_the_paper(chromium: Browser, page: Path) -> None:
    assert_sound(chromium.open(page, width=LETTER, media="print"), print_width=LETTER)
    pdf, complaints = chromium.pdf(page)
    assert pdf.startswith(b"%PDF-") and complaints == ()
