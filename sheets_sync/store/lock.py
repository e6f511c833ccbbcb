"""The run lock: one writing command at a time per MIGRATION_OUTPUT_DIR.

Every command that writes the workbook, INNERGY or the journal holds it (``plan``,
``push``, ``nightly``, ``undo``, ``projects-import``, ``init-sheet``, ``pull``,
``ppak-import``, ``export-import-file``), so a plan never rewrites the diff tabs while
a push is writing their Results. A routine that runs commands in turn (``nightly``:
push, then plan) holds it once: the lock is re-entrant within one thread.

An OS file lock (``flock``) on ``MIGRATION_OUTPUT_DIR/matsync.lock``: the kernel drops it
when the holder's process ends, however it ends (SIGKILL included), so a crash never
leaves a stale lock behind. The holder writes its pid, command and start time into the
file so that a run that gives up can say who it waited for. The file itself is never
deleted (deleting a lock file races with a process that has just opened it).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from canonical.errors import LockHeld
from sheets_sync.store.paths import Outputs

__all__ = ["holder", "run_lock"]

_POLL_SECONDS = 0.05
_held = threading.local()
"""lock path -> what its holder wrote, for the locks this thread holds."""


def holder(path: Path) -> dict[str, Any] | None:
    """What the lock file says about its holder (``None``: nobody wrote there yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _describe(found: dict[str, Any] | None) -> str:
    if not found:
        return "a run that is just starting"
    where = f" on {found['host']}" if found.get("host") else ""
    pid, started = found.get("pid", "?"), found.get("started_at", "?")
    return f"{found.get('command', '?')} (pid {pid}{where}, started {started})"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def run_lock(output_dir: Path, command: str, timeout: float = 0.0) -> Iterator[dict[str, Any]]:
    """Hold the run lock for the block; wait at most ``timeout`` seconds, then ``LockHeld``.

    Yields what it wrote into the lock file (pid, command, start time).
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    path = Outputs(output_dir).lock
    held: dict[str, dict[str, Any]] = _held.__dict__.setdefault("locks", {})
    key = str(path.resolve())
    if key in held:  # this thread holds it already (nightly's plan, under nightly's lock)
        yield held[key]
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, timeout)
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise LockHeld(
                    f"another matsync run holds the lock {path}: {_describe(holder(path))}; "
                    f"waited {timeout:g} s. Nothing was done; run again when it has finished."
                )
            time.sleep(_POLL_SECONDS)
        mine = {
            "pid": os.getpid(),
            "command": command,
            "host": socket.gethostname(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(mine).encode(), 0)
        held[key] = mine
        try:
            yield mine
        finally:
            del held[key]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
