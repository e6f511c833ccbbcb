"""Realistic sample data for `matsync demo`: a shop's master, its mappings, a drifted INNERGY.

Deterministic (no randomness), so two demo runs show the same story: a few hundred
materials across sheet goods, lumber, edgebanding, laminate, hardware and finishes,
mapping tabs that cover the sample PPak exports, and an INNERGY library that has drifted
from the master in every way the plan can show.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import product
from typing import Any

from canonical.models import InnergyMaterial, Material, PhaseMapping, SkuMapping, StatusMapping, UomMapping
from canonical.projection import project_material

__all__ = ["demo_innergy_library", "demo_mappings", "demo_materials", "demo_tabs"]

D = Decimal

UOMS = (
    UomMapping(
        source_uom="SHT",
        canonical_uom="SHT",
        innergy_uom_group="SF",
        innergy_common_uom="4'x8'",
        base_units_per_uom=D(32),
    ),
    UomMapping(source_uom="Sheet", canonical_uom="SHT", innergy_uom_group="SF", innergy_common_uom="4'x8'"),
    UomMapping(source_uom="BF", canonical_uom="BF", innergy_uom_group="BF", innergy_common_uom="BF"),
    UomMapping(source_uom="Bd Ft", canonical_uom="BF", innergy_uom_group="BF", innergy_common_uom="BF"),
    UomMapping(source_uom="LF", canonical_uom="LF", innergy_uom_group="LF", innergy_common_uom="LF"),
    UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="EA", innergy_common_uom="EA"),
    UomMapping(
        source_uom="PR",
        canonical_uom="PR",
        innergy_uom_group="EA",
        innergy_common_uom="Pair",
        base_units_per_uom=D(2),
    ),
    UomMapping(source_uom="GAL", canonical_uom="GAL", innergy_uom_group="GAL", innergy_common_uom="GAL"),
    UomMapping(
        source_uom="PAIL",
        canonical_uom="PAIL",
        innergy_uom_group="GAL",
        innergy_common_uom="5 gal Pail",
        base_units_per_uom=D(5),
    ),
    UomMapping(
        source_uom="ROLL",
        canonical_uom="ROLL",
        innergy_uom_group="LF",
        innergy_common_uom="250' Roll",
        base_units_per_uom=D(250),
    ),
    UomMapping(
        source_uom="BOX",
        canonical_uom="BOX",
        innergy_uom_group="EA",
        innergy_common_uom="Box",
        base_units_per_uom=None,
    ),
    UomMapping(source_uom="HR", canonical_uom="HR", innergy_uom_group="HR", innergy_common_uom="HR"),
    UomMapping(source_uom="LS", canonical_uom="LS", innergy_uom_group="EA", innergy_common_uom="EA"),
)

STATUSES = (
    StatusMapping(ppak_status="Bid", canonical_status="Bidding", innergy_status="Open"),
    StatusMapping(ppak_status="In Progress", canonical_status="Active", innergy_status="Active"),
    StatusMapping(ppak_status="Complete", canonical_status="Complete", innergy_status="Closed"),
    StatusMapping(ppak_status="COMPLETED", canonical_status="Complete", innergy_status="Closed"),
)

PHASES = (
    PhaseMapping(ppak_phase="Estimating", canonical_phase="Estimating", innergy_workflow_step="Estimating"),
    PhaseMapping(
        ppak_phase="Engineering", canonical_phase="Engineering", innergy_workflow_step="Engineering"
    ),
    PhaseMapping(ppak_phase="Fabrication", canonical_phase="Production", innergy_workflow_step="Production"),
    PhaseMapping(ppak_phase="Punch List", canonical_phase="Closeout", innergy_workflow_step="Punch List"),
    PhaseMapping(ppak_phase="Closed", canonical_phase="Closed", innergy_workflow_step="Closed"),
)

SKU_MAP = (
    SkuMapping(
        ppak_sku="WDWOAK44-RS", canonical_sku="LUM-WO-44-RS", notes="PPak code predates the lumber SKUs"
    ),
)


def _sheet_goods() -> list[Material]:
    species = [("WO", "White Oak"), ("RO", "Red Oak"), ("MAP", "Maple"), ("WAL", "Walnut"), ("BIR", "Birch")]
    cores = [
        ("VC", "Veneer Core", D("1.00")),
        ("MDF", "MDF Core", D("0.92")),
        ("PB", "Particleboard", D("0.85")),
    ]
    thicknesses = [("14", D("0.25"), D("0.55")), ("12", D("0.5"), D("0.8")), ("34", D("0.75"), D("1.0"))]
    base = {"WO": D("142.85"), "RO": D("118.40"), "MAP": D("126.10"), "WAL": D("231.75"), "BIR": D("96.30")}
    out = []
    for (code, name), (core, core_name, core_f), (t_code, thick, t_f) in product(species, cores, thicknesses):
        out.append(
            Material(
                sku=f"PLY{code}{t_code}-{core}-4X8",
                name=f'{thick}" {name} Plain Sliced A-1 {core_name} 4x8',
                category="Sheet Goods",
                subcategory="Hardwood Plywood",
                uom="SHT",
                purchase_uom="SHT",
                purchase_conversion=D(1),
                thickness_in=thick,
                width_in=D(48),
                length_in=D(96),
                species_color=name,
                grade="A-1",
                core=core_name,
                vendor="Columbia Forest Products",
                cost=(base[code] * core_f * t_f).quantize(D("0.01")),
                margin=D("0.2593"),
                waste=D("0.10"),
                lead_time="2 wks",
                gl_account="5010 Material - Sheet",
                taxable=False,
            )
        )
    for color, price in [("White", "58.40"), ("Almond", "61.20"), ("Grey", "61.20"), ("Black", "66.90")]:
        out.append(
            Material(
                sku=f"MEL34-{color[:3].upper()}-49X97",
                name=f"3/4 TFM {color} 49x97 PB Core",
                category="Sheet Goods",
                subcategory="Melamine",
                uom="SHT",
                thickness_in=D("0.75"),
                width_in=D(49),
                length_in=D(97),
                species_color=color,
                core="Particleboard",
                vendor="Roseburg",
                cost=D(price),
                margin=D("0.2593"),
                gl_account="5010 Material - Sheet",
            )
        )
    return out


def _lumber() -> list[Material]:
    species = [("WO", "White Oak", D("9.75")), ("RO", "Red Oak", D("6.40")), ("MAP", "Hard Maple", D("7.10"))]
    species += [("WAL", "Walnut", D("14.20")), ("CH", "Cherry", D("10.85")), ("POP", "Poplar", D("3.95"))]
    quarters = [("44", "4/4", D(1)), ("54", "5/4", D("1.08")), ("84", "8/4", D("1.22"))]
    return [
        Material(
            sku=f"LUM-{code}-{q}-RS",
            name=f"{name} {q_name} FAS Rough",
            category="Solid Stock",
            subcategory="Hardwoods",
            uom="BF",
            species_color=name,
            grade="FAS",
            vendor="Hardwood Lumber Co.",
            cost=(price * factor).quantize(D("0.01")),
            margin=D("0.2593"),
            waste=D("0.25"),
            lead_time="1 wk",
            gl_account="5020 Material - Lumber",
        )
        for (code, name, price), (q, q_name, factor) in product(species, quarters)
    ]


def _edgebanding() -> list[Material]:
    colors = [
        "White",
        "Almond",
        "Grey",
        "Black",
        "White Oak",
        "Walnut",
        "Maple",
        "Cherry",
        "Birch",
        "Red Oak",
    ]
    widths = [("13/16", D("0.8125")), ("15/16", D("0.9375")), ("1-5/16", D("1.3125")), ("2", D("2"))]
    out = []
    for color, (w_name, width) in product(colors, widths):
        wood = color in {"White Oak", "Walnut", "Maple", "Cherry", "Birch", "Red Oak"}
        out.append(
            Material(
                sku=f"EB-{'W' if wood else 'P'}-{color.replace(' ', '')[:5].upper()}-{w_name}",
                name=f"{color} {'Veneer' if wood else 'PVC'} Edgeband {w_name} x 250' roll",
                category="Edgeband",
                subcategory="Wood Veneer" if wood else "PVC",
                uom="LF",
                purchase_uom="ROLL",
                purchase_conversion=D(250),
                width_in=width,
                species_color=color,
                vendor="Doellken",
                cost=(D("0.245") if wood else D("0.089")) * (width / D("0.9375")),
                margin=D("0.2593"),
                waste=D("0.15"),
                gl_account="5030 Material - Edgeband",
            )
        )
    return [m.model_copy(update={"cost": m.cost.quantize(D("0.0001"))}) for m in out]


def _laminate() -> list[Material]:
    patterns = [("7990-38", "Classic Walnut"), ("1573-60", "Frosty White"), ("4623-60", "Fawn Cypress")]
    patterns += [("7939-38", "Bannister Oak"), ("1595-60", "Black"), ("D354-60", "Designer White")]
    patterns += [("7964-38", "Dakota Walnut"), ("4924-38", "Kensington Maple"), ("1500-60", "Antique White")]
    sizes = [("4X8", D(48), D(96), D("128.00")), ("5X12", D(60), D(144), D("212.00"))]
    return [
        Material(
            sku=f"LAMWI-{pattern}-{size}",
            name=f"Wilsonart {pattern} {color} HGS .048 {size.replace('X', 'x')}",
            category="Laminate",
            subcategory="HPL",
            uom="SHT",
            thickness_in=D("0.048"),
            width_in=width,
            length_in=length,
            species_color=color,
            grade="HGS",
            manufacturer="Wilsonart",
            manufacturer_sku=pattern,
            vendor="Wilsonart",
            cost=price,
            margin=D("0.2593"),
            waste=D("0.15"),
            lead_time="10 days",
            gl_account="5010 Material - Sheet",
        )
        for (pattern, color), (size, width, length, price) in product(patterns, sizes)
    ]


def _hardware() -> list[Material]:
    out = [
        Material(
            sku="HW-BLUM-71B3550",
            name="Blum CLIP top BLUMOTION 110° Full Overlay Hinge",
            category="Hardware",
            subcategory="Hinges",
            uom="EA",
            purchase_uom="BOX",
            purchase_conversion=D(50),
            manufacturer="Blum",
            manufacturer_sku="71B3550",
            vendor="Richelieu",
            vendor_sku="71B3550",
            cost=D("4.12"),
            margin=D("0.2308"),
            gl_account="5040 Material - Hardware",
            taxable=True,
        )
    ]
    for length in range(12, 30, 2):
        out.append(
            Material(
                sku=f"HW-SLD-BB-{length}FE",
                name=f'{length}" Full Ext Ball Bearing Slide 100#',
                category="Hardware",
                subcategory="Slides",
                uom="PR",
                length_in=D(length),
                manufacturer="Accuride",
                manufacturer_sku=f"3832-{length}",
                vendor="Accuride",
                cost=(D("12.30") + D("0.33") * length).quantize(D("0.01")),
                margin=D("0.2308"),
                gl_account="5040 Material - Hardware",
                taxable=True,
            )
        )
    finishes = ["Satin Nickel", "Matte Black", "Brushed Brass", "Polished Chrome", "Stainless", "Oil Bronze"]
    for finish, centers in product(finishes, [96, 128, 160, 192, 224, 256]):
        out.append(
            Material(
                sku=f"HW-PULL-{finish.replace(' ', '')[:6].upper()}-{centers}",
                name=f"Bar Pull {centers}mm {finish}",
                category="Hardware",
                subcategory="Pulls",
                uom="EA",
                species_color=finish,
                vendor="Richelieu",
                cost=(D("3.10") + D("0.021") * centers).quantize(D("0.01")),
                margin=D("0.2308"),
                gl_account="5040 Material - Hardware",
                taxable=True,
            )
        )
    return out


def _finishes() -> list[Material]:
    sheens = [10, 20, 25, 35, 50]
    products = [("CV-CLR", "Sher-Wood CV Clear", D("48.20")), ("PL-CLR", "Pre-Cat Lacquer Clear", D("36.75"))]
    products += [
        ("CV-WHT", "Sher-Wood CV White", D("52.90")),
        ("STN-NAT", "Wiping Stain Natural", D("41.10")),
    ]
    return [
        Material(
            sku=f"FIN-{code}-{sheen}SH",
            name=f"Sherwin-Williams {name} {sheen}° sheen, 1 gal",
            category="Finishing",
            subcategory="Coatings",
            uom="GAL",
            purchase_uom="PAIL",
            purchase_conversion=D(5),
            manufacturer="Sherwin Williams",
            vendor="Sherwin Williams",
            cost=price,
            margin=D("0.2"),
            waste=D("0.05"),
            gl_account="5050 Material - Finish",
        )
        for (code, name, price), sheen in product(products, sheens)
    ]


def demo_materials() -> list[Material]:
    """The master: a few hundred materials, every one valid."""
    return [*_sheet_goods(), *_lumber(), *_edgebanding(), *_laminate(), *_hardware(), *_finishes()]


def demo_mappings() -> tuple[
    tuple[StatusMapping, ...], tuple[PhaseMapping, ...], tuple[SkuMapping, ...], tuple[UomMapping, ...]
]:
    """MAP_STATUS, MAP_PHASE, MAP_MATERIAL_SKU and MAP_UOM covering the sample exports."""
    return STATUSES, PHASES, SKU_MAP, UOMS


def demo_innergy_library(materials: list[Material]) -> list[InnergyMaterial]:
    """INNERGY as it stands before the demo's first plan: mostly in step, drifted here and there.

    Every 25th master material is missing (a create), every 17th has another cost (an
    update), one costs 40 % less than the master says (an update the tab flags), three
    records are ours but gone from the master (deactivations), one is inactive though the
    master has it active (a reactivation), and one was typed in by hand with no external
    id (matched by name: an update that adopts it).
    """
    records: list[InnergyMaterial] = []
    for index, material in enumerate(materials):
        if index % 25 == 3:
            continue
        uom = next(u for u in UOMS if u.source_uom == material.uom)
        record = project_material(material, uom).model_copy(
            update={"innergy_id": f"00000000-0000-4000-8000-{index:012d}"}
        )
        if index % 17 == 5 and record.cost is not None:
            record = record.model_copy(update={"cost": (record.cost * D("0.93")).quantize(D("0.0001"))})
        if index == 30 and record.cost is not None:
            record = record.model_copy(update={"cost": (record.cost / D("1.4")).quantize(D("0.0001"))})
        if index == 40:
            record = record.model_copy(update={"active": False})
        if index == 41:
            record = record.model_copy(update={"external_id": None})
        records.append(record)
    for n, name in enumerate(
        ["Retired Maple Veneer Edgeband 7/8", "Old Slide 20in", "Discontinued Pull 3in"]
    ):
        records.append(
            InnergyMaterial(
                innergy_id=f"00000000-0000-4000-9000-{n:012d}",
                external_id=f"RETIRED-{n + 1}",
                name=name,
                category="Hardware",
                uom_group="EA",
                common_uom="EA",
                cost=D("1.0000"),
            )
        )
    return records


def demo_tabs() -> dict[str, list[list[Any]]]:
    """The master and the mapping tabs as an estimator would have typed them: each tab's
    header in the contract's column order, then one row per item."""
    from sheets_sync.master.tabs import MAP_MATERIAL_SKU, MAP_PHASE, MAP_STATUS, MAP_UOM, MASTER, SPECS

    statuses, phases, skus, uoms = demo_mappings()
    tables: dict[str, Sequence[Any]] = {
        MASTER: demo_materials(),
        MAP_STATUS: statuses,
        MAP_PHASE: phases,
        MAP_MATERIAL_SKU: skus,
        MAP_UOM: uoms,
    }
    tabs = {}
    for tab, items in tables.items():
        fields = SPECS[tab].fields  # header -> canonical field
        tabs[tab] = [list(fields), *([getattr(item, field) for field in fields.values()] for item in items)]
    return tabs
