"""``python -m ppak_import``: the ETL alone, for a first look at a shop's exports.

It knows no workbook (the one-way rule keeps ``ppak_import`` to ``canonical``), so it runs
with empty mapping tables: every status, phase, SKU and unit shows as unmapped. It writes
the canonical files and prints the ETL summary as JSON; `matsync ppak-import` is the full
command, with the mapping tabs, the report and ISSUES.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from canonical.models import Library
from ppak_import.etl import run_etl, write_outputs

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ppak_import", description=__doc__)
    parser.add_argument("--export-dir", type=Path, required=True, help="folder of PPak export files")
    parser.add_argument("--output-dir", type=Path, default=Path("migration_output"))
    args = parser.parse_args(argv)
    if not args.export_dir.is_dir():
        parser.error(f"--export-dir {args.export_dir} is not a folder")
    result = run_etl(args.export_dir, Library())
    paths = write_outputs(result, args.output_dir) if result.readable else {}
    summary = {**result.summary(), "paths": {k: str(p) for k, p in paths.items()}}
    json.dump(summary, sys.stdout, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
    return 0 if result.readable else 1


if __name__ == "__main__":
    sys.exit(main())
