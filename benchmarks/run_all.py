"""Run every benchmark and print one table: figure | value | baseline | ratio | goal | data size.

Each ``bench_*.py`` beside this file runs in its own child process (so one's memory or a
crash does not touch the next) through its ``run(quick)``; the rows come back as JSON.
Goals missed are shown in the ``goal`` column; the exit status is 1 only when a benchmark
crashed (or timed out), 0 otherwise.

    python benchmarks/run_all.py [--quick] [--json FILE] [NAME ...]
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _table import Row, print_table

HERE = Path(__file__).resolve().parent
TIMEOUT_S = {True: 600, False: 3600}  # per benchmark, quick / full


def names() -> list[str]:
    """Every benchmark beside this file, so a new ``bench_*.py`` is picked up by itself."""
    return sorted(path.stem for path in HERE.glob("bench_*.py"))


def child(name: str, out: str, quick: bool) -> None:
    """In the child: one benchmark's rows, written as JSON to ``out``."""
    rows = importlib.import_module(name).run(quick)
    Path(out).write_text(json.dumps([row.to_json() for row in rows]), encoding="utf-8")


def run_one(name: str, quick: bool) -> tuple[list[Row], str | None]:
    """One benchmark in a child process: its rows, or the reason it crashed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        args = [sys.executable, __file__, "--child", name, str(out)] + (["--quick"] if quick else [])
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S[quick], cwd=HERE)
        except subprocess.TimeoutExpired:
            return [], f"timed out after {TIMEOUT_S[quick]} s"
        if done.returncode != 0 or not out.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            return [], f"exit status {done.returncode}\n{tail}"
        return [Row(**{**row, "bench": name}) for row in json.loads(out.read_text(encoding="utf-8"))], None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data sizes (a few minutes in all)")
    parser.add_argument("--json", type=Path, help="also write every row to this file as JSON")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: every bench_*.py)")
    args = parser.parse_args()
    if args.child:
        name, out = args.child
        child(name, out, args.quick)
        return 0
    chosen = args.names or names()
    unknown = sorted(set(chosen) - set(names()))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(names())})")
    rows: list[Row] = []
    crashed: list[str] = []
    for name in chosen:
        print(f"running {name}{' --quick' if args.quick else ''} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        got, error = run_one(name, args.quick)
        print(f"  {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        if error:
            print(f"  {name} CRASHED: {error}", file=sys.stderr, flush=True)
            crashed.append(name)
            got = [Row("CRASHED", error.splitlines()[0], bench=name)]
        rows.extend(got)
    print_table(rows, title=f"matsync benchmarks ({'quick' if args.quick else 'full'} sizes)")
    if args.json:
        args.json.write_text(json.dumps([row.to_json() for row in rows], indent=1), encoding="utf-8")
    if crashed:
        print(f"crashed: {', '.join(crashed)}", file=sys.stderr)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
