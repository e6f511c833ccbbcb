"""``matsync pull``: read and validate the master and mapping tabs; canonical files and ISSUES.

Every data row ends as a canonical object or as ``Problem``s in ISSUES (the rules are in
``master.reader``); what other commands reported in ISSUES stays.
"""

from __future__ import annotations

from canonical.errors import ExitCode
from canonical.gc_pause import paused_gc
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook, outputs
from sheets_sync.console import Outcome
from sheets_sync.master.issues import issues_rewrite
from sheets_sync.master.reader import LIBRARY_TABS, read_library
from sheets_sync.master.tabs import ISSUES, MASTER
from sheets_sync.store.files import write_jsonl
from sheets_sync.store.lock import run_lock

__all__ = ["pull"]


def pull(settings: Settings) -> Outcome:
    """``matsync pull``: read, validate, write ``canonical/materials.jsonl`` and ISSUES.

    The cyclic collector is paused while it runs: the cells and records are alive until it
    ends, none in a cycle, and the collector's passes over them freed nothing (it resumes
    once they are let go of, so its first pass has nothing of theirs to walk)."""
    with run_lock(settings.output_dir, "pull"), paused_gc():
        return _pull(settings)


def _pull(settings: Settings) -> Outcome:
    with open_workbook(settings) as workbook:
        tabs = workbook.read_tabs([*LIBRARY_TABS, ISSUES])
        library, problems, rows = read_library(workbook, tabs)
        path = write_jsonl(outputs(settings).canonical("materials.jsonl"), library.materials)
        op = issues_rewrite(tabs.get(ISSUES), problems, LIBRARY_TABS, workbook.max_cell_chars)
        if op is not None:
            workbook.write([op])
    errors = sum(p.severity == "error" for p in problems)
    summary = {
        "command": "pull",
        "materials": len(library.materials),
        "master_rows": len(rows),
        "mappings": {
            "status": len(library.statuses),
            "phase": len(library.phases),
            "sku": len(library.skus),
            "uom": len(library.uoms),
        },
        "problems": len(problems),
        "errors": errors,
        "warnings": len(problems) - errors,
        "issues": [
            {
                "severity": p.severity,
                "tab": p.source,
                "row": p.row,
                "column": p.column,
                "value": p.value,
                "message": p.message,
            }
            for p in problems
        ],
        "files": [str(path)],
    }
    lines = [
        f"pulled {len(library.materials)} materials from {MASTER} -> {path}",
        f"{len(problems)} problems ({errors} errors) listed in {ISSUES}" if problems else "no problems",
    ]
    return Outcome(summary, ExitCode.OK, lines)
