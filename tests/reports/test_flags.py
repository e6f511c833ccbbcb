"""Flags and the cost's move: a unit trap, a 40 % price change, a deactivation, a rename and a
conflict are flagged in the change's row, where a filter or a sort finds them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reports.plan import DIFF_INNERGY_HEADER, DIFF_PPAK_HEADER, HEADER_ROW, diff_innergy_rows, diff_ppak_rows
from reports.review import cost_change, flags
from tests.reports.test_changes_in_units import planned, record, sheet_good

DELTA, FLAGS = DIFF_INNERGY_HEADER.index("Δ %"), DIFF_INNERGY_HEADER.index("Flags")


def by_sku(rows: list[list[object]], column: int = 3) -> dict[str, list[object]]:
    return {str(r[column]): r for r in rows[HEADER_ROW:]}


def test_a_40_percent_price_change_is_flagged_and_its_move_shown() -> None:
    plan = planned(
        [sheet_good("UP-40", "140.00"), sheet_good("UP-10", "110.00")],
        [record("UP-40", "3.1250"), record("UP-10", "3.1250")],
    )
    rows = by_sku(diff_innergy_rows(plan))
    assert rows["UP-40"][DELTA] == Decimal("0.4000")
    assert rows["UP-40"][FLAGS] == "price"
    assert rows["UP-10"][DELTA] == Decimal("0.1000")
    assert rows["UP-10"][FLAGS] == ""


@pytest.mark.parametrize(
    ("old", "new", "trap"),
    [
        ("48.20", "1204.00", True),  # the row: about 25 (25.4 mm an inch)
        ("10.00", "120.00", True),  # a price per foot typed as per inch
        ("121.50", "3.80", True),  # per square foot typed into a per-sheet row (32)
        ("10.00", "95.00", False),  # 9.5 times: no unit is that, nor tenfold
        ("10.00", "150.00", True),  # tenfold or more
        ("10.00", "29.50", True),  # a yard's price for a foot's (3), near enough
        ("10.00", "42.00", False),  # 4.2 times: a price change, no unit's factor
        ("10.00", "14.00", False),
    ],
)
def test_a_ppak_price_a_unit_factor_away_is_a_unit_trap(old: str, new: str, trap: bool) -> None:
    master = sheet_good("PLY-1", old, uom="EA", ppak_skus=("PP-1",))
    plan = planned([master], [], [master.model_copy(update={"cost": Decimal(new)})])
    [change] = plan.ppak_changes
    assert ("unit trap" in flags(change)) is trap
    row = diff_ppak_rows(plan)[HEADER_ROW]
    assert row[DIFF_PPAK_HEADER.index("Flags")] == ", ".join(flags(change))
    assert row[DIFF_PPAK_HEADER.index("Δ %")] == cost_change(change)


def test_the_rows_own_unit_factor_counts_as_a_trap() -> None:
    """A sheet of 32 SF priced per SF: 32 is SHT's factor in MAP_UOM."""
    master = sheet_good("PLY-1", "121.50", ppak_skus=("PP-1",))
    plan = planned([master], [], [master.model_copy(update={"cost": Decimal("3.80")})])
    assert flags(plan.ppak_changes[0]) == ("unit trap", "price")


def test_deactivation_rename_and_conflict_are_flagged() -> None:
    renamed = sheet_good("REN-1", "10", uom="EA").model_copy(update={"name": "New name"})
    twin_a = sheet_good("TWIN-A", "10", uom="EA").model_copy(update={"name": "Same"})
    twin_b = sheet_good("TWIN-B", "10", uom="EA").model_copy(update={"name": "Same"})
    records = [record("REN-1", "10.0000"), record("GONE-1", "10.0000")]
    records = [r.model_copy(update={"uom_group": "EA", "common_uom": "EA"}) for r in records]
    plan = planned([renamed, twin_a, twin_b], records)
    rows = by_sku(diff_innergy_rows(plan))
    assert rows["REN-1"][FLAGS] == "rename"
    assert rows["GONE-1"][FLAGS] == "deactivation"
    assert rows["TWIN-A"][FLAGS] == rows["TWIN-B"][FLAGS] == "conflict"
    assert rows["REN-1"][DELTA] == "", "no cost line: no move"


def test_a_create_has_no_move_and_no_flag() -> None:
    plan = planned([sheet_good("NEW-1", "50")], [])
    row = diff_innergy_rows(plan)[HEADER_ROW]
    assert (row[DELTA], row[FLAGS]) == ("", "")


def test_each_change_gets_its_own_flags_however_many_came_before() -> None:
    """Flags are remembered by the change's identity: copies made and let go of one after
    another (their ids reused), past the 20,000 remembered, each get their own."""
    plan = planned(
        [sheet_good("UP-40", "140.00"), sheet_good("UP-10", "110.00")],
        [record("UP-40", "3.1250"), record("UP-10", "3.1250")],
    )
    by = {c.sku: c for c in plan.changes}
    expected = {"UP-40": ("price",), "UP-10": ()}
    for i in range(25_000):
        sku = "UP-40" if i % 3 else "UP-10"
        assert flags(by[sku].model_copy()) == expected[sku], i
