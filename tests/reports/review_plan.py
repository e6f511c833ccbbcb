"""A plan holding what a reviewer must not miss, and names that try to break the page.

Built by ``build_plan`` from real inputs (no hand-made changes): a 40 % price rise, a PPak
price 32 times the master's (a price per square foot read as per sheet), a rename, a
deactivation, a PPak item with no master row, and material names that are HTML, Markdown
and table syntax.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from canonical import InnergyMaterial, Library, Material, UomMapping
from canonical.plan import Plan, build_plan

HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "Oak | Maple",
    "`rm -rf` **bold** [x](javascript:alert(1))",
)
"""Material names as typed into the master: each must show as exactly this text."""
NOW = datetime(2026, 12, 3, 13, 35, tzinfo=UTC)
EA = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="Each", innergy_common_uom="EA")
PRICED = "PULL-96"
"""Its cost goes from 10.00 to 14.00: +40 %."""
TRAPPED = "PLY-WO-34"
"""PPak prices it 112.00 against the master's 3.50 (x32: a per-SF price read per sheet)."""
RENAMED = "HINGE-110"
GONE = "RETIRED-1"
NEW_PPAK = "EB-WO-15/16"


def _row(sku: str, name: str, cost: str) -> Material:
    return Material(sku=sku, name=name, category="Hardware", uom="EA", cost=Decimal(cost))


def _record(sku: str, name: str, cost: str) -> InnergyMaterial:
    return InnergyMaterial(
        innergy_id=f"id-{sku}", external_id=sku, name=name, category="Hardware",
        uom_group="Each", common_uom="EA", cost=Decimal(cost),
    )  # fmt: skip


def review_plan() -> Plan:
    master = (
        *(_row(f"HOSTILE-{i}", name, "1.00") for i, name in enumerate(HOSTILE)),
        _row(PRICED, "Bar Pull 96mm", "14.00"),
        _row(TRAPPED, "3/4 White Oak Ply", "3.50"),
        _row(RENAMED, "Blum Hinge 110° Inset", "4.12"),
    )
    innergy = [
        _record(PRICED, "Bar Pull 96mm", "10.00"),
        _record(TRAPPED, "3/4 White Oak Ply", "3.50"),
        _record(RENAMED, "Blum Hinge 110", "4.12"),
        _record(GONE, "Old Slide 20in", "9.00"),
    ]
    ppak = [
        Material(sku=TRAPPED, name="3/4 WO Ply", category="Sheet Goods", uom="EA", cost=Decimal("112.00"),
                 ppak_skus=(TRAPPED,)),
        Material(sku=NEW_PPAK, name=HOSTILE[1], category="Edgeband", uom="EA", cost=Decimal("0.245"),
                 ppak_skus=(NEW_PPAK,)),
    ]  # fmt: skip
    return build_plan(Library(materials=master, uoms=(EA,)), innergy, ppak=ppak, now=NOW)
