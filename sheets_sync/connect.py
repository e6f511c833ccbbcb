"""Settings -> the resources a command works on: the workbook, the INNERGY client, the journal.

One rule for each, so commands cannot drift apart: the workbook is the one
``MATERIAL_LIBRARY_MASTER`` names; INNERGY is reached at ``INNERGY_BASE_URL`` with
``INNERGY_API_KEY`` (the client refuses a missing key, naming the variable); the journal
is ``state.db`` in ``MIGRATION_OUTPUT_DIR``, created by runs that write and only read
(never created) by those that look.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sheets_sync.config import GoogleSheetRef, Settings
from sheets_sync.store.paths import Outputs
from sheets_sync.workbook.base import Workbook
from sheets_sync.workbook.retry import RetryPolicy

if TYPE_CHECKING:  # loaded by the functions that need them: pull and init-sheet need neither
    from innergy_client import InnergyClient
    from sheets_sync.store.journal import Journal

__all__ = [
    "existing_journal",
    "innergy_client",
    "open_journal",
    "open_workbook",
    "outputs",
    "workbook_needs_login",
]


def outputs(settings: Settings) -> Outputs:
    return Outputs(settings.output_dir)


def workbook_needs_login(settings: Settings) -> bool:
    """Whether opening the workbook goes through gspread's OAuth user flow (a Google Sheet
    with no credentials file and no emulator), which may ask a person to log in, or fail
    for want of credentials. A credentials file that cannot be read is an error here."""
    if not isinstance(settings.workbook_ref(), GoogleSheetRef) or settings.uses_sheets_emulator:
        return False
    return settings.google_credentials_file() is None


def open_workbook(settings: Settings, *, create: bool = False, retry: RetryPolicy | None = None) -> Workbook:
    """The workbook ``MATERIAL_LIBRARY_MASTER`` names; ``create`` allows a new .xlsx file."""
    ref = settings.workbook_ref(must_exist=not create)
    if isinstance(ref, GoogleSheetRef):
        from sheets_sync.workbook.google import open_google

        return open_google(settings, ref.key, policy=retry)
    from sheets_sync.workbook.xlsx import XlsxWorkbook

    return XlsxWorkbook(ref.path, create=create)


def innergy_client(settings: Settings, **options: Any) -> InnergyClient:
    """A client for the configured tenant; ``options`` tune it (retries, concurrency, ...)."""
    from innergy_client import InnergyClient

    key = settings.innergy_api_key.get_secret_value() if settings.innergy_api_key else ""
    return InnergyClient(settings.innergy_url(), key, **options)


def open_journal(settings: Settings) -> Journal:
    """The journal, created (with its folder) when this is the first run that writes."""
    from sheets_sync.store.journal import Journal

    return Journal.open(outputs(settings).journal)


def existing_journal(settings: Settings) -> Journal | None:
    """The journal for a run that only looks (dry runs, plan's baseline, health): never created."""
    from sheets_sync.store.journal import Journal

    return Journal.open_existing(outputs(settings).journal)
