"""Wire <-> canonical, and the whole-record edit body."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from canonical import InnergyMaterial, Project, ProjectLine
from innergy_client.mapping import bom_import, edit_body, opportunity_body, to_canonical, to_wire
from innergy_client.wire import Material, Money, json_body

CANONICAL = InnergyMaterial(
    external_id="PLY-MAPLE-34",
    name="Maple Ply 3/4",
    description="A1 maple, MDF core",
    category="Sheet Goods",
    location="Rack 3",
    uom_group="SF",
    common_uom="4'x8'",
    cost=Decimal("2.1875"),
    margin=Decimal("0.35"),
    active=False,
    manufacturer="Columbia",
    manufacturer_sku="CF-1",
    vendor="Boise",
    vendor_sku="B-9",
    lead_time="2 weeks",
    weight=Decimal("70.5"),
    notes="=not a formula",
)


def read_back(body: dict[str, object]) -> Material:
    """What INNERGY would answer after storing ``body``."""
    return Material.model_validate({**body, "Id": "m-1", "CreatedOn": "2024-05-01T10:00:00Z"})


def test_canonical_to_wire_and_back_is_lossless() -> None:
    wire_body = json_body(to_wire(CANONICAL))
    assert wire_body["Status"] == "Inactive" and wire_body["BudgetGroup"] == "Sheet Goods"
    assert wire_body["Cost"] == {"Value": 2.1875, "OriginalValue": 2.1875, "CurrencyCode": "USD"}
    back = to_canonical(read_back(wire_body))
    assert back.model_dump(exclude={"innergy_id", "created_on"}) == CANONICAL.model_dump(
        exclude={"innergy_id", "created_on"}
    )
    assert back.innergy_id == "m-1"


def test_numbers_go_out_as_json_numbers_not_strings() -> None:
    text = json.dumps(json_body(to_wire(CANONICAL)))
    assert '"Margin": 0.35' in text and '"Weight": 70.5' in text


def test_an_edit_body_is_the_whole_current_record_with_only_the_changes() -> None:
    current = read_back(json_body(to_wire(CANONICAL)) | {"Cost": {"Value": 2, "CurrencyCode": "CAD"}})
    body = json_body(
        edit_body(current, {"description": "Rotary maple", "cost": Decimal("3.1"), "vendor": None})
    )
    expected = json_body(to_wire(CANONICAL)) | {"Description": "Rotary maple", "Vendor": None}
    expected["Cost"] = {"Value": 3.1, "OriginalValue": 3.1, "CurrencyCode": "CAD"}
    assert body == expected
    assert not {"Id", "CreatedOn", "ModifiedOn"} & set(body)


def test_an_unknown_change_is_refused_not_dropped() -> None:
    with pytest.raises(KeyError):
        edit_body(read_back(json_body(to_wire(CANONICAL))), {"colour": "red"})


def test_project_to_opportunity_and_bom() -> None:
    project = Project(
        ppak_id="24-117",
        change_order="CO1",
        name="Lobby",
        bid_date=date(2024, 3, 1),
        due_date=date(2024, 6, 1),
        contract_amount=Decimal("184250.00"),
        estimated_cost=Decimal("121615.40"),
    )
    body = json_body(opportunity_body(project, "F-1", "B-1"))
    assert (body["ExternalIdentifier"], body["BidDueDate"], body["BidTypeId"]) == (
        "24-117-CO1",
        "2024-03-01",
        "B-1",
    )
    assert (body["ProjectedRevenue"], body["TargetMarginPercentage"], body["SubstantialCompletionDate"]) == (
        184250,
        0.3399,
        "2024-06-01",
    )
    over_budget = project.model_copy(update={"estimated_cost": Decimal("190000")})
    assert json_body(opportunity_body(over_budget, "F-1", "B-1"))["TargetMarginPercentage"] is None
    lines = [
        ProjectLine(project_id="24-117", line="3", sku="PLY-MAPLE-34", uom="SHT", quantity=Decimal(4)),
        ProjectLine(project_id="24-117", line="5", line_type="Buy", sku="HW-1", uom="EA", quantity=2),
    ]
    bom = json_body(bom_import("24-117", "pm@shop.test", lines))
    assert bom["EngineeringBomItems"] == [
        {"Name": "PLY-MAPLE-34", "UOM": "SHT", "Quantity": 4, "EngineeringID": "24-117:3", "Type": 1},
        {"Name": "HW-1", "UOM": "EA", "Quantity": 2, "EngineeringID": "24-117:5", "Type": 1},
    ]
    with pytest.raises(ValueError, match="no material line"):
        bom_import("24-117", "pm@shop.test", [ProjectLine(project_id="24-117", line="4")])
    labour = ProjectLine(project_id="24-117", line="6", line_type="Labor", sku="LAB", uom="HR", quantity=1)
    with pytest.raises(ValueError, match="no material line"):
        bom_import("24-117", "pm@shop.test", [labour])


def test_money_defaults_to_usd() -> None:
    assert Money(value=Decimal(1)).currency_code == "USD"
