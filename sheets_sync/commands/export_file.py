"""``matsync export-import-file``: the approved rows as INNERGY's material-import spreadsheet.

The no-API path, for shops whose INNERGY key is not ready: the ticked, still-valid
DIFF_INNERGY create and update rows are written with the client package's import-file
writer. Nothing reaches INNERGY here, so each row is journalled as ``exported`` (never as
applied: a later ``push`` still applies it) and its Result reads ``exported``.
Only the master side of staleness can be checked without INNERGY.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from canonical.plan import MaterialChange
from innergy_client import write_import_file
from sheets_sync.approval.decide import Known, decide
from sheets_sync.approval.diff_tabs import Ticked, read_sheet
from sheets_sync.approval.report import Report
from sheets_sync.approval.targets import INNERGY_TARGET
from sheets_sync.approval.write_back import WriteBack, results_cells, write_back
from sheets_sync.config import Settings
from sheets_sync.connect import open_journal, open_workbook, outputs
from sheets_sync.console import Outcome
from sheets_sync.master.tabs import DIFF_INNERGY
from sheets_sync.store.lock import run_lock
from sheets_sync.store.plans import load_plan

__all__ = ["EXPORTED", "export_import_file"]

EXPORTED = "exported"
EXPORTABLE = frozenset({"create", "update", "reactivate", "deactivate"})


def export_import_file(settings: Settings, out: Path | None = None) -> Outcome:
    """Write the import sheet for the approved rows; journal them as exported; Result ``exported``."""
    with ExitStack() as stack:
        stack.enter_context(run_lock(settings.output_dir, "export-import-file"))
        workbook = stack.enter_context(open_workbook(settings))
        sheet = read_sheet(workbook)
        ticked = [t for t in sheet.ticked if t.tab == DIFF_INNERGY]
        plan = load_plan(outputs(settings), sheet.plan_id)
        path = out or outputs(settings).report(f"innergy_import_{plan.plan_id}.xlsx")
        journal = stack.enter_context(open_journal(settings))
        run_id = journal.start_run("export-import-file", plan_id=plan.plan_id)
        report = Report()
        try:
            chosen: list[tuple[Ticked, MaterialChange]] = []
            for decision in decide(
                ticked, plan, sheet.library, None, Known.read(journal, outputs(settings), plan.plan_id)
            ):
                change = decision.change
                if decision.verdict is not None:
                    report.record(decision.ticked, decision.verdict, change)
                elif isinstance(change, MaterialChange) and change.action in EXPORTABLE and change.payload:
                    chosen.append((decision.ticked, change))
                else:
                    report.record(
                        decision.ticked, "skipped: not a material the import sheet can carry", change
                    )
            problems = write_import_file([c.payload for _, c in chosen if c.payload], path)
            left_out = {
                c.sku for _, c in chosen for p in problems if p.message.startswith(f"material {c.sku!r} ")
            }
            for tick, change in chosen:
                if change.sku in left_out:
                    report.record(
                        tick, "failed: holds characters a spreadsheet cannot store (see ISSUES)", change
                    )
                    continue
                write_id = journal.intend(
                    run_id, target=INNERGY_TARGET, op="export", key=change.sku, before=None,
                    payload=change.payload.model_dump(mode="json") if change.payload else None,
                    change_id=change.change_id, plan_id=plan.plan_id,
                )  # fmt: skip
                journal.mark_exported(write_id, answer={"file": str(path)})
                report.record(tick, EXPORTED, change)
            report.problems.extend(problems)
            back = WriteBack()
            results_cells(report.results, sheet, back)
            write_back(workbook, back, report.problems, sheet.issues)
        except BaseException:
            journal.finish_run(run_id, outcome="failed", counts=report.counts)
            raise
        journal.finish_run(run_id, outcome="exported", counts=report.counts)
    summary = {
        "command": "export-import-file",
        "run_id": run_id,
        "plan_id": plan.plan_id,
        "path": str(path),
        "exported": report.counts["exported"],
        "stale": report.counts["stale"],
        "skipped": report.counts["skipped"],
        "problems": len(report.problems),
        "failed": report.counts["failed"],
    }
    code = report.exit_code
    lines = [f"wrote {report.counts['exported']} approved rows to {path}", f"run {run_id}"]
    lines += [f"  {t.tab} row {t.row}: {r}" for t, r in report.results.items() if r != EXPORTED]
    return Outcome(summary, code, lines)
