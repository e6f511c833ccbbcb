"""SIGINT and SIGTERM: a run that writes stops starting writes, settles, and says what landed.

Why it works this way (architecture.md, "Runs that are interrupted"):

- Killing a run between sending a write and journalling its answer is safe (the next run
  looks the write up), but killing it after its INNERGY writes and before its write-back
  loses the Results and the SYNC_LOG row people read. So within a run's writes
  (``deferred``) the first signal is only a request: the writers look at the ``Stop``
  before each new write, those in flight are awaited and journalled, and the command
  writes its results as usual with Outcome ``interrupted``, then exits 130 / 143.
- Outside a run's writes there is nothing half-done to finish: the first signal stops
  the command at once (``Interrupted``, a KeyboardInterrupt so no ``except Exception``
  swallows it).
- A second signal exits at once, wherever the run is: the journal holds every write
  that was in flight as intended, and the next run settles it from INNERGY.

The handlers are installed by the CLI (``handling_signals``) in the main thread only;
the library works the same without them (a ``Stop`` is then never requested).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from canonical.errors import ExitCode, Interrupted

__all__ = ["INTERRUPTED", "WITHDRAWN", "Stop", "deferred", "handling_signals"]

INTERRUPTED = "interrupted"
"""The Outcome of a run a signal stopped (journal, SYNC_LOG, JSON)."""
WITHDRAWN = "not sent: the run was interrupted first"
"""The journal's word on a write intended with its batch but withdrawn before it was sent."""
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_EXIT_CODES: dict[int, ExitCode] = {signal.SIGINT: ExitCode.INTERRUPTED, signal.SIGTERM: ExitCode.TERMINATED}


def _exit_code(signum: int) -> ExitCode:
    """The process exit code for a run a signal stopped: 130 for SIGINT, 143 for SIGTERM."""
    return _EXIT_CODES.get(signum, ExitCode.INTERRUPTED)


def _name(signum: int) -> str:
    return signal.Signals(signum).name


class Stop:
    """A request to stop starting writes, set from the signal handler, read by the writers
    (in any thread) before each new write."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signum: int | None = None

    def request(self, signum: int) -> None:
        if not self._event.is_set():
            self.signum = signum
            self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    @property
    def exit_code(self) -> ExitCode | None:
        """130 / 143 once requested, else ``None``."""
        return _exit_code(self.signum) if self.signum is not None else None

    @property
    def signal_name(self) -> str:
        return _name(self.signum) if self.signum is not None else "-"


def _say(line: str) -> None:
    """One line on stderr from a signal handler: straight to the file descriptor, since the
    main thread may be inside a write to ``sys.stderr`` when the signal lands."""
    os.write(2, f"matsync: {line}\n".encode())


ExitHook = Callable[[ExitCode, str], None]
"""Called just before a second signal ends the process (the CLI prints its JSON object)."""


@dataclass
class _State:
    sections: list[Stop] = field(default_factory=list)
    received: int = 0
    on_exit: ExitHook | None = None


_state = _State()


def _handle(signum: int, _frame: FrameType | None) -> None:
    _state.received += 1
    code, name = _exit_code(signum), _name(signum)
    if _state.received > 1:
        message = f"{name} again: stopped at once; the next run settles the writes in flight from INNERGY"
        _say(message)
        if _state.on_exit is not None:
            _state.on_exit(code, message)
        os._exit(int(code))
    if not _state.sections:
        raise Interrupted(f"interrupted by {name}; run the command again", code)
    for stop in _state.sections:
        stop.request(signum)
    _say(
        f"{name}: no new write starts; finishing the writes in flight, then the results "
        f"(a second {name} stops at once)"
    )


@contextmanager
def handling_signals(on_exit: ExitHook | None = None) -> Iterator[None]:
    """SIGINT and SIGTERM handled as above for the block (the previous handlers come back
    after it); off the main thread, where Python allows no handler, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {s: signal.getsignal(s) for s in _SIGNALS}
    _state.received, _state.on_exit = 0, on_exit
    for signum in _SIGNALS:
        signal.signal(signum, _handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _state.on_exit = None


@contextmanager
def deferred() -> Iterator[Stop]:
    """A run's writes: within the block a first signal requests the yielded ``Stop``
    rather than stopping the command."""
    stop = Stop()
    _state.sections.append(stop)
    try:
        yield stop
    finally:
        _state.sections.remove(stop)
