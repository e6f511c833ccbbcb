"""``matsync push`` of approved creates and updates, against the fakes, versus a per-row push.

The master holds ``--creates`` new materials and ``--updates`` materials whose cost
changed since INNERGY got them; the real ``plan`` makes the plan, every DIFF_INNERGY row
is ticked, then ``push`` runs. Google Sheets is unmodified gspread against the fake
Sheets API; INNERGY is the httpx client against the sandbox (``--latency`` seconds per
call stands in for the trip to INNERGY). Both cases run in this process, same data:

- ours: creates in batches (50 a request), edits three at a time, one workbook write;
- baseline: the same push with a client that creates one row per request and sends one
  call at a time (what a first script does).

Prints one table (``run(quick)`` gives its rows): wall s, INNERGY requests and Sheets
requests of ours against the baseline, with the ratios, and the CPU time of push's own
thread (reading, deciding, journalling, the write-back; the sandbox's threads and the
edit threads excluded).

The sandbox and the fake Sheets API run in processes of their own (as INNERGY and Google
would), so push and they do not share one interpreter lock; on 2 cores they still share the
processors. The latency floor is requests / the client's concurrency x latency (issue 23:
push within 1.5x of it). It leaves out what each request costs the client itself (httpx,
JSON, the answer's model, all under one interpreter lock), so a second floor is measured:
the bare client sending the same number of edits, as many at a time, with nothing else to do.

    python benchmarks/bench_push.py [--creates 5000] [--updates 5000] [--latency 0.002]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import _servers as servers  # noqa: E402
from _table import Row, compare, print_table  # noqa: E402

from canonical.projection import project_material  # noqa: E402
from innergy_client import InnergyClient, to_wire  # noqa: E402
from innergy_client.mapping import edit_body  # noqa: E402
from innergy_client.sandbox import Sandbox  # noqa: E402
from innergy_client.workers import map_in_order  # noqa: E402
from sheets_sync.commands.push import push  # noqa: E402
from sheets_sync.config import Settings  # noqa: E402
from sheets_sync.master.reader import parse_library  # noqa: E402
from tests.fakes.push_world import World, part, seed_innergy, tabs_for  # noqa: E402

CHANGES, QUICK_CHANGES = 5_000, 200


def holding(sandbox: Sandbox, count: int) -> None:
    """INNERGY holding ``count`` parts (in the sandbox's own process)."""
    seed_innergy(sandbox, [part(n) for n in range(count)])


def records(sandbox: Sandbox) -> Counter[str]:
    """How many records INNERGY holds of each SKU."""
    return Counter(str(r["ExternalId"]) for r in sandbox.materials)


def run_case(
    name: str, client_options: dict[str, Any], creates: int, updates: int, latency: float, out: Path
) -> dict[str, Any]:
    """One world (its own sandbox and spreadsheet), planned, ticked, pushed; the push measured."""
    master = [part(n, "9.99") for n in range(updates)] + [part(n) for n in range(updates, updates + creates)]
    with (
        servers.Remote(servers.sandbox, holding, updates) as sandbox,
        servers.Remote(servers.sheets) as sheets,
    ):
        settings = Settings(
            workbook=sheets.ask(servers.spreadsheet, tabs_for(master)),
            sheets_endpoint=sheets.url,
            output_dir=out / name,
            innergy_base_url=sandbox.url,
            innergy_api_key=sandbox.api_key,
        )
        world = World(settings, sandbox)  # type: ignore[arg-type]  # plan and tick need no sandbox
        world.plan()
        world.tick([m.sku for m in master])
        sandbox.ask(servers.latency, latency)
        innergy_before, sheets_before = sandbox.ask(servers.requests), sheets.ask(servers.requests)
        with InnergyClient(sandbox.url, sandbox.api_key, **client_options) as client:
            start, cpu = time.perf_counter(), time.thread_time()
            outcome = push(settings, client=client)
            wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
            concurrency = client.concurrency
        applied = outcome.summary["created"] + outcome.summary["updated"]
        assert applied == creates + updates, outcome.lines
        assert sandbox.ask(records) == {m.sku: 1 for m in master}, "every row created exactly once"
        return {
            "case": name,
            "rows": applied,
            "wall": wall,
            "cpu": cpu,
            "innergy": sandbox.ask(servers.requests) - innergy_before,
            "concurrency": concurrency,
            "sheets": sheets.ask(servers.requests) - sheets_before,
        }


def bare_client(creates: int, updates: int, latency: float) -> dict[str, Any]:
    """The requests push sends, sent by the bare client with nothing else to do: the listing,
    the create batches, then the edits, as many at a time as the client allows."""
    new = [part(n) for n in range(updates, updates + creates)]
    units = parse_library(tabs_for(new))[0].uoms[0]
    bodies = [to_wire(project_material(m, units)) for m in new]
    with (
        servers.Remote(servers.sandbox, holding, updates) as sandbox,
        InnergyClient(sandbox.url, sandbox.api_key) as client,
    ):
        sandbox.ask(servers.latency, latency)
        before, start = sandbox.ask(servers.requests), time.perf_counter()
        edits = [(r.id, edit_body(r, {"cost": Decimal("9.99")})) for r in client.list_materials()]
        client.create_materials(bodies)
        map_in_order(lambda edit: client.edit_material(*edit), edits, client.concurrency)
        return {"wall": time.perf_counter() - start, "innergy": sandbox.ask(servers.requests) - before}


def run(
    quick: bool = False, *, creates: int | None = None, updates: int | None = None, latency: float = 0.002
) -> list[Row]:
    """Our push and the per-row push of the same plan, each in its own world; and a 10-row push."""
    creates = creates or (QUICK_CHANGES if quick else CHANGES)
    updates = updates or (QUICK_CHANGES if quick else CHANGES)
    with tempfile.TemporaryDirectory() as tmp:
        ours, base = (
            run_case(name, options, creates, updates, latency, Path(tmp))
            for name, options in (("ours", {}), ("baseline", {"batch_size": 1, "concurrency": 1}))
        )
        small = run_case("small", {}, 5, 5, latency, Path(tmp))
    bare = bare_client(creates, updates, latency)
    assert bare["innergy"] == ours["innergy"], (bare, ours)
    size = f"{creates:,} creates + {updates:,} updates, sandbox latency {latency * 1000:.0f} ms/call"
    vs = "vs per-row sequential client"
    # the latency floor: every request the sandbox answered waits its latency, as many at a
    # time as the client that made them allows
    floor = ours["innergy"] / ours["concurrency"] * latency
    at_goal = creates >= CHANGES and updates >= CHANGES
    return [
        compare(
            f"push wall (s) vs its latency floor ({ours['innergy']:,} requests / concurrency "
            f"{ours['concurrency']} x latency)",
            ours["wall"],
            floor,
            size,
        ).with_goal("<= 1.5x the floor", ours["wall"] <= 1.5 * floor, at_goal),
        compare(
            "push wall (s) vs the bare client sending the same requests", ours["wall"], bare["wall"], size
        ),
        compare(f"push wall (s) {vs}", ours["wall"], base["wall"], size),
        compare(f"push INNERGY requests {vs}", ours["innergy"], base["innergy"], size),
        compare("push Sheets requests vs the same push of 10 rows", ours["sheets"], small["sheets"], size),
        Row("push's own thread CPU (s)", round(ours["cpu"], 2), size=size),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--creates", type=int, default=CHANGES)
    parser.add_argument("--updates", type=int, default=CHANGES)
    parser.add_argument("--latency", type=float, default=0.002)
    args = parser.parse_args()
    print_table(run(creates=args.creates, updates=args.updates, latency=args.latency))


if __name__ == "__main__":
    main()
