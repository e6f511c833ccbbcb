"""``matsync history``: the journal read back, for people and for Otto.

Without a run id: every run, newest first, with who ran it and its counts. With one: every
write the run made, with the record before and after it (INNERGY's answer once a write
is done, what was sent otherwise), so any push can be audited field by field. Reading
history never creates a journal.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from canonical.errors import UsageError
from sheets_sync.config import Settings
from sheets_sync.console import Outcome
from sheets_sync.store.journal import Journal, Run, Write
from sheets_sync.store.paths import Outputs

__all__ = ["field_changes", "history"]


def field_changes(before: Any, after: Any) -> list[dict[str, Any]]:
    """The fields whose value differs between two JSON records (either may be missing)."""
    if not isinstance(before, dict | None) or not isinstance(after, dict | None):
        return [] if before == after else [{"field": "", "before": before, "after": after}]
    old, new = before or {}, after or {}
    return [
        {"field": name, "before": old.get(name), "after": new.get(name)}
        for name in sorted({*old, *new})
        if old.get(name) != new.get(name)
    ]


def _after(write: Write) -> Any:
    """The record as the write left it: the answer when known, else what was sent."""
    return write.answer if write.state == "done" and write.answer is not None else write.payload


def _write_json(write: Write) -> dict[str, Any]:
    after = _after(write)
    return {**asdict(write), "after": after, "changes": field_changes(write.before, after)}


def _text(value: Any) -> str:
    if value is None:
        return "(none)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _counts(run: Run) -> str:
    return ", ".join(f"{name} {value}" for name, value in run.counts.items() if value) or "-"


def _run_line(run: Run) -> str:
    undo = f" (undo of {run.undo_of})" if run.undo_of else ""
    outcome = run.outcome or ("running or interrupted" if run.finished_at is None else "-")
    return (
        f"{run.run_id}  {run.command}{undo}  by {run.actor}  started {run.started_at}  "
        f"{outcome}  [{_counts(run)}]"
    )


def _write_lines(write: Write) -> list[str]:
    where = f" -> {write.innergy_id}" if write.innergy_id else ""
    error = f": {write.error}" if write.error else ""
    lines = [f"  {write.seq}. {write.op} {write.target} {write.key}{where} [{write.state}{error}]"]
    lines += [
        f"       {c['field'] or 'value'}: {_text(c['before'])} -> {_text(c['after'])}"
        for c in field_changes(write.before, _after(write))
    ]
    return lines


def history(settings: Settings, run_id: str | None = None) -> Outcome:
    """The runs newest first, or one run's every write with before and after."""
    path = Outputs(settings.output_dir).journal
    summary: dict[str, Any] = {"command": "history", "journal": str(path)}
    if not path.is_file():
        if run_id is not None:
            raise UsageError(f"there is no run {run_id}: no journal at {path} yet")
        return Outcome({**summary, "runs": []}, lines=[f"no runs journalled yet (no journal at {path})"])
    with Journal.open(path) as journal:
        if run_id is None:
            runs = journal.runs()
            lines = [_run_line(r) for r in runs] or ["no runs journalled yet"]
            return Outcome({**summary, "runs": [asdict(r) for r in runs]}, lines=lines)
        detail = journal.run(run_id)
    if detail is None:
        raise UsageError(f"there is no run {run_id} in the journal (`matsync history` lists the runs)")
    lines = [_run_line(detail.run), f"plan {detail.run.plan_id or '-'}; {len(detail.writes)} writes"]
    for write in detail.writes:
        lines += _write_lines(write)
    run = {**asdict(detail.run), "writes": [_write_json(w) for w in detail.writes]}
    return Outcome({**summary, "run": run}, lines=lines)
