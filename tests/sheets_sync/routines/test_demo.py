"""`matsync demo`: the whole cycle on embedded defaults, as a newcomer runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
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
    assert json.loads((folder / ".matsync-demo").read_text())["files"].keys() >= {"matsync-demo.xlsx"}


def test_a_file_in_the_way_stops_the_demo_before_anything_is_touched(tmp_path: Path) -> None:
    (tmp_path / "matsync-demo.xlsx").write_text("a workbook of mine")
    with pytest.raises(ConfigError, match=r"matsync-demo.xlsx \(not made by the demo\)"):
        run_demo(load_settings({}, {}, tmp_path), tmp_path)
    assert (tmp_path / "matsync-demo.xlsx").read_text() == "a workbook of mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matsync-demo.xlsx"]


def _replay(lines: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the printed replay lines as printed: the sandbox in the background, then the command."""
    at = next(i for i, line in enumerate(lines) if line.startswith("replay a step yourself"))
    sandbox_line, command_line = lines[at + 1].strip(), lines[at + 3].strip()
    port = int(sandbox_line.split("--port ")[1].split()[0])
    server = subprocess.Popen(
        sandbox_line, shell=True, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the sandbox line did not start"
                time.sleep(0.1)
        return subprocess.run(command_line, shell=True, capture_output=True, text=True, timeout=120)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_a_second_demo_keeps_what_a_person_made_or_changed_and_the_replay_runs_as_printed(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "matsync-demo"
    folder.mkdir()
    theirs = {".env": "INNERGY_API_KEY=mine\n", "notes.txt": "what I saw in the demo\n"}
    for name, text in theirs.items():
        (folder / name).write_text(text)
    first = run_demo(load_settings({}, {}, tmp_path), folder)
    assert first.exit_code == 0, first.lines

    replayed = _replay(first.lines)
    assert replayed.returncode in (0, 3), replayed.stdout + replayed.stderr
    assert "plan " in replayed.stdout

    workbook = folder / "matsync-demo.xlsx"
    before = workbook.read_bytes()
    with pytest.raises(ConfigError, match="changed since the demo made it") as refused:
        run_demo(load_settings({}, {}, tmp_path), folder)
    assert "Nothing was removed" in str(refused.value)
    assert workbook.read_bytes() == before, "the replayed plan's workbook is kept"
    assert {name: (folder / name).read_text() for name in theirs} == theirs
