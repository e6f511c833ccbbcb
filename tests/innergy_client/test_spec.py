"""The wire contract against OpenAPI documents: the sandbox's own, and edited ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from canonical.errors import SpecError
from innergy_client.spec import Finding, check_spec, load_spec, openapi_document


@pytest.fixture
def doc() -> dict[str, Any]:
    return openapi_document("http://127.0.0.1:1")


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]


def findings(doc: dict[str, Any], status: str) -> list[Finding]:
    return [f for f in check_spec(doc).findings if f.status == status]


def test_the_sandboxs_own_document_is_a_full_match(doc: dict[str, Any]) -> None:
    report = check_spec(doc)
    assert report.ok
    assert set(report.counts()) == {"match"}
    assert any(f.field == "Cost.Value" and f.part == "request" for f in report.findings)


def test_a_renamed_path_is_found_with_a_guess(doc: dict[str, Any]) -> None:
    doc["paths"]["/api/materials/batchCreate"] = doc["paths"].pop("/api/materials/create")
    report = check_spec(doc)
    [finding] = [f for f in report.findings if f.endpoint == "POST /api/materials/create"]
    assert (finding.status, finding.other, finding.blocking) == (
        "renamed",
        "/api/materials/batchCreate",
        True,
    )
    assert not report.ok


def test_a_missing_path_and_a_missing_verb(doc: dict[str, Any]) -> None:
    del doc["paths"]["/api/version"]
    doc["paths"]["/api/materials/{Id}/edit"]["put"] = doc["paths"]["/api/materials/{Id}/edit"].pop("post")
    missing = {(f.endpoint, f.detail) for f in findings(doc, "missing")}
    assert ("GET /api/version", "the document has no such path") in missing
    assert ("POST /api/materials/{Id}/edit", "the path has no POST (it has PUT)") in missing


def test_a_renamed_field_is_matched_by_case_and_by_nearness(doc: dict[str, Any]) -> None:
    for name in ("Material", "MaterialWrite"):
        props = schemas(doc)[name]["properties"]
        props["ManufacturerSku"] = props.pop("ManufacturerSKU")
        props["BudgetGroupName"] = props.pop("BudgetGroup")
    renamed = {(f.endpoint, f.part, f.field, f.other) for f in findings(doc, "renamed")}
    assert ("POST /api/materials/create", "request", "ManufacturerSKU", "ManufacturerSku") in renamed
    assert ("GET /api/materials", "response", "BudgetGroup", "BudgetGroupName") in renamed
    assert not check_spec(doc).ok


def test_a_required_field_we_never_send_is_reported(doc: dict[str, Any]) -> None:
    write = schemas(doc)["MaterialWrite"]
    write["properties"]["UoMGroupId"] = {"type": "string", "format": "uuid"}
    write["required"].append("UoMGroupId")
    required = {(f.endpoint, f.field) for f in findings(doc, "required")}
    assert required == {
        ("POST /api/materials/create", "UoMGroupId"),
        ("POST /api/materials/{Id}/edit", "UoMGroupId"),
    }
    assert not check_spec(doc).ok


def test_a_changed_envelope_is_reported(doc: dict[str, Any]) -> None:
    answer = doc["paths"]["/api/materials"]["get"]["responses"]["200"]["content"]["application/json"]
    answer["schema"] = {"type": "array", "items": {"$ref": "#/components/schemas/Material"}}
    [finding] = findings(doc, "envelope")
    assert (finding.endpoint, finding.detail) == (
        "GET /api/materials",
        "we expect 'items'; the document shows 'array'",
    )
    assert not check_spec(doc).ok


def test_a_changed_type_is_reported(doc: dict[str, Any]) -> None:
    schemas(doc)["Material"]["properties"]["Margin"] = {"type": "string"}
    assert {(f.field, f.detail) for f in findings(doc, "type")} == {
        ("Margin", "we use number; the document says string")
    }


def test_extra_answer_fields_and_optional_endpoints_do_not_fail_the_check(doc: dict[str, Any]) -> None:
    schemas(doc)["Material"]["properties"]["Density"] = {"type": "number"}
    del doc["paths"]["/api/companies"]
    report = check_spec(doc)
    assert report.ok
    assert {f.field for f in report.findings if f.status == "unused"} == {"Density"}
    assert [f.blocking for f in report.findings if f.endpoint == "GET /api/companies"] == [False]


def to_openapi2(doc: dict[str, Any]) -> dict[str, Any]:
    """The same contract as a Swagger 2 document with basePath /api (as ASP.NET emits)."""
    text = json.dumps(doc).replace("#/components/schemas/", "#/definitions/")
    v3 = json.loads(text)
    paths = {}
    for path, operations in v3["paths"].items():
        for op in operations.values():
            if "requestBody" in op:
                schema = op.pop("requestBody")["content"]["application/json"]["schema"]
                op["parameters"].append({"name": "body", "in": "body", "schema": schema})
            for answer in op["responses"].values():
                if "content" in answer:
                    answer["schema"] = answer.pop("content")["application/json"]["schema"]
        paths[path.removeprefix("/api")] = operations
    return {"swagger": "2.0", "basePath": "/api", "paths": paths, "definitions": v3["components"]["schemas"]}


def test_openapi_2_in_yaml_with_a_base_path(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "swagger.yaml"
    path.write_text(yaml.safe_dump(to_openapi2(doc)), encoding="utf-8")
    report = check_spec(load_spec(path))
    assert report.ok and set(report.counts()) == {"match"}
    assert report.counts()["match"] == check_spec(doc).counts()["match"]


def test_openapi_3_1_nullable_refs_are_followed(doc: dict[str, Any]) -> None:
    props = schemas(doc)["Material"]["properties"]
    props["Cost"] = {"anyOf": [{"$ref": "#/components/schemas/Money"}, {"type": "null"}]}
    props["Note"] = {"type": ["string", "null"]}
    assert check_spec(doc).ok


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not: [valid", "neither JSON nor YAML"),
        ('{"info": {}}', "no 'paths'"),
        ('{"paths": {}}', "neither OpenAPI 2"),
    ],
)
def test_unreadable_documents_are_spec_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "spec.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SpecError, match=message):
        load_spec(path)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "absent.json")


def test_the_report_lines_name_each_endpoint(doc: dict[str, Any]) -> None:
    broken = copy.deepcopy(doc)
    del broken["paths"]["/api/version"]
    lines = check_spec(broken).lines()
    assert "[FAIL] GET /api/version" in lines
    assert "[ok] GET /api/materials" in lines
    assert lines[-1].startswith("something we rely on is missing")
