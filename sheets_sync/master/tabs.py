"""Every contract tab: its name, headers, header row, and what the tool does to its columns.

Tab names and header texts are part of the user contract (architecture.md, "The
workbook"); this module is the one place that spells them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reports.plan import DIFF_INNERGY, DIFF_INNERGY_HEADER, DIFF_PPAK, DIFF_PPAK_HEADER, HEADER_ROW
from reports.rows import ISSUES, ISSUES_HEADER
from sheets_sync.workbook.base import CHANGE, MONEY, PERCENT, Dropdown, Style

__all__ = [
    "ALL_TABS",
    "DIFF_INNERGY",
    "DIFF_PPAK",
    "ISSUES",
    "MAPPING_TABS",
    "MAP_MATERIAL_SKU",
    "MAP_PHASE",
    "MAP_STATUS",
    "MAP_UOM",
    "MASTER",
    "MASTER_FIELDS",
    "SPECS",
    "SYNC_LOG",
    "SYNC_LOG_HEADER",
    "TabSpec",
]

MASTER = "MATERIAL_LIBRARY_MASTER"
MAP_STATUS = "MAP_STATUS"
MAP_PHASE = "MAP_PHASE"
MAP_MATERIAL_SKU = "MAP_MATERIAL_SKU"
MAP_UOM = "MAP_UOM"
SYNC_LOG = "SYNC_LOG"

MASTER_FIELDS: Mapping[str, str] = {
    "SKU": "sku",
    "Name": "name",
    "Description": "description",
    "Category": "category",
    "Subcategory": "subcategory",
    "UoM": "uom",
    "Purchase UoM": "purchase_uom",
    "Purchase Conversion": "purchase_conversion",
    "Thickness (in)": "thickness_in",
    "Width (in)": "width_in",
    "Length (in)": "length_in",
    "Species/Color": "species_color",
    "Grade": "grade",
    "Core": "core",
    "Manufacturer": "manufacturer",
    "Manufacturer SKU": "manufacturer_sku",
    "Vendor": "vendor",
    "Vendor SKU": "vendor_sku",
    "Cost": "cost",
    "Margin %": "margin",
    "Waste %": "waste",
    "Lead Time": "lead_time",
    "GL Account": "gl_account",
    "Taxable": "taxable",
    "Active": "active",
    "INNERGY ID": "innergy_id",
    "Last Synced": "last_synced",
    "Notes": "notes",
}
"""Master header -> ``Material`` field, in the contract's column order."""

SYNC_LOG_HEADER = (
    "Time",
    "Command",
    "Actor",
    "Run ID",
    "Plan ID",
    "Created",
    "Updated",
    "Deactivated",
    "Reactivated",
    "Stale",
    "Failed",
    "Outcome",
)


@dataclass(frozen=True)
class TabSpec:
    """One contract tab and how ``init-sheet`` sets it up."""

    name: str
    headers: tuple[str, ...]
    header_row: int = 1
    required: tuple[str, ...] = ()
    checkboxes: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    dropdowns: Mapping[str, Dropdown] = field(default_factory=dict)
    filter: bool = False
    fields: Mapping[str, str] = field(default_factory=dict)
    """Header -> canonical field name, for the tabs read into canonical objects."""
    number_formats: Mapping[str, str] = field(default_factory=dict)
    tool_tab: bool = False
    """A tab the tool writes whole (diff tabs, ISSUES): fitted to its content, every column
    but the checkboxes protected (an .xlsx sheet locked), ``wrap`` columns wrapped."""
    wrap: tuple[str, ...] = ()

    def style(self, **changes: object) -> Style:
        """The tab's formatting; ``changes`` override (row colours, extra drop-downs)."""
        options: dict[str, object] = {
            "header_row": self.header_row,
            "checkboxes": self.checkboxes,
            "dropdowns": self.dropdowns,
            "protected": self.protected,
            "filter": self.filter,
            "number_formats": self.number_formats,
        }
        if self.tool_tab:
            protected = tuple(h for h in self.headers if h not in self.checkboxes)
            options |= {"protected": protected, "locked": True, "fit": True, "wrap": self.wrap}
        options.update(changes)
        return Style(self.name, **options)  # type: ignore[arg-type]


_UOM_LIST = Dropdown(source=(MAP_UOM, "Canonical UoM"))

SPECS: Mapping[str, TabSpec] = {
    spec.name: spec
    for spec in (
        TabSpec(
            MASTER,
            tuple(MASTER_FIELDS),
            required=("SKU", "Name", "Category", "UoM", "Cost"),
            checkboxes=("Active", "Taxable"),
            protected=("INNERGY ID", "Last Synced"),
            dropdowns={"UoM": _UOM_LIST, "Purchase UoM": _UOM_LIST},
            filter=True,
            fields=MASTER_FIELDS,
            number_formats={"Cost": MONEY, "Margin %": PERCENT, "Waste %": PERCENT},
        ),
        TabSpec(
            MAP_STATUS,
            ("PPak Status", "Canonical Status", "INNERGY Status"),
            required=("PPak Status", "Canonical Status"),
            fields={
                "PPak Status": "ppak_status",
                "Canonical Status": "canonical_status",
                "INNERGY Status": "innergy_status",
            },
        ),
        TabSpec(
            MAP_PHASE,
            ("PPak Phase", "Canonical Phase", "INNERGY Workflow Step"),
            required=("PPak Phase", "Canonical Phase"),
            fields={
                "PPak Phase": "ppak_phase",
                "Canonical Phase": "canonical_phase",
                "INNERGY Workflow Step": "innergy_workflow_step",
            },
        ),
        TabSpec(
            MAP_MATERIAL_SKU,
            ("PPak SKU", "Canonical SKU", "Notes"),
            required=("PPak SKU", "Canonical SKU"),
            fields={"PPak SKU": "ppak_sku", "Canonical SKU": "canonical_sku", "Notes": "notes"},
        ),
        TabSpec(
            MAP_UOM,
            ("Source UoM", "Canonical UoM", "INNERGY UoM Group", "INNERGY Common UoM", "Base Units per UoM"),
            required=("Source UoM", "Canonical UoM"),
            fields={
                "Source UoM": "source_uom",
                "Canonical UoM": "canonical_uom",
                "INNERGY UoM Group": "innergy_uom_group",
                "INNERGY Common UoM": "innergy_common_uom",
                "Base Units per UoM": "base_units_per_uom",
            },
        ),
        *(
            TabSpec(
                name,
                header,
                HEADER_ROW,
                checkboxes=("Approve",),
                filter=True,
                number_formats={"Δ %": CHANGE},
                tool_tab=True,
                wrap=("Changes",),
            )
            for name, header in ((DIFF_INNERGY, DIFF_INNERGY_HEADER), (DIFF_PPAK, DIFF_PPAK_HEADER))
        ),
        TabSpec(ISSUES, ISSUES_HEADER, filter=True, tool_tab=True, wrap=("Message",)),
        TabSpec(SYNC_LOG, SYNC_LOG_HEADER),
    )
}

MAPPING_TABS = (MAP_STATUS, MAP_PHASE, MAP_MATERIAL_SKU, MAP_UOM)
ALL_TABS = tuple(SPECS)
