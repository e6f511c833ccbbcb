"""The run report of a push: a Result per ticked row, the counts, the SYNC_LOG row.

A run a signal stopped (``interrupted``) exits 130 / 143 with Outcome ``interrupted``; so
does, in the next push's SYNC_LOG, a run killed before it could log itself
(``killed_run_report``: what its journal holds as landed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from canonical.errors import ExitCode
from canonical.models import Problem
from canonical.plan import MaterialChange, PPakChange
from sheets_sync.approval.decide import APPLIED, WOULD_APPLY
from sheets_sync.approval.diff_tabs import Ticked
from sheets_sync.approval.targets import INNERGY_TARGET
from sheets_sync.interrupt import INTERRUPTED
from sheets_sync.master.tabs import SYNC_LOG_HEADER
from sheets_sync.store.journal import Write

__all__ = ["COUNT_KEYS", "Report", "killed_run_report", "now"]

COUNTED = {"create": "created", "update": "updated", "deactivate": "deactivated", "reactivate": "reactivated"}


def now() -> str:
    """A Last Synced / SYNC_LOG time: UTC, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


COUNT_KEYS = (
    "ticked", "created", "updated", "deactivated", "reactivated", "ppak_added", "ppak_updated",
    "applied", "stale", "failed", "skipped", "exported", "linked", "recovered",
)  # fmt: skip
"""``recovered``: ticked rows a killed run applied, whose Results this run wrote."""


@dataclass
class Report:
    """The counts and Results of one push; the SYNC_LOG row and the Outcome are made from it."""

    results: dict[Ticked, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    problems: list[Problem] = field(default_factory=list)
    pending_resolved: int = 0
    interrupted: ExitCode | None = None
    """The exit code of the signal that stopped the run (130 / 143), else ``None``."""

    def record(self, tick: Ticked, result: str, change: MaterialChange | PPakChange | None) -> None:
        self.results[tick] = result
        applied = result in (APPLIED, WOULD_APPLY)
        kind = "applied" if applied else result.split(":", 1)[0]
        self.counts["ticked"] += 1
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if applied and isinstance(change, MaterialChange):
            self.counts[COUNTED[change.action]] += 1
        elif applied and isinstance(change, PPakChange):
            self.counts["ppak_added" if change.kind == "new" else "ppak_updated"] += 1

    def record_recovered(self, tick: Ticked) -> None:
        """A row a killed run applied: its Result at last, counted in that run's log row."""
        self.results[tick] = APPLIED
        self.counts["ticked"] += 1
        self.counts["recovered"] += 1

    @property
    def exit_code(self) -> ExitCode:
        if self.interrupted is not None:
            return self.interrupted
        if self.counts["failed"]:
            return ExitCode.FAILED
        if self.counts["stale"]:
            return ExitCode.NEEDS_PERSON
        return ExitCode.OK

    @property
    def outcome(self) -> str:
        if self.interrupted is not None:
            return INTERRUPTED
        return {ExitCode.FAILED: "failed", ExitCode.NEEDS_PERSON: "stale rows"}.get(self.exit_code, "ok")

    def sync_log_row(self, command: str, actor: str, run_id: str, plan_id: str | None) -> dict[str, Any]:
        values = (
            now(), command, actor, run_id, plan_id or "", self.counts["created"], self.counts["updated"],
            self.counts["deactivated"], self.counts["reactivated"], self.counts["stale"],
            self.counts["failed"], self.outcome,
        )  # fmt: skip
        return dict(zip(SYNC_LOG_HEADER, values, strict=True))


def killed_run_report(writes: Iterable[Write]) -> Report:
    """A run killed before it logged itself, as its INNERGY writes that landed count it."""
    report = Report(interrupted=ExitCode.INTERRUPTED)
    for write in writes:
        if write.target == INNERGY_TARGET and write.state == "done" and write.op in COUNTED:
            report.counts[COUNTED[write.op]] += 1
            report.counts["applied"] += 1
    return report
