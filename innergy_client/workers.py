"""Worker threads that leave signals to the main thread.

Python runs signal handlers in the main thread only, and only between Python bytecodes.
A SIGINT the kernel hands to a worker blocked in a socket read trips a flag the main
thread does not look at while it waits on that worker's future: Ctrl-C during a push
then waited out INNERGY's slowest answer (a minute, on a slow tenant). So the workers
block SIGINT and SIGTERM (POSIX), and the main thread waits in short slices (everywhere:
on Windows a lock wait is not woken by Ctrl-C at all).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["in_background", "map_in_order", "result", "worker_pool"]

T = TypeVar("T")
R = TypeVar("R")

SLICE = 0.1
"""Seconds the main thread waits at a time: how late a signal's handler may run."""
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _leave_signals_to_the_main_thread() -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


@contextmanager
def worker_pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    """A pool of ``workers`` threads that never receive SIGINT or SIGTERM, for a ``with``
    block. When the block fails, what is queued and not yet started is cancelled: a push
    that failed must not go on sending the writes it had queued (their journal entries stay
    intended, and the next run looks them up)."""
    pool = ThreadPoolExecutor(max_workers=max(1, workers), initializer=_leave_signals_to_the_main_thread)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def result(future: Future[T]) -> T:
    """``future.result()``, waited for in slices so a signal's handler runs meanwhile."""
    while True:
        try:
            return future.result(timeout=SLICE)
        except TimeoutError:
            continue


def map_in_order(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``fn`` over ``items`` with at most ``workers`` calls in flight, results in order."""
    with worker_pool(workers) as pool:
        return [result(future) for future in [pool.submit(fn, item) for item in items]]


def in_background(fn: Callable[[], T]) -> Future[T]:
    """``fn()`` started in a thread of its own, which leaves signals to the main thread;
    its result or error in the future. The thread is a daemon: a command that fails or is
    interrupted meanwhile exits without waiting for it."""
    future: Future[T] = Future()

    def run() -> None:
        _leave_signals_to_the_main_thread()
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to whoever waits on the future
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name="matsync-background").start()
    return future
