"""The mass-deactivate guard of ``build_plan``: more than 5 deactivations that are also more
than 10 % of the managed records (those with an external id) need ``allow_mass_deactivate``."""

from __future__ import annotations

import pytest

from canonical import InnergyMaterial, Library, Material, UomMapping
from canonical.errors import MassDeactivation, PlanError
from canonical.plan import build_plan

EA = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="Each", innergy_common_uom="EA")


def mat(n: int, **more: object) -> Material:
    return Material.model_validate(
        {"sku": f"S-{n:03}", "name": f"Item {n}", "category": "Hardware", "uom": "EA", "cost": "10"} | more
    )


def rec(n: int, external: bool = True) -> InnergyMaterial:
    return InnergyMaterial.model_validate(
        {
            "innergy_id": f"id-{n}",
            "external_id": f"S-{n:03}" if external else None,
            "name": f"Item {n}",
            "category": "Hardware",
            "uom_group": "Each",
            "common_uom": "EA",
            "cost": "10",
        }
    )


def plan_without(gone: int, managed: int, hand: int = 0, *, allow: bool = False) -> int:
    """Deactivations of a plan whose master lost ``gone`` of ``managed`` linked rows."""
    rows = tuple(mat(n) for n in range(gone, managed))
    records = [rec(n) for n in range(managed)] + [rec(1000 + n, external=False) for n in range(hand)]
    built = build_plan(Library(materials=rows, uoms=(EA,)), records, allow_mass_deactivate=allow)
    return built.counts()["deactivate"]


@pytest.mark.parametrize(
    ("gone", "managed"),
    [(5, 5), (5, 40), (6, 60), (3, 40), (10, 100)],
    ids=["5-of-5", "5-of-40", "6-of-60 (10 %)", "3-of-40", "10-of-100"],
)
def test_below_either_threshold_the_plan_goes_ahead(gone: int, managed: int) -> None:
    assert plan_without(gone, managed) == gone


@pytest.mark.parametrize(("gone", "managed"), [(6, 59), (12, 40), (40, 40)])
def test_past_both_thresholds_the_plan_is_refused_naming_the_count_and_the_flag(
    gone: int, managed: int
) -> None:
    with pytest.raises(MassDeactivation) as refused:
        plan_without(gone, managed)
    assert isinstance(refused.value, PlanError) and refused.value.exit_code == 1
    message = refused.value.message
    assert f"deactivate {gone} of the {managed} managed" in message
    assert "more than 5 and more than 10 %" in message and "nothing was planned" in message
    assert "S-000, S-001, S-002, S-003, S-004, ..." in message
    assert "--allow-mass-deactivate" in (refused.value.hint or "")


def test_the_flag_lets_the_plan_through() -> None:
    assert plan_without(12, 40, allow=True) == 12


def test_hand_entered_records_are_not_managed() -> None:
    """6 of 59 linked records is past 10 %; 100 unlinked ones beside them change nothing."""
    with pytest.raises(MassDeactivation, match="of the 59 managed"):
        plan_without(6, 59, hand=100)


def test_rows_marked_inactive_count_too() -> None:
    rows = tuple(mat(n, active=n >= 6) for n in range(40))
    with pytest.raises(MassDeactivation, match="deactivate 6 of the 40"):
        build_plan(Library(materials=rows, uoms=(EA,)), [rec(n) for n in range(40)])
