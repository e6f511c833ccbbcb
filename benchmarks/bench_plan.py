"""``matsync plan`` end to end at 50,000 master rows, against the fakes.

The master (3 % of rows with a changed cost, 1 % new, INNERGY holding 1 % more that the
master dropped) is planned twice, each run in a fresh child process so that its peak
memory (max RSS) is its own; the fake Sheets server and the INNERGY sandbox each run in a
process of their own, as Google and INNERGY do (``_servers``), and count requests:

- Google Sheets through unmodified gspread against the fake Sheets API, INNERGY through
  the httpx client against the sandbox (the product path);
- baseline, same run, same data: the same plan through the local .xlsx backend
  (calamine reads, the DIFF tabs written part by part into the zip), INNERGY still
  through the sandbox. This is the other product path, not a naive one: the ratio says
  which backend is cheaper for the same plan.

Prints one table (``run(quick)`` gives its rows): wall s, peak MB, Sheets and INNERGY
requests of the Google Sheets plan against the .xlsx baseline, with the ratios; each
plan again as the command people and Otto run (``python -m sheets_sync plan``, set up by
the environment: the median of 3 runs from start to exit, and the largest of their own
peak memories), which the goals judge; then each plan's wall time against the floor of
its parts, measured in this process on the same data, best of 3: the workbook read alone
(calamine; polars.read_excel where polars is installed), the INNERGY listing's raw GET,
its decode alone (orjson where installed, and msgspec with Decimals, what the client
uses) and the sha256 of the inputs' bytes. Goals (issue 23, at 50,000 rows, the plan as a
whole process): <= 2.0 s and <= 350 MB.

    python benchmarks/bench_plan.py [--rows 50000]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import _servers as servers  # noqa: E402
import openpyxl  # noqa: E402
from _table import Row, compare, median_run, print_table, walls_shown  # noqa: E402

from innergy_client.sandbox import Sandbox  # noqa: E402
from sheets_sync.config import ENV_VARS, Settings  # noqa: E402
from tests.sheets_sync.commands.test_plan import bulk_innergy, bulk_master  # noqa: E402

ROWS, QUICK_ROWS = 50_000, 2_000
GOAL_S, GOAL_MB = 2.0, 350


def run_case(settings: dict[str, Any], queue: Any) -> None:
    """In the child: one ``plan``, timed; its own peak memory."""
    from sheets_sync.commands.plan import plan

    start = time.perf_counter()
    outcome = plan(Settings(**settings))
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"wall": wall, "peak_mb": peak_mb, "changes": outcome.summary["changes"]})


def as_a_command(settings: dict[str, Any], out: str, runs: int = 3) -> dict[str, Any]:
    """``python -m sheets_sync plan`` as a person or Otto runs it, configured by the
    environment, ``runs`` times: the median wall time from start to exit (one run on a
    shared 2-core machine swings by 0.2 s), each run's time, and the largest of their own
    peak memories (``wait4``)."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS.values()}
    env |= {ENV_VARS[name]: str(value) for name, value in {**settings, "output_dir": out}.items()}
    env["PYTHONPATH"] = str(REPO)
    measured = []
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "sheets_sync", "--json", "plan"],
            env=env,
            cwd=out,
            stdout=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.returncode == 3, f"plan exited {child.returncode}"  # 3: changes await review
        measured.append({"wall": wall, "peak_mb": usage.ru_maxrss / 1024})
    middle = median_run(measured)
    return {"process_wall": middle["wall"], "process_walls": middle["walls"], "process_mb": middle["peak_mb"]}


def measure(settings: dict[str, Any]) -> dict[str, Any]:
    """The plan in a fresh child: its wall and peak memory inside."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=run_case, args=(settings, queue))
    child.start()
    result = queue.get(timeout=600)
    child.join()
    return result


def drift(sandbox: Sandbox, rows: int) -> None:
    """INNERGY: 1 % of the master missing (creates), 1 % extra (deactivations), 3 % other costs."""
    bulk_innergy(sandbox, rows + rows // 100, skip=rows // 100)
    with sandbox.store.lock:
        for i, record in enumerate(sandbox.store.data["materials"].values()):
            if i % 33 == 0:
                record["Cost"] = {**record["Cost"], "Value": record["Cost"]["Value"] + 1}


def write_xlsx(tabs: dict[str, list[list[Any]]], path: Path) -> None:
    book = openpyxl.Workbook(write_only=True)
    for name, rows in tabs.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)


def best(fn: Any, times: int = 3) -> float:
    """The fastest of ``times`` runs of ``fn`` (the floor: what the step costs at the least)."""
    timings = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return min(timings)


def floors(xlsx: Path, sandbox: servers.Remote) -> dict[str, float]:
    """The parts of a plan alone, same data: read the workbook, GET and decode the listing, hash."""
    from decimal import Decimal

    import httpx
    import msgspec
    from python_calamine import CalamineWorkbook

    from innergy_client.wire import endpoint

    def calamine() -> None:
        book = CalamineWorkbook.from_path(str(xlsx))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()

    url = sandbox.url + endpoint("materials.list").path
    headers = {"Api-Key": sandbox.api_key}
    raw = httpx.get(url, headers=headers, timeout=120).content
    found = {
        "read .xlsx, calamine alone": best(calamine),
        "GET the listing alone": best(lambda: httpx.get(url, headers=headers, timeout=120)),
        "decode the listing, msgspec + Decimal alone": best(
            lambda: msgspec.json.Decoder(float_hook=Decimal).decode(raw)
        ),
        "sha256 of the inputs": best(lambda: hashlib.sha256(xlsx.read_bytes() + raw).hexdigest()),
    }
    if importlib.util.find_spec("polars"):
        import polars

        found["read .xlsx, polars.read_excel alone"] = best(lambda: polars.read_excel(xlsx, sheet_id=0))
    if importlib.util.find_spec("orjson"):
        import orjson

        found["decode the listing, orjson alone (floats)"] = best(lambda: orjson.loads(raw))
    return found


def run(quick: bool = False, *, rows: int | None = None) -> list[Row]:
    """The plan through Google Sheets, then through .xlsx (the baseline), same data, same sandbox."""
    rows = rows or (QUICK_ROWS if quick else ROWS)
    tabs = bulk_master(rows)
    results = []
    with (
        servers.Remote(servers.sheets) as fake,
        servers.Remote(servers.sandbox, drift, rows) as sandbox,
        tempfile.TemporaryDirectory() as tmp,
    ):
        common = {"innergy_base_url": sandbox.url, "innergy_api_key": sandbox.api_key}
        xlsx = Path(tmp) / "master.xlsx"
        write_xlsx(tabs, xlsx)
        cases = (
            {
                "workbook": fake.ask(servers.spreadsheet, tabs),
                "sheets_endpoint": fake.url,
                "output_dir": str(Path(tmp) / "sheets"),
            },
            {"workbook": str(xlsx), "output_dir": str(Path(tmp) / "xlsx")},
        )
        for settings in cases:
            sheets_before, innergy_before = fake.ask(servers.requests), sandbox.ask(servers.requests)
            result = measure({**common, **settings})
            result |= {
                "sheets": fake.ask(servers.requests) - sheets_before,
                "innergy": sandbox.ask(servers.requests) - innergy_before,
            }
            cli = Path(str(settings["output_dir"]) + "-cli")
            cli.mkdir()
            results.append({**result, **as_a_command({**common, **settings}, str(cli))})
        parts = floors(xlsx, sandbox)
    ours, base = results
    size = f"{rows:,} master rows, {ours['changes']:,} changes"
    vs = "Google Sheets (gspread, fake API) vs local .xlsx"
    at_goal = rows == ROWS
    table = [
        compare(f"plan wall (s), {vs}", ours["wall"], base["wall"], size),
        compare(f"plan peak MB, {vs}", ours["peak_mb"], base["peak_mb"], size),
        Row("plan Sheets requests, Google Sheets", ours["sheets"], size=size),
        compare(f"plan INNERGY requests, {vs}", ours["innergy"], base["innergy"], size),
    ]
    for name, result in (("Google Sheets", ours), (".xlsx", base)):
        runs = walls_shown(result["process_walls"])
        table.append(
            Row(
                f"plan as a whole process, start to exit, median of {runs} (s), {name}",
                result["process_wall"],
                size=size,
            ).with_goal(f"<= {GOAL_S} s", result["process_wall"] <= GOAL_S, at_goal)
        )
        table.append(
            Row(
                f"plan as a whole process, peak MB (the largest of the runs), {name}",
                result["process_mb"],
                size=size,
            ).with_goal(f"<= {GOAL_MB} MB", result["process_mb"] <= GOAL_MB, at_goal)
        )
    table += [Row(f"floor: {name} (s)", seconds, size=size) for name, seconds in parts.items()]
    floor = sum(seconds for name, seconds in parts.items() if "polars" not in name and "orjson" not in name)
    table.append(compare("plan wall (s), .xlsx, vs the sum of its floors (calamine, GET, msgspec, sha256)",
                         base["wall"], floor, size))  # fmt: skip
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    print_table(run(rows=parser.parse_args().rows))


if __name__ == "__main__":
    main()
