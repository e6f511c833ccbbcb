"""The run lock: one writing command at a time per MIGRATION_OUTPUT_DIR.

Every command that writes the workbook, INNERGY or the journal holds it (``plan``,
``push``, ``nightly``, ``undo``, ``projects-import``, ``init-sheet``, ``pull``,
``ppak-import``, ``export-import-file``), so a plan never rewrites the diff tabs while
a push is writing their Results. A routine that runs commands in turn (``nightly``:
push, then plan) holds it once: the lock is re-entrant within one thread.

An OS file lock (filelock: ``flock`` on POSIX, ``msvcrt`` locking on Windows) on
``MIGRATION_OUTPUT_DIR/matsync.lock``: the OS drops it when the holder's process ends,
however it ends (SIGKILL included), so a crash never leaves a stale lock behind. The
lock file is never deleted (deleting one races with a process that has just opened it).
The holder writes its pid, command and start time into a note beside it
(``matsync.lock.holder``; Windows lets no one else read a locked file), so that a run
that gives up can say who it waited for.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from canonical.errors import LockHeld
from sheets_sync.store.paths import Outputs

__all__ = ["holder", "holder_note", "run_lock"]

_POLL_SECONDS = 0.05
_held = threading.local()
"""lock path -> what its holder wrote, for the locks this thread holds."""


def holder_note(path: Path) -> Path:
    """Where the holder of the lock ``path`` says who it is."""
    return path.with_name(path.name + ".holder")


def holder(path: Path) -> dict[str, Any] | None:
    """What the holder of the lock ``path`` wrote (``None``: nobody, or not readable)."""
    try:
        found = json.loads(holder_note(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _describe(found: dict[str, Any] | None) -> str:
    if not found:
        return "a run that is just starting"
    where = f" on {found['host']}" if found.get("host") else ""
    pid, started = found.get("pid", "?"), found.get("started_at", "?")
    return f"{found.get('command', '?')} (pid {pid}{where}, started {started})"


@contextmanager
def run_lock(output_dir: Path, command: str, timeout: float = 0.0) -> Iterator[dict[str, Any]]:
    """Hold the run lock for the block; wait at most ``timeout`` seconds, then ``LockHeld``.

    Yields what it wrote into the holder note (pid, command, start time).
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    path = Outputs(output_dir).lock
    held: dict[str, dict[str, Any]] = _held.__dict__.setdefault("locks", {})
    key = str(path.resolve())
    if key in held:  # this thread holds it already (nightly's plan, under nightly's lock)
        yield held[key]
        return
    lock = FileLock(path, poll_interval=_POLL_SECONDS, preserve_lock_file=True, fallback_to_soft=False)
    try:
        lock.acquire(timeout=max(0.0, timeout))
    except Timeout:
        raise LockHeld(
            f"another matsync run holds the lock {path}: {_describe(holder(path))}; "
            f"waited {timeout:g} s. Nothing was done; run again when it has finished."
        ) from None
    try:
        mine = {
            "pid": os.getpid(),
            "command": command,
            "host": socket.gethostname(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        holder_note(path).write_text(json.dumps(mine), encoding="utf-8")
        held[key] = mine
        try:
            yield mine
        finally:
            del held[key]
            holder_note(path).write_text("", encoding="utf-8")
    finally:
        lock.release()
