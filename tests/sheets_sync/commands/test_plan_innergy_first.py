"""plan asks INNERGY for its library before it opens the workbook, so INNERGY prepares its
answer while gspread is loaded and reads the spreadsheet's metadata; but not when opening
the workbook may need a person (gspread's login) or fails for want of a credential."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from canonical.errors import ConfigError
from innergy_client.sandbox import Sandbox, running_sandbox
from sheets_sync.commands.plan import plan
from sheets_sync.config import Settings
from sheets_sync.connect import workbook_needs_login
from tests.fakes.sheets_fixtures import GoogleSheet
from tests.sheets_sync.commands.test_pull import good, library_tabs

LISTING = ("GET", "/api/materials")
KEY = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
"""A Google Sheet's key (Google's own sample)."""


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as running:
        yield running


def test_innergy_is_asked_before_the_spreadsheet_answers_its_first_read(
    make_google_sheet: Callable[..., GoogleSheet], sandbox: Sandbox
) -> None:
    sheet = make_google_sheet(library_tabs([good("A-1")]))
    asked: list[bool] = []

    def hold(kind: str) -> None:  # the metadata read waits (5 s at most) for INNERGY's listing
        if kind == "get" and not asked:
            deadline = time.monotonic() + 5
            while LISTING not in sandbox.requests and time.monotonic() < deadline:
                time.sleep(0.01)
            asked.append(LISTING in sandbox.requests)

    sheet.server.before_answer = hold
    settings = Settings(
        workbook=sheet.key,
        sheets_endpoint=sheet.server.url,
        output_dir=sheet.settings.output_dir,
        innergy_base_url=sandbox.url,
        innergy_api_key=sandbox.api_key,
    )

    outcome = plan(settings)

    assert asked == [True], "INNERGY was asked only after the workbook had been opened"
    assert outcome.summary["changes"] == 1


def test_only_a_google_sheet_opened_through_gspreads_login_needs_it(tmp_path: Path) -> None:
    service_account = tmp_path / "sa.json"
    service_account.write_text('{"type": "service_account"}', encoding="utf-8")
    xlsx = tmp_path / "master.xlsx"
    xlsx.write_bytes(b"")
    assert workbook_needs_login(Settings(workbook=KEY)) is True
    assert workbook_needs_login(Settings(workbook=KEY, sheets_endpoint="http://127.0.0.1:1")) is False
    assert workbook_needs_login(Settings(workbook=KEY, google_service_account_file=service_account)) is False
    assert workbook_needs_login(Settings(workbook=str(xlsx))) is False


def test_a_plan_whose_google_credentials_cannot_be_read_stops_before_innergy_is_asked(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    unreadable = tmp_path / "sa.json"
    unreadable.write_text("not JSON", encoding="utf-8")
    settings = Settings(
        workbook=KEY,
        google_service_account_file=unreadable,
        output_dir=tmp_path / "out",
        innergy_base_url=sandbox.url,
        innergy_api_key=sandbox.api_key,
    )

    with pytest.raises(ConfigError, match="is not JSON"):
        plan(settings)
    time.sleep(0.2)  # a listing started all the same would have reached the sandbox by now
    sandbox.wait_until_read()

    assert LISTING not in sandbox.requests
