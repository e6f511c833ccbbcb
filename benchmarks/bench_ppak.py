"""PPak ETL speed: a generated 1,000,000-row project-lines export, converted and written.

The goals (issue 23): at most 5 s and 1 GB peak memory on a 2-core machine. The run is done
in a child process so that its peak RSS is its own. The baseline is a plain row-by-row
``csv.DictReader`` implementation of the same rules (same parsers, same mappings, same
JSON), measured in the same run on a slice (it is far slower), against the ETL on the
same slice: the printed ratio compares like with like.

    python benchmarks/bench_ppak.py [--rows 1000000] [--baseline-rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _table import Row, compare, print_table

from canonical.models import Library, SkuMapping, StatusMapping
from canonical.normalize import (
    BadValue,
    canonical_unit,
    clean_text,
    parse_date,
    parse_decimal,
    parse_money,
    parse_percent,
    sku_key,
)
from ppak_import import run_etl, write_outputs
from ppak_import.columns import jsonable

ROWS, BASELINE_ROWS = 1_000_000, 100_000
QUICK_ROWS, QUICK_BASELINE_ROWS = 20_000, 5_000
HEADER = (
    "Project ID,Est Rev,Line,Line Type,Area,Item Code,Description,Qty,UOM,Unit Cost,Ext Cost,"
    "Waste %,Markup %,Sell,Vendor,WO #,Need By"
)
CODES = [f"PLYWO34-VC-{i}X8" for i in range(400)] + ["EB-WO-15/16", "HW-BLUM-71B3550", "LAB-CNC", ""]
DESCRIPTIONS = [
    '"3/4"" WO PS A-1 VC 4x8"',
    '21" Full Ext Slide – ½ × 100#',
    '"Solid surface – Corian®\r\nGlacier"',
    "Blum 110° hinge",
]
MONEY = ["$142.85", '"$1,999.90"', "64210.5", "4.12", '"$2,969.85 "'] * 40 + ["$9.75/BF", '"$1,39.50"']
PERCENT = ["35%", "0.35", "35", "10", "", "15%"]
DATES = ["04/17/2023", "4/17/23", "2023-05-01", ""] * 50 + ["13/45/2023"]
QUANTITIES = ["14", "3.5", "1", "6.5"] * 50 + ["two"]
UNITS = ["SHT", "sht", "Sheet", "Bd Ft", "EA", "ROLL", "LS", "HR", "Bucket"]
LIBRARY = Library(
    skus=tuple(SkuMapping(ppak_sku=c, canonical_sku=f"C-{c}") for c in CODES[:200] if c),
    statuses=(StatusMapping(ppak_status="In Progress", canonical_status="active"),),
)


def generate(rows: int, seed: int = 7) -> bytes:
    rnd = random.Random(seed)
    pick = rnd.choice
    out = [HEADER]
    for i in range(rows):
        project = f"{23000 + i // 500}{pick(['', ' '])}"
        out.append(
            f"{project},{pick('123')},{i % 500 * 10 + 10},Material,Nurse Stn {i % 7},{pick(CODES)},"
            f"{pick(DESCRIPTIONS)},{pick(QUANTITIES)},{pick(UNITS)},{pick(MONEY)},"
            f"{pick(MONEY)},{pick(PERCENT)},{pick(PERCENT)},{pick(MONEY)},Columbia Forest,"
            f"{project.strip()}-01,{pick(DATES)}"
        )
        if i % 100_000 == 99_999:
            out.append("")
    out.append('Total,,,,,,,,,,"$1,234,567.00"')
    return ("\r\n".join(out) + "\r\n").encode("cp1252")


def fast(folder: Path) -> dict[str, float]:
    """The ETL and the JSON Lines writing, each step timed."""
    start = time.perf_counter()
    result = run_etl(folder, LIBRARY)
    converted = time.perf_counter()
    write_outputs(result, folder / "out")
    entry = result.files[0]
    return {
        "converted": entry["converted"],
        "reported": entry["reported"],
        "etl_seconds": converted - start,
        "write_seconds": time.perf_counter() - converted,
    }


def _unit(raw: str, units: dict[str, str]) -> str | None:
    text = clean_text(raw)
    return None if text is None else (canonical_unit(text, units) or text)


def _amount(raw: str) -> object:
    money = parse_money(raw)
    if money is not None and money.per:
        raise BadValue("an amount cannot be per a unit")
    return money.value if money else None


def baseline(path: Path, out: Path) -> dict[str, int]:
    """The same rules, one row at a time with csv.DictReader."""
    units = LIBRARY.unit_table()
    seen: set[tuple[str, ...]] = set()
    converted = reported = 0
    lines = []
    with path.open(encoding="cp1252", newline="") as handle:
        for row in csv.DictReader(handle):
            if not any((v or "").strip() for v in row.values()) or row["Project ID"].startswith("Total"):
                continue
            try:
                uom = _unit(row["UOM"], units)
                cost = parse_money(row["Unit Cost"])
                if cost and cost.per and (canonical_unit(cost.per, units) or cost.per.upper()) != uom:
                    raise BadValue("unit trap")
                code = clean_text(row["Item Code"])
                record = {
                    "project_id": clean_text(row["Project ID"]),
                    "estimate_rev": clean_text(row["Est Rev"]),
                    "line": clean_text(row["Line"]),
                    "line_type": clean_text(row["Line Type"]),
                    "area": clean_text(row["Area"]),
                    "ppak_sku": code,
                    "sku": LIBRARY.canonical_sku(code) if code else None,
                    "description": clean_text(row["Description"]),
                    "quantity": parse_decimal(row["Qty"]),
                    "uom": uom,
                    "unit_cost": cost.value if cost else None,
                    "extended_cost": _amount(row["Ext Cost"]),
                    "waste": parse_percent(row["Waste %"]),
                    "markup": parse_percent(row["Markup %"]),
                    "sell": _amount(row["Sell"]),
                    "vendor": clean_text(row["Vendor"]),
                    "work_order": clean_text(row["WO #"]),
                    "need_by": parse_date(row["Need By"]),
                }
            except BadValue:
                reported += 1
                continue
            key = tuple(sku_key(record[k] or "") for k in ("project_id", "estimate_rev", "line"))
            if key in seen:
                reported += 1
                continue
            seen.add(key)
            converted += 1
            lines.append(json.dumps({k: jsonable(v) for k, v in record.items()}, sort_keys=True))
    out.write_text("\n".join(lines), encoding="utf-8")
    return {"converted": converted, "reported": reported}


def _peak_mb() -> float:
    """This process's peak RSS. ``ru_maxrss`` survives ``exec``: in a child spawned by a big
    parent it is the parent's size, so Linux's own high-water mark is read where there is one."""
    status = Path("/proc/self/status")
    if status.exists():
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(folder: str) -> None:
    start = time.perf_counter()
    counts = fast(Path(folder))
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), **counts}))


def _timed_child(folder: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(folder)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False, *, rows: int | None = None, baseline_rows: int | None = None) -> list[Row]:
    """The ETL on the full file and on the slice (each in a child), the baseline on the slice."""
    rows = rows or (QUICK_ROWS if quick else ROWS)
    baseline_rows = baseline_rows or (QUICK_BASELINE_ROWS if quick else BASELINE_ROWS)
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp, "big"), Path(tmp, "small")
        big.mkdir()
        small.mkdir()
        (big / "lines.csv").write_bytes(generate(rows))
        (small / "lines.csv").write_bytes(generate(baseline_rows))
        full = _timed_child(big)
        slice_fast = _timed_child(small)
        start = time.perf_counter()
        slow = baseline(small / "lines.csv", small / "baseline.jsonl")
        slow_seconds = time.perf_counter() - start
    at_goal = rows >= ROWS
    size = f"{rows:,} project lines ({full['converted']:,} converted, {full['reported']:,} reported)"
    slice_size = (
        f"{baseline_rows:,} lines (slice); converted {slice_fast['converted']:,} / {slow['converted']:,}"
    )
    return [
        Row("ETL wall (s)", full["seconds"], size=size).with_goal("<= 5 s", full["seconds"] <= 5, at_goal),
        Row("ETL peak MB", full["peak_mb"], size=size).with_goal("<= 1 GB", full["peak_mb"] <= 1024, at_goal),
        Row("  of which read + convert (s)", full["etl_seconds"], size=size),
        Row("  of which write JSON Lines (s)", full["write_seconds"], size=size),
        compare(
            "ETL wall (s) vs csv.DictReader row by row, same rules",
            slice_fast["seconds"],
            slow_seconds,
            slice_size,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--baseline-rows", type=int, default=BASELINE_ROWS)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    print_table(run(rows=args.rows, baseline_rows=args.baseline_rows))


if __name__ == "__main__":
    main()
