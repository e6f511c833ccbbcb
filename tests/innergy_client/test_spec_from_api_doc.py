"""``check-innergy-spec`` on an OpenAPI document written from innergy_api.md alone.

The document below holds what that page states, endpoint by endpoint and field by field,
and nothing taken from our wire module. Our contract must pass it (exit 0), the fields
the wire module marks assumed listed as such; renaming a field the page shows working
(``ProjectedRevenue``) must fail the check, naming it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from innergy_client.spec import check_spec
from sheets_sync.cli import app

S: dict[str, Any] = {"type": "string"}
N: dict[str, Any] = {"type": "number"}
INT: dict[str, Any] = {"type": "integer"}
DAY: dict[str, Any] = {"type": "string", "format": "date"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: tuple[str, ...] = (), **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required)}


def array(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


def items(item: dict[str, Any], **extra: dict[str, Any]) -> dict[str, Any]:
    """A V1 list: ``{CreateDate, Items}`` (project-scoped ones add ProjectNumber / ProjectName)."""
    return obj(CreateDate=TIME, **extra, Items=array(item))


def ok(answer: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "OK", "content": {"application/json": {"schema": answer}}}}


def get(answer: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"responses": ok(answer)}}


def post(body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    request = {"content": {"application/json": {"schema": body}}}
    return {"post": {"requestBody": request, "responses": ok(answer)}}


MATERIAL_FIELDS = dict(
    MaterialName=S, Description=S, ExternalId=S, BudgetGroup=S, Location=S, UoMGroup=S,
    DefaultCommonUoM=S, Cost=ref("Money"), Margin=N, Status=S, Manufacturer=S, ManufacturerSKU=S,
    Vendor=S, VendorSKU=S, LeadTime=S, Weight=N, Note=S,
)  # fmt: skip
"""The assumed ``Material`` of innergy_api.md, as its table lists it."""

SCHEMAS = {
    "Money": obj(Value=N, OriginalValue=N, CurrencyCode=S),
    "MaterialWrite": obj(("MaterialName",), **MATERIAL_FIELDS),
    "Material": obj(("Id", "MaterialName"), Id=S, **MATERIAL_FIELDS, CreatedOn=TIME, ModifiedOn=TIME),
    "Project": obj(
        Id=S,
        Number=S,
        Name=S,
        ExternalId=S,
        Status=S,
        Customer=obj(Id=S, Name=S),
        Address=obj(),
        ProjectManager=obj(Id=S, FullName=S),
        FirstDelivery=DAY,
        SubstantialCompletion=DAY,
        WorkflowStepName=S,
        WorkflowStepIndex=INT,
        TotalContract=ref("Money"),
        CreatedOn=TIME,
        ModifiedOn=TIME,
        Opportunity=obj(Id=S, Name=S, ConversionDate=TIME),
    ),
    "Opportunity": obj(Id=S, Name=S, FacilityId=S, FacilityName=S, BidType=S, CurrentBid=S),
    "OpportunityCreate": obj(
        ("Name", "FacilityId", "BidTypeId"),
        Name=S,
        FacilityId=S,
        BidTypeId=S,
        CurrentBidName=S,
        ProjectedRevenue=N,
        WinProbabilityPercentage=N,
        TargetMarginPercentage=N,
        FirstDeliveryDate=DAY,
        LastDeliveryDate=DAY,
        SubstantialCompletionDate=DAY,
    ),
    "OpportunityCreated": obj(Id=S, Name=S),
    "EngineeringSync": obj(
        LoggedInUserEmail=S,
        ProjectIdentifier=S,
        EngineeringBomItems=array(obj(Name=S, UOM=S, Quantity=N, EngineeringID=S, Type=INT)),
    ),
    "Outcome": obj(Messages=array(S), CorrelationId=S, OutcomeType=S),
}

PATHS = {
    "/api/version": get(obj(ServerVersion=S)),
    "/api/materials": get(items(ref("Material"))),
    "/api/materials/{Id}": get(ref("Material")),
    "/api/materials/create": post(array(ref("MaterialWrite")), array(ref("Material"))),
    "/api/materials/{Id}/edit": post(ref("MaterialWrite"), ref("Material")),
    "/api/projects": get(items(ref("Project"))),
    "/api/projects/{id}": get(ref("Project")),
    "/api/projects/{id}/budgetProducts": get(
        items(obj(SKU=S, LibraryName=S, Quantity=N), ProjectNumber=S, ProjectName=S)
    ),
    "/api/projects/{id}/workOrders": get(items(obj(ExternalIdentifier=S))),
    "/api/projects/workflows": get(array(obj(Id=S, Name=S))),
    "/api/projectWorkOrders": get(items(obj(ExternalIdentifier=S))),
    "/api/purchaseOrders": {"get": {"responses": {"302": {"description": "to a gzip blob"}}}},
    "/api/purchaseOrders/{Number}": get(obj(Number=S, Status=S, Vendor=S, VendorExternalIdentifier=S)),
    "/api/companies": get(items(obj(Name=S, ExternalIdentifier=S))),
    "/api/opportunities": get(items(ref("Opportunity"))),
    "/api/opportunities/create": post(array(ref("OpportunityCreate")), array(ref("OpportunityCreated"))),
    "/api/engineeringsync/importjson": post(ref("EngineeringSync"), ref("Outcome")),
}

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "INNERGY, as innergy_api.md knows it", "version": "doc"},
    "paths": PATHS,
    "components": {"schemas": SCHEMAS},
}

ASSUMED = {
    ("POST /api/opportunities/create", "request", f)
    for f in ("ExternalIdentifier", "CustomerName", "BidDueDate", "Notes", "Status", "WorkflowStepName")
} | {
    ("POST /api/opportunities/create", "response", "ExternalIdentifier"),
    ("POST /api/opportunities/create", "response", "ExternalId"),
    ("GET /api/opportunities", "response", "ExternalIdentifier"),
    ("GET /api/opportunities", "response", "ExternalId"),
    ("GET /api/opportunities", "response", "Status"),
    ("GET /api/projects", "response", "ExternalIdentifier"),
    ("GET /api/projects/{Id}", "response", "ExternalIdentifier"),
}


def _run(tmp_path: Path, document: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    path = tmp_path / "innergy_api.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    as_json = CliRunner().invoke(app, ["--json", "check-innergy-spec", str(path)])
    text = CliRunner().invoke(app, ["check-innergy-spec", str(path)])
    assert as_json.exit_code == text.exit_code
    return as_json.exit_code, json.loads(as_json.stdout), text.output


def test_the_document_from_innergy_api_md_passes_with_the_assumed_fields_listed(tmp_path: Path) -> None:
    code, summary, text = _run(tmp_path, DOCUMENT)

    assert code == 0 and summary["ok"] is True and summary["blocking"] == 0
    findings = summary["findings"]
    assert {(f["endpoint"], f["part"], f["field"]) for f in findings if f["status"] == "assumed"} == ASSUMED
    assert (
        "    request assumed ExternalIdentifier: the document has no such field; ours is an assumption"
        in (text)
    )
    assert {f["field"] for f in summary["findings"] if f["status"] == "match"} >= {
        "ProjectedRevenue", "CurrentBidName", "FirstDeliveryDate", "EngineeringBomItems[].Type",
    }  # fmt: skip


@pytest.mark.parametrize("other", ["ProjectedRevenueAmount", "EstimatedRevenue"])
def test_renaming_projected_revenue_fails_naming_it(tmp_path: Path, other: str) -> None:
    document = copy.deepcopy(DOCUMENT)
    props = document["components"]["schemas"]["OpportunityCreate"]["properties"]
    props[other] = props.pop("ProjectedRevenue")

    code, summary, text = _run(tmp_path, document)

    assert code == 1 and summary["ok"] is False
    [finding] = [f for f in summary["findings"] if f["blocking"]]
    assert (finding["endpoint"], finding["field"]) == ("POST /api/opportunities/create", "ProjectedRevenue")
    assert "[FAIL] POST /api/opportunities/create" in text and "ProjectedRevenue" in text


def test_our_own_document_covers_the_contract_with_no_findings() -> None:
    from innergy_client.spec import openapi_document

    assert {f.status for f in check_spec(openapi_document()).findings} == {"match"}
