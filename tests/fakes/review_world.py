"""A plan written for review into a workbook of either backend, on the demo's data.

The demo's master and mapping tabs (typed in as the demo types them), INNERGY drifted as
the demo drifts it (creates, updates, one cost 40 % off, deactivations, a reactivation),
a master row with a bad cost (a problem for ISSUES), and a PPak library with a price off
by a unit factor (58.40 a sheet exported as 1,483.36, 25.4 times as much) and an item the
master lacks. ``plan_for_review`` runs ``init-sheet`` and ``plan`` on it, as a person would.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from canonical.models import Material
from canonical.serialize import to_jsonl
from sheets_sync.commands.init_sheet import init_sheet
from sheets_sync.commands.plan import PlanRun, run_plan
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.master.tabs import MASTER, SPECS
from sheets_sync.routines.demo_data import demo_innergy_library, demo_materials, demo_tabs
from sheets_sync.workbook import Rewrite

__all__ = ["BAD_SKU", "NEW_SKU", "TRAP_SKU", "plan_for_review"]

TRAP_SKU = "MEL34-WHI-49X97"
"""A master row priced 58.40 a sheet whose PPak price is 25.4 times that."""
NEW_SKU = "PPAK-NEW-1"
BAD_SKU = "BAD-COST-1"


def _fill(settings: Settings) -> list[Material]:
    """The demo's tabs, and one master row whose cost is not a number (an ISSUES row)."""
    tabs = demo_tabs()
    tabs[MASTER].append([BAD_SKU if h == "SKU" else "abc" if h == "Cost" else "x" for h in tabs[MASTER][0]])
    with open_workbook(settings) as workbook:
        workbook.write([Rewrite(tab, rows, SPECS[tab].style()) for tab, rows in tabs.items()])
    return demo_materials()


def _ppak_library(materials: list[Material], output_dir: Path) -> None:
    trap = next(m for m in materials if m.sku == TRAP_SKU)
    items = [
        trap.model_copy(update={"cost": (trap.cost * Decimal("25.4")).quantize(Decimal("0.01"))}),
        Material(sku=NEW_SKU, name="Hinge 110 degree", category="Hardware", uom="EA", cost=Decimal("3.10")),
    ]
    path = output_dir / "canonical" / "ppak_materials.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_jsonl(items), encoding="utf-8")


def plan_for_review(settings: Settings) -> PlanRun:
    """``init-sheet``, the demo's tabs, then ``plan`` against the drifted INNERGY library."""
    init_sheet(settings)
    materials = _fill(settings)
    _ppak_library(materials, settings.output_dir)
    records = demo_innergy_library(materials)
    with open_workbook(settings) as workbook:
        return run_plan(workbook, lambda: (records, [], "records given by the test"), settings.output_dir)
