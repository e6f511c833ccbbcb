"""``matsync plan`` end to end at 50,000 master rows, against the fakes.

The master (3 % of rows with a changed cost, 1 % new, INNERGY holding 1 % more that the
master dropped) is planned twice, each run in a fresh child process so that its peak
memory (max RSS) is its own; the fake Sheets server and the INNERGY sandbox run in this
process and count requests:

- Google Sheets through unmodified gspread against the fake Sheets API, INNERGY through
  the httpx client against the sandbox (the product path);
- baseline, same run, same data: the same plan through the local .xlsx backend
  (calamine reads, the DIFF tabs written part by part into the zip), INNERGY still
  through the sandbox. This is the other product path, not a naive one: the ratio says
  which backend is cheaper for the same plan.

Prints one table (``run(quick)`` gives its rows): wall s, peak MB, Sheets and INNERGY
requests of the Google Sheets plan against the .xlsx baseline, with the ratios.

    python benchmarks/bench_plan.py [--rows 50000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import openpyxl  # noqa: E402
from _table import Row, compare, print_table  # noqa: E402

from innergy_client.sandbox import Sandbox, running_sandbox  # noqa: E402
from sheets_sync.config import Settings  # noqa: E402
from tests.fakes.sheets_server import FakeSheets  # noqa: E402
from tests.sheets_sync.commands.test_plan import bulk_innergy, bulk_master  # noqa: E402

ROWS, QUICK_ROWS = 50_000, 2_000


def run_case(settings: dict[str, Any], queue: Any) -> None:
    """In the child: one ``plan``, timed; its own peak memory."""
    from sheets_sync.commands.plan import plan

    start = time.perf_counter()
    outcome = plan(Settings(**settings))
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"wall": wall, "peak_mb": peak_mb, "changes": outcome.summary["changes"]})


def measure(settings: dict[str, Any]) -> dict[str, Any]:
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


def run(quick: bool = False, *, rows: int | None = None) -> list[Row]:
    """The plan through Google Sheets, then through .xlsx (the baseline), same data, same sandbox."""
    rows = rows or (QUICK_ROWS if quick else ROWS)
    tabs = bulk_master(rows)
    results = []
    with FakeSheets() as fake, running_sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        drift(sandbox, rows)
        common = {"innergy_base_url": sandbox.url, "innergy_api_key": sandbox.api_key}
        xlsx = Path(tmp) / "master.xlsx"
        write_xlsx(tabs, xlsx)
        cases = (
            {
                "workbook": fake.create_spreadsheet(tabs),
                "sheets_endpoint": fake.url,
                "output_dir": str(Path(tmp) / "sheets"),
            },
            {"workbook": str(xlsx), "output_dir": str(Path(tmp) / "xlsx")},
        )
        for settings in cases:
            fake.reset_counts()
            before = len(sandbox.requests)
            result = measure({**common, **settings})
            results.append({**result, "sheets": fake.requests, "innergy": len(sandbox.requests) - before})
    ours, base = results
    size = f"{rows:,} master rows, {ours['changes']:,} changes"
    vs = "Google Sheets (gspread, fake API) vs local .xlsx"
    return [
        compare(f"plan wall (s), {vs}", ours["wall"], base["wall"], size),
        compare(f"plan peak MB, {vs}", ours["peak_mb"], base["peak_mb"], size),
        Row("plan Sheets requests, Google Sheets", ours["sheets"], size=size),
        compare(f"plan INNERGY requests, {vs}", ours["innergy"], base["innergy"], size),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    print_table(run(rows=parser.parse_args().rows))


if __name__ == "__main__":
    main()
