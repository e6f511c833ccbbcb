"""``matsync nightly``: lock, push what was approved, re-plan, log; never two at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from canonical.errors import ExitCode
from innergy_client.sandbox import Sandbox
from sheets_sync.master.tabs import DIFF_INNERGY, SYNC_LOG
from sheets_sync.routines.nightly import nightly
from tests.fakes import push_world
from tests.fakes.push_world import World, part, seed_innergy, xlsx_world

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world


def test_nightly_pushes_the_ticks_replans_and_logs(make_world: Callable[..., World]) -> None:
    world = make_world([part(n) for n in range(5)])
    first_plan = world.plan()
    world.tick(["P-0000", "P-0001"])
    outcome = nightly(world.settings, lock_timeout=0)
    assert outcome.exit_code == ExitCode.NEEDS_PERSON, outcome.lines  # three creates still await review
    assert outcome.summary["push"]["created"] == 2 and outcome.summary["awaiting_review"]
    assert outcome.summary["plan_id"] != first_plan
    assert set(world.records()) == {"P-0000", "P-0001"}
    left = world.tab(DIFF_INNERGY)
    assert left[0][1] == outcome.summary["plan_id"]
    assert set(world.diff_rows()) == {"P-0002", "P-0003", "P-0004"}
    log = world.tab(SYNC_LOG)
    assert [r[1] for r in log[1:]] == ["nightly"]
    assert log[1][3] == outcome.summary["run_id"]


def _nightly(world: World) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "MATERIAL_LIBRARY_MASTER": str(world.settings.workbook),
        "MIGRATION_OUTPUT_DIR": str(world.settings.output_dir),
        "INNERGY_BASE_URL": world.settings.innergy_base_url,
        "INNERGY_API_KEY": world.sandbox.api_key,
    }
    command = [sys.executable, "-m", "sheets_sync", "--json", "nightly", "--lock-timeout", "0"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_nightly_runs_started_together_one_runs_the_other_refuses_cleanly(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    seed_innergy(sandbox, [part(n) for n in range(30)])
    master = [part(n, "8.80") for n in range(30)]
    world = xlsx_world(tmp_path, sandbox, master)
    world.plan()
    world.tick([m.sku for m in master])
    sandbox.faults.latency = 0.2  # thirty edits, three at a time: the runs overlap for seconds

    runs = [_nightly(world), _nightly(world)]
    outputs = [run.communicate(timeout=120) for run in runs]
    finished = [(run.returncode, out, err) for run, (out, err) in zip(runs, outputs, strict=True)]
    codes = sorted(code for code, _, _ in finished)
    assert codes == [ExitCode.OK, ExitCode.LOCKED], finished
    _, out, _ = next(f for f in finished if f[0] == ExitCode.LOCKED)
    refusal = json.loads(out)
    assert refusal["ok"] is False and refusal["exit_code"] == 4
    assert "another matsync run holds the lock" in refusal["error"] and "Nothing was done" in refusal["error"]

    assert world.records() == {m.sku: 1 for m in master}
    assert world.innergy_writes() == 30 + 1  # the edits, and the seeding batch
    log = world.tab(SYNC_LOG)
    assert [r[1] for r in log[1:]] == ["nightly"]
    runs_journalled = world.journal_rows("SELECT command, outcome FROM runs")
    assert runs_journalled == [("nightly", "ok")]
