"""The browser the HTML report tests open their pages in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reports.chromium import Browser, browser, find_binary


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Chromium per test process; tests skip, saying so, where none is installed."""
    if find_binary() is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium), so the HTML "
                    "reports cannot be opened in a browser here")  # fmt: skip
    with browser() as running:
        yield running
