"""``python -m sheets_sync projects-import`` killed with SIGKILL after its create landed, then again.

The sandbox (in this process) commits the opportunities, then holds its answer back; the
kill lands while the journal still holds the create as intended, before its done mark.
The second run settles that write from INNERGY's records and creates nothing: each
project exists exactly once, whether INNERGY echoes our identifier or not.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from canonical.errors import ExitCode
from canonical.models import Library
from innergy_client.sandbox import Sandbox, running_sandbox
from ppak_import import run_etl, write_outputs

FACILITY = "11111111-1111-1111-1111-111111111111"
BID_TYPE = "22222222-2222-2222-2222-222222222222"


@pytest.fixture(params=["ExternalIdentifier", None], ids=["ExternalIdentifier", "no-identifier"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with running_sandbox(identifier_field=request.param) as box:
        yield box


def run_import(out: Path, sandbox: Sandbox) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INNERGY_", "MATERIAL_", "MIGRATION_"))}
    env |= {
        "MIGRATION_OUTPUT_DIR": str(out),
        "INNERGY_BASE_URL": sandbox.url,
        "INNERGY_API_KEY": sandbox.api_key,
        "INNERGY_FACILITY_ID": FACILITY,
        "INNERGY_BID_TYPE_ID": BID_TYPE,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "sheets_sync", "--json", "projects-import"],
        cwd=out,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def states(out: Path) -> Counter[str]:
    if not (out / "state.db").is_file():
        return Counter()
    db = sqlite3.connect(out / "state.db", timeout=10)
    try:
        rows = db.execute("SELECT state FROM writes WHERE target = 'innergy.opportunity'").fetchall()
    except sqlite3.OperationalError:  # the run is creating its journal right now
        return Counter()
    finally:
        db.close()
    return Counter(state for (state,) in rows)


def test_a_kill_between_the_create_landing_and_its_done_mark_leaves_one_opportunity_each(
    tmp_path: Path, sandbox: Sandbox, ppak_samples: Path
) -> None:
    write_outputs(run_etl(ppak_samples, Library()), tmp_path)
    sandbox.faults.slow_write_answer = 30.0

    first = run_import(tmp_path, sandbox)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not sandbox.store.data["opportunities"]:
        assert first.poll() is None, first.communicate()[1].decode()[-2000:]
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    assert states(tmp_path) == {"intended": 5}, "the kill must land before the done mark"
    assert len(sandbox.store.data["opportunities"]) == 5

    sandbox.faults.slow_write_answer = 0.0
    second = run_import(tmp_path, sandbox)
    out, err = second.communicate(timeout=120)

    assert second.returncode == ExitCode.OK, (out.decode(), err.decode()[-2000:])
    names = Counter(o["Name"] for o in sandbox.store.data["opportunities"].values())
    assert len(names) == 5 and set(names.values()) == {1}
    assert states(tmp_path) == {"done": 5}
    assert '"created": 0' in out.decode()
