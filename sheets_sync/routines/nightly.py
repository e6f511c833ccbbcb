"""``matsync nightly`` (Otto's ``sync_innergy_material_library``): lock, push, re-plan, log.

One run at a time: the run lock is waited for a bounded time, then the run refuses with
exit 4 and nothing done. Under the lock, what reviewers approved is pushed (its SYNC_LOG
row says ``nightly``), then the plan is made again so the diff tabs show what is left.
A plan that fails or refuses (an empty master, a mass deactivation without
``--allow-mass-deactivate``) plans nothing, and the result still reports what the push did.
Exit 1 when the push or the plan failed, 3 when changes await review (or ticked rows
went stale), 0 otherwise. A push a signal interrupted ends the run there (no plan), with
the push's exit code (130 / 143).
"""

from __future__ import annotations

from typing import Any

from canonical.errors import ExitCode, MatsyncError
from sheets_sync.commands.push import run_push
from sheets_sync.config import Settings
from sheets_sync.console import Outcome
from sheets_sync.interrupt import INTERRUPTED
from sheets_sync.store.lock import run_lock

__all__ = ["nightly"]


def _failed(exc: MatsyncError) -> Outcome:
    """The plan step's error as its part of the result, shaped as a failed command's JSON."""
    hint = {"hint": exc.hint} if exc.hint else {}
    summary = {
        "command": "plan",
        "error": exc.message,
        **hint,
    }
    lines = [f"failed, nothing planned: {exc.message}", *(f"hint: {h}" for h in hint.values())]
    return Outcome(summary, ExitCode.FAILED, lines)


def nightly(
    settings: Settings, lock_timeout: float = 60.0, *, allow_mass_deactivate: bool = False
) -> Outcome:
    """Push what was approved, then re-plan, holding the run lock throughout."""
    from sheets_sync.commands.plan import plan

    with run_lock(settings.output_dir, "nightly", timeout=lock_timeout):
        pushed = run_push(settings, command="nightly")
        if pushed.summary.get("outcome") == INTERRUPTED:
            summary = {
                "command": "nightly",
                "outcome": INTERRUPTED,
                "run_id": pushed.summary.get("run_id"),
                "push": pushed.summary,
            }
            return Outcome(summary, pushed.exit_code, ["push:", *pushed.lines, "plan: not run (interrupted)"])
        try:
            planned = plan(settings, None, allow_mass_deactivate=allow_mass_deactivate)
        except MatsyncError as exc:  # the push happened: its account must not be lost
            planned = _failed(exc)
    codes = {pushed.exit_code, planned.exit_code}
    code = next((c for c in (ExitCode.FAILED, ExitCode.NEEDS_PERSON) if c in codes), ExitCode.OK)
    failure: dict[str, Any] = {
        key: planned.summary[key] for key in ("error", "hint") if key in planned.summary
    }
    summary = {
        "command": "nightly",
        "run_id": pushed.summary.get("run_id"),
        "plan_id": planned.summary.get("plan_id"),
        "awaiting_review": planned.exit_code == ExitCode.NEEDS_PERSON,
        **failure,
        "push": pushed.summary,
        "plan": planned.summary,
    }
    lines = ["push:", *pushed.lines, "plan:", *planned.lines]
    return Outcome(summary, code, lines)
