"""A plan reads INNERGY's library through ``wire.ListedMaterial``: it must give exactly the
records the wire model gives (through ``to_canonical``), or fall back to it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from canonical import fingerprint
from canonical.errors import InnergyError
from canonical.lazy import LazyModels
from canonical.models import InnergyMaterial
from innergy_client import wire
from innergy_client.client import _canonical, _listed
from innergy_client.mapping import FIELD_NAMES, to_canonical

TEXT = st.one_of(st.none(), st.text(max_size=6))
NUMBER = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from([Decimal("12.50"), Decimal("1E+5"), Decimal("-0.0"), Decimal("0.00001")]),
)
TIME = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "2026-01-05T08:00:00Z",
            "2026-01-05T08:00:00.000000Z",
            "2026-01-05T08:00:00.1234567Z",  # .NET's seven digits: pydantic cuts, msgspec would round
            "2026-01-05T08:00:00.9999995+01:00",
            "2026-01-05T08:00:00",
            "2026-01-05t08:00:00z",
        ]
    ),
)
ODD = st.sampled_from(
    ["", 12, "12.5", " 12.5 ", "NaN", "Infinity", True, "2026-01-05", 1_700_000_000, "Gone", {"X": 1}, [1]]
)
"""Values a field may not take, or that the two parsers might read apart."""
TEXT_FIELDS = (
    "Description", "ExternalId", "BudgetGroup", "Location", "UoMGroup", "DefaultCommonUoM",
    "Manufacturer", "ManufacturerSKU", "Vendor", "VendorSKU", "LeadTime", "Note",
)  # fmt: skip


@st.composite
def wire_bodies(draw: st.DrawFn, odd: bool = False) -> dict[str, Any]:
    """A material as INNERGY's listing holds it; ``odd``: some fields hold an ``ODD`` value."""
    cost = draw(NUMBER)
    body: dict[str, Any] = {
        "Id": draw(st.text(min_size=1, max_size=6)),
        "MaterialName": draw(st.text(min_size=1, max_size=6)),
        "Status": draw(st.sampled_from(["Active", "Inactive"])),
        "CreatedOn": draw(TIME),
        "ModifiedOn": draw(TIME),
        "Margin": draw(NUMBER),
        "Weight": draw(NUMBER),
        "Cost": None
        if cost is None
        else {"Value": cost, "OriginalValue": draw(NUMBER), "CurrencyCode": "USD"},
        "MRPType": draw(st.sampled_from([None, "Purchased", 3])),  # a field we do not model
        **{name: draw(TEXT) for name in TEXT_FIELDS},
    }
    if odd:
        for name in draw(st.lists(st.sampled_from([*body, "Cost.Value", "Cost.Extra"]), max_size=2)):
            value = draw(ODD)
            if name.startswith("Cost."):
                cost = body["Cost"] if isinstance(body["Cost"], dict) else {}
                body["Cost"] = {"Value": Decimal(1), **cost, name[5:]: value}
            else:
                body[name] = value
        if draw(st.booleans()):
            del body[draw(st.sampled_from(sorted(body)))]
    return body


def by_the_wire_model(bodies: list[dict[str, Any]]) -> list[InnergyMaterial]:
    return [to_canonical(wire.Material.model_validate(body)) for body in bodies]


def same_records(ours: Sequence[InnergyMaterial], theirs: list[InnergyMaterial]) -> None:
    assert ours == theirs
    assert [r.__pydantic_fields_set__ for r in ours] == [r.__pydantic_fields_set__ for r in theirs]
    assert list(map(fingerprint, ours)) == list(map(fingerprint, theirs))
    assert [r.model_dump_json() for r in ours] == [r.model_dump_json() for r in theirs]


def test_the_listed_names_are_the_wire_models() -> None:
    attributes = {**FIELD_NAMES, "innergy_id": "id", "active": "status", "created_on": "created_on",
                  "modified_on": "modified_on"}  # fmt: skip
    aliases = {field: wire.Material.model_fields[attr].alias for field, attr in attributes.items()}
    assert {**wire.LISTED_NAMES, "active": wire.LISTED_NAMES["status"]} == {**aliases, "status": "Status"}
    assert set(InnergyMaterial.model_fields) == {*wire.LISTED_NAMES} - {"status"} | {"active"}


@given(st.lists(wire_bodies(), max_size=3))
def test_well_formed_records_take_the_short_path_to_the_same_records(bodies: list[dict[str, Any]]) -> None:
    listed = _listed(bodies)
    assert listed is not None, "well-formed records take the short path"
    same_records(
        list(LazyModels(InnergyMaterial, listed, InnergyMaterial.from_valid)), by_the_wire_model(bodies)
    )


@given(st.lists(wire_bodies(odd=True), min_size=1, max_size=3))
@example([{"Id": "a", "MaterialName": "x", "Cost": {"Value": "NaN"}}])
@example([{"Id": "a", "MaterialName": "x", "description": "read by name too"}])
@example([{"Id": "a", "MaterialName": "x", "CreatedOn": 1_700_000_000}])
@example([{"Id": "a", "MaterialName": "x", "Margin": "Infinity"}])
@example([{"Id": "a", "MaterialName": "x", "CreatedOn": "2026-01-05"}])
@example([{"Id": "a", "MaterialName": "x", "Cost": {"Value": 1, "Extra": 2}}])
@example([{"Id": "a", "MaterialName": "x", "ModifiedOn": "2026-01-05T08:00:00.1234567Z"}])
def test_any_listing_gives_the_wire_models_records_or_its_error(bodies: list[dict[str, Any]]) -> None:
    try:
        expected = by_the_wire_model(bodies)
    except Exception as wire_error:
        with pytest.raises(InnergyError) as ours:
            _canonical(list(bodies))
        assert "does not fit" in str(ours.value), (wire_error, ours.value)
        return
    same_records(_canonical(list(bodies)), expected)


def test_a_listing_of_many_chunks_keeps_its_order_and_lets_go_of_what_it_read() -> None:
    bodies = [
        {"Id": f"id-{i}", "MaterialName": f"M {i}", "Cost": {"Value": Decimal(i)}} for i in range(4_500)
    ]
    bodies[3_000]["Status"] = "Gone"  # this chunk fails as a whole: the wire model's error
    items = list(bodies[:2_999])

    records = _canonical(items)

    assert items == [], "the decoded records are let go of"
    assert [r.innergy_id for r in records] == [f"id-{i}" for i in range(2_999)]
    with pytest.raises(InnergyError, match="Status"):
        _canonical(list(bodies))
