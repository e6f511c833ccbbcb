"""SIGINT / SIGTERM into ``python -m sheets_sync`` while it writes to a slow INNERGY sandbox.

Each run is a real subprocess on a local .xlsx workbook, the sandbox in this process;
the signal comes once the sandbox has seen the run's first write (what "4 s into a push"
means, without waiting 4 s). The rule (architecture.md): no new write starts, those in
flight are settled, results, journal and a SYNC_LOG row with Outcome ``interrupted`` are
written, exit 130 / 143; a second SIGINT exits at once and the next run settles it. The
next run is then made in this process, and nothing may have been sent twice.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from canonical.errors import ExitCode, Interrupted
from canonical.models import Project
from canonical.serialize import from_jsonl, to_jsonl
from innergy_client.sandbox import Sandbox
from sheets_sync.approval.decide import NOT_SENT
from sheets_sync.commands.history import history
from sheets_sync.commands.projects_import import run_projects_import
from sheets_sync.config import Settings
from sheets_sync.interrupt import deferred, handling_signals
from sheets_sync.master.tabs import DIFF_INNERGY, SYNC_LOG
from tests.fakes import push_world
from tests.fakes.matsync_process import Matsync, env_of, posts
from tests.fakes.push_world import World, ticked_xlsx_world

sandbox = push_world.sandbox

LATENCY = 0.3
"""Seconds the sandbox holds each call: the first round of writes is in flight when the signal lands."""
BOUND = 15
"""Seconds a signalled run may take to exit (the brief's bound)."""
CODES = {signal.SIGINT: ExitCode.INTERRUPTED, signal.SIGTERM: ExitCode.TERMINATED}
SIGNALS = pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
FACILITY = "11111111-1111-1111-1111-111111111111"
BID_TYPE = "22222222-2222-2222-2222-222222222222"


def sync_log(world: World) -> list[dict[str, Any]]:
    rows = world.tab(SYNC_LOG)
    return [dict(zip([str(c) for c in rows[0]], row, strict=False)) for row in rows[1:]]


def runs(settings: Settings) -> dict[str, dict[str, Any]]:
    """Run id -> the run as ``matsync history --json`` shows it."""
    return {run["run_id"]: run for run in history(settings).summary["runs"]}


def landed_rows_written(world: World, applied: set[str]) -> None:
    """Every row whose write landed shows it: Result, INNERGY ID and Last Synced."""
    ids = {r["ExternalId"]: r["Id"] for r in world.sandbox.materials}
    master = world.master()
    assert {sku: (master[sku]["INNERGY ID"], bool(master[sku]["Last Synced"])) for sku in applied} == {
        sku: (ids[sku], True) for sku in applied
    }


@SIGNALS
def test_a_signalled_push_sends_nothing_new_writes_its_results_and_the_next_push_the_rest(
    tmp_path: Path, sandbox: Sandbox, signum: int
) -> None:
    creates, updates = 3, 7
    world = ticked_xlsx_world(tmp_path, sandbox, creates, updates)
    sandbox.faults.latency = LATENCY

    run = Matsync(["push"], env_of(world), tmp_path)
    run.wait_until(lambda: posts(sandbox, "/edit") > 0, "the first edit")
    run.signal(signum)
    code, out = run.finish(BOUND)

    assert code == CODES[signum], "".join(run.stderr)[-2000:]
    assert (out["outcome"], out["ok"]) == ("interrupted", False)
    assert run.said("no new write starts")
    sent = posts(sandbox, "/edit")
    assert 0 < sent < updates, "the edits queued behind the first round must not be sent"
    results = world.results()
    applied = {sku for sku, result in results.items() if result == "applied"}
    assert len(applied) == creates + sent == out["applied"]
    assert {results[sku] for sku in results.keys() - applied} == {NOT_SENT}
    landed_rows_written(world, applied)
    (log,) = sync_log(world)
    assert (log["Run ID"], log["Outcome"]) == (out["run_id"], "interrupted")
    assert (int(log["Created"]), int(log["Updated"])) == (creates, sent)
    shown = runs(world.settings)[out["run_id"]]
    assert (shown["outcome"], shown["counts"]["applied"]) == ("interrupted", creates + sent)

    sandbox.faults.latency = 0.0
    code, again = world.cli("push")

    assert code == ExitCode.OK, again
    assert posts(sandbox, "/edit") == updates, "an edit was sent twice"
    assert posts(sandbox, "/api/materials/create") == 2, "one create batch each (seeding, then the push)"
    assert world.records() == {sku: 1 for sku in results}
    assert again["applied"] == len(results) - len(applied)
    landed_rows_written(world, set(results))


def test_a_sigterm_into_nightly_ends_it_after_the_push_says_what_landed_and_plans_nothing(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    world = ticked_xlsx_world(tmp_path, sandbox, 3, 7)
    plan_id = world.tab(DIFF_INNERGY)[0][1]
    sandbox.faults.latency = LATENCY

    run = Matsync(["nightly"], env_of(world), tmp_path, as_json=False)
    run.wait_until(lambda: posts(sandbox, "/edit") > 0, "the first edit")
    run.signal(signal.SIGTERM)
    code, printed = run.finish_text(BOUND)

    assert code == ExitCode.TERMINATED, "".join(run.stderr)[-2000:]
    sent = posts(sandbox, "/edit")
    line = (
        f"interrupted by SIGTERM: {3 + sent} of 10 ticked rows applied and written back; {7 - sent} not sent"
    )
    assert line in printed and "run `matsync push` again" in printed, printed
    assert "plan: not run (interrupted)" in printed
    assert world.tab(DIFF_INNERGY)[0][1] == plan_id, "nightly must not re-plan after a signal"
    log = sync_log(world)[-1]
    assert (log["Command"], log["Outcome"]) == ("nightly", "interrupted")


def test_a_second_sigint_exits_at_once_and_the_next_push_writes_what_the_killed_run_landed(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    updates = 10
    world = ticked_xlsx_world(tmp_path, sandbox, 0, updates)
    sandbox.faults.slow_write_answer = 60.0  # committed, then answered after a minute: never awaited

    run = Matsync(["push"], env_of(world), tmp_path)
    run.wait_until(lambda: posts(sandbox, "/edit") > 0, "the first edit")
    run.signal(signal.SIGINT)
    run.wait_until(lambda: run.said("no new write starts"), "the first SIGINT handled")
    run.signal(signal.SIGINT)
    code, out = run.finish(BOUND)  # well before the answers in flight come back
    sandbox.wait_until_read()  # an edit the dead process had written may still be unread

    assert code == ExitCode.INTERRUPTED
    assert (out["outcome"], out["exit_code"], out["command"]) == ("interrupted", 130, "push")
    sent = posts(sandbox, "/edit")
    assert 0 < sent < updates
    (killed,) = world.journal_rows("SELECT run_id FROM runs WHERE finished_at IS NULL")
    # the round was journalled as intended before any of it was sent; all of it stays open
    assert world.journal_rows("SELECT COUNT(*) FROM writes WHERE state = 'intended'") == [(updates,)]
    assert set(world.results().values()) == {None}, "the killed run wrote nothing to the sheet"

    sandbox.faults.slow_write_answer = 0.0
    code, again = world.cli("push")

    assert code == ExitCode.OK, again
    assert posts(sandbox, "/edit") == updates, "an edit was sent twice"
    assert (again["applied"], again["recovered"]) == (updates - sent, sent)
    assert set(world.results().values()) == {"applied"}
    landed_rows_written(world, set(world.results()))
    logged = {row["Run ID"]: row for row in sync_log(world)}
    assert (logged[killed[0]]["Outcome"], int(logged[killed[0]]["Updated"])) == ("interrupted", sent)
    assert logged[again["run_id"]]["Outcome"] == "ok"
    assert runs(world.settings)[killed[0]]["outcome"] == "interrupted"


@SIGNALS
def test_a_signalled_undo_reverts_what_it_sent_and_the_next_undo_the_rest(
    tmp_path: Path, sandbox: Sandbox, signum: int
) -> None:
    updates = 10
    world = ticked_xlsx_world(tmp_path, sandbox, 0, updates)
    code, pushed = world.cli("push")
    assert code == ExitCode.OK, pushed
    before = posts(sandbox, "/edit")
    sandbox.faults.latency = LATENCY

    run = Matsync(["undo", "--run", pushed["run_id"]], env_of(world), tmp_path)
    run.wait_until(lambda: posts(sandbox, "/edit") > before, "the first revert")
    run.signal(signum)
    code, out = run.finish(BOUND)

    assert code == CODES[signum], "".join(run.stderr)[-2000:]
    assert out["outcome"] == "interrupted"
    sent = posts(sandbox, "/edit") - before
    assert 0 < sent < updates
    assert out["counts"]["updated"] == sent and out["counts"]["not_sent"] > 0
    log = sync_log(world)[-1]
    assert (log["Command"], log["Run ID"], log["Outcome"]) == ("undo", out["run_id"], "interrupted")
    assert runs(world.settings)[out["run_id"]]["outcome"] == "interrupted"

    sandbox.faults.latency = 0.0
    code, again = world.cli("undo", "--run", pushed["run_id"])

    assert code == ExitCode.OK, again
    assert posts(sandbox, "/edit") - before == updates, "a revert was sent twice"
    assert {str(r["Cost"]["Value"]) for r in sandbox.materials} == {"4.25"}
    assert all(not row.get("Last Synced") for row in world.master().values())


@SIGNALS
def test_a_signalled_projects_import_records_what_it_created_and_the_next_run_creates_the_rest(
    tmp_path: Path, sandbox: Sandbox, signum: int
) -> None:
    count = 120  # three batches of 50
    canonical = tmp_path / "canonical"
    canonical.mkdir()
    path = canonical / "projects.jsonl"
    path.write_text(to_jsonl([Project(ppak_id=f"{n:05}", name=f"Project {n}") for n in range(count)]))
    settings = Settings(
        output_dir=tmp_path, innergy_base_url=sandbox.url, innergy_api_key=sandbox.api_key,
        innergy_facility_id=FACILITY, innergy_bid_type_id=BID_TYPE,
    )  # fmt: skip
    env = {
        "MIGRATION_OUTPUT_DIR": str(tmp_path),
        "INNERGY_BASE_URL": sandbox.url,
        "INNERGY_API_KEY": sandbox.api_key,
        "INNERGY_FACILITY_ID": FACILITY,
        "INNERGY_BID_TYPE_ID": BID_TYPE,
    }
    sandbox.faults.latency = LATENCY

    run = Matsync(["projects-import"], env, tmp_path)
    run.wait_until(lambda: posts(sandbox, "/opportunities/create") > 0, "the first batch")
    run.signal(signum)
    code, out = run.finish(BOUND)

    assert code == CODES[signum], "".join(run.stderr)[-2000:]
    assert out["outcome"] == "interrupted"
    created = sandbox.store.data["opportunities"]
    batches = posts(sandbox, "/opportunities/create")  # the one in flight (a loaded machine: two)
    assert 0 < len(created) == out["created"] == 50 * batches < count
    assert len(out["not_sent"]) == count - len(created)
    recorded = {p.external_id for p in from_jsonl(path.read_text(), Project) if p.innergy_id}
    assert recorded == {o["ExternalIdentifier"] for o in created.values()}
    assert runs(settings)[out["run_id"]]["outcome"] == "interrupted"

    sandbox.faults.latency = 0.0
    again = run_projects_import(settings)

    assert again.exit_code == ExitCode.OK, again.lines
    assert again.summary["created"] == count - 50 * batches
    names = Counter(o["Name"] for o in sandbox.store.data["opportunities"].values())
    assert len(names) == count and set(names.values()) == {1}, "an opportunity was created twice"
    assert all(p.innergy_id for p in from_jsonl(path.read_text(), Project))


def test_a_signal_before_any_write_stops_the_command_at_once(tmp_path: Path, sandbox: Sandbox) -> None:
    world = ticked_xlsx_world(tmp_path, sandbox, 1, 0)
    sandbox.faults.latency = 60.0  # the plan's read of INNERGY never comes back by itself

    read = len(sandbox.requests)
    run = Matsync(["plan"], env_of(world), tmp_path)
    run.wait_until(lambda: ("GET", "/api/materials") in sandbox.requests[read:], "the plan's read")
    run.signal(signal.SIGINT)
    code, out = run.finish(BOUND)

    assert code == ExitCode.INTERRUPTED
    assert (out["outcome"], out["ok"], out["exit_code"]) == ("interrupted", False, 130)
    assert run.said("matsync: interrupted by SIGINT")


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="handlers need the main thread"
)
def test_a_signal_stops_a_command_but_only_asks_a_run_that_writes_and_the_old_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with handling_signals(), pytest.raises(Interrupted) as raised:
        signal.raise_signal(signal.SIGTERM)
    assert raised.value.exit_code == ExitCode.TERMINATED
    with handling_signals(), deferred() as stop:
        assert not stop.requested
        signal.raise_signal(signal.SIGINT)  # no exception: the writers look at ``stop``
        assert (stop.requested, stop.exit_code, stop.signal_name) == (True, ExitCode.INTERRUPTED, "SIGINT")
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
