"""``Last Synced`` reads the date forms Google and Excel put in a date cell, on both backends:
Google's FORMATTED_STRING gives the cell's display text; the .xlsx backend gives a real date
cell as ISO text. Read through ``pull``, as every command reads the master."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from canonical.models import Material
from canonical.serialize import from_jsonl
from innergy_client.sandbox import Sandbox
from sheets_sync.commands.pull import pull
from sheets_sync.master.tabs import MASTER, MASTER_FIELDS
from tests.fakes import push_world
from tests.fakes.push_world import World, part, tabs_for, tabs_world
from tests.fakes.sheets_server import FakeSheets

sandbox = push_world.sandbox

AT_1405 = datetime(2025, 11, 3, 14, 5)
MIDNIGHT = datetime(2025, 11, 3)
TYPED = {
    "11/3/2025": MIDNIGHT,
    "11/3/2025 14:05:00": AT_1405,
    "11/3/2025 2:05 PM": AT_1405,
    "2025-11-03 14:05": AT_1405,
    "2025-11-03T14:05:00": AT_1405,
    "2025-11-03T14:05:00Z": AT_1405.replace(tzinfo=UTC),
    "3-Nov-2025": MIDNIGHT,
}
"""A Last Synced cell's text -> the time it means."""
COLUMN = list(MASTER_FIELDS).index("Last Synced")


@pytest.fixture(params=["google", "xlsx"])
def backend(request: pytest.FixtureRequest, sheets_server: FakeSheets) -> Iterator[FakeSheets | None]:
    yield sheets_server if request.param == "google" else None


def world_with(tmp_path: Path, sandbox: Sandbox, where: FakeSheets | None, cells: list[Any]) -> World:
    """One master row per Last Synced cell, P-0000 onwards."""
    tabs = tabs_for([part(n) for n in range(len(cells))])
    for row, cell in zip(tabs[MASTER][1:], cells, strict=True):
        row[COLUMN] = cell
    return tabs_world(tmp_path, sandbox, tabs, where)


def pulled(world: World) -> dict[str, datetime | None]:
    outcome = pull(world.settings)
    assert outcome.summary["problems"] == 0, outcome.summary["issues"]
    path = world.settings.output_dir / "canonical" / "materials.jsonl"
    return {m.sku: m.last_synced for m in from_jsonl(path.read_text(encoding="utf-8"), Material)}


def test_each_typed_form_reads_as_the_time_it_shows(
    tmp_path: Path, sandbox: Sandbox, backend: FakeSheets | None
) -> None:
    world = world_with(tmp_path, sandbox, backend, list(TYPED))
    assert pulled(world) == {part(n).sku: when for n, when in enumerate(TYPED.values())}


def test_real_date_cells_of_an_xlsx_read_as_their_dates(tmp_path: Path, sandbox: Sandbox) -> None:
    """Cells Excel holds as dates (a serial number with a date format), not as text."""
    world = world_with(tmp_path, sandbox, None, [None, None, None])
    path = Path(str(world.settings.workbook))
    book = openpyxl.load_workbook(path)
    sheet = book[MASTER]
    for row, (value, shown) in enumerate(
        [(AT_1405, "m/d/yyyy h:mm"), (date(2025, 11, 3), "m/d/yyyy"), (AT_1405, "d-mmm-yyyy")], start=2
    ):
        cell = sheet.cell(row=row, column=COLUMN + 1, value=value)
        cell.number_format = shown
    book.save(path)

    assert pulled(world) == {"P-0000": AT_1405, "P-0001": MIDNIGHT, "P-0002": AT_1405}
