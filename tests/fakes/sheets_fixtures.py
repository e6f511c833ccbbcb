"""Pytest fixtures for the fake Google Sheets API (registered in ``tests/conftest.py``).

    def test_something(google_sheet):            # a fresh spreadsheet, counters at zero
        workbook = open_workbook(google_sheet.settings)
        ...
        assert google_sheet.server.counts["values.batchGet"] == 1

    def test_other(make_google_sheet):
        sheet = make_google_sheet({"MAP_UOM": [["Source UoM", "Canonical UoM"], ["ea", "EA"]]})
        sheet.server.inject(429, count=3)        # the next three requests answer 429

``settings`` points ``MATERIAL_LIBRARY_MASTER`` at the spreadsheet and
``MATSYNC_SHEETS_ENDPOINT`` at the server (no Google credentials needed), with
``output_dir`` under the test's ``tmp_path``. One server runs per test session (per
xdist worker); each test gets its own spreadsheet, zeroed counters and no faults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sheets_sync.config import Settings
from tests.fakes.sheets_server import FakeSheets, Sheet

__all__ = ["GoogleSheet", "google_sheet", "make_google_sheet", "sheets_server"]


@dataclass(frozen=True)
class GoogleSheet:
    """One spreadsheet on the fake server, and settings that open it."""

    server: FakeSheets
    key: str
    settings: Settings

    def values(self, tab: str) -> list[list[Any]]:
        return self.server.values(self.key, tab)

    def sheet(self, tab: str) -> Sheet:
        return self.server.sheet(self.key, tab)


@pytest.fixture(scope="session")
def sheets_server() -> Iterator[FakeSheets]:
    with FakeSheets() as server:
        yield server


@pytest.fixture
def make_google_sheet(
    sheets_server: FakeSheets, tmp_path: Path
) -> Iterator[Callable[[Mapping[str, Sequence[Sequence[Any]]] | None], GoogleSheet]]:
    sheets_server.clear_faults()
    sheets_server.latency, sheets_server.before_answer = 0.0, None

    def make(tabs: Mapping[str, Sequence[Sequence[Any]]] | None = None) -> GoogleSheet:
        key = sheets_server.create_spreadsheet(tabs)
        settings = Settings(workbook=key, sheets_endpoint=sheets_server.url, output_dir=tmp_path / "out")
        sheets_server.reset_counts()
        return GoogleSheet(sheets_server, key, settings)

    yield make
    sheets_server.clear_faults()
    sheets_server.before_answer = None


@pytest.fixture
def google_sheet(make_google_sheet: Callable[..., GoogleSheet]) -> GoogleSheet:
    return make_google_sheet(None)
