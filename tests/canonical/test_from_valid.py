"""``FrozenModel.from_valid`` builds the model ``model_validate`` would, from values of the right types."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canonical.models import Claim, InnergyMaterial, Material

RECORD = {
    "name": "Maple Ply", "innergy_id": "g1", "external_id": "PLY-1", "cost": Decimal("3.5712"),
    "active": False, "modified_on": None,
}  # fmt: skip


def every_field(model: type[InnergyMaterial] | type[Material], **given: object) -> dict[str, object]:
    """``given`` with every other field at its default, in no particular order."""
    defaults = {
        name: info.get_default(call_default_factory=True) for name, info in model.model_fields.items()
    }
    return dict(reversed(list({**defaults, **given}.items())))


@pytest.mark.parametrize(
    ("model", "given"),
    [
        (InnergyMaterial, RECORD),
        (
            Material,
            {"sku": "A-1", "name": "Hinge", "category": "Hardware", "uom": "EA", "cost": Decimal("4.25")},
        ),
        (Claim, {"sku": "A-1", "innergy_id": None}),
    ],
)
def test_the_same_model_as_validated_down_to_its_json(model: type, given: dict[str, object]) -> None:
    values = every_field(model, **given)

    built, validated = model.from_valid(values), model.model_validate(values)

    assert built == validated
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump_json() == validated.model_dump_json()
    assert list(vars(built)) == list(model.model_fields), "fields in the model's order"


def test_a_missing_or_unknown_field_is_refused() -> None:
    values = every_field(InnergyMaterial, **RECORD)
    with pytest.raises(KeyError, match="notes"):
        InnergyMaterial.from_valid({k: v for k, v in values.items() if k != "notes"})
    with pytest.raises(KeyError, match="colour"):
        InnergyMaterial.from_valid({**{k: v for k, v in values.items() if k != "notes"}, "colour": "red"})
