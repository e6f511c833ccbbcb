"""INNERGY's wire format, all of it in one place: paths, verbs, field names, envelopes.

INNERGY's own OpenAPI document was not at hand when this was written (see
``innergy_api.md``): the material endpoints are an assumption in INNERGY's V1 style.
Everything the client sends or reads is declared here, as models and as the
``ENDPOINTS`` table, so that ``matsync check-innergy-spec`` can compare it with the real
document and a correction is an edit to this one module.

Models use snake_case attributes with PascalCase aliases (the wire names). Read models
keep fields we do not know, exactly as read. Write models forbid them, except the
material body: an edit replaces the whole record, so it carries every field the current
record holds (``MRPType``, GL accounts, ``Stock`` ...), known or not, and refuses only
INNERGY's own ``Id``, ``CreatedOn`` and ``ModifiedOn``.

A field declared with ``assumed(...)`` is one no source shows working (innergy_api.md):
optional, and where INNERGY's document lacks it ``check-innergy-spec`` lists it as
assumed instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

import msgspec
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from pydantic.fields import FieldInfo

__all__ = [
    "BOM_MATERIAL_TYPE",
    "ENDPOINTS",
    "IMPORT_COLUMNS",
    "LISTED_NAMES",
    "READ_ONLY_MATERIAL_FIELDS",
    "SPEC_PATH",
    "BomImport",
    "BomItem",
    "Company",
    "Endpoint",
    "Envelope",
    "ErrorBody",
    "ListedMaterial",
    "ListedMoney",
    "Material",
    "MaterialWrite",
    "Money",
    "Opportunity",
    "OpportunityCreate",
    "OpportunityCreated",
    "Project",
    "PurchaseOrder",
    "Version",
    "WorkOrder",
    "Workflow",
    "assumed",
    "endpoint",
    "is_assumed",
    "json_body",
]


def _as_number(value: Decimal) -> int | float:
    """A Decimal as the JSON number a write sends: an int when whole, else a float. Tested
    with ``to_integral_value``, not ``% 1``, which fails past the context's 28 digits."""
    return int(value) if value == value.to_integral_value() else float(value)


Number = Annotated[Decimal, PlainSerializer(_as_number, when_used="json")]
"""A JSON number read exactly as a Decimal and written as a number, never as a string."""


_ASSUMED = "x-matsync-assumed"


def assumed(alias: str, default: Any = None) -> Any:
    """A field we send or read on our own assumption: optional, and named as such."""
    return Field(default=default, alias=alias, json_schema_extra={_ASSUMED: True})


def is_assumed(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    return isinstance(extra, dict) and extra.get(_ASSUMED) is True


def _json_number(value: Any) -> Any:
    """A JSON value with its Decimals as plain numbers (what a write sends back)."""
    if isinstance(value, Decimal):
        return _as_number(value)
    if isinstance(value, list):
        return [_json_number(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_number(v) for k, v in value.items()}
    return value


class _Read(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True)


class _Write(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)


class Money(_Write):
    value: Number = Field(alias="Value")
    original_value: Number | None = Field(default=None, alias="OriginalValue")
    currency_code: str | None = Field(default="USD", alias="CurrencyCode")


READ_ONLY_MATERIAL_FIELDS = frozenset({"Id", "CreatedOn", "ModifiedOn"})
"""INNERGY's own fields of a material: read, never written."""


class MaterialWrite(_Write):
    """The body of a material create or edit (an edit sends the whole record).

    Fields not declared here pass through as given (an edit carries the current record's
    ``MRPType``, ``Stock`` ...); INNERGY's own fields are refused.
    """

    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True)

    material_name: str = Field(alias="MaterialName", min_length=1)
    description: str | None = Field(default=None, alias="Description")
    external_id: str | None = Field(default=None, alias="ExternalId")
    budget_group: str | None = Field(default=None, alias="BudgetGroup")
    location: str | None = Field(default=None, alias="Location")
    uom_group: str | None = Field(default=None, alias="UoMGroup")
    default_common_uom: str | None = Field(default=None, alias="DefaultCommonUoM")
    cost: Money | None = Field(default=None, alias="Cost")
    margin: Number | None = Field(default=None, alias="Margin")
    status: Literal["Active", "Inactive"] = Field(default="Active", alias="Status")
    manufacturer: str | None = Field(default=None, alias="Manufacturer")
    manufacturer_sku: str | None = Field(default=None, alias="ManufacturerSKU")
    vendor: str | None = Field(default=None, alias="Vendor")
    vendor_sku: str | None = Field(default=None, alias="VendorSKU")
    lead_time: str | None = Field(default=None, alias="LeadTime")
    weight: Number | None = Field(default=None, alias="Weight")
    note: str | None = Field(default=None, alias="Note")

    @model_validator(mode="after")
    def _extras_as_read(self) -> Self:
        """Fields we do not model are kept as INNERGY sent them, a number as a JSON number
        (the client reads numbers as Decimals: they go back numbers, never text); INNERGY's
        own fields, where this is a write body, are refused."""
        if extra := self.__pydantic_extra__:
            if written := sorted(READ_ONLY_MATERIAL_FIELDS & extra.keys()):
                raise ValueError(f"{', '.join(written)}: INNERGY's own fields are never written")
            for key, value in extra.items():
                extra[key] = _json_number(value)
        return self


class Material(MaterialWrite):
    """A material as INNERGY answers it: the write fields plus the read-only ones."""

    id: str = Field(alias="Id")
    created_on: datetime | None = Field(default=None, alias="CreatedOn")
    modified_on: datetime | None = Field(default=None, alias="ModifiedOn")


LISTED_NAMES: dict[str, str] = {
    "innergy_id": "Id",
    "name": "MaterialName",
    "external_id": "ExternalId",
    "description": "Description",
    "category": "BudgetGroup",
    "location": "Location",
    "uom_group": "UoMGroup",
    "common_uom": "DefaultCommonUoM",
    "cost": "Cost",
    "margin": "Margin",
    "status": "Status",
    "manufacturer": "Manufacturer",
    "manufacturer_sku": "ManufacturerSKU",
    "vendor": "Vendor",
    "vendor_sku": "VendorSKU",
    "lead_time": "LeadTime",
    "weight": "Weight",
    "notes": "Note",
    "created_on": "CreatedOn",
    "modified_on": "ModifiedOn",
}
"""``ListedMaterial`` attribute -> the wire name (``Material``'s alias; a test holds them equal)."""


class ListedMoney(msgspec.Struct, forbid_unknown_fields=True, rename="pascal"):
    """``Money`` as ``ListedMaterial`` reads it (unknown fields refused, as ``Money`` does)."""

    value: Decimal
    original_value: Decimal | None = None
    currency_code: str | None = "USD"


class ListedMaterial(msgspec.Struct, rename=LISTED_NAMES):
    """``Material`` as a plan reads the whole library: only the fields the canonical record
    holds, named as it names them, their types checked by msgspec in C (50,000 records in
    0.1 s, against 0.7 s for the pydantic model). The times stay text: msgspec rounds a
    seventh decimal of a second where pydantic cuts it, so they are parsed the pydantic
    way. ``innergy_client.client`` falls back to ``Material`` for a listing this refuses;
    ``tests/innergy_client/test_listed_material.py`` holds the two to the same records."""

    innergy_id: str
    name: Annotated[str, msgspec.Meta(min_length=1)]
    external_id: str | None = None
    description: str | None = None
    category: str | None = None
    location: str | None = None
    uom_group: str | None = None
    common_uom: str | None = None
    cost: ListedMoney | None = None
    margin: Decimal | None = None
    status: Literal["Active", "Inactive"] = "Active"
    manufacturer: str | None = None
    manufacturer_sku: str | None = None
    vendor: str | None = None
    vendor_sku: str | None = None
    lead_time: str | None = None
    weight: Decimal | None = None
    notes: str | None = None
    created_on: str | None = None
    modified_on: str | None = None


class Ref(_Read):
    id: str | None = Field(default=None, alias="Id")
    name: str | None = Field(default=None, alias="Name")


class OpportunityRef(Ref):
    conversion_date: datetime | None = Field(default=None, alias="ConversionDate")


class _Identified(_Read):
    """A record that may echo our external id: as ``ExternalIdentifier`` or ``ExternalId``.

    INNERGY spells it differently from one resource to the next, so both are read.
    """

    external_identifier: str | None = assumed("ExternalIdentifier")
    external_id: str | None = assumed("ExternalId")

    @property
    def identifier(self) -> str | None:
        """Our external id as the record echoes it, under either name (``None``: not at all)."""
        return self.external_identifier or self.external_id


class Project(_Identified):
    id: str = Field(alias="Id")
    number: str | None = Field(default=None, alias="Number")
    name: str = Field(alias="Name")
    external_id: str | None = Field(default=None, alias="ExternalId")
    status: str | None = Field(default=None, alias="Status")
    customer: Ref | None = Field(default=None, alias="Customer")
    workflow_step_name: str | None = Field(default=None, alias="WorkflowStepName")
    total_contract: Money | None = Field(default=None, alias="TotalContract")
    created_on: datetime | None = Field(default=None, alias="CreatedOn")
    opportunity: OpportunityRef | None = Field(default=None, alias="Opportunity")


class Workflow(_Read):
    id: str = Field(alias="Id")
    name: str = Field(alias="Name")


class WorkOrder(_Read):
    id: str = Field(alias="Id")
    number: str | None = Field(default=None, alias="Number")
    name: str | None = Field(default=None, alias="Name")
    status: str | None = Field(default=None, alias="Status")
    external_identifier: str | None = Field(default=None, alias="ExternalIdentifier")


class Company(_Read):
    id: str | None = Field(default=None, alias="Id")
    name: str = Field(alias="Name")
    external_identifier: str | None = Field(default=None, alias="ExternalIdentifier")


class PurchaseOrder(_Read):
    number: str = Field(alias="Number")
    status: str | None = Field(default=None, alias="Status")
    vendor: str | None = Field(default=None, alias="Vendor")
    vendor_external_identifier: str | None = Field(default=None, alias="VendorExternalIdentifier")


class OpportunityCreate(_Write):
    """One opportunity to create; INNERGY turns won opportunities into projects.

    The fields a public client's working creates sent come first (innergy_api.md,
    "Opportunities and BOM lines"); the rest are assumed. Write names differ from read
    names (``FirstDeliveryDate`` here, ``FirstDelivery`` on read).
    """

    name: str = Field(alias="Name", min_length=1)
    facility_id: str = Field(alias="FacilityId", min_length=1)
    bid_type_id: str = Field(alias="BidTypeId", min_length=1)
    current_bid_name: str | None = Field(default=None, alias="CurrentBidName")
    projected_revenue: Number | None = Field(default=None, alias="ProjectedRevenue")
    win_probability_percentage: Number | None = Field(default=None, alias="WinProbabilityPercentage")
    target_margin_percentage: Number | None = Field(default=None, alias="TargetMarginPercentage")
    first_delivery_date: date | None = Field(default=None, alias="FirstDeliveryDate")
    last_delivery_date: date | None = Field(default=None, alias="LastDeliveryDate")
    substantial_completion_date: date | None = Field(default=None, alias="SubstantialCompletionDate")
    external_identifier: str | None = assumed("ExternalIdentifier")
    """Our external id; named so by one untested source (projects read it back as ExternalId)."""
    customer_name: str | None = assumed("CustomerName")
    bid_due_date: date | None = assumed("BidDueDate")
    notes: str | None = assumed("Notes")
    status: str | None = assumed("Status")
    """The INNERGY status from MAP_STATUS."""
    workflow_step_name: str | None = assumed("WorkflowStepName")
    """The INNERGY workflow step from MAP_PHASE."""


class OpportunityCreated(_Identified):
    """What a create answers per opportunity: ``Id`` and ``Name``."""

    id: str = Field(alias="Id")
    name: str = Field(alias="Name")


class Opportunity(OpportunityCreated):
    """An opportunity as the list shows it."""

    facility_id: str | None = Field(default=None, alias="FacilityId")
    facility_name: str | None = Field(default=None, alias="FacilityName")
    bid_type: str | None = Field(default=None, alias="BidType")
    status: str | None = assumed("Status")


BOM_MATERIAL_TYPE = 1
"""Engineering sync's ``Type`` of a material line: an integer enum, 1 assumed for material."""


class BomItem(_Write):
    name: str = Field(alias="Name", min_length=1)
    uom: str = Field(alias="UOM", min_length=1)
    quantity: Number = Field(alias="Quantity")
    engineering_id: str = Field(alias="EngineeringID", min_length=1)
    type: int = assumed("Type", BOM_MATERIAL_TYPE)


class BomImport(_Write):
    """The engineering-sync body that pushes BOM lines into one project."""

    logged_in_user_email: str = Field(alias="LoggedInUserEmail", min_length=1)
    project_identifier: str = Field(alias="ProjectIdentifier", min_length=1)
    engineering_bom_items: list[BomItem] = Field(alias="EngineeringBomItems")


class BudgetProduct(_Read):
    sku: str | None = Field(default=None, alias="SKU")
    library_name: str | None = Field(default=None, alias="LibraryName")
    quantity: Number | None = Field(default=None, alias="Quantity")


class Version(_Read):
    server_version: str = Field(alias="ServerVersion")


class ErrorBody(_Read):
    """INNERGY's error body on POST endpoints."""

    messages: list[str] = Field(default_factory=list, alias="Messages")
    correlation_id: str | None = Field(default=None, alias="CorrelationId")
    outcome_type: str | None = Field(default=None, alias="OutcomeType")


Envelope = Literal["items", "data", "array", "object", "redirect"]
"""How an answer wraps its records: ``{CreateDate, Items}``, ``{data, totalCount}`` (paged
by ``skip``/``take``), a bare array, a bare object, or a 302 to a gzip blob of ``Items``."""


@dataclass(frozen=True)
class Endpoint:
    """One call we make: the contract ``check-innergy-spec`` verifies, field by field."""

    name: str
    method: Literal["GET", "POST"]
    path: str
    response: type[BaseModel] | None = None
    envelope: Envelope = "object"
    request: type[BaseModel] | None = None
    request_array: bool = False
    query: tuple[str, ...] = ()
    relied_on: bool = True
    """False for calls only rehearsals or reports use; their absence is not a failure."""
    assumed: bool = False
    """True where no public client was seen calling it (the material library)."""

    def url(self, **params: str) -> str:
        return self.path.format(**params)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("version", "GET", "/api/version", Version),
    Endpoint("materials.list", "GET", "/api/materials", Material, "items", assumed=True),
    Endpoint("materials.get", "GET", "/api/materials/{Id}", Material, assumed=True),
    Endpoint(
        "materials.create", "POST", "/api/materials/create", Material, "array", MaterialWrite, True,
        assumed=True,
    ),
    Endpoint("materials.edit", "POST", "/api/materials/{Id}/edit", Material, "object", MaterialWrite,
             assumed=True),
    Endpoint("projects.list", "GET", "/api/projects", Project, "items"),
    Endpoint("projects.get", "GET", "/api/projects/{Id}", Project),
    Endpoint("projects.budget_products", "GET", "/api/projects/{Id}/budgetProducts", BudgetProduct, "items",
             relied_on=False),
    Endpoint("projects.work_orders", "GET", "/api/projects/{Id}/workOrders", WorkOrder, "items",
             relied_on=False),
    Endpoint("work_orders.list", "GET", "/api/v2-unstable/projectWorkOrders", WorkOrder, "data",
             query=("skip", "take", "status"), relied_on=False),
    Endpoint("workflows.list", "GET", "/api/projects/workflows", Workflow, "array", relied_on=False),
    Endpoint("opportunities.list", "GET", "/api/opportunities", Opportunity, "items"),
    Endpoint(
        "opportunities.create", "POST", "/api/opportunities/create", OpportunityCreated, "array",
        OpportunityCreate, True,
    ),
    Endpoint("engineering_sync.import", "POST", "/api/engineeringsync/importjson", ErrorBody, "object",
             BomImport),
    Endpoint("companies.list", "GET", "/api/companies", Company, "items", relied_on=False),
    Endpoint("purchase_orders.list", "GET", "/api/purchaseOrders", PurchaseOrder, "redirect",
             query=("statuses",), relied_on=False),
    Endpoint("purchase_orders.get", "GET", "/api/purchaseOrders/{Number}", PurchaseOrder,
             relied_on=False),
)  # fmt: skip
"""Every call the client makes. Paths are templates; ``{Id}``-style parts are path parameters."""

_BY_NAME = {e.name: e for e in ENDPOINTS}


def endpoint(name: str) -> Endpoint:
    return _BY_NAME[name]


SPEC_PATH = "/swagger/v1/swagger.json"
"""Where the sandbox serves its OpenAPI document (where ASP.NET apps usually serve theirs)."""

PAGE_SIZE = 500
"""``take`` for V2 paged lists (500 was seen to work)."""

IMPORT_COLUMNS: tuple[str, ...] = (
    "MaterialName", "Location", "Cost", "Margin", "BudgetGroup", "Status", "UoMGroup", "MRPType",
    "Description", "Note", "ExpenseOrCostOfGoodsSoldGLAccount", "DefaultCommonUoM", "Weight",
    "Manufacturer", "ManufacturerSKU", "ExternalID", "Stock", "GrainDirection", "ExternalApproval",
    "ExpenseUponReceipt", "Vendor", "VendorSKU", "LeadTime", "InventoryGLAccount",
    "AccountsPayableGLAccount",
)  # fmt: skip
"""INNERGY's material-import spreadsheet, columns in order (``MaterialName`` required)."""


def json_body(model: BaseModel) -> dict[str, Any]:
    """A write model as the JSON INNERGY takes: wire names, numbers as numbers."""
    return model.model_dump(mode="json", by_alias=True)
