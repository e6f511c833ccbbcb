"""``matsync nightly`` (Otto's ``sync_innergy_material_library``): lock, push, re-plan, log.

One run at a time: the run lock is waited for a bounded time, then the run refuses with
exit 4 and nothing done. Under the lock, what reviewers approved is pushed (its SYNC_LOG
row says ``nightly``), then the plan is made again so the diff tabs show what is left.
Exit 1 when the push or the plan failed, 3 when changes await review (or ticked rows
went stale), 0 otherwise.
"""

from __future__ import annotations

from canonical.errors import ExitCode
from sheets_sync.commands.push import run_push
from sheets_sync.config import Settings
from sheets_sync.console import Outcome
from sheets_sync.store.lock import run_lock

__all__ = ["nightly"]


def nightly(settings: Settings, lock_timeout: float = 60.0) -> Outcome:
    """Push what was approved, then re-plan, holding the run lock throughout."""
    from sheets_sync.commands.plan import plan

    with run_lock(settings.output_dir, "nightly", timeout=lock_timeout):
        pushed = run_push(settings, command="nightly")
        planned = plan(settings, None)
    codes = {pushed.exit_code, planned.exit_code}
    code = next((c for c in (ExitCode.FAILED, ExitCode.NEEDS_PERSON) if c in codes), ExitCode.OK)
    summary = {
        "ok": code == ExitCode.OK,
        "command": "nightly",
        "run_id": pushed.summary.get("run_id"),
        "plan_id": planned.summary.get("plan_id"),
        "awaiting_review": planned.exit_code == ExitCode.NEEDS_PERSON,
        "push": pushed.summary,
        "plan": planned.summary,
    }
    lines = ["push:", *pushed.lines, "plan:", *planned.lines]
    return Outcome(summary, code, lines)
