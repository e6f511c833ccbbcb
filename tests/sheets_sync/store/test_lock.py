"""The run lock between real processes: one holder, a bounded wait, freed by any death."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from itertools import pairwise
from pathlib import Path

import pytest

from canonical.errors import ExitCode, LockHeld
from sheets_sync.store.lock import holder, holder_note, run_lock
from sheets_sync.store.paths import LOCK_FILE

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from canonical.errors import LockHeld
    from sheets_sync.store.lock import run_lock
    out, command, timeout, hold = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    try:
        with run_lock(out, command, timeout=timeout):
            start = time.time()
            print("locked", flush=True)
            if hold < 0:
                sys.stdin.readline()  # hold until told
            else:
                time.sleep(hold)
            print(f"released {start} {time.time()}", flush=True)
    except LockHeld as exc:
        print(f"held {exc}", flush=True)
        sys.exit(int(exc.exit_code))
    """
)


def _start(out: Path, command: str, timeout: float, hold: float) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", HOLDER, str(out), command, str(timeout), str(hold)]
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _holding(out: Path, command: str = "nightly") -> subprocess.Popen[str]:
    """A process that holds the lock until its stdin gets a line."""
    process = _start(out, command, 0, -1)
    assert process.stdout is not None and process.stdout.readline() == "locked\n"
    return process


def test_the_holder_is_written_beside_the_lock_and_cleared_on_release(tmp_path: Path) -> None:
    with run_lock(tmp_path / "out", "push") as mine:
        assert holder(tmp_path / "out" / LOCK_FILE) == mine
        assert mine["pid"] == os.getpid() and mine["command"] == "push"
    assert holder(tmp_path / "out" / LOCK_FILE) is None
    with run_lock(tmp_path / "out", "nightly"):  # free again at once
        pass


def test_a_second_process_waits_the_bounded_time_then_gets_lock_held(tmp_path: Path) -> None:
    first = _holding(tmp_path)
    try:
        with pytest.raises(LockHeld) as refused, run_lock(tmp_path, "push", timeout=0.3):
            pytest.fail("the lock was given twice")
        message = str(refused.value)
        assert f"pid {first.pid}" in message and "nightly" in message and "waited 0.3 s" in message
        assert refused.value.exit_code == ExitCode.LOCKED
    finally:
        first.communicate("go\n")
    assert first.returncode == 0


def test_a_waiter_gets_the_lock_once_the_holder_releases(tmp_path: Path) -> None:
    first = _holding(tmp_path)
    second = _start(tmp_path, "push", timeout=20, hold=0)
    with pytest.raises(subprocess.TimeoutExpired):
        second.wait(timeout=1.5)  # still waiting while the first holds the lock
    first.communicate("go\n")
    out, _ = second.communicate(timeout=30)
    assert second.returncode == 0 and out.startswith("locked\n")


def test_a_holder_killed_by_sigkill_leaves_no_stale_lock(tmp_path: Path) -> None:
    first = _holding(tmp_path)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert holder(tmp_path / LOCK_FILE)["pid"] == first.pid  # type: ignore[index]  # its note stays ...
    with run_lock(tmp_path, "nightly", timeout=5) as mine:  # ... but the kernel freed the lock
        assert holder(tmp_path / LOCK_FILE) == mine


def test_two_runs_started_together_one_runs_and_the_other_refuses(tmp_path: Path) -> None:
    racers = [_start(tmp_path, "nightly", timeout=0.2, hold=-1) for _ in range(2)]
    first_lines = [r.stdout.readline() for r in racers]  # type: ignore[union-attr]
    outputs = [r.communicate("go\n", timeout=30)[0] for r in racers]
    assert sorted(line.split()[0] for line in first_lines) == ["held", "locked"], first_lines
    assert sorted(r.returncode for r in racers) == [0, int(ExitCode.LOCKED)], outputs


def test_runs_that_wait_long_enough_take_turns_and_never_overlap(tmp_path: Path) -> None:
    racers = [_start(tmp_path, "nightly", timeout=20, hold=0.3) for _ in range(3)]
    outputs = [r.communicate(timeout=60)[0] for r in racers]
    assert [r.returncode for r in racers] == [0, 0, 0], outputs
    spans = sorted(tuple(map(float, o.split()[-2:])) for o in outputs)
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(spans))


def test_a_holder_note_with_garbage_names_an_unknown_holder(tmp_path: Path) -> None:
    holder_note(tmp_path / LOCK_FILE).write_text("not json")
    assert holder(tmp_path / LOCK_FILE) is None
    holder_note(tmp_path / LOCK_FILE).write_text(json.dumps(["a list"]))
    assert holder(tmp_path / LOCK_FILE) is None


def test_the_lock_is_re_entrant_in_one_thread_and_exclusive_between_threads(tmp_path: Path) -> None:
    import threading

    refused: list[BaseException] = []

    def other_thread() -> None:
        try:
            with run_lock(tmp_path, "plan"):
                pass
        except LockHeld as exc:
            refused.append(exc)

    with run_lock(tmp_path, "nightly") as mine, run_lock(tmp_path, "plan") as inner:
        assert inner is mine, "nightly's plan runs under nightly's lock"
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert len(refused) == 1 and "nightly" in str(refused[0])
    with run_lock(tmp_path, "plan"):  # released by the outer block only
        pass
