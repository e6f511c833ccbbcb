"""The master as INNERGY should hold it: a ``Material`` seen through MAP_UOM.

Only fields that exist in INNERGY are projected (``COMPARED_FIELDS``); subcategory,
dimensions, waste and the like stay in the master. Cost becomes cost per base unit of
the UoM group (``Cost / Base Units per UoM``, half-even to 4 places), as INNERGY holds it.
A blank master cell projects to ``None``: the diff reads that as "no change".
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, TypeAlias

from canonical.models import InnergyMaterial, Library, Material, UomMapping
from canonical.normalize import cost_per_base_unit

__all__ = [
    "CLEARABLE",
    "COMPARED_FIELDS",
    "MONEY_FIELDS",
    "SHARED_FIELDS",
    "UnitParts",
    "per_base_unit",
    "project_material",
    "projected_rows",
    "projected_values",
    "unit_parts",
]

SHARED_FIELDS = (
    "name",
    "description",
    "category",
    "margin",
    "active",
    "manufacturer",
    "manufacturer_sku",
    "vendor",
    "vendor_sku",
    "lead_time",
    "notes",
)
"""Fields a ``Material`` and an ``InnergyMaterial`` share by name and meaning."""
_shared = attrgetter(*SHARED_FIELDS)

COMPARED_FIELDS: tuple[str, ...] = (*SHARED_FIELDS, "uom_group", "common_uom", "cost")
"""The ``InnergyMaterial`` fields the master decides, in the order of ``projected_values``."""

MONEY_FIELDS = frozenset({"cost", "margin"})
"""Compared as Decimals at INNERGY's 4 places (cost per base unit, margin fraction)."""

CLEARABLE = frozenset(SHARED_FIELDS) - {"name", "category", "active"}
"""``Material.cleared`` names a ``(clear)`` cell may hold (the INNERGY field has the same name).

Required master columns (SKU, Name, Category, UoM, Cost) and tool-written ones cannot be
cleared; a ``(clear)`` in them is a validation problem for the reader.
"""


_unit = attrgetter("uom")
_cost = attrgetter("cost")
_group_and_common = itemgetter(0, 1)
_base = itemgetter(2)
_FOUR = Decimal("0.0001")

UnitParts: TypeAlias = tuple[str | None, str | None, Decimal]
"""A unit as INNERGY holds it: UoM group, common unit, and the divisor of the cost."""
_NO_UOM: UnitParts = (None, None, Decimal(1))


def _divisor(base: Decimal | None) -> Decimal:
    """Base Units per UoM as ``cost_per_base_unit`` reads it (blank = 1, must be above zero)."""
    return cost_per_base_unit(Decimal(1), base) and (base if base is not None else Decimal(1))


def unit_parts(uoms: Mapping[str, UomMapping | None]) -> dict[str, UnitParts]:
    """Each unit's ``UnitParts``; an unmapped unit leaves group and common unit to INNERGY.

    Raises ``BadValue`` for a Base Units per UoM not above zero.
    """
    return {
        unit: (m.innergy_uom_group, m.innergy_common_uom, _divisor(m.base_units_per_uom)) if m else _NO_UOM
        for unit, m in uoms.items()
    }


def per_base_unit(costs: Iterable[Decimal], divisors: Iterable[Decimal]) -> Iterator[Decimal]:
    """``cost_per_base_unit``'s arithmetic over many costs, by C-level maps: Decimal
    division, half-even to 4 places (``divisors`` as ``unit_parts`` gives them)."""
    exact = map(operator.truediv, costs, divisors)
    return map(Decimal.quantize, exact, repeat(_FOUR), repeat(ROUND_HALF_EVEN))


def projected_rows(
    materials: Sequence[Material], uoms: Mapping[str, UomMapping | None]
) -> list[tuple[Any, ...]]:
    """Every row's value of each field in ``COMPARED_FIELDS``, in that order.

    ``uoms`` maps each row's unit, as written, to its MAP_UOM entry (``None`` when not
    mapped: the UoM group and common unit are then left to INNERGY and the cost is per
    one unit). Built by C-level maps, since the diff projects the whole master: the cost
    is ``cost_per_base_unit``'s arithmetic (Decimal division, half-even to 4 places; a test
    holds the two equal). Raises ``BadValue`` for a Base Units per UoM not above zero.
    """
    parts = list(map(unit_parts(uoms).__getitem__, map(_unit, materials)))
    costs = per_base_unit(map(_cost, materials), map(_base, parts))
    tails = map(tuple.__add__, map(_group_and_common, parts), zip(costs))
    return list(map(tuple.__add__, map(_shared, materials), tails))


def projected_values(material: Material, uom: UomMapping | None) -> tuple[Any, ...]:
    """One row's ``projected_rows``."""
    return projected_rows([material], {material.uom: uom})[0]


def project_material(material: Material, library: Library | UomMapping | None) -> InnergyMaterial:
    """The INNERGY record the master row asks for (raises ``BadValue`` on a bad MAP_UOM row)."""
    uom = library.uom(material.uom) if isinstance(library, Library) else library
    values = dict(zip(COMPARED_FIELDS, projected_values(material, uom), strict=True))
    return InnergyMaterial(innergy_id=material.innergy_id, external_id=material.sku, **values)
