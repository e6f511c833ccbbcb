"""``LazyModels``: records held as values, a model built only for a record something names."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canonical.diff import diff_materials
from canonical.lazy import LazyModels, field_values
from canonical.models import InnergyMaterial, Library, Material, UomMapping
from canonical.plan import build_plan
from canonical.projection import project_material
from canonical.serialize import jsonl_chunks


def records(count: int) -> list[InnergyMaterial]:
    return [
        InnergyMaterial(innergy_id=f"id-{i}", external_id=f"SKU-{i}", name=f"M {i}", cost=Decimal(i))
        for i in range(count)
    ]


def lazy(models: list[InnergyMaterial]) -> LazyModels[InnergyMaterial]:
    return LazyModels(InnergyMaterial, [dict(vars(model)) for model in models], InnergyMaterial.from_valid)


def test_a_record_is_built_once_on_first_access_and_equals_the_model() -> None:
    models = records(5)
    held = lazy(models)

    assert held.built == 0
    assert held[3] == models[3] and held[3] is held[3]
    assert held[-1] == models[-1]
    assert held.built == 2
    assert held[1:3] == models[1:3]
    assert held == models and held == lazy(models) and held != models[:4]
    assert held.built == 5
    assert repr(held) == "LazyModels(InnergyMaterial, 5 records, 5 built)"
    with pytest.raises(IndexError):
        held[5]


def test_field_values_reads_the_values_without_building_models() -> None:
    models = records(3)
    held = lazy(models)

    assert field_values(held) is held.values
    assert field_values(models) == held.values
    assert held.built == 0


def test_a_value_the_model_lacks_fails_when_its_record_is_built() -> None:
    values = dict(vars(records(1)[0]))
    del values["notes"]

    with pytest.raises(KeyError, match="notes"):
        LazyModels(InnergyMaterial, [values], InnergyMaterial.from_valid)[0]


def test_a_plan_builds_models_only_for_the_records_its_changes_name() -> None:
    """1,000 records, of which 10 drift from the master and 5 are gone from it (3 already
    inactive, which no change names): 12 records built, the same plan as over the models."""
    each = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="Each", innergy_common_uom="EA")
    master = [
        Material(sku=f"SKU-{i}", name=f"M {i}", category="Hardware", uom="EA", cost=Decimal(i))
        for i in range(995)
    ]
    library = Library(materials=tuple(master), uoms=(each,))
    models = [
        project_material(m, each).model_copy(update={"innergy_id": f"id-{i}"}) for i, m in enumerate(master)
    ]
    for i in range(10):
        models[i * 90] = models[i * 90].model_copy(update={"cost": Decimal(10_000 + i)})
    models += [
        InnergyMaterial(innergy_id=f"gone-{i}", external_id=f"GONE-{i}", name=f"Gone {i}", active=i >= 3)
        for i in range(5)
    ]
    held = lazy(models)

    planned = build_plan(library, held, inputs={"master": "m", "innergy": "i"})

    assert [c.action for c in planned.changes] == ["update"] * 10 + ["deactivate"] * 2
    assert held.built == 12
    inputs = {"master": "m", "innergy": "i"}
    assert planned == build_plan(library, models, inputs=inputs, now=planned.created_at)
    assert diff_materials(library, held) == diff_materials(library, models)


def test_a_lazy_master_is_looked_up_and_written_without_building_its_models() -> None:
    master = [
        Material(sku=f"Sku {i}", name=f"M {i}", category="C", uom="EA", cost=Decimal(i)) for i in range(5)
    ]
    held = LazyModels(Material, [dict(vars(m)) for m in master], Material.from_valid)
    library = Library.from_valid_fields({"materials": held})

    assert b"".join(jsonl_chunks(held, size=2)) == b"".join(jsonl_chunks(master, size=2))
    assert held.built == 0
    assert library.material("SKU3") == master[3] and library.material("nope") is None
    assert held.built == 1
