"""Fixtures every test package may use: the shared test data beside the repository."""

from __future__ import annotations

import json
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


pytest_plugins = ["tests.fakes.sheets_fixtures"]
