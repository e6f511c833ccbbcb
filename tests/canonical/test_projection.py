"""The master projected to INNERGY's shape: mapped fields only, cost per base unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonical import Library, Material, UomMapping
from canonical.normalize import cost_per_base_unit
from canonical.projection import COMPARED_FIELDS, project_material, projected_rows, projected_values

SHT = UomMapping(
    source_uom="Sheet",
    canonical_uom="SHT",
    innergy_uom_group="Area",
    innergy_common_uom="4x8",
    base_units_per_uom=Decimal(32),
)


def material(**changes: object) -> Material:
    base = {"sku": " PLY-34 ", "name": "Ply", "category": "Sheet Goods", "uom": "Sheet", "cost": "142.85"}
    return Material.model_validate(base | changes)


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({}, "cost", Decimal("4.4641")),
        ({}, "uom_group", "Area"),
        ({}, "common_uom", "4x8"),
        ({}, "external_id", " PLY-34 "),
        ({}, "category", "Sheet Goods"),
        ({"notes": "keep dry"}, "notes", "keep dry"),
        ({"margin": "0.35"}, "margin", Decimal("0.35")),
        ({"active": False}, "active", False),
        ({"manufacturer_sku": "M-1", "vendor_sku": "V-1"}, "vendor_sku", "V-1"),
        ({"lead_time": "2 wks"}, "lead_time", "2 wks"),
        ({"uom": "EA"}, "uom_group", None),
        ({"uom": "EA", "cost": "2.00005"}, "cost", Decimal("2.0000")),  # half-even
        ({"innergy_id": "r9"}, "innergy_id", "r9"),
    ],
)
def test_projection(changes: dict, field: str, expected: object) -> None:
    projected = project_material(material(**changes), Library(uoms=(SHT,)))
    assert getattr(projected, field) == expected


def test_fields_innergy_lacks_are_not_projected() -> None:
    projected = project_material(material(waste="0.1", grade="A", thickness_in="0.75"), Library(uoms=(SHT,)))
    assert set(COMPARED_FIELDS) <= set(type(projected).model_fields)
    assert projected.weight is None and projected.location is None


@given(
    cost=st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=5, allow_nan=False),
    base=st.one_of(st.none(), st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=3)),
)
def test_batch_cost_is_cost_per_base_unit(cost: Decimal, base: Decimal | None) -> None:
    uom = UomMapping(source_uom="U", canonical_uom="U", base_units_per_uom=base)
    row = material(uom="U", cost=cost)
    [values] = projected_rows([row], {"U": uom})
    assert values[COMPARED_FIELDS.index("cost")] == cost_per_base_unit(cost, base)
    assert values == projected_values(row, uom)
