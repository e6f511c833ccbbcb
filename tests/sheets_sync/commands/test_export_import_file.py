"""``matsync export-import-file``: the approved rows as INNERGY's import sheet; exported is not applied."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl

from canonical.errors import ExitCode
from innergy_client.wire import IMPORT_COLUMNS
from sheets_sync.commands.export_file import export_import_file
from sheets_sync.commands.push import push
from tests.fakes import push_world
from tests.fakes.push_world import World, part

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world


def _sheet_rows(path: Path) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book["Materials"].iter_rows(values_only=True))
    finally:
        book.close()
    assert list(rows[0]) == list(IMPORT_COLUMNS)
    return [dict(zip(IMPORT_COLUMNS, r, strict=False)) for r in rows[1:]]


def test_export_writes_the_approved_rows_journals_them_exported_and_push_still_applies_them(
    make_world: Callable[..., World], tmp_path: Path
) -> None:
    world = make_world([part(0), part(1), part(2, "3.30"), part(3)], in_innergy=[part(2)])
    world.plan()
    world.tick(["P-0000", "P-0002"])
    writes = world.innergy_writes()
    out = tmp_path / "import.xlsx"

    exported = export_import_file(world.settings, out)

    assert exported.exit_code == ExitCode.OK, exported.lines
    assert exported.summary["exported"] == 2 and exported.summary["path"] == str(out)
    rows = {r["ExternalID"]: r for r in _sheet_rows(out)}
    assert set(rows) == {"P-0000", "P-0002"}
    assert rows["P-0000"]["MaterialName"] == "Part 0" and str(rows["P-0002"]["Cost"]) in ("3.3", "3.30")
    assert world.innergy_writes() == writes, "export must not write to INNERGY"
    assert world.results() == {"P-0000": "exported", "P-0001": None, "P-0002": "exported", "P-0003": None}
    journal = world.journal_rows("SELECT key, state FROM writes WHERE target = 'innergy.material'")
    assert sorted(journal) == [("P-0000", "exported"), ("P-0002", "exported")]

    pushed = push(world.settings)

    assert pushed.exit_code == ExitCode.OK, pushed.lines
    assert (pushed.summary["created"], pushed.summary["updated"]) == (1, 1)
    assert world.results() == {"P-0000": "applied", "P-0001": None, "P-0002": "applied", "P-0003": None}
    assert world.records() == {"P-0000": 1, "P-0002": 1}
