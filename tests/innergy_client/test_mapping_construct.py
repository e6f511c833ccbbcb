"""``to_canonical`` builds without validating again: it must give exactly the validated model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from canonical import InnergyMaterial, fingerprint
from innergy_client.mapping import to_canonical
from innergy_client.wire import Material

_TEXT = st.one_of(st.none(), st.text(max_size=6))
_NUMBER = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from([Decimal("12.50"), Decimal("1E+5"), Decimal("-0.0")]),
)


@st.composite
def wire_materials(draw: st.DrawFn) -> Material:
    body: dict[str, Any] = {
        "Id": draw(st.text(min_size=1, max_size=6)),
        "MaterialName": draw(st.text(min_size=1, max_size=6)),
        "Status": draw(st.sampled_from(["Active", "Inactive"])),
        "CreatedOn": draw(st.one_of(st.none(), st.just("2024-05-01T10:00:00Z"))),
        "ModifiedOn": draw(st.one_of(st.none(), st.datetimes())),
        "MRPType": draw(_NUMBER),
    }
    for alias in (
        "Description", "ExternalId", "BudgetGroup", "Location", "UoMGroup", "DefaultCommonUoM",
        "Manufacturer", "ManufacturerSKU", "Vendor", "VendorSKU", "LeadTime", "Note",
    ):  # fmt: skip
        body[alias] = draw(_TEXT)
    for alias in ("Margin", "Weight"):
        body[alias] = draw(_NUMBER)
    cost = draw(_NUMBER)
    body["Cost"] = None if cost is None else {"Value": cost, "OriginalValue": draw(_NUMBER)}
    return Material.model_validate(body)


@given(wire_materials())
def test_the_unvalidated_build_is_the_validated_model(record: Material) -> None:
    built = to_canonical(record)
    validated = InnergyMaterial.model_validate(dict(built))
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set
    assert fingerprint(built) == fingerprint(validated)
    assert built.model_dump_json() == validated.model_dump_json()


def test_numbers_past_the_decimal_contexts_28_digits_are_written_back_as_numbers() -> None:
    """``Decimal % 1`` raises past 28 digits (hypothesis found a 29-digit ``MRPType``)."""
    huge = Decimal("10000000000000000000000000000.0000")
    record = Material.model_validate(
        {"Id": "1", "MaterialName": "x", "Margin": huge, "MRPType": huge, "Weight": Decimal("12.50")}
    )
    body = record.model_dump(mode="json", by_alias=True)
    assert (body["Margin"], body["MRPType"], body["Weight"]) == (10**28, 10**28, 12.5)
