"""Material fields matsync does not model: the sandbox holds them, an edit body carries them back.

The sandbox's edit replaces the record (what a body leaves out is cleared, as INNERGY
does), so ``edit_body`` must start from the whole current record.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from pydantic import ValidationError

from innergy_client import InnergyClient, edit_body, wire
from innergy_client.sandbox import SHEET_ONLY_FIELDS, Sandbox

SHEET = {
    "MRPType": "Purchased",
    "ExpenseOrCostOfGoodsSoldGLAccount": "5010 Material - Sheet",
    "InventoryGLAccount": "1400",
    "AccountsPayableGLAccount": "2000",
    "Stock": 40.25,
    "GrainDirection": "Length",
    "ExternalApproval": True,
    "ExpenseUponReceipt": False,
}
BODY = {"MaterialName": "Walnut 4/4", "ExternalId": "WAL-44", "Cost": {"Value": 9.75}, **SHEET}


def _post(sandbox: Sandbox, path: str, body: object) -> httpx.Response:
    return httpx.post(sandbox.url + path, json=body, headers={"Api-Key": sandbox.api_key})


def test_the_sandbox_holds_the_import_sheets_other_fields() -> None:
    assert set(SHEET_ONLY_FIELDS) == set(SHEET)


def test_an_edit_clears_what_its_body_leaves_out(sandbox: Sandbox) -> None:
    [created] = _post(sandbox, "/api/materials/create", [BODY]).json()
    assert {k: created[k] for k in SHEET} == SHEET

    partial = {k: v for k, v in BODY.items() if k not in ("MRPType", "Stock")}
    edited = _post(sandbox, f"/api/materials/{created['Id']}/edit", partial).json()

    assert (edited["MRPType"], edited["Stock"], edited["GrainDirection"]) == (None, None, "Length")
    assert edited["CreatedOn"] == created["CreatedOn"]


@pytest.mark.parametrize("field", ["Id", "CreatedOn", "Density"])
def test_the_sandbox_refuses_fields_innergy_does_not_take(sandbox: Sandbox, field: str) -> None:
    answer = _post(sandbox, "/api/materials/create", [{**BODY, field: "x"}])
    assert answer.status_code == 400
    assert answer.json()["Messages"] == [f"Item 0: {field} cannot be written"]


def test_the_edit_body_is_the_whole_record_with_the_change(sandbox: Sandbox, client: InnergyClient) -> None:
    [created] = client.create_materials([wire.MaterialWrite.model_validate(BODY)])
    current = client.get_material(created.id)

    body = wire.json_body(edit_body(current, {"cost": Decimal("10.5"), "active": False}))

    assert {k: body[k] for k in SHEET} == SHEET
    assert type(body["Stock"]) is float and body["ExternalApproval"] is True
    assert (body["Cost"]["Value"], body["Status"]) == (10.5, "Inactive")
    assert wire.READ_ONLY_MATERIAL_FIELDS.isdisjoint(body)
    kept = client.edit_material(current.id, edit_body(current, {"cost": Decimal("10.5")}))
    assert {k: wire.json_body(kept)[k] for k in SHEET} == SHEET


def test_a_write_body_never_carries_innergys_own_fields() -> None:
    with pytest.raises(ValidationError, match="never written"):
        wire.MaterialWrite.model_validate({**BODY, "ModifiedOn": "2024-01-01T00:00:00Z"})
