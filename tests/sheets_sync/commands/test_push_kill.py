"""``python -m sheets_sync push`` killed with SIGKILL midway, then run again: nothing twice.

The workbook is a local .xlsx (a subprocess cannot share the test's fake Sheets state
more simply), INNERGY is the sandbox in this process with latency so that the kill lands
among the writes. The kill comes once the journal shows some writes done and others not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from canonical.errors import ExitCode
from innergy_client.sandbox import Sandbox
from tests.fakes import push_world
from tests.fakes.push_world import World, part, seed_innergy, xlsx_world

sandbox = push_world.sandbox

CREATES, UPDATES = 150, 150


def run_push(world: World) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MATERIAL_LIBRARY_MASTER": str(world.settings.workbook),
        "MIGRATION_OUTPUT_DIR": str(world.settings.output_dir),
        "INNERGY_BASE_URL": world.settings.innergy_base_url,
        "INNERGY_API_KEY": world.sandbox.api_key,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "sheets_sync", "--json", "push"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def states(world: World) -> dict[str, int]:
    rows = world.journal_rows(
        "SELECT state, COUNT(*) FROM writes WHERE target = 'innergy.material' GROUP BY state"
    )
    return {str(state): int(count) for state, count in rows}


def test_a_push_killed_midway_then_run_again_applies_every_ticked_row_once(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    existing = [part(n) for n in range(UPDATES)]
    master = [part(n, "7.10") for n in range(UPDATES)] + [part(n) for n in range(UPDATES, UPDATES + CREATES)]
    seed_innergy(sandbox, existing)
    world = xlsx_world(tmp_path, sandbox, master)
    world.plan()
    world.tick([m.sku for m in master])
    sandbox.faults.latency = 0.01

    first = run_push(world)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and states(world).get("done", 0) < CREATES + 10:
        assert first.poll() is None, first.communicate()[1].decode()[-2000:]
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed = states(world)
    assert first.returncode == -signal.SIGKILL
    assert CREATES <= killed.get("done", 0) < CREATES + UPDATES, killed

    sandbox.faults.latency = 0.0
    second = run_push(world)
    out, err = second.communicate(timeout=120)
    assert second.returncode == ExitCode.OK, (out.decode(), err.decode()[-2000:])

    assert world.records() == {m.sku: 1 for m in master}
    costs = {r["ExternalId"]: str(r["Cost"]["Value"]) for r in sandbox.materials}
    assert {sku for sku, cost in costs.items() if cost not in ("7.1", "7.10")} == {
        m.sku for m in master[UPDATES:]
    }
    assert states(world).keys() <= {"done", "failed"}
    ids = {r["ExternalId"]: r["Id"] for r in sandbox.materials}
    assert {sku: row.get("INNERGY ID") for sku, row in world.master().items()} == ids
    assert set(world.results().values()) <= {"applied", "skipped: already applied"}
