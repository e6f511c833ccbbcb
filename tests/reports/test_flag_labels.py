"""How the reports say flags and Δ % (the rule is the tab's, ``reports.review``), at its edges."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canonical.diff import FieldChange
from canonical.plan import MaterialChange
from reports.flags import added_fields, delta_percent, flags
from tests.reports.review_plan import NEW_PPAK, PRICED, RENAMED, TRAPPED, review_plan


def change(*fields: FieldChange, action: str = "update") -> MaterialChange:
    return MaterialChange(
        change_id="C1", action=action, sku="S-1", name="Pull", changes=fields,  # type: ignore[arg-type]
        master_fingerprint="m", innergy_fingerprint="i",
    )  # fmt: skip


def cost(old: str | None, new: str | None) -> MaterialChange:
    return change(FieldChange("cost", old, new))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("10.00", "12.49", []),  # just under the threshold
        ("10.00", "12.50", ["price +25 %"]),  # +25 %: at the threshold
        ("10.00", "14.0000", ["price +40 %"]),
        ("10.00", "7.00", ["price -30 %"]),
        ("10.00", "10.00", []),
    ],
)
def test_price_changes_of_a_quarter_or_more_are_flagged(old: str, new: str, expected: list[str]) -> None:
    assert flags(cost(old, new)) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("48.2", "1204.00", "unit trap ×25"),  # a 5-gallon pail priced as a gallon
        ("3.50", "112.00", "unit trap ×32"),  # per square foot read as per 4'x8' sheet
        ("121.50", "3.7969", "unit trap ×32"),  # the other way: per sheet read as per SF
        ("1.00", "12.00", "unit trap ×12"),  # inches and feet
        ("1.00", "25.40", "unit trap ×25"),  # millimetres and inches
    ],
)
def test_a_price_off_by_more_than_ten_times_is_a_unit_trap(old: str, new: str, expected: str) -> None:
    found = flags(cost(old, new))

    assert found[0] == expected
    assert found[1].startswith("price ")  # also a price change, said with its sign


def test_ten_times_exactly_is_a_unit_trap() -> None:
    assert flags(cost("1.00", "10.00")) == ["unit trap ×10", "price +900 %"]


@pytest.mark.parametrize(
    ("old", "new"), [(None, "5.12"), ("5.12", None), ("(clear)", "5"), ("0", "5"), ("x", "1")]
)
def test_no_percentage_from_or_to_a_blank_or_zero(old: str | None, new: str | None) -> None:
    assert delta_percent(cost(old, new)) is None
    assert flags(cost(old, new)) == []


def test_delta_is_in_percent_of_the_old_cost_to_one_place() -> None:
    assert delta_percent(cost("48.2", "1204.00")) == Decimal("2397.9")
    assert delta_percent(cost("3", "2")) == Decimal("-33.3")
    assert delta_percent(change(FieldChange("margin", "0.2", "0.9"))) is None  # cost only


def test_renames_deactivations_and_conflicts() -> None:
    assert flags(change(FieldChange("name", "Blum Hinge", "Blum Hinge 110°"))) == ["rename"]
    assert flags(change(FieldChange("external_id", None, "S-1"))) == []  # linking a record
    assert flags(change(FieldChange("name", None, "Pull"), action="create")) == []
    assert flags(change(FieldChange("active", "yes", "no"), action="deactivate")) == ["deactivation"]
    assert flags(change(action="conflict")) == ["conflict"]


def test_a_built_plan_flags_what_it_should() -> None:
    plan = review_plan()
    by_sku = {c.sku: flags(c) for c in plan.changes} | {p.ppak_sku: flags(p) for p in plan.ppak_changes}

    assert by_sku[PRICED] == ["price +40 %"]
    assert by_sku[TRAPPED] == ["unit trap ×32", "price +3100 %"]
    assert by_sku[RENAMED] == ["rename"]
    assert by_sku["RETIRED-1"] == ["deactivation"]
    assert by_sku[NEW_PPAK] == [] and by_sku["HOSTILE-0"] == []


def test_a_new_ppak_row_shows_what_a_tick_adds() -> None:
    new = next(p for p in review_plan().ppak_changes if p.kind == "new")
    differs = next(p for p in review_plan().ppak_changes if p.kind == "differs")

    assert [(f.field, f.old, f.new) for f in added_fields(new)] == [
        ("sku", None, NEW_PPAK),
        ("name", None, "<img src=x onerror=alert(1)>"),
        ("category", None, "Edgeband"),
        ("uom", None, "EA"),
        ("cost", None, "0.245"),
    ]
    assert added_fields(differs) == ()
