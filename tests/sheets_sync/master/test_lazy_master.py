"""The master's clean rows are held as values: a plan builds the models of the rows it names."""

from __future__ import annotations

from decimal import Decimal

from canonical.lazy import LazyModels
from canonical.models import Material
from canonical.plan import build_plan
from canonical.projection import project_material
from canonical.serialize import jsonl_chunks
from sheets_sync.master.reader import parse_library, reference_parse_library
from sheets_sync.master.tabs import MAP_UOM, MASTER
from tests.fakes.master_tab import master_tab

UOM_TAB = [
    ["Source UoM", "Canonical UoM", "INNERGY UoM Group", "INNERGY Common UoM", "Base Units per UoM"],
    ["EA", "EA", "Each", "EA", None],
]


def test_a_plan_of_a_read_master_builds_only_the_rows_it_names() -> None:
    rows = [
        Material(sku=f"SKU-{i}", name=f"M {i}", category="Hardware", uom="EA", cost=Decimal(i) / 4)
        for i in range(1_000)
    ]
    tabs = {MASTER: master_tab(rows), MAP_UOM: UOM_TAB}
    tabs[MASTER][7][2] = "(clear)"  # a row read cell by cell (its Description cleared): built as read
    library, problems, _ = parse_library(tabs)
    materials = library.materials
    assert isinstance(materials, LazyModels) and materials.built == 1, problems
    reference = reference_parse_library(tabs)[0]
    records = [
        project_material(m, library).model_copy(update={"innergy_id": f"id-{n}"})
        for n, m in enumerate(reference.materials[:-4])
    ]

    plan = build_plan(library, records[::2] + records[1::2], inputs={"master": "m", "innergy": "i"})

    assert [c.action for c in plan.changes] == ["create"] * 4
    assert materials.built == 1 + 4
    assert b"".join(jsonl_chunks(materials)) == b"".join(jsonl_chunks(reference.materials))
    assert materials.built == 1 + 4
    assert library == reference
