"""Push under INNERGY's faults, end to end: lost answers and 429/500 storms.

The workbook is on the fake Sheets API, INNERGY is the sandbox, the plan is made by the
real ``plan``; only the INNERGY client is tuned (retries, backoff, batch size) so the
storms finish fast.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from canonical.errors import ExitCode
from innergy_client import InnergyClient
from sheets_sync.push import push
from tests.fakes import push_world
from tests.fakes.push_world import World, part

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world


def test_a_503_after_a_committed_create_then_push_again_gives_exactly_one_record(
    make_world: Callable[..., World],
) -> None:
    world = make_world([part(n) for n in range(3)])
    world.plan()
    world.tick(["P-0000", "P-0001", "P-0002"])
    world.sandbox.faults.commit_then_503_next = 1
    with InnergyClient(world.sandbox.url, world.sandbox.api_key, retries=0, backoff=0.0) as client:
        first = push(world.settings, client=client)
        writes = world.innergy_writes()
        second = push(world.settings, client=client)
    assert first.exit_code == ExitCode.OK, first.lines
    assert first.summary["created"] == 3 and first.summary["failed"] == 0
    assert world.records() == {"P-0000": 1, "P-0001": 1, "P-0002": 1}
    assert second.summary["skipped"] == 3 and world.innergy_writes() == writes
    ids = {r["ExternalId"]: r["Id"] for r in world.sandbox.materials}
    assert {sku: row["INNERGY ID"] for sku, row in world.master().items()} == ids


def test_thirty_percent_429_and_500_every_ticked_row_applied_exactly_once(
    make_world: Callable[..., World],
) -> None:
    existing = [part(n) for n in range(20)]
    master = [part(n, "6.75") for n in range(20)] + [part(n) for n in range(20, 40)]
    world = make_world(master, existing)
    world.plan()
    world.tick([m.sku for m in master])
    world.sandbox.faults.update({"failure_rate": 0.15, "rate_limit_rate": 0.15, "retry_after": 0.0})
    with InnergyClient(
        world.sandbox.url, world.sandbox.api_key, backoff=0.0, retries=12, batch_size=5
    ) as client:
        outcome = push(world.settings, client=client)
        again = push(world.settings, client=client)
    world.sandbox.faults.update({"failure_rate": 0.0, "rate_limit_rate": 0.0})
    # without faults: a listing and 4 create batches and 20 edits, then a listing again
    assert client.calls > 1 + 4 + 20 + 1, "the storm did not happen"
    assert outcome.exit_code == ExitCode.OK, outcome.lines
    assert (outcome.summary["created"], outcome.summary["updated"]) == (20, 20)
    assert again.summary["skipped"] == 40 and again.summary["applied"] == 0
    assert world.records() == {m.sku: 1 for m in master}
    costs = {r["ExternalId"]: Decimal(str(r["Cost"]["Value"])) for r in world.sandbox.materials}
    assert costs == {m.sku: m.cost for m in master}
    assert set(world.results().values()) == {"skipped: already applied"}
