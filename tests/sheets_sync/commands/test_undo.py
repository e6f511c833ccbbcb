"""Undo: the pure plan over journal writes, then end to end against the sandbox and a workbook."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from canonical.errors import ExitCode, UsageError
from canonical.models import Material
from innergy_client import InnergyClient, wire
from innergy_client.mapping import edit_body
from innergy_client.sandbox import Sandbox
from sheets_sync.approval.revert import material_state, plan_undo
from sheets_sync.cli import app
from sheets_sync.commands.push import push
from sheets_sync.commands.undo import undo
from sheets_sync.config import Settings
from sheets_sync.master.tabs import MASTER
from sheets_sync.store.journal import Journal
from sheets_sync.workbook import Append
from tests.fakes import push_world
from tests.fakes.master_tab import master_tab
from tests.fakes.push_world import seed_innergy
from tests.fakes.sheets_server import FakeSheets


def record(rid: str, sku: str, cost: str = "10", status: str = "Active", **extra: Any) -> dict[str, Any]:
    return {
        "Id": rid,
        "MaterialName": f"Material {sku}",
        "ExternalId": sku,
        "Cost": {"Value": cost, "OriginalValue": cost, "CurrencyCode": "USD"},
        "Status": status,
        "ModifiedOn": "2024-01-01T00:00:00Z",
        **extra,
    }


@dataclass(frozen=True)
class Row:
    write_id: str
    target: str
    op: str
    key: str
    before: Any
    payload: Any
    answer: Any
    state: str = "done"
    innergy_id: str | None = None


def write(n: int, op: str, before: Any, after: Any, state: str = "done") -> Row:
    key = (after or before)["ExternalId"]
    answer = after if state == "done" else None
    return Row(f"w{n}", "innergy.material", op, key, before, material_state(after), answer, state)


def cells(n: int, sku: str, before: dict[str, Any], after: dict[str, Any], row: int = 2) -> Row:
    payload = {"row": row, "before": before, "after": after}
    return Row(f"c{n}", "sheet.MATERIAL_LIBRARY_MASTER", "write_back", sku, before, payload, after)


def test_update_is_edited_back_to_its_before_image() -> None:
    before, after = record("1", "A", "10"), record("1", "A", "12.50")
    plan = plan_undo([write(1, "update", before, after)], [after | {"ModifiedOn": "later"}], {})
    assert not plan.conflicts
    (step,) = plan.steps
    assert (step.op, step.innergy_id, step.reverts) == ("update", "1", "w1")
    assert step.body == material_state(before)
    assert step.current is not None and step.current["Cost"]["Value"] == "12.50"


def test_create_is_deactivated_and_deactivation_reactivated() -> None:
    created = record("2", "B")
    was_active, now_inactive = record("3", "C"), record("3", "C", status="Inactive")
    writes = [write(1, "create", None, created), write(2, "deactivate", was_active, now_inactive)]
    plan = plan_undo(writes, [created, now_inactive], {})
    ops = [(s.op, s.innergy_id, s.body["Status"]) for s in plan.steps]
    assert ops == [("reactivate", "3", "Active"), ("deactivate", "2", "Inactive")]
    assert {k: v for k, v in plan.steps[1].body.items() if k != "Status"} == {
        k: v
        for k, v in material_state(created).items()
        if k != "Status"  # type: ignore[union-attr]
    }


def test_a_record_changed_since_the_run_is_a_conflict_not_a_step() -> None:
    before, after = record("1", "A", "10"), record("1", "A", "12")
    edited = record("1", "A", "12", Description="typed in INNERGY")
    plan = plan_undo([write(1, "update", before, after)], [edited], {})
    assert not plan.steps
    (conflict,) = plan.conflicts
    assert conflict.innergy_id == "1" and "Description" in conflict.reason


def test_already_reverted_or_undone_needs_nothing() -> None:
    before, after = record("1", "A", "10"), record("1", "A", "12")
    assert plan_undo([write(1, "update", before, after)], [before], {}).unchanged == ["w1"]
    plan = plan_undo([write(1, "update", before, after)], [after], {}, undone={"w1"})
    assert (plan.steps, plan.conflicts, plan.unchanged) == ([], [], ["w1"])


def test_two_writes_to_one_record_are_walked_back_newest_first() -> None:
    first, second, third = record("1", "A", "10"), record("1", "A", "11"), record("1", "A", "12")
    writes = [write(1, "update", first, second), write(2, "update", second, third)]
    plan = plan_undo(writes, [third], {})
    assert [(s.reverts, s.body["Cost"]["Value"]) for s in plan.steps] == [("w2", 11), ("w1", 10)]


def test_pending_writes_count_as_landed_only_when_innergy_shows_them() -> None:
    created = record("9", "Z")
    pending = write(1, "create", None, created, state="unknown")
    assert plan_undo([pending], [], {}).unchanged == ["w1"]
    (step,) = plan_undo([pending], [created], {}).steps
    assert (step.op, step.innergy_id) == ("deactivate", "9")


def test_master_cells_are_restored_unless_changed_since() -> None:
    old = {"INNERGY ID": "", "Last Synced": ""}
    new = {"INNERGY ID": "2", "Last Synced": "2024-05-01T10:00:00Z"}
    master = {"a": (7, {"innergy id": "2", "last synced": "2024-05-01T10:00:00Z", "name": "x"})}
    (step,) = plan_undo([cells(1, "A", old, new, row=5)], [], master).steps
    assert (step.row, step.body, step.current) == (7, old, new)
    moved = {"a": (7, {"innergy id": "other", "last synced": "2024-05-01T10:00:00Z"})}
    (conflict,) = plan_undo([cells(1, "A", old, new)], [], moved).conflicts
    assert "INNERGY ID" in conflict.reason and "row 7" in conflict.reason


@pytest.mark.parametrize("state", ["intended", "unknown"])
def test_an_unconfirmed_cell_write_is_restored_only_when_its_cells_are_in_the_master(state: str) -> None:
    """A push whose workbook write failed (or was killed) leaves its master writes open:
    what landed is put back; what did not is not the run's, whatever the row holds now."""
    old, new = {"INNERGY ID": ""}, {"INNERGY ID": "2"}
    open_write = replace(cells(1, "A", old, new), state=state)
    landed = {"a": (7, {"innergy id": "2"})}
    (step,) = plan_undo([open_write], [], landed).steps
    assert (step.row, step.body) == (7, old)
    edited = {"a": (7, {"innergy id": "typed by hand"})}
    plan = plan_undo([open_write], [], edited)
    assert (plan.steps, plan.conflicts, plan.unchanged) == ([], [], ["c1"])


def test_a_ppak_cell_write_is_found_by_its_sku_after_rows_moved_and_never_by_its_old_row_number() -> None:
    before, after = {"Cost": "$4.25", "UoM": "EA"}, {"Cost": "5.00", "UoM": "BX"}
    payload = {"row": 5, "before": before, "after": after}
    differs = Row("p1", "sheet.MATERIAL_LIBRARY_MASTER", "ppak_differs", "A-1", before, payload, after)
    moved = {"a-1": (7, {"sku": "A-1", "cost": "5.00", "uom": "BX"})}  # two rows inserted above
    (step,) = plan_undo([differs], [], moved).steps
    assert (step.row, step.body) == (7, before)
    gone = {"b-2": (5, {"sku": "B-2", "cost": "5.00", "uom": "BX"})}  # A-1 deleted; B-2 at row 5 now
    plan = plan_undo([differs], [], gone)
    assert plan.steps == [] and "A-1 is gone" in plan.conflicts[0].reason


def test_what_the_api_cannot_revert_is_left_for_a_person() -> None:
    opportunity = Row("o1", "innergy.opportunity", "create", "P-1", None, {"Name": "x"}, {"Id": "o"})
    (conflict,) = plan_undo([opportunity], [], {}).conflicts
    assert "by hand" in conflict.reason


# -- end to end: the real push, then undo, against the sandbox and the fake Sheets server ------

SYNCED = "2024-01-02T03:04:05+00:00"
BOOKKEEPING = ("ModifiedOn",)

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world


def _material(sku: str, cost: str, **values: Any) -> Material:
    return Material(sku=sku, name=f"Part {sku}", category="Hardware", uom="EA", cost=Decimal(cost), **values)


def _library_now(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    return {r["Id"]: {k: v for k, v in r.items() if k not in BOOKKEEPING} for r in sandbox.materials}


@dataclass
class World:
    settings: Settings
    sandbox: Sandbox
    fake: FakeSheets
    key: str
    client: InnergyClient
    run_id: str
    before_library: dict[str, dict[str, Any]]
    before_master: list[list[Any]]
    ids: dict[str, str]

    def master(self) -> list[list[Any]]:
        return self.fake.values(self.key, MASTER)

    def posts(self) -> int:
        return sum(1 for method, _ in self.sandbox.requests if method == "POST")


def _push(make_world: Callable[..., push_world.World], client: InnergyClient, synced: str) -> World:
    """A real ``push`` of a create (A-1), an update (B-2) and a deactivation (Z-9), journalled.

    B-2 and K-5 were synced before: their INNERGY ID and Last Synced (text ``synced``) are set.
    """
    world = make_world([_material("A-1", "2.5")])
    sandbox, fake, key = world.sandbox, world.fake, str(world.settings.workbook)
    assert fake is not None
    seed_innergy(sandbox, [_material("B-2", "3"), _material("Z-9", "4"), _material("K-5", "5")])
    ids = {str(r["ExternalId"]): str(r["Id"]) for r in sandbox.materials}
    synced_rows = master_tab(
        [_material(s, cost, innergy_id=ids[s]) for s, cost in (("B-2", "3.75"), ("K-5", "5"))],
        checkboxes=False,
        typed={"Last Synced": synced},
    )[1:]
    world.write([Append(MASTER, synced_rows)])
    world.plan()
    assert sorted(world.diff_rows()) == ["A-1", "B-2", "Z-9"]
    world.tick(["A-1", "B-2", "Z-9"])
    before_library, before_master = _library_now(sandbox), fake.values(key, MASTER)
    outcome = push(world.settings)
    assert outcome.exit_code == ExitCode.OK, outcome.lines
    counts = {k: outcome.summary[k] for k in ("created", "updated", "deactivated", "applied")}
    assert counts == {"created": 1, "updated": 1, "deactivated": 1, "applied": 3}
    assert _library_now(sandbox) != before_library and fake.values(key, MASTER) != before_master
    run_id = str(outcome.summary["run_id"])
    return World(world.settings, sandbox, fake, key, client, run_id, before_library, before_master, ids)


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[InnergyClient]:
    with InnergyClient(sandbox.url, sandbox.api_key, backoff=0.01) as running:
        yield running


@pytest.fixture
def pushed(make_world: Callable[..., push_world.World], client: InnergyClient) -> World:
    return _push(make_world, client, SYNCED)


def test_undo_restores_innergy_field_for_field_and_the_master_cells(pushed: World) -> None:
    outcome = undo(pushed.settings, pushed.run_id)
    assert outcome.exit_code == ExitCode.OK, outcome.lines
    assert outcome.summary["counts"] | {"unchanged": 0} == {
        "updated": 1, "deactivated": 1, "reactivated": 1, "cells_restored": 2, "failed": 0,
        "conflicts": 0, "unchanged": 0, "not_sent": 0,
    }  # fmt: skip
    now = _library_now(pushed.sandbox)
    created = [rid for rid in now if rid not in pushed.before_library]
    assert len(created) == 1 and now[created[0]]["ExternalId"] == "A-1"
    assert now[created[0]]["Status"] == "Inactive"
    assert {rid: now[rid] for rid in pushed.before_library} == pushed.before_library
    assert pushed.master() == pushed.before_master
    log = pushed.fake.values(pushed.key, "SYNC_LOG")
    assert log[-1][1:4] == ["undo", log[-1][2], outcome.summary["run_id"]]
    with Journal.open(pushed.settings.output_dir / "state.db") as journal:
        assert journal.runs()[0].undo_of == pushed.run_id


def test_undo_twice_writes_nothing_the_second_time(pushed: World) -> None:
    assert undo(pushed.settings, pushed.run_id).exit_code == ExitCode.OK
    posts, sheet_writes = pushed.posts(), pushed.fake.counts["values.batchUpdate"]
    again = undo(pushed.settings, pushed.run_id)
    assert again.exit_code == ExitCode.OK
    assert again.summary["counts"]["updated"] + again.summary["counts"]["deactivated"] == 0
    assert pushed.posts() == posts
    assert pushed.fake.counts["values.batchUpdate"] == sheet_writes + 1  # the SYNC_LOG row only
    assert pushed.master() == pushed.before_master


def test_a_record_edited_after_the_push_is_a_conflict_not_overwritten(pushed: World) -> None:
    b2 = pushed.client.get_material(pushed.ids["B-2"])
    edited = pushed.client.edit_material(b2.id, edit_body(b2, {"description": "typed in INNERGY"}))
    outcome = undo(pushed.settings, pushed.run_id)
    assert outcome.exit_code == ExitCode.NEEDS_PERSON
    (conflict,) = outcome.summary["conflicts"]
    assert conflict["innergy_id"] == b2.id and "Description" in conflict["reason"]
    assert pushed.client.get_material(b2.id) == edited
    now = _library_now(pushed.sandbox)
    assert now[pushed.ids["Z-9"]] == pushed.before_library[pushed.ids["Z-9"]]


def test_the_undo_of_an_undo_brings_the_push_back(pushed: World) -> None:
    after_push = _library_now(pushed.sandbox)
    master_after_push = pushed.master()
    first = undo(pushed.settings, pushed.run_id)
    second = undo(pushed.settings, first.summary["run_id"])
    assert second.exit_code == ExitCode.OK, second.lines
    assert _library_now(pushed.sandbox) == after_push
    assert pushed.master() == master_after_push


def test_an_undo_killed_midway_is_finished_without_writing_anything_twice(pushed: World) -> None:
    """A crash after one revert landed and before the journal heard back, and one not sent."""
    with Journal.open(pushed.settings.output_dir / "state.db") as journal:
        run = journal.run(pushed.run_id)
        assert run is not None
        writes = [w for w in run.writes if w.target == "innergy.material"]
        plan = plan_undo(writes, pushed.sandbox.materials, {})
        crashed = journal.start_run("undo", undo_of=pushed.run_id)
        landed, lost = plan.steps[:2]
        for step in (landed, lost):
            fields: dict[str, Any] = {
                "target": step.target,
                "op": step.op,
                "key": step.key,
                "before": step.current,
            }
            journal.intend(
                crashed, **fields, payload=step.body, change_id="undo:" + step.reverts, reverts=step.reverts
            )
    pushed.client.edit_material(str(landed.innergy_id), wire.MaterialWrite.model_validate(landed.body))
    pushed.sandbox.requests.clear()
    outcome = undo(pushed.settings, pushed.run_id)
    assert outcome.exit_code == ExitCode.OK, outcome.lines
    assert outcome.summary["pending_resolved"] == 2
    edits = [path for method, path in pushed.sandbox.requests if method == "POST"]
    assert f"/api/materials/{landed.innergy_id}/edit" not in edits
    assert edits.count(f"/api/materials/{lost.innergy_id}/edit") == 1
    now = _library_now(pushed.sandbox)
    assert {rid: now[rid] for rid in pushed.before_library} == pushed.before_library
    assert pushed.master() == pushed.before_master


def test_dry_run_lists_the_reverts_and_writes_nothing(pushed: World) -> None:
    posts, sheet_writes = pushed.posts(), pushed.fake.counts["values.batchUpdate"]
    outcome = undo(pushed.settings, pushed.run_id, dry_run=True)
    assert outcome.summary["run_id"] is None
    assert sorted(w["op"] for w in outcome.summary["would_write"]) == [
        "deactivate", "reactivate", "update", "write_back", "write_back",
    ]  # fmt: skip
    assert (pushed.posts(), pushed.fake.counts["values.batchUpdate"]) == (posts, sheet_writes)


def test_an_unknown_run_is_a_usage_error(pushed: World) -> None:
    with pytest.raises(UsageError, match="no run nope"):
        undo(pushed.settings, "nope")


def test_the_cli_prints_one_json_object_and_exits_3_on_conflicts(pushed: World) -> None:
    b2 = pushed.client.get_material(pushed.ids["B-2"])
    pushed.client.edit_material(b2.id, edit_body(b2, {"description": "typed in INNERGY"}))
    env = {
        "MATERIAL_LIBRARY_MASTER": pushed.key,
        "MATSYNC_SHEETS_ENDPOINT": pushed.settings.sheets_endpoint,
        "MIGRATION_OUTPUT_DIR": str(pushed.settings.output_dir),
        "INNERGY_BASE_URL": pushed.settings.innergy_base_url,
        "INNERGY_API_KEY": pushed.sandbox.api_key,
    }
    result = CliRunner().invoke(app, ["undo", "--run", pushed.run_id, "--json"], env=env)
    assert result.exit_code == 3, result.output
    summary = json.loads(result.stdout)
    assert summary["undo_of"] == pushed.run_id and summary["run_id"]
    assert summary["counts"]["conflicts"] == 1 and summary["conflicts"][0]["key"] == "B-2"
    assert pushed.sandbox.api_key not in result.output


def test_undo_restores_a_last_synced_cell_in_the_form_push_writes(
    make_world: Callable[..., push_world.World], client: InnergyClient
) -> None:
    pushed = _push(make_world, client, "2024-01-02T03:04:05Z")
    assert undo(pushed.settings, pushed.run_id).exit_code == ExitCode.OK
    assert pushed.master() == pushed.before_master
