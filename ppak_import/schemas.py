"""What each PPak export holds: its columns, their header synonyms and how each is read.

Files and columns are found by header NAME, never by position: a file is recognised by
the schema whose required headers its header row carries (the best-matching schema
wins), and every column by any of its synonyms, matched by ``header_key``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from canonical.normalize import clean_text, parse_bool, parse_date, parse_decimal, parse_money, parse_percent

__all__ = ["MATERIALS", "SCHEMAS", "Field", "Schema", "header_key", "match_header"]

Parser = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    name: str
    headers: tuple[str, ...]
    parse: Parser = clean_text
    required: bool = False
    """The header must be present for the file to be of this kind."""


@dataclass(frozen=True)
class Schema:
    kind: str
    """``materials``, ``projects`` or ``lines``: which canonical output the rows feed."""
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


_PUNCT = re.compile(r"[.:]+")
_WS = re.compile(r"\s+")


def header_key(text: str) -> str:
    """A header as matched: case-folded, ``.``/``:`` dropped, white space folded."""
    return _WS.sub(" ", _PUNCT.sub("", text)).strip().casefold()


def _decimal(raw: Any) -> Any:
    return parse_decimal(raw, "number")


CODE = ("Item Code", "Item #", "Item No", "Item Number", "Part Number", "Part #", "Code", "Item")
DESCRIPTION = ("Description", "Desc", "Item Description")
UOM = ("UOM", "Unit", "Units", "Stock UOM", "Stock Unit", "U/M")
VENDOR = ("Vendor", "Supplier", "Vendor Name")
WASTE = ("Waste %", "Waste", "Waste Pct")
MARKUP = ("Markup %", "Markup", "Mark Up %", "OH %", "Overhead %")

MATERIALS = Schema(
    "materials",
    (
        Field("code", CODE, required=True),
        Field("description", DESCRIPTION, required=True),
        Field("division", ("Division", "Category")),
        Field("subdivision", ("SubDivision", "Sub Division", "Sub-Division", "Subcategory")),
        Field("uom", UOM, required=True),
        Field("purchase_uom", ("Purch UOM", "Purchase UOM", "Purchase Unit", "PO UOM")),
        Field("conversion", ("Conv", "Conversion", "Conv Factor", "Purch Conv"), _decimal),
        Field("thickness", ("Thick", "Thickness"), _decimal),
        Field("width", ("Width",), _decimal),
        Field("length", ("Length",), _decimal),
        Field("species_color", ("Species/Color", "Species", "Color")),
        Field("grade", ("Grade",)),
        Field("core", ("Core",)),
        Field("manufacturer", ("Manufacturer", "Mfr", "Mfg")),
        Field("manufacturer_sku", ("Manufacturer SKU", "Mfr #", "Mfr Part #")),
        Field("vendor", VENDOR),
        Field("vendor_sku", ("Vendor Stock #", "Vendor Part #", "Vendor SKU", "Vendor Item #")),
        Field("price", ("Price", "Cost", "Unit Cost", "Unit Price"), parse_money, required=True),
        Field("price_date", ("Price Date", "Last Date", "Last Price Date"), parse_date),
        Field("markup", MARKUP, parse_percent),
        Field("waste", WASTE, parse_percent),
        Field("lead_time", ("Lead Time", "Lead")),
        Field("gl_account", ("GL Cost Type", "GL Account", "Cost Type")),
        Field("taxable", ("Tax", "Taxable", "Tax?"), parse_bool),
        Field("inactive", ("Inactive",), parse_bool),
        Field("notes", ("Notes", "Stock Note")),
    ),
)

PROJECT_ID = ("Project ID", "Project #", "Project No", "Project Number", "Job #", "Job ID")

PROJECTS = Schema(
    "projects",
    (
        Field("project_id", PROJECT_ID, required=True),
        Field("name", ("Project Name", "Job Name", "Name"), required=True),
        Field("customer", ("Customer", "Client", "Customer Name")),
        Field("city", ("Site City", "City")),
        Field("state", ("ST", "State")),
        Field("estimator", ("Estimator",)),
        Field("project_manager", ("Project Mgr", "Project Manager", "PM")),
        Field("status", ("Status", "Project Status")),
        Field("phase", ("Phase", "Stage")),
        Field("bid_date", ("Bid Date",), parse_date),
        Field("award_date", ("Award Date",), parse_date),
        Field("due_date", ("Due Date", "Completion Date"), parse_date),
        Field("contract_amount", ("Contract Amt", "Contract Amount", "Contract"), parse_money),
        Field("estimated_cost", ("Est Cost", "Estimated Cost"), parse_money),
        Field("grade", ("Grade",)),
        Field("job_type", ("Job Type",)),
        Field("notes", ("Notes",)),
    ),
)

LINES = Schema(
    "lines",
    (
        Field("project_id", PROJECT_ID, required=True),
        Field("estimate_rev", ("Est Rev", "Estimate Rev", "Rev")),
        Field("line", ("Line", "Line #", "Line No"), required=True),
        Field("line_type", ("Line Type", "Type")),
        Field("area", ("Area", "Room", "Location")),
        Field("code", CODE, required=True),
        Field("description", DESCRIPTION),
        Field("quantity", ("Qty", "Quantity"), _decimal, required=True),
        Field("uom", UOM),
        Field("unit_cost", ("Unit Cost", "Cost", "Unit Price"), parse_money),
        Field("extended_cost", ("Ext Cost", "Extended Cost", "Ext"), parse_money),
        Field("waste", WASTE, parse_percent),
        Field("markup", MARKUP, parse_percent),
        Field("sell", ("Sell", "Sell Price", "Ext Sell"), parse_money),
        Field("vendor", VENDOR),
        Field("work_order", ("WO #", "Work Order", "WO")),
        Field("need_by", ("Need By", "Need Date", "Required Date"), parse_date),
    ),
)

SCHEMAS: tuple[Schema, ...] = (MATERIALS, PROJECTS, LINES)


def _columns(schema: Schema, header: Sequence[str]) -> dict[str, int]:
    keys = [header_key(h) for h in header]
    found: dict[str, int] = {}
    for field in schema.fields:
        wanted = {header_key(h) for h in field.headers}
        position = next((i for i, k in enumerate(keys) if k in wanted and i not in found.values()), None)
        if position is not None:
            found[field.name] = position
    return found


def match_header(header: Sequence[str]) -> tuple[Schema, dict[str, int]] | None:
    """The schema a header row belongs to and each field's column, or ``None``."""
    best: tuple[Schema, dict[str, int]] | None = None
    for schema in SCHEMAS:
        columns = _columns(schema, header)
        if all(f.name in columns for f in schema.fields if f.required) and (
            best is None or len(columns) > len(best[1])
        ):
            best = (schema, columns)
    return best
