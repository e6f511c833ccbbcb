"""Fixtures every test package may use: the shared test data beside the repository, and a
check that each test leaves the cyclic GC as it found it."""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the clone; tests that need it skip, saying why, where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"the shared test data is not beside the repository (looked for {SHARED})")
    return SHARED


@pytest.fixture(scope="session")
def ppak_samples(shared_dir: Path) -> Path:
    return shared_dir / "samples" / "ppak"


@pytest.fixture(scope="session")
def naughty_strings(shared_dir: Path) -> list[str]:
    """The Big List of Naughty Strings (third-party, MIT)."""
    return list(json.loads((shared_dir / "corpora" / "blns" / "blns.json").read_text(encoding="utf-8")))


@pytest.fixture(autouse=True)
def collector_left_as_found() -> Iterator[None]:
    """Fail the test after which the cyclic GC stays paused (a ``paused_gc`` block left
    open, perhaps in a thread the test started): later tests would run without it, and
    those that check the pause ends would fail in the wrong place."""
    enabled = gc.isenabled()
    yield
    deadline = time.monotonic() + 5  # a thread of the test may still be finishing its block
    while enabled and not gc.isenabled() and time.monotonic() < deadline:
        time.sleep(0.05)
    if enabled and not gc.isenabled():
        frames = sys._current_frames()
        stacks = "".join(
            f"\n{thread.name}:\n" + "".join(traceback.format_stack(frames[thread.ident]))
            for thread in threading.enumerate()
            if thread.ident in frames
        )
        pytest.fail(f"the cyclic GC was left paused; the threads now running:{stacks}")


pytest_plugins = ["tests.fakes.sheets_fixtures"]
