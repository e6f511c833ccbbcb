"""The run report of a push: a Result per ticked row, the counts, the SYNC_LOG row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from canonical.errors import ExitCode
from canonical.models import Problem
from canonical.plan import MaterialChange, PPakChange
from sheets_sync.approval.decide import APPLIED, WOULD_APPLY
from sheets_sync.approval.diff_tabs import Ticked
from sheets_sync.master.tabs import SYNC_LOG_HEADER

__all__ = ["COUNT_KEYS", "Report", "now"]

COUNTED = {"create": "created", "update": "updated", "deactivate": "deactivated", "reactivate": "reactivated"}


def now() -> str:
    """A Last Synced / SYNC_LOG time: UTC, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


COUNT_KEYS = (
    "ticked", "created", "updated", "deactivated", "reactivated", "ppak_added", "ppak_updated",
    "applied", "stale", "failed", "skipped", "exported", "linked",
)  # fmt: skip


@dataclass
class Report:
    """The counts and Results of one push; the SYNC_LOG row and the Outcome are made from it."""

    results: dict[Ticked, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    problems: list[Problem] = field(default_factory=list)
    pending_resolved: int = 0

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

    @property
    def exit_code(self) -> ExitCode:
        if self.counts["failed"]:
            return ExitCode.FAILED
        if self.counts["stale"]:
            return ExitCode.NEEDS_PERSON
        return ExitCode.OK

    @property
    def outcome(self) -> str:
        return {ExitCode.FAILED: "failed", ExitCode.NEEDS_PERSON: "stale rows"}.get(self.exit_code, "ok")

    def sync_log_row(self, command: str, actor: str, run_id: str, plan_id: str | None) -> dict[str, Any]:
        values = (
            now(), command, actor, run_id, plan_id or "", self.counts["created"], self.counts["updated"],
            self.counts["deactivated"], self.counts["reactivated"], self.counts["stale"],
            self.counts["failed"], self.outcome,
        )  # fmt: skip
        return dict(zip(SYNC_LOG_HEADER, values, strict=True))
