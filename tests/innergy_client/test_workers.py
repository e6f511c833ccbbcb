"""Worker pools leave signals to the main thread, which waits in slices so its handler runs."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from innergy_client.workers import in_background, map_in_order, result, worker_pool

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and masks")


@pytest.fixture
def usr1_sets() -> Iterator[threading.Event]:
    """SIGUSR1's handler sets the yielded event (handlers run in the main thread only)."""
    assert threading.current_thread() is threading.main_thread()
    handled = threading.Event()

    def handler(_signum: int, _frame: FrameType | None) -> None:
        handled.set()

    previous = signal.signal(signal.SIGUSR1, handler)
    yield handled
    signal.signal(signal.SIGUSR1, previous)


def test_the_handler_runs_while_the_main_thread_waits_on_a_worker(usr1_sets: threading.Event) -> None:
    """The signal lands on another thread (as the kernel may choose) while the main thread
    waits; the worker finishes only once the handler ran, so a main thread that waited
    without slices would see the worker give up first."""
    with worker_pool(1) as pool:
        future = pool.submit(usr1_sets.wait, 10)
        bystander = threading.Timer(0.3, lambda: signal.pthread_kill(threading.get_ident(), signal.SIGUSR1))
        bystander.start()
        assert result(future) is True, "the handler ran only after the worker gave up"
        bystander.join()


def test_workers_block_sigint_and_sigterm() -> None:
    def mask(_: int) -> set[int]:
        return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))

    masks = map_in_order(mask, [1, 2, 3], workers=2)
    assert all({signal.SIGINT, signal.SIGTERM} <= m for m in masks), masks
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, []), "the caller's mask changed"


def test_map_in_order_keeps_the_order_and_raises_the_first_error() -> None:
    assert map_in_order(lambda n: n * n, list(range(20)), workers=4) == [n * n for n in range(20)]
    with pytest.raises(ZeroDivisionError):
        map_in_order(lambda n: 1 / n, [3, 0, 1], workers=2)


def test_in_background_hands_back_the_result_or_the_error_and_blocks_signals() -> None:
    def mask() -> set[int]:
        return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))

    assert {signal.SIGINT, signal.SIGTERM} <= result(in_background(mask))

    def fails() -> None:
        raise LookupError("INNERGY went away")

    with pytest.raises(LookupError, match="went away"):
        result(in_background(fails))


def test_a_background_thread_does_not_hold_up_the_exit() -> None:
    gate = threading.Event()
    in_background(lambda: gate.wait(60))
    (thread,) = [t for t in threading.enumerate() if t.name == "matsync-background"]
    assert thread.daemon
    gate.set()


def test_a_failing_block_cancels_what_is_queued_and_not_started() -> None:
    started: list[int] = []
    gate = threading.Event()

    def work(n: int) -> None:
        started.append(n)
        gate.wait(10)

    with pytest.raises(LookupError), worker_pool(1) as pool:
        futures = [pool.submit(work, n) for n in range(5)]
        threading.Timer(0.2, gate.set).start()
        raise LookupError("the journal refused the batch")
    assert started == [0], "only the write already running went out"
    assert all(f.cancelled() for f in futures[1:])
