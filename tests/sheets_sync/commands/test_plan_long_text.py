"""Long text through ``plan`` and ``push``: no cell beyond its backend's limit, the whole to INNERGY.

A description near the cell limit changed on both sides makes a ``Changes`` cell of twice
its length, and a bad cost as long is quoted whole in its ISSUES message: Google refuses
such a cell, an .xlsx cannot hold it, and every plan failed until someone shortened the
text. Here ``plan`` succeeds on the fake Sheets API (30,000 characters a side) and on a
real .xlsx file (17,000), every cell read back is within the limit, the cut cells name
where the whole is, and a push of the ticked change sends INNERGY the master's whole text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from canonical.errors import ExitCode
from canonical.plan import Plan
from innergy_client.sandbox import Sandbox
from reports.cells import cell_size
from reports.plan import HEADER_ROW, change_lines
from sheets_sync.commands.plan import plan
from sheets_sync.commands.pull import pull
from sheets_sync.commands.push import push
from sheets_sync.master.tabs import DIFF_INNERGY, ISSUES, MASTER
from sheets_sync.workbook import Append
from tests.fakes import push_world
from tests.fakes.push_world import World, part, seed_innergy, xlsx_world
from tests.fakes.sheets_server import CELL_LIMIT, FakeSheets

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world


def description(word: str, size: int) -> str:
    """``size`` characters of a spec sheet pasted into Description (no surrounding spaces)."""
    return (f"{word} spec, 19 mm core; " * size)[: size - 1] + "."


def bad_cost(world: World, limit: int) -> str:
    """A master row (sheet row 3) whose Cost is text just within ``limit``; its ISSUES message
    quotes it, and is longer."""
    cost = "x" * (limit - 5)
    row = {"SKU": "BAD-1", "Name": "Bad", "Category": "Hardware", "UoM": "EA", "Cost": cost}
    world.write([Append(MASTER, [row])])
    return cost


def check_cells(world: World, cells: Callable[[], list[Any]], limit: int, cost: str) -> None:
    """Every cell read back within ``limit``; the ISSUES message cut, naming the Cost cell."""
    texts = [c for c in cells() if isinstance(c, str)]
    assert texts and max(map(cell_size, texts)) <= limit
    [issue] = [r for r in world.tab(ISSUES)[1:] if r[3] == "Cost"]
    assert issue[4] == cost  # it fits: the master held it
    quoted = re.search(r"… \[cut: ([\d,]+) characters; (.*)\]$", issue[5])
    assert quoted and int(quoted[1].replace(",", "")) > limit and "x" * 1000 in issue[5]
    assert quoted[2] == "the value it quotes is in MATERIAL_LIBRARY_MASTER, row 3, column Cost"


def plan_and_check(world: World, cells: Callable[[], list[Any]], limit: int, old: str, new: str) -> None:
    """Plan with a long bad cost too; then the cells, and the Changes cell cut naming the plan file."""
    cost = bad_cost(world, limit)
    outcome = plan(world.settings)
    assert outcome.exit_code == ExitCode.NEEDS_PERSON, outcome.lines
    check_cells(world, cells, limit, cost)
    plan_id = str(outcome.summary["plan_id"])
    path = world.settings.output_dir / "plans" / f"{plan_id}.json"
    saved = Plan.from_json(path.read_text(encoding="utf-8"))
    whole = change_lines(saved.changes[0].changes)
    assert whole == f"description: {old} -> {new}" and cell_size(whole) > limit
    [row] = [r for r in world.tab(DIFF_INNERGY)[HEADER_ROW:] if r[3] == "P-0001"]
    note = f"… [cut: {cell_size(whole):,} characters; the whole change is in plans/{plan_id}.json]"
    assert row[5] == whole[: limit - len(note)] + note
    assert saved.changes[0].payload is not None and saved.changes[0].payload.description == new


def push_and_check(world: World, new: str) -> None:
    """Tick the cut change and push: INNERGY receives the master's whole description."""
    world.tick(["P-0001"])
    outcome = push(world.settings)
    assert outcome.exit_code == ExitCode.OK, outcome.lines
    assert world.results()["P-0001"] == "applied"
    [record] = [m for m in world.sandbox.materials if m["ExternalId"] == "P-0001"]
    assert record["Description"] == new


def xlsx_cells(world: World) -> Callable[[], list[Any]]:
    """Every cell of the .xlsx, read by openpyxl (not the calamine reader the tool uses)."""

    def cells() -> list[Any]:
        book = openpyxl.load_workbook(world.settings.workbook, read_only=True)
        try:
            return [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]
        finally:
            book.close()

    return cells


def test_google_plan_cuts_a_60000_character_change_to_50000_and_push_sends_the_whole(
    make_world: Callable[..., World], fake: FakeSheets
) -> None:
    old, new = description("Old", 30_000), description("New", 30_000)
    world = make_world(
        [part(1).model_copy(update={"description": new})], [part(1).model_copy(update={"description": old})]
    )
    book = fake.spreadsheets[str(world.settings.workbook)]

    def cells() -> list[Any]:
        return [c for sheet in book.sheets for row in sheet.rows for c in row]

    plan_and_check(world, cells, CELL_LIMIT, old, new)
    push_and_check(world, new)


def test_xlsx_plan_cuts_a_34000_character_change_to_32767_and_push_sends_the_whole(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    old, new = description("Old", 17_000), description("New", 17_000)
    seed_innergy(sandbox, [part(1).model_copy(update={"description": old})])
    world = xlsx_world(tmp_path, sandbox, [part(1).model_copy(update={"description": new})])

    plan_and_check(world, xlsx_cells(world), 32_767, old, new)
    push_and_check(world, new)


def test_xlsx_pull_cuts_an_issues_message_to_32767(tmp_path: Path, sandbox: Sandbox) -> None:
    world = xlsx_world(tmp_path, sandbox, [part(1)])
    cost = bad_cost(world, 32_767)
    assert pull(world.settings).exit_code == ExitCode.OK
    check_cells(world, xlsx_cells(world), 32_767, cost)


def test_the_fake_refuses_a_cell_over_50000_characters_as_google_does(fake: FakeSheets) -> None:
    """So the tests above can fail: Google's answer to a longer cell, counted in UTF-16 units."""
    key = fake.create_spreadsheet({"T": []})
    path = f"/v4/spreadsheets/{key}/values:batchUpdate"

    def write(value: str) -> tuple[int, Any]:
        data = [{"range": "T!A1", "values": [[value]]}]
        return fake.handle("POST", path, {}, {"valueInputOption": "RAW", "data": data})

    assert write("x" * CELL_LIMIT)[0] == 200 and write("😀" * (CELL_LIMIT // 2))[0] == 200
    for value in ("x" * (CELL_LIMIT + 1), "😀" * (CELL_LIMIT // 2) + "x"):
        status, answer = write(value)
        assert (status, answer["error"]["status"]) == (400, "INVALID_ARGUMENT")
        assert answer["error"]["message"] == (
            "Your input contains more than the maximum of 50000 characters in a single cell."
        )
    assert fake.values(key, "T") == [["😀" * (CELL_LIMIT // 2)]]
