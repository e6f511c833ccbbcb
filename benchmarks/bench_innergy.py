"""INNERGY client throughput against the sandbox, versus a naive client, in the same run.

The naive baseline is what a first script does: a new connection per request (no
keep-alive), one material per create call, one call at a time. Ours: pooled keep-alive
connections, batched creates, up to ``--concurrency`` batches in flight; the one-by-one
GETs are sequential on both sides, so that figure isolates connection reuse. The sandbox adds
``--latency`` seconds to every call, standing in for the trip to INNERGY.
Prints one table: figure | value | baseline | ratio (``run(quick)`` gives its rows).

    python benchmarks/bench_innergy.py [--materials N] [--latency S] [--concurrency C]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from decimal import Decimal

import httpx
from _table import Row, compare, print_table

from innergy_client import InnergyClient
from innergy_client.sandbox import running_sandbox
from innergy_client.wire import MaterialWrite, Money, json_body

MATERIALS, QUICK_MATERIALS = 400, 100


def bodies(n: int, prefix: str) -> list[MaterialWrite]:
    return [
        MaterialWrite(
            material_name=f"{prefix} material {i}", external_id=f"{prefix}-{i:05}",
            budget_group="Sheet Goods", cost=Money(value=Decimal("2.1875")), margin=Decimal("0.35"),
        )
        for i in range(n)
    ]  # fmt: skip


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run(
    quick: bool = False, *, materials: int | None = None, latency: float = 0.002, concurrency: int = 4
) -> list[Row]:
    """Create N, then get N one by one, with our client and the naive one, same sandbox."""
    n = materials or (QUICK_MATERIALS if quick else MATERIALS)
    with running_sandbox(latency=latency) as sandbox:
        headers = {"Api-Key": sandbox.api_key, "Accept": "application/json"}
        naive = httpx.Client(headers=headers, limits=httpx.Limits(max_keepalive_connections=0))
        client = InnergyClient(sandbox.url, sandbox.api_key, concurrency=concurrency)
        ids: list[str] = []

        def naive_create() -> None:
            for body in bodies(n, "naive"):
                naive.post(sandbox.url + "/api/materials/create", json=[json_body(body)]).raise_for_status()

        def naive_get() -> None:
            for material_id in ids:
                naive.get(f"{sandbox.url}/api/materials/{material_id}").raise_for_status()

        def ours_get() -> None:
            for material_id in ids:
                client.get_material(material_id)

        with client, naive:
            ours_create = timed(lambda: ids.extend(m.id for m in client.create_materials(bodies(n, "ours"))))
            base_create = timed(naive_create)
            get_ours = timed(ours_get)
            base_get = timed(naive_get)
        listed = len(sandbox.materials)
    assert listed == 2 * n, "every material was created exactly once"
    size = f"{n:,} materials, sandbox latency {latency * 1000:.0f} ms/call"
    return [
        compare("create N materials (s) vs naive one per call", ours_create, base_create, size),
        compare("get N one by one, keep-alive (s) vs new connection each", get_ours, base_get, size),
        compare("HTTP calls by our client vs naive", client.calls, 2 * n, size),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--materials", type=int, default=MATERIALS)
    parser.add_argument("--latency", type=float, default=0.002)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    print_table(run(materials=args.materials, latency=args.latency, concurrency=args.concurrency))


if __name__ == "__main__":
    main()
