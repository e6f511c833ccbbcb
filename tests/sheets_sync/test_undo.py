"""Undo: the pure plan over journal writes, then end to end against the sandbox and a workbook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sheets_sync.undo import material_state, plan_undo


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
    master = {"a": (7, {"INNERGY ID": "2", "Last Synced": "2024-05-01T10:00:00Z", "Name": "x"})}
    (step,) = plan_undo([cells(1, "A", old, new, row=5)], [], master).steps
    assert (step.row, step.body, step.current) == (7, old, new)
    moved = {"a": (7, {"INNERGY ID": "other", "Last Synced": "2024-05-01T10:00:00Z"})}
    (conflict,) = plan_undo([cells(1, "A", old, new)], [], moved).conflicts
    assert "INNERGY ID" in conflict.reason and "row 7" in conflict.reason


def test_what_the_api_cannot_revert_is_left_for_a_person() -> None:
    opportunity = Row("o1", "innergy.opportunity", "create", "P-1", None, {"Name": "x"}, {"Id": "o"})
    (conflict,) = plan_undo([opportunity], [], {}).conflicts
    assert "by hand" in conflict.reason
