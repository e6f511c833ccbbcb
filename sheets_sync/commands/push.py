"""``matsync push``: apply exactly the approved, still-valid rows of the current plan to INNERGY.

The rules (architecture.md, "Plan, approval, push"), carried out by ``approval``:

- only ticked rows, and only while neither fingerprint (master row, INNERGY record)
  has moved since the plan; otherwise the row is ``stale`` and left alone;
- every INNERGY write is journalled as intended before it is sent and as done after; a
  crashed run's open writes are settled first, by looking, never by resending;
- a change id already applied is ``skipped: already applied``; one an undo reverted is
  skipped until it is re-planned and ticked again; a change the plan file says otherwise
  than the master and INNERGY give now is ``stale: the plan file was changed``, never sent;
- results go back to the workbook in one write (INNERGY ID and Last Synced, a Result per
  ticked row, a SYNC_LOG row), with blank INNERGY IDs of rows in step with INNERGY linked;
  each cell is found by its row's SKU or Change ID when written, never by a row number
  read before INNERGY answered (people edit the sheet meanwhile), and one that cannot be
  placed is reported and left for the next push to settle.

A dry run takes the same path and predicts the INNERGY answers instead of sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack, nullcontext
from typing import Any

from canonical.gc_pause import paused_gc
from canonical.plan import Plan
from innergy_client import InnergyClient
from sheets_sync.approval.apply import Writes, predict, push_writes, send
from sheets_sync.approval.decide import APPLIED, NOT_SENT, Innergy, Known
from sheets_sync.approval.diff_tabs import Sheet, read_sheet
from sheets_sync.approval.report import Report, killed_run_report, now
from sheets_sync.approval.settle import resolve_pending, settle_master_writes
from sheets_sync.approval.write_back import WriteBack, write_back_journalled
from sheets_sync.approval.writer import Applied
from sheets_sync.config import Settings
from sheets_sync.connect import existing_journal, innergy_client, open_journal, open_workbook, outputs
from sheets_sync.console import Outcome
from sheets_sync.interrupt import Stop, deferred
from sheets_sync.master.tabs import SYNC_LOG
from sheets_sync.store.journal import Journal
from sheets_sync.store.lock import run_lock
from sheets_sync.store.paths import Outputs
from sheets_sync.store.plans import load_plan
from sheets_sync.workbook.base import Missed, Workbook

__all__ = ["push", "run_push"]


def push(settings: Settings, dry_run: bool = False, *, client: InnergyClient | None = None) -> Outcome:
    """Hold the run lock, apply the approved rows, write the results back.

    ``client`` replaces the one made from the settings (tests and benchmarks tune its
    retries and batch size); it is left open.
    """
    if dry_run:
        return run_push(settings, dry_run=True, client=client)
    with run_lock(settings.output_dir, "push"):
        return run_push(settings, client=client)


def run_push(
    settings: Settings, *, dry_run: bool = False, command: str = "push", client: InnergyClient | None = None
) -> Outcome:
    """The push itself, for a caller that holds the run lock (``push``, ``nightly``).

    The cyclic collector is paused throughout: a push makes no reference cycles (none are
    left to collect after one), and its full passes over the plan, the listing and the
    answers held cost 0.6 s at 10,000 rows, freeing nothing."""
    with ExitStack() as stack:
        stack.enter_context(paused_gc())
        workbook = stack.enter_context(open_workbook(settings))
        sheet = read_sheet(workbook)
        plan = load_plan(outputs(settings), sheet.plan_id) if sheet.ticked else None
        if client is None and (plan is not None or settings.innergy_api_key is not None):
            client = stack.enter_context(innergy_client(settings))
        if dry_run:
            return _dry_run(settings, sheet, plan, client)
        journal = stack.enter_context(open_journal(settings))
        return _journalled(workbook, sheet, plan, journal, command, client, outputs(settings))


def _journalled(
    workbook: Workbook,
    sheet: Sheet,
    plan: Plan | None,
    journal: Journal,
    command: str,
    client: InnergyClient | None,
    outputs: Outputs,
) -> Outcome:
    """The journalled run. A first SIGINT / SIGTERM from here on stops new writes only: the
    run still settles, writes its results and logs itself ``interrupted``. Runs killed
    before they could (``killed``) are logged and closed by this one."""
    killed = journal.unfinished_runs()  # under the run lock: none of them is still running
    with deferred() as stop:
        run_id = journal.start_run(command, plan_id=plan.plan_id if plan else None)
        report = Report()
        try:
            settled = settle_master_writes(journal, sheet.master or [])
            innergy = Innergy(tuple(client.list_materials())) if client is not None else None
            known = Known()
            if plan is not None and innergy is not None:
                settled += resolve_pending(journal, innergy)
                known = Known.read(journal, outputs, plan.plan_id)

            def carry_out(writes: Writes) -> Applied:
                assert client is not None and plan is not None  # push_writes sends only with both
                return send(writes, client, journal, run_id, plan.plan_id, stop)

            report, back, _ = push_writes(sheet, plan, innergy, known, carry_out, now())
            report.pending_resolved = settled
            report.interrupted = stop.exit_code
            back.sync_log_exists = sheet.has_sync_log
            closed = [(run, killed_run_report(journal.writes(run.run_id))) for run in killed]
            for run, landed in closed:
                if run.run_id not in sheet.logged_runs:
                    back.append(
                        SYNC_LOG, landed.sync_log_row(run.command, run.actor, run.run_id, run.plan_id)
                    )
            back.append(SYNC_LOG, report.sync_log_row(command, journal.actor(run_id), run_id, sheet.plan_id))
            missed = write_back_journalled(workbook, back, report.problems, sheet, journal, run_id)
        except BaseException:
            journal.finish_run(run_id, outcome="failed", counts=report.counts)
            raise
        for run, landed in closed:
            journal.finish_run(run.run_id, outcome=landed.outcome, counts=landed.counts)
        journal.finish_run(run_id, outcome=report.outcome, counts=report.counts)
    return _outcome(report, run_id, sheet.plan_id, back, missed=missed, stop=stop)


def _dry_run(settings: Settings, sheet: Sheet, plan: Plan | None, client: InnergyClient | None) -> Outcome:
    """What push would write, from the same reads and the same path; nothing is written anywhere."""
    innergy = Innergy(tuple(client.list_materials())) if client is not None else None
    known = Known()
    if plan is not None and innergy is not None:
        journal = existing_journal(settings)
        with journal if journal is not None else nullcontext():
            known = Known.read(journal, outputs(settings), plan.plan_id)
    report, back, writes = push_writes(sheet, plan, innergy, known, predict, now())
    return _outcome(report, None, sheet.plan_id, back, predicted=writes)


def _outcome(
    report: Report,
    run_id: str | None,
    plan_id: str | None,
    back: WriteBack,
    predicted: Writes | None = None,
    missed: Sequence[Missed] = (),
    stop: Stop | None = None,
) -> Outcome:
    """The run's summary and lines; ``predicted`` (a dry run's writes) adds what would be
    written; ``missed``: the cells the workbook could not place; ``stop``: the signal that
    interrupted it, if one did."""
    dry_run = predicted is not None
    summary: dict[str, Any] = {
        "command": "push",
        "outcome": report.outcome,
        "dry_run": dry_run,
        "run_id": run_id,
        "plan_id": plan_id,
        **report.counts,
        "pending_resolved": report.pending_resolved,
        "problems": len(report.problems),
        "results": [
            {"tab": t.tab, "row": t.row, "change_id": t.change_id, "result": r}
            for t, r in report.results.items()
        ],
        "not_written": [
            {"tab": m.op.tab, "key": m.op.key, "column": m.op.column, "reason": m.reason} for m in missed
        ],
    }
    if predicted is not None:
        summary["would_write"] = {
            "innergy": {k: report.counts[k] for k in ("created", "updated", "deactivated", "reactivated")},
            "sheet_cells": [{"tab": t, "key": k, "column": c, "value": v} for t, k, c, v in back.cells],
            "sheet_appends": back.appends,
            "innergy_requests": predicted.innergy_requests(),
        }
    verb = "would apply" if dry_run else "applied"
    lines = [
        *_interrupted(report, stop),
        f"plan {plan_id or '-'}: {report.counts['ticked']} ticked; {verb} {report.counts['applied']} "
        f"(created {report.counts['created']}, updated {report.counts['updated']}, deactivated "
        f"{report.counts['deactivated']}, reactivated {report.counts['reactivated']}, PPak rows "
        f"{report.counts['ppak_added'] + report.counts['ppak_updated']}); stale {report.counts['stale']}, "
        f"failed {report.counts['failed']}, skipped {report.counts['skipped']}; "
        f"{'would link' if dry_run else 'linked'} {report.counts['linked']} INNERGY IDs",
        *(f"  {t.tab} row {t.row}: {r}" for t, r in report.results.items() if r != APPLIED),
        *_recovered(report),
        *_not_written(missed),
    ]
    if run_id:
        lines.append(f"run {run_id}")
    return Outcome(summary, report.exit_code, lines)


def _interrupted(report: Report, stop: Stop | None) -> list[str]:
    """The one line that says what a signal left: what landed, and to push again."""
    if stop is None or report.interrupted is None:
        return []
    held = sum(result == NOT_SENT for result in report.results.values())
    rest = f"{held} not sent: run `matsync push` again to send them" if held else "nothing left unsent"
    return [
        f"interrupted by {stop.signal_name}: {report.counts['applied']} of {report.counts['ticked']} "
        f"ticked rows applied and written back; {rest}"
    ]


def _recovered(report: Report) -> list[str]:
    if not report.counts["recovered"]:
        return []
    return [
        f"wrote the Results and INNERGY IDs of {report.counts['recovered']} rows an interrupted run "
        "applied (SYNC_LOG has its row)"
    ]


def _not_written(missed: Sequence[Missed]) -> list[str]:
    """One line per row the sheet moved under the write, and what happens next."""
    if not missed:
        return []
    return [
        f"not written to the sheet ({len(missed)} cells; the next `matsync push` settles them):",
        *(f"  {reason}" for reason in dict.fromkeys(m.reason for m in missed)),
    ]
