"""The ETL report renders the summary faithfully and deterministically."""

from __future__ import annotations

import json
from pathlib import Path

from canonical.models import Library
from ppak_import import run_etl
from reports.etl import etl_json, etl_markdown


def test_report_shows_accounting_unmapped_and_problems(ppak_samples: Path) -> None:
    summary = run_etl(ppak_samples, Library()).summary()
    markdown = etl_markdown(summary)
    assert "| PPak_MaterialLibraryExport.xlsx | materials |  | 11 | 3 | 2 |" in markdown
    assert "| PPak_Materials.csv | materials | cp1252 | 10 | 9 | 1 |" in markdown
    assert "| COMPLETED | 1 | PPak_Projects.csv:6 |" in markdown
    assert "$1,39.50" in markdown
    assert json.loads(etl_json(summary)) == summary
    assert etl_markdown(run_etl(ppak_samples, Library()).summary()) == markdown


def test_cells_cannot_break_the_table() -> None:
    summary = {
        "counts": {k: 0 for k in ("files", "files_read", "materials", "projects", "project_lines")}
        | {"errors": 1, "warnings": 0},
        "files": [],
        "unmapped": {"units": [{"value": "a|b\nc", "count": 2, "examples": ["f:2"]}]},
        "problems": [],
    }
    assert "| a\\|b c | 2 | f:2 |" in etl_markdown(summary)


def test_html_draws_each_files_rows_in_proportion(ppak_samples: Path) -> None:
    import re

    from reports.etl import etl_html

    page = etl_html(run_etl(ppak_samples, Library()).summary())

    parts = re.findall(r'width="([\d.]+)" height="26" fill="[^"]+"><title>(\w+): (\d+)</title>', page)
    width, _, count = max(parts, key=lambda part: int(part[2]))
    scale = float(width) / int(count)
    assert all(abs(float(w) - int(n) * scale) <= 0.1 for w, _, n in parts)  # one scale for all (to 0.1 px)
    assert [(name, int(n)) for _, name, n in parts[-3:]] == [
        ("converted", 3),
        ("reported", 2),
        ("skipped", 6),
    ]
    assert etl_html(run_etl(ppak_samples, Library()).summary()) == page  # same input, same bytes
