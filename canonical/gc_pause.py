"""Pausing the cyclic garbage collector around bulk work.

Bulk steps (the PPak ETL, parsing the master, the diff) allocate many small containers,
none in a cycle, all alive until the step ends; the collector's full passes over them and
over the models already held cost a third or more of the step and free nothing.
Reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["paused_gc"]


@dataclass
class _Pause:
    lock: threading.Lock
    holders: int = 0
    was_enabled: bool = False


_pause = _Pause(threading.Lock())


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable cyclic collection inside the block; restore the previous state once the last
    block open in any thread ends (a plan reads INNERGY in one thread and the workbook in
    another, each pausing it)."""
    with _pause.lock:
        if _pause.holders == 0:
            _pause.was_enabled = gc.isenabled()
            gc.disable()
        _pause.holders += 1
    try:
        yield
    finally:
        with _pause.lock:
            _pause.holders -= 1
            if _pause.holders == 0 and _pause.was_enabled:
                gc.enable()
