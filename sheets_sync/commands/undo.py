"""``matsync undo --run RUN_ID``: revert one journalled run, as a journalled run of its own.

Undo runs under the run lock with command ``undo`` and ``undo_of`` the run, so it can be
listed by ``history`` and itself be undone. The rules are in ``approval.revert``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from canonical.errors import ExitCode, UsageError
from canonical.normalize import sku_key
from innergy_client import wire
from sheets_sync.approval.report import now
from sheets_sync.approval.revert import (
    Done,
    Step,
    UndoPlan,
    plan_undo,
    resolve_pending,
    restore_cells,
    revert_innergy,
)
from sheets_sync.approval.settle import read_master_cells
from sheets_sync.approval.targets import INNERGY_TARGET
from sheets_sync.config import Settings
from sheets_sync.connect import existing_journal, innergy_client, open_workbook
from sheets_sync.console import Outcome
from sheets_sync.interrupt import INTERRUPTED, Stop, deferred
from sheets_sync.master.tabs import MASTER, SYNC_LOG_HEADER
from sheets_sync.store.journal import Journal, Write
from sheets_sync.store.lock import run_lock

__all__ = ["undo"]


def undo(settings: Settings, run_id: str, dry_run: bool = False) -> Outcome:
    """``matsync undo --run RUN_ID``: revert one run, as a journalled run of its own."""
    journal = existing_journal(settings)
    if journal is None:
        raise UsageError(f"no journal in {settings.output_dir}: there is no run {run_id} to undo")
    with journal:
        writes = _run_writes(journal, run_id)
        if dry_run:
            return _undo(settings, journal, run_id, writes, None)
        with run_lock(settings.output_dir, "undo"):
            return _undo(settings, journal, run_id, writes, "undo")


def _undo(
    settings: Settings,
    journal: Journal,
    run_id: str,
    writes: Sequence[Write],
    command: str | None,
) -> Outcome:
    with open_workbook(settings) as workbook, innergy_client(settings) as client:
        master = read_master_cells(workbook.read_tabs([MASTER]).get(MASTER) or [])
        records = {r.id: wire.json_body(r) for r in client.list_materials()}
        done = Done()
        if command is not None:
            done.pending_resolved = resolve_pending(journal, _undo_writes(journal, run_id), records, master)
        plan = plan_undo(writes, records.values(), master, journal.undone_write_ids(run_id))
        if command is None:
            return _outcome(plan, done, None, run_id, dry_run=True)
        with deferred() as stop:
            undo_run = journal.start_run(command, plan_id=None, undo_of=run_id)
            try:
                innergy_steps = [s for s in plan.steps if s.target == INNERGY_TARGET]
                revert_innergy(innergy_steps, client, journal, undo_run, done, stop)
                done.interrupted = stop.exit_code
                cell_steps = _cells_to_restore(plan.steps, done)

                def log_row() -> dict[str, Any]:
                    return _sync_log_row(journal.actor(undo_run), undo_run, plan, done)

                reverted = _reverted_changes(writes, plan.steps, done)
                done.counts["cells_restored"] = restore_cells(
                    cell_steps, workbook, journal, undo_run, log_row, reverted
                )
            except BaseException:
                journal.finish_run(undo_run, outcome="failed", counts=done.counts)
                raise
            outcome = _outcome(plan, done, undo_run, run_id, dry_run=False, stop=stop)
            journal.finish_run(undo_run, outcome=outcome.summary["outcome"], counts=done.counts)
    return outcome


def _cells_to_restore(steps: Sequence[Step], done: Done) -> list[Step]:
    """Master reverts, except a row whose INNERGY revert failed (its INNERGY ID must stay);
    none once interrupted (they are writes not yet started)."""
    failed = {sku_key(f["key"]) for f in done.failures}
    kept = []
    for step in steps:
        if step.target == INNERGY_TARGET:
            continue
        if done.interrupted is not None:
            done.not_sent.append(step.reverts)
        elif sku_key(step.key) in failed:
            reason = "master cells left as they are: the INNERGY revert of this SKU failed"
            done.failures.append({"write_id": step.reverts, "key": step.key, "reason": reason})
            done.counts["failed"] += 1
        else:
            kept.append(step)
    return kept


def _reverted_changes(writes: Sequence[Write], steps: Sequence[Step], done: Done) -> dict[str, set[str]]:
    """Plan id -> the change ids whose writes this undo reverts (its steps, less those that
    failed): their approvals are withdrawn."""
    failed = {f["write_id"] for f in done.failures} | set(done.not_sent)
    reverting = {step.reverts for step in steps} - failed
    reverted: dict[str, set[str]] = defaultdict(set)
    for write in writes:
        if write.write_id in reverting and write.plan_id and write.change_id:
            reverted[write.plan_id].add(write.change_id)
    return reverted


def _exit_code(plan: UndoPlan, done: Done) -> ExitCode:
    if done.interrupted is not None:
        return done.interrupted
    if done.counts["failed"]:
        return ExitCode.FAILED
    return ExitCode.NEEDS_PERSON if plan.conflicts else ExitCode.OK


def _outcome_name(code: ExitCode) -> str:
    names = {ExitCode.FAILED: "failed", ExitCode.NEEDS_PERSON: "conflicts"}
    names |= dict.fromkeys((ExitCode.INTERRUPTED, ExitCode.TERMINATED), INTERRUPTED)
    return names.get(code, "ok")


def _sync_log_row(actor: str, undo_run: str, plan: UndoPlan, done: Done) -> dict[str, Any]:
    outcome = _outcome_name(_exit_code(plan, done))
    c = done.counts
    values = (
        now(), "undo", actor, undo_run, "", 0, c["updated"], c["deactivated"], c["reactivated"],
        len(plan.conflicts), c["failed"], outcome,
    )  # fmt: skip
    return dict(zip(SYNC_LOG_HEADER, values, strict=True))


def _outcome(
    plan: UndoPlan, done: Done, undo_run: str | None, run_id: str, *, dry_run: bool, stop: Stop | None = None
) -> Outcome:
    code = _exit_code(plan, done)
    outcome = _outcome_name(code)
    conflicts = [asdict(c) for c in plan.conflicts]
    summary: dict[str, Any] = {
        "command": "undo",
        "dry_run": dry_run,
        "run_id": undo_run,
        "undo_of": run_id,
        "outcome": outcome,
        "counts": {
            **done.counts,
            "conflicts": len(plan.conflicts),
            "unchanged": len(plan.unchanged),
            "not_sent": len(done.not_sent),
        },
        "conflicts": conflicts,
        "failures": done.failures,
        "pending_resolved": done.pending_resolved,
    }
    if dry_run:
        summary["would_write"] = [
            {"target": s.target, "op": s.op, "key": s.key, "innergy_id": s.innergy_id, "row": s.row,
             "before": s.current, "after": s.body}
            for s in plan.steps
        ]  # fmt: skip
    verb = "would revert" if dry_run else "reverted"
    reverted = len(plan.steps) - done.counts["failed"] - len(done.not_sent)
    lines = [
        *_interrupted(done, run_id, stop),
        f"undo of run {run_id}: {verb} {reverted} writes; "
        f"{len(plan.unchanged)} needed nothing; {len(plan.conflicts)} conflicts; "
        f"{done.counts['failed']} failed",
        *(f"  conflict: {c.target} {c.key}: {c.reason}" for c in plan.conflicts),
        *(f"  failed: {f['key']}: {f['reason']}" for f in done.failures),
    ]
    if undo_run:
        lines.append(f"run {undo_run}")
    return Outcome(summary, code, lines)


def _interrupted(done: Done, run_id: str, stop: Stop | None) -> list[str]:
    """The one line that says what a signal left undone, and how to finish it."""
    if stop is None or done.interrupted is None:
        return []
    rest = (
        f"{len(done.not_sent)} not reverted yet: run `matsync undo --run {run_id}` again to finish"
        if done.not_sent
        else "nothing left to revert"
    )
    return [f"interrupted by {stop.signal_name}: the reverts sent are journalled and written back; {rest}"]


# -- the journal's queries (owned by sheets_sync.store.journal) -------------------------------------


def _run_writes(journal: Journal, run_id: str) -> list[Write]:
    """A run's writes in the order they were made; an unknown run is a usage error."""
    detail = journal.run(run_id)
    if detail is None:
        raise UsageError(f"there is no run {run_id} in the journal (`matsync history` lists the runs)")
    return list(detail.writes)


def _undo_writes(journal: Journal, run_id: str) -> list[Write]:
    """Every write of the undo runs made of ``run_id`` so far."""
    runs = [r.run_id for r in journal.runs() if r.undo_of == run_id]
    return [write for undo_run in runs for write in _run_writes(journal, undo_run)]
