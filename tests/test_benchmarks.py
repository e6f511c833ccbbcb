"""``benchmarks/run_all.py``: every benchmark runs and reports against a baseline; a crash is exit 1."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run_all(
    folder: Path, out: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, object]]]:
    """``run_all.py`` of ``folder``, its rows written as JSON to ``out``."""
    done = subprocess.run(
        [sys.executable, str(folder / "run_all.py"), "--json", str(out), *args],
        capture_output=True,
        text=True,
        timeout=900,
    )
    return done, json.loads(out.read_text(encoding="utf-8")) if out.exists() else []


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A benchmarks folder of its own: the runner and the table beside made-up benchmarks."""
    for helper in ("run_all.py", "_table.py"):
        shutil.copy(BENCHMARKS / helper, tmp_path / helper)
    return tmp_path


def test_quick_run_gives_every_benchmark_a_figure_against_its_baseline(tmp_path: Path) -> None:
    done, rows = run_all(BENCHMARKS, tmp_path / "rows.json", "--quick")
    assert done.returncode == 0, done.stderr[-3000:]
    names = sorted(path.stem for path in BENCHMARKS.glob("bench_*.py"))
    assert len(names) >= 8
    for name in names:
        own = [row for row in rows if row["bench"] == name]
        assert own, f"{name} produced no rows"
        compared = [row for row in own if row["baseline"] is not None and row["ratio"] is not None]
        assert compared, f"{name} has no figure with a baseline and a ratio: {own}"
        assert all(isinstance(row["ratio"], float) and row["ratio"] > 0 for row in compared), compared
        assert all(row["size"] for row in own), f"{name} does not say its data size"
    for row in rows:  # the printed table holds the same rows
        assert str(row["figure"]) in done.stdout


def test_a_crashing_benchmark_is_reported_and_exits_1_while_the_others_still_run(scratch: Path) -> None:
    (scratch / "bench_broken.py").write_text(
        "def run(quick):\n    raise RuntimeError('the sandbox went away')\n", encoding="utf-8"
    )
    (scratch / "bench_fine.py").write_text(
        "from _table import compare\n\n\n"
        "def run(quick):\n    return [compare('wall (s)', 0.5, 2.0, 'quick' if quick else 'full')]\n",
        encoding="utf-8",
    )
    done, rows = run_all(scratch, scratch / "rows.json", "--quick")
    assert done.returncode == 1
    assert "the sandbox went away" in done.stderr
    broken, fine = rows
    assert (broken["bench"], broken["figure"]) == ("bench_broken", "CRASHED")
    assert (fine["bench"], fine["ratio"], fine["size"]) == ("bench_fine", 4.0, "quick")
    assert "4.0x" in done.stdout


def test_a_missed_goal_is_shown_but_is_not_a_failure(scratch: Path) -> None:
    (scratch / "bench_slow.py").write_text(
        "from _table import compare\n\n\n"
        "def run(quick):\n"
        "    row = compare('wall (s)', 30.0, 60.0, '1,000,000 lines')\n"
        "    return [row.with_goal('< 20 s', 30.0 < 20)]\n",
        encoding="utf-8",
    )
    done, rows = run_all(scratch, scratch / "rows.json")
    assert done.returncode == 0, done.stderr
    assert [(row["goal"], row["met"]) for row in rows] == [("< 20 s", False)]
    assert "< 20 s (MISSED)" in done.stdout
