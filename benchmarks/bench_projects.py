"""projects-import against the sandbox, versus the naive idempotent loop, in the same run.

The naive baseline is what keeps a first script from creating twice: for each project,
list the opportunities, look for its external id, create it alone. Ours lists once,
matches by external id in memory and creates the missing ones in batches. The sandbox
adds ``--latency`` seconds to every call. A second (no-op) run of ours is timed too.
Prints one table: figure | value | baseline | ratio (``run(quick)`` gives its rows).

    python benchmarks/bench_projects.py [--projects N] [--latency S]
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal

from _table import Row, compare, print_table

from canonical.models import Project
from innergy_client import InnergyClient
from innergy_client.mapping import opportunity_body
from innergy_client.sandbox import running_sandbox
from sheets_sync.commands.projects_import import import_projects

PROJECTS, QUICK_PROJECTS = 300, 60

FACILITY, BID_TYPE = "facility-guid", "bid-type-guid"


def projects(n: int, prefix: str) -> list[Project]:
    return [
        Project(ppak_id=f"{prefix}{i:05}", name=f"Project {i}", contract_amount=Decimal(1000 + i))
        for i in range(n)
    ]


def run(quick: bool = False, *, projects_n: int | None = None, latency: float = 0.002) -> list[Row]:
    """Ours twice (import, then the no-op re-run) and the naive loop, same sandbox."""
    n = projects_n or (QUICK_PROJECTS if quick else PROJECTS)
    with (
        running_sandbox(latency=latency) as sandbox,
        InnergyClient(sandbox.url, sandbox.api_key) as ours,
    ):
        start = time.perf_counter()
        import_projects(projects(n, "A"), [], ours, FACILITY, BID_TYPE)
        ours_s, ours_calls = time.perf_counter() - start, ours.calls
        start = time.perf_counter()
        again = import_projects(projects(n, "A"), [], ours, FACILITY, BID_TYPE)
        rerun_s, rerun_calls = time.perf_counter() - start, ours.calls - ours_calls
        assert not again.created
        with InnergyClient(sandbox.url, sandbox.api_key, concurrency=1) as naive:
            start = time.perf_counter()
            for project in projects(n, "B"):
                known = {o.external_id for o in naive.list_opportunities()}
                if project.external_id not in known:
                    naive.create_opportunities([opportunity_body(project, FACILITY, BID_TYPE)])
            naive_s, naive_calls = time.perf_counter() - start, naive.calls
    size = f"{n:,} projects, sandbox latency {latency * 1000:.0f} ms/call"
    return [
        compare(f"{name} vs naive lookup+create", value, base, size)
        for name, value, base in (
            ("import N projects (s)", ours_s, naive_s),
            ("import N projects (calls)", ours_calls, naive_calls),
            ("re-run, nothing new (s)", rerun_s, naive_s),
            ("re-run, nothing new (calls)", rerun_calls, naive_calls),
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=PROJECTS)
    parser.add_argument("--latency", type=float, default=0.002)
    args = parser.parse_args()
    print_table(run(projects_n=args.projects, latency=args.latency))


if __name__ == "__main__":
    main()
