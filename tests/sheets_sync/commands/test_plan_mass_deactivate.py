"""The mass-deactivate guard end to end: ``matsync plan`` and ``matsync nightly`` refuse a
plan that would deactivate more than 5 records and more than 10 % of the managed ones
(exit 1, nothing planned) unless given ``--allow-mass-deactivate``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from innergy_client.sandbox import Sandbox
from sheets_sync.master.tabs import DIFF_INNERGY, MASTER
from sheets_sync.workbook import Rewrite
from tests.fakes import push_world
from tests.fakes.push_world import World, part, seed_innergy, tabs_for, tabs_world
from tests.fakes.sheets_server import FakeSheets

sandbox = push_world.sandbox

PARTS = [part(n) for n in range(40)]
NEW = part(40)
"""In the master, not in INNERGY: the first plan's one change."""


@pytest.fixture
def world_losing(tmp_path: Path, sandbox: Sandbox, sheets_server: FakeSheets) -> Callable[[int], World]:
    """40 parts in INNERGY and the master, planned once; then the master loses ``rows`` of them."""

    def make(rows: int) -> World:
        seed_innergy(sandbox, PARTS)
        world = tabs_world(tmp_path, sandbox, tabs_for([*PARTS, NEW]), sheets_server)
        world.plan()
        master = world.tab(MASTER)
        world.write([Rewrite(MASTER, [master[0], *master[1 + rows :]])])
        return world

    return make


def deactivations(world: World) -> set[str]:
    rows = world.tab(DIFF_INNERGY)
    return {str(r[3]) for r in rows[3:] if r[2] == "deactivate"}


def gone(rows: int) -> set[str]:
    return {p.sku for p in PARTS[:rows]}


def assert_refused(world: World, result: dict[str, Any], managed: int) -> None:
    """The refusal names the count, the thresholds and the flag; no plan file was added."""
    assert result["ok"] is False
    assert f"deactivate 12 of the {managed} managed INNERGY materials" in result["error"]
    assert "more than 5 and more than 10 %" in result["error"]
    assert "--allow-mass-deactivate" in result["hint"]
    assert len(list((world.settings.output_dir / "plans").iterdir())) == 1


def test_plan_refuses_12_of_40_naming_the_count_and_the_flag(world_losing: Callable[[int], World]) -> None:
    world = world_losing(12)
    before = world.tab(DIFF_INNERGY)

    code, result = world.cli("plan")

    assert code == 1, result
    assert_refused(world, result, managed=40)
    assert world.tab(DIFF_INNERGY) == before, "the diff tab is the last plan's"


def test_the_flag_plans_the_12_deactivations(world_losing: Callable[[int], World]) -> None:
    world = world_losing(12)

    code, result = world.cli("plan", "--allow-mass-deactivate")

    assert code == 3, result
    assert result["counts"]["deactivate"] == 12
    assert deactivations(world) == gone(12)


def test_a_mass_deactivation_the_flag_allowed_is_pushed_when_ticked(
    world_losing: Callable[[int], World],
) -> None:
    """Push derives the plan again to check it; the person's flag was given to the plan."""
    world = world_losing(12)
    world.cli("plan", "--allow-mass-deactivate")
    world.tick(sorted(gone(12)))

    code, result = world.cli("push")

    assert code == 0, result
    assert result["deactivated"] == 12
    inactive = {r["ExternalId"] for r in world.sandbox.materials if r.get("Status") == "Inactive"}
    assert inactive == gone(12)


def test_3_of_40_are_planned_without_the_flag(world_losing: Callable[[int], World]) -> None:
    world = world_losing(3)

    code, result = world.cli("plan")

    assert code == 3, result
    assert result["counts"]["deactivate"] == 3
    assert deactivations(world) == gone(3)


def test_nightly_pushes_then_refuses_to_plan_keeping_the_push_in_its_result(
    world_losing: Callable[[int], World],
) -> None:
    world = world_losing(12)
    world.tick([NEW.sku])
    before = world.tab(DIFF_INNERGY)

    code, result = world.cli("nightly", "--lock-timeout", "0")

    assert code == 1, result
    assert result["push"]["created"] == 1 and result["run_id"]
    assert result["plan"]["ok"] is False and result["plan_id"] is None
    assert world.records()[NEW.sku] == 1
    assert_refused(world, result, managed=41)  # with the part the push just created
    after = world.tab(DIFF_INNERGY)
    assert after[0] == before[0], "the tab still shows the last plan's id"
    assert [r[-1] for r in after[3:]] == ["applied"]  # only push wrote to it


def test_nightly_with_the_flag_plans_the_12_deactivations(world_losing: Callable[[int], World]) -> None:
    world = world_losing(12)

    code, result = world.cli("nightly", "--lock-timeout", "0", "--allow-mass-deactivate")

    assert code == 3, result
    assert result["plan"]["counts"]["deactivate"] == 12
    assert deactivations(world) == gone(12)
