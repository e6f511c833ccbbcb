"""``matsync push`` of approved creates and updates, against the fakes, versus a per-row push.

The master holds ``--creates`` new materials and ``--updates`` materials whose cost
changed since INNERGY got them; the real ``plan`` makes the plan, every DIFF_INNERGY row
is ticked, then ``push`` runs. Google Sheets is unmodified gspread against the fake
Sheets API; INNERGY is the httpx client against the sandbox (``--latency`` seconds per
call stands in for the trip to INNERGY). Both cases run in this process, same data:

- ours: creates in batches (50 a request), edits three at a time, one workbook write;
- baseline: the same push with a client that creates one row per request and sends one
  call at a time (what a first script does).

Prints one table: case | rows | wall s | INNERGY requests | Sheets requests, and the
ratios.

    python benchmarks/bench_push.py [--creates 5000] [--updates 5000] [--latency 0.002]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from innergy_client import InnergyClient  # noqa: E402
from innergy_client.sandbox import running_sandbox  # noqa: E402
from sheets_sync.config import Settings  # noqa: E402
from sheets_sync.push import push  # noqa: E402
from tests.fakes.push_world import World, part, seed_innergy, tabs_for  # noqa: E402
from tests.fakes.sheets_server import FakeSheets  # noqa: E402


def run_case(
    name: str, client_options: dict[str, Any], creates: int, updates: int, latency: float, out: Path
) -> dict[str, Any]:
    """One world (its own sandbox and spreadsheet), planned, ticked, pushed; the push measured."""
    master = [part(n, "9.99") for n in range(updates)] + [part(n) for n in range(updates, updates + creates)]
    with running_sandbox() as sandbox, FakeSheets() as fake:
        seed_innergy(sandbox, [part(n) for n in range(updates)])
        settings = Settings(
            workbook=fake.create_spreadsheet(tabs_for(master)),
            sheets_endpoint=fake.url,
            output_dir=out / name,
            innergy_base_url=sandbox.url,
            innergy_api_key=sandbox.api_key,
        )
        world = World(settings, sandbox, fake)
        world.plan()
        world.tick([m.sku for m in master])
        sandbox.faults.latency = latency
        innergy_before, sheets_before = len(sandbox.requests), fake.requests
        with InnergyClient(sandbox.url, sandbox.api_key, **client_options) as client:
            start = time.perf_counter()
            outcome = push(settings, client=client)
            wall = time.perf_counter() - start
        applied = outcome.summary["created"] + outcome.summary["updated"]
        assert applied == creates + updates, outcome.lines
        assert world.records() == {m.sku: 1 for m in master}, "every row created exactly once"
        return {
            "case": name,
            "rows": applied,
            "wall": wall,
            "innergy": len(sandbox.requests) - innergy_before,
            "sheets": fake.requests - sheets_before,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--creates", type=int, default=5000)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.002)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            run_case("ours", {}, args.creates, args.updates, args.latency, Path(tmp)),
            run_case(
                "baseline (per row)",
                {"batch_size": 1, "concurrency": 1},
                args.creates,
                args.updates,
                args.latency,
                Path(tmp),
            ),
        ]
    print(
        f"push of {args.creates} creates + {args.updates} updates, all ticked; "
        f"sandbox latency {args.latency * 1000:.0f} ms per call"
    )
    line = "{:<20} | {:>6} | {:>8} | {:>16} | {:>15}"
    print(line.format("case", "rows", "wall s", "INNERGY requests", "Sheets requests"))
    for c in cases:
        print(line.format(c["case"], c["rows"], f"{c['wall']:.2f}", c["innergy"], c["sheets"]))
    ours, base = cases
    print(
        f"ratio baseline/ours: wall {base['wall'] / ours['wall']:.1f}x, "
        f"INNERGY requests {base['innergy'] / ours['innergy']:.1f}x; "
        f"Sheets requests {ours['sheets']} whatever the row count"
    )


if __name__ == "__main__":
    main()
