"""Between INNERGY's wire records and the canonical model, both ways, in one place.

The edit body is built from INNERGY's *current* record with only the approved fields
changed: INNERGY edits replace the whole record, so a partial body would wipe the rest.
Every field the record holds goes back, those we do not model included, as read; only
INNERGY's own fields (``Id``, ``CreatedOn``, ``ModifiedOn``) stay behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from operator import attrgetter
from typing import Any

from canonical.models import InnergyMaterial, Project, ProjectLine
from innergy_client import wire

__all__ = ["bom_import", "edit_body", "is_material_line", "opportunity_body", "to_canonical", "to_wire"]

FIELD_NAMES: Mapping[str, str] = {
    "name": "material_name",
    "description": "description",
    "external_id": "external_id",
    "category": "budget_group",
    "location": "location",
    "uom_group": "uom_group",
    "common_uom": "default_common_uom",
    "cost": "cost",
    "margin": "margin",
    "active": "status",
    "manufacturer": "manufacturer",
    "manufacturer_sku": "manufacturer_sku",
    "vendor": "vendor",
    "vendor_sku": "vendor_sku",
    "lead_time": "lead_time",
    "weight": "weight",
    "notes": "note",
}
"""``InnergyMaterial`` field -> ``wire.MaterialWrite`` attribute, for every writable field."""

_wire_values = attrgetter(*FIELD_NAMES.values())
"""A wire material's values of ``FIELD_NAMES``, in its order (one C call)."""
_ALIASES = {name: info.alias or name for name, info in wire.MaterialWrite.model_fields.items()}


def to_canonical(record: wire.Material) -> InnergyMaterial:
    """A wire material in canonical names and types (cost is ``Cost.Value``).

    Built without validating again: the wire model has already validated every value into
    the very type the canonical field declares (str, Decimal, bool, datetime, or None) and
    ``InnergyMaterial`` has no validators, so validating again (0.7 s of a 50,000-record
    plan) could only return the same values. ``tests/innergy_client/test_mapping_construct.py``
    holds this to the validated model.
    """
    values = dict(zip(FIELD_NAMES, _wire_values(record), strict=True))
    values["cost"] = record.cost.value if record.cost else None
    values["active"] = record.status == "Active"
    values |= {"innergy_id": record.id, "created_on": record.created_on, "modified_on": record.modified_on}
    return InnergyMaterial.from_valid(values)


def _wire_value(field: str, value: Any, currency: str | None = "USD") -> Any:
    if field == "active":
        return "Active" if value in (None, True) else "Inactive"
    if field == "cost" and value is not None:
        return wire.Money(value=value, original_value=value, currency_code=currency)
    return value


def to_wire(material: InnergyMaterial) -> wire.MaterialWrite:
    """The create body for a canonical material (the id and timestamps are INNERGY's)."""
    return wire.MaterialWrite.model_validate(
        {attr: _wire_value(field, getattr(material, field)) for field, attr in FIELD_NAMES.items()}
    )


def edit_body(current: wire.Material, changes: Mapping[str, Any]) -> wire.MaterialWrite:
    """INNERGY's current record with ``changes`` applied: the whole body of an edit.

    ``changes`` maps ``InnergyMaterial`` field names to new values (``None`` clears the
    field); every other field, modelled or not, keeps INNERGY's current value. Unknown
    names raise ``KeyError``: a misspelt field must not be silently dropped.
    """
    body = {
        name: value
        for name, value in current.model_dump(by_alias=True).items()
        if name not in wire.READ_ONLY_MATERIAL_FIELDS
    }
    currency = current.cost.currency_code if current.cost else "USD"
    for field, value in changes.items():
        body[_ALIASES[FIELD_NAMES[field]]] = _wire_value(field, value, currency)
    return wire.MaterialWrite.model_validate(body)


def _target_margin(project: Project) -> Decimal | None:
    """PPak's estimated margin on the contract, as a fraction 0-1 (4 places), when it is one."""
    contract, cost = project.contract_amount, project.estimated_cost
    if not contract or cost is None or contract <= 0:
        return None
    margin = ((contract - cost) / contract).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)
    return margin if 0 <= margin <= 1 else None


def opportunity_body(project: Project, facility_id: str, bid_type_id: str) -> wire.OpportunityCreate:
    """The opportunity that becomes this project in INNERGY once won.

    The fields seen working carry what PPak knows; our external id (the PPak id, plus the
    change order) and the rest go in the assumed fields.
    """
    return wire.OpportunityCreate(
        name=project.name,
        facility_id=facility_id,
        bid_type_id=bid_type_id,
        projected_revenue=project.contract_amount,
        target_margin_percentage=_target_margin(project),
        substantial_completion_date=project.due_date,
        external_identifier=project.external_id,
        customer_name=project.customer,
        bid_due_date=project.bid_date,
        notes=project.notes,
        status=project.innergy_status,
        workflow_step_name=project.innergy_workflow_step,
    )


MATERIAL_LINE_TYPES = frozenset({"material", "buy"})
"""PPak line types sent as material BOM lines (a blank type counts as material)."""


def is_material_line(line: ProjectLine) -> bool:
    return line.line_type is None or line.line_type.strip().casefold() in MATERIAL_LINE_TYPES


def bom_import(project_identifier: str, user_email: str, lines: Iterable[ProjectLine]) -> wire.BomImport:
    """Engineering-sync body for one project's material lines (``EngineeringID`` = the line).

    Lines without a canonical SKU, quantity or unit, and lines of another type (labour,
    subcontract: their ``Type`` number is unknown), cannot be sent; callers report them
    as problems before calling this (a ``ValueError`` here means they did not).
    """
    items = []
    for line in lines:
        if not (line.sku and line.uom and line.quantity is not None and is_material_line(line)):
            raise ValueError(
                f"line {line.line} of project {line.project_id} is no material line with a SKU, unit "
                "and quantity"
            )
        items.append(
            wire.BomItem(
                name=line.sku,
                uom=line.uom,
                quantity=Decimal(line.quantity),
                engineering_id=f"{line.project_id}:{line.line}",
                type=wire.BOM_MATERIAL_TYPE,
            )
        )
    return wire.BomImport(
        logged_in_user_email=user_email, project_identifier=project_identifier, engineering_bom_items=items
    )
