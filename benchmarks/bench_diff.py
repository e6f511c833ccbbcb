"""The keyed diff at 100,000 materials (3 % changed, 1 % added, 1 % removed) against deepdiff.

Both sides are given as ``plan`` reads them (``LazyModels``: each record's values, a model
built only for a record a change names); the same diff over ready models is a second row.
The baseline is what a straightforward tool would do: DeepDiff of two dicts SKU -> record
(the fields INNERGY holds), over the same data, measured in the same run. Prints one table:
figure | value | baseline | ratio. Targets: diff under 0.5 s, at least 15x faster. The
median and CPU time of the same 5 runs show how much of the spread is the machine's.

    python benchmarks/bench_diff.py [--rows N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from decimal import Decimal

from _table import Row, compare, print_table
from deepdiff import DeepDiff

from canonical import InnergyMaterial, Library, Material, UomMapping
from canonical.diff import diff_materials
from canonical.lazy import LazyModels
from canonical.projection import COMPARED_FIELDS, project_material

ROWS, QUICK_ROWS = 100_000, 2_000

UOMS = (
    UomMapping(
        source_uom="SHT",
        canonical_uom="SHT",
        innergy_uom_group="Area",
        innergy_common_uom="4x8",
        base_units_per_uom=Decimal(32),
    ),
    UomMapping(source_uom="BF", canonical_uom="BF", innergy_uom_group="Board", innergy_common_uom="BF"),
    UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="Each", innergy_common_uom="EA"),
)


def make_data(rows: int) -> tuple[Library, list[InnergyMaterial]]:
    """A master of ``rows`` materials and INNERGY's library drifted from it."""
    units = ("SHT", "BF", "EA")
    master = [
        Material(
            sku=f"SKU-{i:06d}",
            name=f"Material {i} {units[i % 3]}",
            description=f"Description of material {i}" if i % 4 else None,
            category=f"Category {i % 40}",
            uom=units[i % 3],
            cost=Decimal(100 + i % 997) / 4,
            margin=Decimal("0.35"),
            vendor=f"Vendor {i % 60}",
            vendor_sku=f"V-{i}",
            lead_time="2 wks",
            notes="stock item" if i % 5 else None,
        )
        for i in range(rows)
    ]
    library = Library(materials=tuple(master), uoms=UOMS)
    uoms = {u.source_uom: u for u in UOMS}
    innergy = []
    for i, material in enumerate(master):
        if i % 100 == 1:  # 1 % added in the master: INNERGY does not have them yet
            continue
        record = project_material(material, uoms[material.uom]).model_copy(update={"innergy_id": f"id-{i}"})
        if i % 100 in (2, 3, 4):  # 3 % changed
            record = record.model_copy(update={"cost": record.cost + 1, "vendor": f"Other {i}"})
        innergy.append(record)
    for i in range(rows // 100):  # 1 % removed from the master
        innergy.append(InnergyMaterial(innergy_id=f"gone-{i}", external_id=f"GONE-{i}", name=f"Gone {i}"))
    return library, innergy


def held(library: Library, innergy: list[InnergyMaterial]) -> tuple[Library, LazyModels[InnergyMaterial]]:
    """Both sides as ``plan`` reads them: each record's values, its model built when named."""
    master = LazyModels(Material, [dict(vars(m)) for m in library.materials], Material.from_valid)
    values = [dict(vars(r)) for r in innergy]
    return library.model_copy(update={"materials": master}), LazyModels(
        InnergyMaterial, values, InnergyMaterial.from_valid
    )


def keyed(records: list[InnergyMaterial]) -> dict[str, dict[str, object]]:
    return {str(r.external_id): {f: getattr(r, f) for f in COMPARED_FIELDS} for r in records}


def run(quick: bool = False, *, rows: int | None = None) -> list[Row]:
    """The diff and DeepDiff over the same data; the goal applies at the issue's 100,000 rows."""
    rows = rows or (QUICK_ROWS if quick else ROWS)
    library, innergy = make_data(rows)

    timings, cpu = [], []
    for _ in range(5):
        master, records = held(library, innergy)  # fresh each run: a LazyModels keeps what it built
        start, started = time.perf_counter(), time.process_time()
        result = diff_materials(master, records)
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - started)
    ours = min(timings)
    models = []
    for _ in range(3):
        start = time.perf_counter()
        diff_materials(library, innergy)
        models.append(time.perf_counter() - start)
    counts = {a: sum(c.action == a for c in result.changes) for a in ("create", "update", "deactivate")}

    wanted = keyed([project_material(m, library) for m in library.materials])
    have = keyed(innergy)
    start = time.perf_counter()
    baseline = DeepDiff(have, wanted, threshold_to_diff_deeper=0)
    theirs = time.perf_counter() - start
    changed_rows = len({path.split("]")[0] for path in baseline.get("values_changed", {})})

    size = f"{rows:,} master / {len(innergy):,} INNERGY"
    timed = compare("diff wall time, best of 5 (s) vs DeepDiff keyed by SKU", ours, theirs, size)
    timed = timed.with_goal("<= 0.15 s", ours <= 0.15, rows >= ROWS)
    found = "/".join(map(str, counts.values()))
    return [
        Row("changes found (create/update/deactivate)", found, f"{changed_rows} changed", size=size),
        timed,
        compare("diff wall time, best of 3 (s), inputs as models vs as values", min(models), ours, size),
        Row("diff wall time, median of the 5 (s)", statistics.median(timings), size=size),
        Row("diff CPU time, best of the 5 (s)", min(cpu), size=size),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=ROWS)
    print_table(run(rows=parser.parse_args().rows))


if __name__ == "__main__":
    main()
