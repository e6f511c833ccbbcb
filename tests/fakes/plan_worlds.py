"""Generated plan worlds: a master as people type it, INNERGY's listing as it comes off the
wire, PPak items and a sync baseline, for tests that run two paths over the same inputs.

Every value is drawn from a small pool so that the cases the diff has rules for happen
often: one SKU in several spellings (a duplicate, or a rename when the INNERGY ID stays),
records entered by hand (no external id), two records sharing an external id, an INNERGY
ID named by two rows, names another record holds, bad cells (``$1,39.50``, ``#REF!``, a
date in Cost, an unmapped unit), ``(clear)``, inactive rows, PPak codes mapped and not,
and masters far smaller than INNERGY's library (mass deactivation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from canonical.models import InnergyMaterial, Material
from sheets_sync.master.tabs import (
    MAP_MATERIAL_SKU,
    MAP_PHASE,
    MAP_STATUS,
    MAP_UOM,
    MASTER,
    MASTER_FIELDS,
    SPECS,
)

__all__ = ["PlanWorld", "plan_worlds"]

SKUS = ("M-000", "m-001", " M-002 ", "A-1", "", "#REF!")
NAMES = ("Maple Ply 3/4", "maple ply 3/4", "Oak Veneer", "Hinge 110", "Edge Band", "Screw #8", "=1+1")
COSTS = ("10.00", "10.0001", "10.00004", "121.50", "3.7969", "0.0156", "1204", 12, 10.5)
BAD_COSTS = ("$1,39.50", "#REF!", datetime(2026, 1, 5), "", "-4", "ten", "(clear)")
TEXTS = (None, "", "Acme", "acme", " Acme ", "Ac  me", "(clear)", "<script>x</script>", "\u05e9\u05dc")
UNITS = ("EA", "ea", "SHT", "BOX")
ACTIVE = (True, False, None, "TRUE", "no", "maybe")
SYNCED = (None, "2026-01-05 08:00:00", "yesterday")
MARGINS = (None, "25%", "0.25", "0.2593", "(clear)", "x")
WIRE_COSTS = (10, 10.0001, 10.00004, 121.5, 3.7969, 0.0156, 3.5712, 1204)
GROUPS = (("Each", "EA"), ("SF", "4'x8'"), (None, None))


@dataclass(frozen=True)
class PlanWorld:
    tabs: dict[str, list[list[Any]]]
    """The master and mapping tabs as a workbook read returns them."""
    listing: list[dict[str, Any]]
    """INNERGY's material records as its listing's JSON holds them."""
    ppak: list[Material]
    """PPak's library items as ``ppak-import`` writes them."""
    baseline: dict[str, InnergyMaterial]
    """INNERGY's records as of the last sync, by INNERGY id (the journal's)."""


def _mostly(draw: st.DrawFn, good: tuple[Any, ...], bad: tuple[Any, ...], odds: int = 8) -> Any:
    """A value of ``good``, or one time in ``odds`` a value of ``bad``."""
    return draw(st.sampled_from(bad if bad and draw(st.integers(0, odds - 1)) == 0 else good))


def _spelled(draw: st.DrawFn, sku: str) -> str:
    """The SKU as typed: mostly as is, sometimes in another case or with spaces (same key)."""
    return _mostly(draw, (sku,), (sku.lower(), f" {sku} "))


@st.composite
def _master_row(draw: st.DrawFn, sku: str, name: str, innergy_id: str | None) -> list[Any]:
    cells: dict[str, Any] = dict.fromkeys(MASTER_FIELDS)
    cells.update(
        {
            "SKU": _mostly(draw, (sku,), ("", "#REF!"), 25),
            "Name": _mostly(draw, (name,), ("", *NAMES), 10),
            "Category": draw(st.sampled_from(("Sheet Goods", "Hardware", "hardware "))),
            "UoM": _mostly(draw, ("EA", "ea", "SHT"), ("BOX",), 12),
            "Cost": _mostly(draw, COSTS, BAD_COSTS, 10),
            "Description": draw(st.sampled_from(TEXTS)),
            "Vendor": draw(st.sampled_from(TEXTS)),
            "Notes": draw(st.sampled_from(TEXTS)),
            "Margin %": _mostly(draw, MARGINS[:-1], MARGINS[-1:], 12),
            "Active": _mostly(draw, (True, True, None, "TRUE", False), ("no", "maybe"), 12),
            "INNERGY ID": innergy_id,
            "Last Synced": _mostly(draw, SYNCED[:2], SYNCED[2:], 12),
        }
    )
    return [cells[header] for header in MASTER_FIELDS]


@st.composite
def _record(draw: st.DrawFn, innergy_id: str, external_id: str | None, name: str) -> dict[str, Any]:
    group, common = draw(st.sampled_from(GROUPS))
    cost = draw(st.sampled_from(WIRE_COSTS))
    return {
        "Id": innergy_id,
        "MaterialName": _mostly(draw, (name,), NAMES, 6),
        "Description": draw(st.sampled_from((None, "Acme", "Ac  me", "other"))),
        "ExternalId": external_id,
        "BudgetGroup": draw(st.sampled_from(("Sheet Goods", "Hardware"))),
        "Location": None,
        "UoMGroup": group,
        "DefaultCommonUoM": common,
        "Cost": {"Value": cost, "OriginalValue": draw(st.sampled_from((cost, 12.5))), "CurrencyCode": "USD"},
        "Margin": draw(st.sampled_from((None, 0.25, 0.2593))),
        "Status": _mostly(draw, ("Active",), ("Inactive",), 5),
        "Manufacturer": None,
        "ManufacturerSKU": None,
        "Vendor": draw(st.sampled_from((None, "Acme", "acme"))),
        "VendorSKU": None,
        "LeadTime": None,
        "Weight": None,
        "Note": None,
        "MRPType": draw(st.sampled_from((None, "Purchased"))),
        "CreatedOn": "2026-01-05T08:00:00.000000Z",
        "ModifiedOn": None,
    }


PRESENCE = ("both", "both", "both", "master", "innergy", "renamed", "hand", "shared")
"""How one material of a world exists: in both (matched by SKU), only in the master (a
create), only in INNERGY (a deactivation), renamed in the master (its INNERGY ID kept),
entered by hand in INNERGY (matched by name), or held by two INNERGY records at once."""


def _mapping_tabs(bad_unit: bool, ppak_to: str) -> dict[str, list[list[Any]]]:
    uoms = [["EA", "EA", "Each", "EA", ""], ["SHT", "SHT", "SF", "4'x8'", "32"]]
    if bad_unit:
        uoms.append(["BOX", "BOX", "Each", "BOX", "0"])
    return {
        MAP_STATUS: [list(SPECS[MAP_STATUS].headers)],
        MAP_PHASE: [list(SPECS[MAP_PHASE].headers)],
        MAP_MATERIAL_SKU: [list(SPECS[MAP_MATERIAL_SKU].headers), ["PP-7", ppak_to, ""]],
        MAP_UOM: [list(SPECS[MAP_UOM].headers), *uoms],
    }


@st.composite
def _ppak_item(draw: st.DrawFn) -> Material:
    code = draw(st.sampled_from(("PP-7", "M-000", "Z-9", "m-001")))
    return Material(
        sku=code,
        name=draw(st.sampled_from(NAMES[:6])),
        category="Hardware",
        uom=draw(st.sampled_from(("EA", "SHT", "SF"))),
        cost=Decimal(draw(st.sampled_from(("10.00", "48.2", "1204.00", "121.5")))),
        description=draw(st.sampled_from((None, "Acme", "other"))),
        ppak_skus=(code,),
    )


@st.composite
def plan_worlds(draw: st.DrawFn, max_materials: int = 12) -> PlanWorld:
    """A world of up to ``max_materials`` materials, each present as ``PRESENCE`` says,
    then a few rows and records drawn from the pools (duplicates, name clashes)."""
    presences = draw(st.lists(st.sampled_from(PRESENCE), max_size=max_materials))
    if draw(st.integers(0, 7)) == 0:  # a block of rows lost from the master: mass deactivation
        presences += ["innergy"] * draw(st.integers(6, 9))
    ids = iter(f"00000000-0000-0000-0000-{i:012}" for i in range(1, 100))
    rows, listing = [], []
    for i, presence in enumerate(presences):
        sku, name = f"M-{i:03}", f"{draw(st.sampled_from(NAMES[:6]))} {i}"
        if presence in ("both", "innergy", "renamed", "shared"):
            innergy_id = next(ids)
            listing.append(draw(_record(innergy_id, _spelled(draw, sku), name)))
            if presence == "shared":
                listing.append(draw(_record(next(ids), sku, name)))
        if presence == "hand":
            listing.append(draw(_record(next(ids), None, name)))
        if presence in ("both", "master", "hand", "shared"):
            named = innergy_id if presence == "both" and draw(st.booleans()) else None
            rows.append(draw(_master_row(_spelled(draw, sku), name, named)))
        if presence == "renamed":
            rows.append(draw(_master_row(f"{sku}-R", name, innergy_id)))
    for _ in range(draw(st.integers(0, 2))):  # strays: a repeated SKU, a taken name, a stolen ID
        taken = [record["Id"] for record in listing]
        stolen = draw(st.sampled_from(taken)) if taken and draw(st.booleans()) else None
        rows.append(draw(_master_row(draw(st.sampled_from(SKUS)), draw(st.sampled_from(NAMES)), stolen)))
    rows = draw(st.permutations(rows))
    tabs = {
        MASTER: [list(MASTER_FIELDS), *rows],
        **_mapping_tabs(draw(st.booleans()), draw(st.sampled_from(("M-000", "Q-0")))),
    }
    ppak = draw(st.lists(_ppak_item(), max_size=4))
    baseline = {}
    for record in draw(st.lists(st.sampled_from(listing), unique_by=lambda r: r["Id"])) if listing else []:
        baseline[record["Id"]] = InnergyMaterial(
            innergy_id=record["Id"],
            external_id=record["ExternalId"],
            name=draw(st.sampled_from((record["MaterialName"], *NAMES[:3]))),
            category=record["BudgetGroup"],
            uom_group=record["UoMGroup"],
            common_uom=record["DefaultCommonUoM"],
            cost=Decimal(str(draw(st.sampled_from(WIRE_COSTS)))),
            active=True,
        )
    return PlanWorld(tabs, listing, ppak, baseline)
