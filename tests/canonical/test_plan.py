"""The plan model: stable change ids, fingerprints, JSON round trip, ticks kept across re-plans."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from canonical import InnergyMaterial, Library, Material, UomMapping, fingerprint
from canonical.plan import Plan, build_plan, carry_ticks, is_tick, ticked_change_ids

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
EA = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="Each", innergy_common_uom="EA")


def library(*rows: Material) -> Library:
    return Library(materials=rows, uoms=(EA,))


def mat(sku: str, cost: str = "10", **more: object) -> Material:
    return Material.model_validate(
        {"sku": sku, "name": f"Item {sku}", "category": "Hardware", "uom": "EA", "cost": cost} | more
    )


def rec(sku: str, cost: str = "10", **more: object) -> InnergyMaterial:
    base = {
        "innergy_id": f"id-{sku}",
        "external_id": sku,
        "name": f"Item {sku}",
        "category": "Hardware",
        "uom_group": "Each",
        "common_uom": "EA",
        "cost": cost,
    }
    return InnergyMaterial.model_validate(base | more)


def test_plan_carries_fingerprints_payload_and_round_trips() -> None:
    rows = (mat("A", "12"), mat("B"))
    plan = build_plan(library(*rows), [rec("A"), rec("C")], now=NOW)
    assert plan.counts()["update"] == 1 and plan.counts()["create"] == 1 and plan.counts()["deactivate"] == 1
    update = next(c for c in plan.changes if c.action == "update")
    assert update.master_fingerprint == fingerprint(rows[0])
    assert update.innergy_fingerprint == fingerprint(rec("A"))
    assert update.payload == rec("A", "12.0000")
    gone = next(c for c in plan.changes if c.action == "deactivate")
    assert gone.master_fingerprint == "-"
    assert plan.plan_id.startswith("20240501T120000Z-")
    again = Plan.from_json(plan.to_json())
    assert again == plan
    assert again.to_json() == plan.to_json()


def test_change_ids_stay_for_identical_changes_and_move_when_the_change_moves() -> None:
    first = build_plan(library(mat("A", "12"), mat("B", "20")), [rec("A"), rec("B")], now=NOW)
    later = build_plan(
        library(mat("A", "12"), mat("B", "21")), [rec("A"), rec("B")], now=NOW.replace(hour=13)
    )
    ids = {c.sku: c.change_id for c in first.changes}
    ids_later = {c.sku: c.change_id for c in later.changes}
    assert ids["A"] == ids_later["A"]
    assert ids["B"] != ids_later["B"]
    assert first.plan_id != later.plan_id


@pytest.mark.parametrize(
    ("value", "ticked"),
    [
        (True, True),
        ("TRUE", True),
        (" x ", True),
        ("Yes", True),
        ("X", True),
        (False, False),
        ("", False),
        (None, False),
        ("no", False),
        ("1", False),
        (1, False),
    ],
)
def test_is_tick(value: object, ticked: bool) -> None:
    assert is_tick(value) is ticked


def test_ticks_are_carried_by_change_id() -> None:
    old = [
        ["Plan ID", "p1"],
        ["create", 1],
        ["Approve", "Change ID", "Action"],
        [True, "C1", "update"],
        ["x", "C2", "create"],
        [False, "C3", "update"],
    ]
    new = [
        ["Plan ID", "p2"],
        [],
        ["Approve", "Change ID", "Action"],
        [False, "C2", "create"],
        [False, "C3", "update"],
        [False, "C4", "update"],
    ]
    assert ticked_change_ids(old) == {"C1", "C2"}
    carried = carry_ticks(old, new)
    assert [r[0] for r in carried[3:]] == [True, False, False]
    assert new[3][0] is False  # the input is not changed
