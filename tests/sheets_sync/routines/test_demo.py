"""`matsync demo`: the whole cycle on embedded defaults, as a newcomer runs it."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from canonical.errors import ConfigError
from sheets_sync.cli import app
from sheets_sync.config import load_settings
from sheets_sync.master.tabs import ALL_TABS
from sheets_sync.routines.demo import run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("demo") / "matsync-demo"
    result = CliRunner().invoke(app, ["demo", "--dir", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    return folder, json.loads(result.stdout)


def test_the_workbook_holds_every_contract_tab(demo: tuple[Path, dict]) -> None:
    book = openpyxl.load_workbook(demo[1]["workbook"])
    assert set(ALL_TABS) <= set(book.sheetnames)
    assert book["MATERIAL_LIBRARY_MASTER"].max_row > 150


def test_the_plan_had_rows_of_at_least_four_actions(demo: tuple[Path, dict]) -> None:
    counts = demo[1]["steps"]["plan"]["counts"]
    actions = {a for a in ("create", "update", "deactivate", "reactivate", "conflict") if counts.get(a)}
    assert len(actions) >= 4, counts


def test_push_applied_exactly_the_ticked_rows(demo: tuple[Path, dict]) -> None:
    steps = demo[1]["steps"]
    ticked = sum(steps["review"]["ticked"].values())
    assert ticked > 0
    assert steps["push"]["exit_code"] == 0
    assert steps["push"]["applied"] == ticked
    book = openpyxl.load_workbook(demo[1]["workbook"])
    results = [
        row[6] for row in book["DIFF_INNERGY"].iter_rows(min_row=4, values_only=True) if row[0] is True
    ]
    assert results and all(r == "applied" for r in results)


def test_the_health_report_exists(demo: tuple[Path, dict]) -> None:
    folder = demo[0]
    for name in ("health.md", "health.html", "health.json"):
        assert (folder / "output" / "reports" / name).stat().st_size > 0


def test_a_second_run_reuses_the_folder(demo: tuple[Path, dict], tmp_path: Path) -> None:
    folder = demo[0]
    again = run_demo(load_settings({}, {}, tmp_path), folder)
    assert again.exit_code == 0
    assert again.summary["steps"]["push"]["applied"] > 0


def test_a_folder_that_is_not_a_demo_is_never_touched(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not a matsync demo folder"):
        run_demo(load_settings({}, {}, tmp_path), tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"
