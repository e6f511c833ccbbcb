"""``Changes`` in the estimator's unit: the master's Cost is per the row's UoM, INNERGY's per
base unit of the UoM group; the line shows both, and the change id does not move."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from canonical import InnergyMaterial, Library, Material, UomMapping
from canonical.plan import Plan, build_plan, change_id, is_genuine, same_change
from reports.plan import HEADER_ROW, diff_innergy_rows, diff_ppak_rows, lines_of

SHEET = UomMapping(
    source_uom="SHT",
    canonical_uom="SHT",
    innergy_uom_group="SF",
    innergy_common_uom="4'x8'",
    base_units_per_uom=Decimal(32),
)
EACH = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="EA", innergy_common_uom="EA")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def sheet_good(sku: str, cost: str, uom: str = "SHT", **fields: object) -> Material:
    return Material(sku=sku, name=f"Ply {sku}", category="Sheet Goods", uom=uom, cost=Decimal(cost), **fields)


def record(sku: str, cost: str, uom: UomMapping = SHEET) -> InnergyMaterial:
    return InnergyMaterial(
        innergy_id=f"id-{sku}",
        external_id=sku,
        name=f"Ply {sku}",
        category="Sheet Goods",
        uom_group=uom.innergy_uom_group,
        common_uom=uom.innergy_common_uom,
        cost=Decimal(cost),
    )


def planned(masters: list[Material], records: list[InnergyMaterial], ppak: list[Material] = ()) -> Plan:  # type: ignore[assignment]
    return build_plan(Library(materials=tuple(masters), uoms=(SHEET, EACH)), records, ppak=ppak, now=NOW)


def test_an_update_shows_the_cost_per_sheet_then_per_square_foot_in_innergy() -> None:
    plan = planned([sheet_good("PLY-1", "121.50")], [record("PLY-1", "3.5712")])
    [change] = plan.changes
    assert lines_of(change) == "cost: 114.28 -> 121.50 per SHT (3.5712 -> 3.7969 per SF in INNERGY)"
    assert diff_innergy_rows(plan)[HEADER_ROW][5] == lines_of(change)


def test_the_change_id_is_made_of_the_same_data_as_before_units_were_shown() -> None:
    plan = planned([sheet_good("PLY-1", "121.50")], [record("PLY-1", "3.5712")])
    [change] = plan.changes
    assert change.change_id == change_id("update", "PLY-1", "id-PLY-1", [["cost", "3.5712", "3.7969"]], None)
    assert is_genuine(change)
    older_file = change.model_copy(update={"unit": None})  # a plan file written before units were kept
    assert same_change(older_file, change)


def test_a_create_gives_its_cost_per_sheet_and_what_innergy_will_hold() -> None:
    plan = planned([sheet_good("PLY-2", "121.50", margin=Decimal("0.2593"))], [])
    lines = lines_of(plan.changes[0]).splitlines()
    assert lines[-1] == "cost: (blank) -> 121.50 per SHT (3.7969 per SF in INNERGY)"
    assert "margin: (blank) -> 25.93%" in lines


def test_a_unit_of_one_base_unit_names_the_unit_once() -> None:
    plan = planned([sheet_good("HW-1", "10", uom="EA")], [record("HW-1", "9.0000", EACH)])
    assert lines_of(plan.changes[0]) == "cost: 9.0000 -> 10.0000 per EA"


def test_ppak_prices_are_per_the_masters_unit_and_a_new_row_lists_what_a_tick_adds() -> None:
    master = sheet_good("PLY-1", "58.40", ppak_skus=("PP-1",))
    ppak = [
        master.model_copy(update={"cost": Decimal("1483.36")}),
        Material(sku="PP-NEW", name="Hinge", category="Hardware", uom="EA", cost=Decimal("3.10")),
    ]
    plan = planned([master], [record("PLY-1", "1.8250")], ppak)
    by_kind = {p.kind: p for p in plan.ppak_changes}
    assert lines_of(by_kind["differs"]) == "cost: 58.40 -> 1483.36 per SHT"
    assert lines_of(by_kind["new"]).splitlines() == [
        "sku: (blank) -> PP-NEW",
        "name: (blank) -> Hinge",
        "category: (blank) -> Hardware",
        "uom: (blank) -> EA",
        "cost: (blank) -> 3.10 per EA",
    ]
    assert [row[6] for row in diff_ppak_rows(plan)[HEADER_ROW:]] == [lines_of(p) for p in plan.ppak_changes]
