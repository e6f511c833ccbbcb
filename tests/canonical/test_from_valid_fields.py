"""``FrozenModel.from_valid_fields`` gives the model validation gives, for values already of their
fields' types, some fields left out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from canonical import fingerprint
from canonical.models import Claim, FrozenModel, InnergyMaterial, Material

_DECIMALS = st.decimals(allow_nan=False, allow_infinity=False)


def _strategy(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of a canonical field's type (Decimals finite, as every reader gives them)."""
    if annotation in (Decimal, Decimal | None):
        return _DECIMALS if annotation is Decimal else st.one_of(st.none(), _DECIMALS)
    return st.from_type(annotation)


def _valid_values(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Field values as validation gives them back: required fields always, others sometimes."""
    fields = {name: _strategy(info.annotation) for name, info in model.model_fields.items()}
    required = {name for name, info in model.model_fields.items() if info.is_required()}
    drawn = st.fixed_dictionaries(
        {name: fields[name] for name in required},
        optional={name: fields[name] for name in fields if name not in required},
    )
    return drawn.map(lambda values: {name: getattr(model.model_validate(values), name) for name in values})


@pytest.mark.parametrize("model", [Material, InnergyMaterial, Claim])
@settings(deadline=None)
@given(data=st.data())
def test_the_unvalidated_build_is_the_validated_model(model: type[FrozenModel], data: st.DataObject) -> None:
    values = data.draw(_valid_values(model))
    built, validated = model.from_valid_fields(values), model.model_validate(values)
    assert built == validated
    assert built.__dict__ == validated.__dict__ and list(built.__dict__) == list(validated.__dict__)
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump_json() == validated.model_dump_json()
    assert fingerprint(built) == fingerprint(validated)
    assert hash(built) == hash(validated)


def test_an_unknown_field_or_a_missing_required_one_is_refused() -> None:
    given = {"sku": "A-1", "name": "Hinge", "category": "Hardware", "uom": "EA", "cost": Decimal(4)}
    with pytest.raises(KeyError, match="colour"):
        Material.from_valid_fields({**given, "colour": "red"})
    with pytest.raises(KeyError, match="cost"):
        Material.from_valid_fields({k: v for k, v in given.items() if k != "cost"})
