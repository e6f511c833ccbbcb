"""Pausing the cyclic garbage collector around bulk work.

Bulk steps (the PPak ETL, parsing the master, the diff) allocate many small containers,
none in a cycle, all alive until the step ends; the collector's full passes over them and
over the models already held cost a third or more of the step and free nothing.
Reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable cyclic collection inside the block; restore the previous state after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
