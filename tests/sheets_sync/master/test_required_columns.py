"""A master that cannot say which materials exist stops plan with exit 1 and a hint, and
nothing is planned: no plan file, the diff tabs and ISSUES as they were. Missing, renamed
away (then recreated empty by init-sheet), headerless, empty below the header, lacking a
required column, a contract header twice. End to end through ``matsync --json plan``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canonical.errors import MissingColumn
from innergy_client.sandbox import Sandbox
from sheets_sync.commands.health import health
from sheets_sync.commands.init_sheet import init_sheet
from sheets_sync.commands.pull import pull
from sheets_sync.master.tabs import DIFF_INNERGY, ISSUES, MASTER, MASTER_FIELDS
from sheets_sync.workbook import Rewrite
from tests.fakes import push_world
from tests.fakes.push_world import World, part, seed_innergy, tabs_for, tabs_world
from tests.fakes.sheets_server import FakeSheets

sandbox = push_world.sandbox

HEADER = list(MASTER_FIELDS)
PARTS = [part(n) for n in range(6)]


@pytest.fixture(params=["google", "xlsx"])
def backend(request: pytest.FixtureRequest, sheets_server: FakeSheets) -> Iterator[FakeSheets | None]:
    yield sheets_server if request.param == "google" else None


def planned_world(tmp_path: Path, sandbox: Sandbox, where: FakeSheets | None) -> World:
    """Five parts in INNERGY and the master, a sixth to create: one plan made, one change pending."""
    seed_innergy(sandbox, PARTS[:5])
    world = tabs_world(tmp_path, sandbox, tabs_for(PARTS), where)
    world.plan()
    return world


def set_master(world: World, rows: list[list[Any]]) -> None:
    """The master as a person leaves it (in the fake Sheets API, straight into its cells)."""
    if world.fake is not None:
        world.fake.sheet(str(world.settings.workbook), MASTER).rows[:] = rows
    else:
        world.write([Rewrite(MASTER, rows)])


def edit_master(world: World, edit: Any) -> None:
    rows = [list(r) for r in world.tab(MASTER)]
    edit(rows)
    set_master(world, rows)


def refused(world: World) -> dict[str, Any]:
    """``plan`` on a broken master: exit 1, and what the last plan wrote is still all there is."""
    before = {tab: world.tab(tab) for tab in (DIFF_INNERGY, ISSUES)}
    plans = sorted((world.settings.output_dir / "plans").iterdir())
    code, result = world.cli("plan")
    assert code == 1, result
    assert result["ok"] is False and result["exit_code"] == 1
    assert sorted((world.settings.output_dir / "plans").iterdir()) == plans
    assert {tab: world.tab(tab) for tab in before} == before
    assert {r["Status"] for r in world.sandbox.materials} == {"Active"}
    return result


@pytest.mark.parametrize(
    ("on", "title"), [*(("google", t) for t in ("SKU", "Name", "Category", "UoM", "Cost")), ("xlsx", "Cost")]
)
def test_a_renamed_required_column_is_an_error_naming_it(
    tmp_path: Path, sandbox: Sandbox, sheets_server: FakeSheets, on: str, title: str
) -> None:
    world = planned_world(tmp_path, sandbox, sheets_server if on == "google" else None)
    edit_master(world, lambda rows: rows[0].__setitem__(HEADER.index(title), f"{title} (old)"))

    result = refused(world)

    assert f"has no {title!r} column" in result["error"] and MASTER in result["error"]
    assert "SKU, Name, Category, UoM, Cost" in result["error"]
    assert f"name the column {title!r} again" in result["hint"]


def test_two_missing_columns_are_named_together(
    tmp_path: Path, sandbox: Sandbox, sheets_server: FakeSheets
) -> None:
    world = planned_world(tmp_path, sandbox, sheets_server)
    edit_master(world, lambda rows: [rows[0].__setitem__(HEADER.index(t), "") for t in ("SKU", "Cost")])
    assert "has no 'SKU' and 'Cost' columns" in refused(world)["error"]


def test_a_header_twice_is_an_error_naming_both_columns(
    tmp_path: Path, sandbox: Sandbox, backend: FakeSheets | None
) -> None:
    world = planned_world(tmp_path, sandbox, backend)
    assert (HEADER.index("Cost"), HEADER.index("Notes")) == (18, 27)  # columns S and AB
    edit_master(world, lambda rows: rows[0].__setitem__(HEADER.index("Notes"), " COST "))

    result = refused(world)

    assert "'Cost' in columns S and AB" in result["error"]
    assert "rename or delete all but one" in result["hint"]


def test_an_extra_user_column_may_repeat(tmp_path: Path, sandbox: Sandbox, sheets_server: FakeSheets) -> None:
    """Extra columns are kept and ignored: two of them with one title change nothing."""
    world = planned_world(tmp_path, sandbox, sheets_server)
    edit_master(world, lambda rows: rows[0].extend(["My note", "my note"]))
    code, result = world.cli("plan")
    assert code == 3 and result["counts"]["create"] == 1


def test_an_empty_master_tab_is_an_error(
    tmp_path: Path, sandbox: Sandbox, backend: FakeSheets | None
) -> None:
    world = planned_world(tmp_path, sandbox, backend)
    set_master(world, [])
    result = refused(world)
    assert "is empty: it has no header row" in result["error"]
    assert f"rename it back to {MASTER}" in result["hint"]


def test_a_master_with_no_rows_plans_nothing_rather_than_deactivating_everything(
    tmp_path: Path, sandbox: Sandbox, backend: FakeSheets | None
) -> None:
    world = planned_world(tmp_path, sandbox, backend)
    set_master(world, [HEADER])
    result = refused(world)
    assert "no material rows below its header" in result["error"]
    assert "would deactivate every INNERGY material" in result["error"]


def test_a_renamed_master_tab_then_init_sheet_still_plans_nothing(
    tmp_path: Path, sandbox: Sandbox, sheets_server: FakeSheets
) -> None:
    """Someone renames the master; plan names the tab; someone runs init-sheet, which makes
    a new, empty master: plan must not deactivate all five materials."""
    seed_innergy(sandbox, PARTS[:5])
    tabs = tabs_for(PARTS)
    tabs["Materials (old)"] = tabs.pop(MASTER)
    world = tabs_world(tmp_path, sandbox, tabs, sheets_server)

    code, missing = world.cli("plan")
    assert code == 1 and f"no {MASTER} tab" in missing["error"]
    assert f"rename it back to {MASTER}" in missing["hint"]

    init_sheet(world.settings)
    code, empty = world.cli("plan")
    assert code == 1 and "no material rows" in empty["error"], empty
    assert not (world.settings.output_dir / "plans").exists()
    assert world.diff_rows() == {}
    assert {r["Status"] for r in sandbox.materials} == {"Active"}


def test_pull_refuses_a_master_without_a_required_column_too(
    tmp_path: Path, sandbox: Sandbox, sheets_server: FakeSheets
) -> None:
    """Read through a wrong header every row would be an issue, and materials.jsonl empty."""
    tabs = tabs_for(PARTS)
    tabs[MASTER][0][HEADER.index("Cost")] = "Price"
    world = tabs_world(tmp_path, sandbox, tabs, sheets_server)
    with pytest.raises(MissingColumn, match="'Cost'"):
        pull(world.settings)
    assert not (world.settings.output_dir / "canonical" / "materials.jsonl").exists()


def test_health_reports_a_master_without_a_required_column_as_not_readable(
    tmp_path: Path, sandbox: Sandbox, sheets_server: FakeSheets
) -> None:
    """health still writes its report; the master's check is not available, saying why."""
    tabs = tabs_for(PARTS)
    tabs[MASTER][0][HEADER.index("Cost")] = "Price"
    outcome = health(tabs_world(tmp_path, sandbox, tabs, sheets_server).settings)
    assert outcome.summary["figures"]["materials_without_innergy_id"] is None
    assert any("the master is not readable" in line and "'Cost'" in line for line in outcome.lines)
