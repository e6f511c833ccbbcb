"""Reverting a journalled run: the steps from its before-images, never over someone else's edit.

Why it works the way it does:

- INNERGY deletes nothing, so a create is undone by deactivating the record; an update,
  deactivation or reactivation by editing the record back to its before-image (the whole
  record: INNERGY edits replace it). Master write-backs get their cells' old values back.
- A record is only written when it still is what the run left (the journal's answer, its
  after-image). Already back at the before-image: nothing to do. Anything else means a
  person or another system changed it since: a conflict, listed, never overwritten.
- The run's writes are walked newest first over a simulated state, so a record the run
  wrote twice is brought back step by step to what it was before the run.
- Each revert is intended in the journal before it is sent, so undoing twice, or again
  after a crash, writes nothing twice.
- After a SIGINT / SIGTERM no further revert is sent: the undo writes what it reverted
  into the journal and the sheet (unticks, SYNC_LOG) and leaves the rest, master cells
  included, to the next undo of the same run.
- A tick approved a change once: the rows of the changes reverted are unticked in their
  plan's diff tab, and the journal's ``reverts`` links keep later pushes and plans from
  applying them again on an old tick.

``plan_undo`` is the pure part (journal writes + current state -> steps and conflicts);
``revert_innergy`` and ``restore_cells`` carry the steps out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from canonical.errors import ExitCode, InnergyError
from canonical.normalize import is_blank, sku_key
from canonical.plan import tab_plan_id
from innergy_client import InnergyClient, wire
from innergy_client.workers import result, worker_pool
from reports.plan import HEADER_ROW
from sheets_sync.approval.decide import REVERTED_IN_TAB
from sheets_sync.approval.diff_tabs import DIFF_TABS
from sheets_sync.approval.settle import MasterCells, cells_landed, same_cells, shown, written_cells
from sheets_sync.approval.targets import INNERGY_TARGET, MASTER_TARGET
from sheets_sync.approval.write_back import WriteBack, write_back
from sheets_sync.interrupt import WITHDRAWN, Stop
from sheets_sync.master.tabs import MASTER, SYNC_LOG
from sheets_sync.store.journal import Journal, Write
from sheets_sync.workbook.base import Workbook, header_columns, header_key

__all__ = [
    "COUNTED",
    "DONE",
    "UNDO_PREFIX",
    "Conflict",
    "Done",
    "Step",
    "UndoPlan",
    "material_state",
    "plan_undo",
    "resolve_pending",
    "restore_cells",
    "revert_innergy",
    "untick_reverted",
]

CELL_OPS = frozenset({"write_back", "link", "ppak_differs"})
"""Master writes that set cells (payload ``{row, before, after}``): undone cell by cell."""
DONE = "done"
REVERSE_OP = {"create": "deactivate", "deactivate": "reactivate", "reactivate": "deactivate"}
"""What the revert of an INNERGY write is called (anything else is an ``update``)."""
UNDO_PREFIX = "undo:"
"""An undo write's change id: ``undo:<the write id it reverts>``."""
COUNTED = ("updated", "deactivated", "reactivated", "cells_restored")
_COUNT = {"update": "updated", "deactivate": "deactivated", "reactivate": "reactivated"}


@dataclass(frozen=True)
class Step:
    """One write that reverts one journalled write.

    For INNERGY, ``body`` is the whole edit body (wire names) and ``current`` the record as
    it is now (the undo write's own before-image). For the master, ``body`` maps column
    header -> the old value to put back and ``current`` the cells as they are now.
    """

    reverts: str
    """The write id this step reverts."""
    target: str
    op: str
    key: str
    innergy_id: str | None
    current: dict[str, Any] | None
    body: dict[str, Any]
    row: int | None = None


@dataclass(frozen=True)
class Conflict:
    """A write that cannot be reverted without overwriting someone, or by this tool at all."""

    reverts: str
    target: str
    key: str
    reason: str
    innergy_id: str | None = None


@dataclass
class UndoPlan:
    """What reverting a run takes: steps to write, conflicts for a person, nothing-to-dos."""

    steps: list[Step] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    """Write ids needing nothing: already reverted, or never landed."""


def material_state(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A material's written fields as INNERGY's JSON: what two records are compared on, and
    what an edit back sends (the whole record, fields we do not model included).

    Only bookkeeping (``Id``, ``CreatedOn``, ``ModifiedOn``) is left out; numbers are
    normalised through the wire model, so ``12.50`` equals ``12.5``.
    """
    if record is None:
        return None
    body = {name: value for name, value in record.items() if name not in wire.READ_ONLY_MATERIAL_FIELDS}
    return wire.json_body(wire.MaterialWrite.model_validate(body))


@dataclass
class _World:
    """INNERGY and the master as they are now, then as the planned steps leave them."""

    records: dict[str, dict[str, Any] | None]
    by_external_id: dict[str, str]
    master: dict[str, tuple[int, dict[str, Any]]]

    def record(self, write: Write) -> tuple[str | None, dict[str, Any] | None]:
        """The INNERGY record a write touched: by its id, else by the payload's external id."""
        answer = write.answer if isinstance(write.answer, Mapping) else {}
        before = write.before if isinstance(write.before, Mapping) else {}
        record_id = write.innergy_id or answer.get("Id") or before.get("Id")
        if not record_id:
            payload = write.payload if isinstance(write.payload, Mapping) else {}
            record_id = self.by_external_id.get(sku_key(str(payload.get("ExternalId") or write.key)))
        return record_id, self.records.get(record_id) if record_id else None


def _revert_material(write: Write, world: _World, plan: UndoPlan) -> None:
    """Edit back to the before-image (a create: deactivate) if the record is as the run left it.

    A write whose outcome the run never learnt counts as landed when INNERGY shows it.
    """
    record_id, current = world.record(write)
    now = material_state(current)
    after = material_state(write.answer if write.state == DONE else write.payload)
    if current is None or now is None:
        if write.state == DONE:
            _conflict(plan, write, "the record is no longer in INNERGY", record_id)
        else:
            plan.unchanged.append(write.write_id)  # the create never landed
        return
    goal = {**(after or now), "Status": "Inactive"} if write.op == "create" else material_state(write.before)
    if goal is None:
        _conflict(plan, write, "the journal holds no before-image for this write", record_id)
        return
    if now == goal:
        plan.unchanged.append(write.write_id)  # already reverted, or never landed
        return
    if now != after:
        _conflict(plan, write, "changed in INNERGY since this run: " + _fields(now, after), record_id)
        return
    assert record_id is not None
    op = REVERSE_OP.get(write.op, "update")
    plan.steps.append(Step(write.write_id, write.target, op, write.key, record_id, dict(current), goal))
    world.records[record_id] = {**current, **goal}


def _fields(now: Mapping[str, Any] | None, then: Mapping[str, Any] | None) -> str:
    now, then = now or {}, then or {}
    names = sorted(k for k in {*now, *then} if now.get(k) != then.get(k))
    return ", ".join(names) or "the record"


def _revert_cells(write: Write, world: _World, plan: UndoPlan) -> None:
    payload = write.payload if isinstance(write.payload, Mapping) else {}
    before, after = payload.get("before"), payload.get("after")
    if write.state != DONE and not cells_landed(write, world.master):
        plan.unchanged.append(write.write_id)  # never confirmed, and not in the master: not ours
        return
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        _conflict(plan, write, "the journal holds no old cell values for this write")
        return
    found = world.master.get(sku_key(write.key))  # by SKU, wherever the row is now
    if found is None:  # the row number the write had may hold another SKU by now
        _conflict(plan, write, f"master row for SKU {write.key} is gone")
        return
    row, cells = found
    if same_cells(cells, before):
        plan.unchanged.append(write.write_id)
        return
    if not same_cells(cells, after):
        changed = ", ".join(c for c in after if shown(cells.get(header_key(c))) != shown(after[c]))
        _conflict(plan, write, f"master row {row} changed since this run: {changed}")
        return
    current = {column: cells.get(header_key(column)) for column in before}
    plan.steps.append(
        Step(write.write_id, write.target, "write_back", write.key, None, current, dict(before), row)
    )
    cells.update({header_key(column): value for column, value in before.items()})


def _conflict(plan: UndoPlan, write: Write, reason: str, innergy_id: str | None = None) -> None:
    plan.conflicts.append(Conflict(write.write_id, write.target, write.key, reason, innergy_id))


def _manual(write: Write) -> str:
    if write.target == MASTER_TARGET and write.op == "ppak_new":
        return f"this run added master row {write.key}; remove it by hand if it should go"
    return f"{write.target} {write.op} cannot be reverted through the API; revert it in INNERGY by hand"


def plan_undo(
    writes: Sequence[Write],
    innergy: Iterable[Mapping[str, Any]],
    master: MasterCells,
    undone: Iterable[str] = (),
) -> UndoPlan:
    """What reverting these writes (one run's, in the order made) takes, newest first.

    ``innergy`` is INNERGY's material library now (wire JSON records); ``master`` maps a
    SKU's ``sku_key`` to its master row number and cells now (keyed by ``header_key``);
    ``undone`` names writes an earlier undo of the same run already reverted.
    """
    records = {str(r["Id"]): dict(r) for r in innergy}
    world = _World(
        records={k: v for k, v in records.items()},
        by_external_id={sku_key(str(r["ExternalId"])): k for k, r in records.items() if r.get("ExternalId")},
        master={k: (row, dict(cells)) for k, (row, cells) in master.items()},
    )
    skip = set(undone)
    plan = UndoPlan()
    for write in reversed(writes):
        if write.write_id in skip or write.state == "failed":
            plan.unchanged.append(write.write_id)
        elif write.target == INNERGY_TARGET:
            _revert_material(write, world, plan)
        elif write.target == MASTER_TARGET and write.op in CELL_OPS:
            _revert_cells(write, world, plan)
        elif write.state == DONE:
            _conflict(plan, write, _manual(write))
        else:
            plan.unchanged.append(write.write_id)
    return plan


@dataclass
class Done:
    """What an undo run wrote and what it could not."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*COUNTED, "failed"), 0))
    failures: list[dict[str, str]] = field(default_factory=list)
    pending_resolved: int = 0
    not_sent: list[str] = field(default_factory=list)
    """Write ids of the run whose revert a stop (SIGINT / SIGTERM) kept from being sent."""
    interrupted: ExitCode | None = None
    """The exit code of the signal that stopped the undo (130 / 143), else ``None``."""


def resolve_pending(
    journal: Journal,
    undo_writes: Iterable[Write],
    records: Mapping[str, Mapping[str, Any]],
    master: MasterCells,
) -> int:
    """Settle the writes a crashed undo left open, from the current state; never resend.

    An INNERGY revert landed when the record now carries its body; a master revert when
    the cells hold it. What did not land is marked failed and is planned again.
    """
    settled = 0
    for write in undo_writes:
        if write.state in (DONE, "failed"):
            continue
        payload = write.payload if isinstance(write.payload, Mapping) else {}
        if write.target == INNERGY_TARGET:
            current = records.get(str(write.innergy_id or (write.before or {}).get("Id")))
            landed = current is not None and material_state(current) == material_state(payload)
            answer: Any = current
        else:
            answer, landed = written_cells(write), cells_landed(write, master)
        if landed:
            journal.mark_done(write.write_id, innergy_id=write.innergy_id, answer=answer)
        else:
            journal.mark_failed(write.write_id, "not found applied after an interrupted undo")
        settled += 1
    return settled


def revert_innergy(
    steps: Sequence[Step], client: InnergyClient, journal: Journal, run_id: str, done: Done, stop: Stop
) -> None:
    """Edits with whole records, each intended in the journal before it is sent; once
    ``stop`` is requested none is sent (those in flight are awaited and journalled)."""

    def edit(step: Step) -> wire.Material | None:
        if stop.requested:
            return None
        return client.edit_material(str(step.innergy_id), wire.MaterialWrite.model_validate(step.body))

    workers = max(1, client.concurrency)
    with worker_pool(workers) as pool:
        for start in range(0, len(steps), 50):
            if stop.requested:
                done.not_sent += [step.reverts for step in steps[start:]]
                break
            sent = [
                (step, _intend(journal, run_id, step, step.body), pool.submit(edit, step))
                for step in steps[start : start + 50]
            ]
            for step, write_id, future in sent:
                try:
                    answer = result(future)
                except InnergyError as exc:
                    journal.mark_failed(write_id, str(exc))
                    done.counts["failed"] += 1
                    done.failures.append({"write_id": step.reverts, "key": step.key, "reason": str(exc)})
                    continue
                if answer is None:
                    journal.mark_failed(write_id, WITHDRAWN)
                    done.not_sent.append(step.reverts)
                    continue
                journal.mark_done(write_id, innergy_id=answer.id, answer=wire.json_body(answer))
                done.counts[_COUNT[step.op]] += 1


def _intend(journal: Journal, run_id: str, step: Step, payload: Mapping[str, Any]) -> str:
    return str(
        journal.intend(
            run_id, target=step.target, op=step.op, key=step.key, before=step.current,
            payload=dict(payload), change_id=UNDO_PREFIX + step.reverts, plan_id=None,
            reverts=step.reverts,
        )
    )  # fmt: skip


def untick_reverted(
    workbook: Workbook, back: WriteBack, reverted: Mapping[str, Collection[str]], undo_run: str
) -> None:
    """Untick the rows of the changes an undo reverted (plan id -> change ids), saying so in
    their Result: a later push must not apply them again on the old tick.

    Only a diff tab whose Plan ID (B1) is the changes' plan is touched (the tab as read
    here, and again when written); rows are found by Change ID when written, and an id
    on two rows is left.
    """
    if not reverted:
        return
    for name, rows in workbook.read_tabs(list(DIFF_TABS)).items():
        plan_id = tab_plan_id(rows)
        change_ids = reverted.get(plan_id or "", ())
        header = header_columns(rows[HEADER_ROW - 1]) if change_ids and len(rows) >= HEADER_ROW else {}
        if header_key("Change ID") not in header or header_key("Approve") not in header:
            continue
        back.plan_ids[name] = plan_id
        for change_id in change_ids:
            back.set(name, change_id, "Approve", False)
            if header_key("Result") in header:
                back.set(name, change_id, "Result", REVERTED_IN_TAB.format(run=undo_run))


def restore_cells(
    steps: Sequence[Step],
    workbook: Workbook,
    journal: Journal,
    run_id: str,
    log_row: Callable[[], dict[str, Any]],
    reverted: Mapping[str, Collection[str]],
) -> int:
    """The master's old cell values, the unticks of what the undo reverted (``reverted``,
    plan id -> change ids) and the SYNC_LOG row, as one workbook write; a row whose key
    moved, vanished or repeats meanwhile stays open in the journal (returns the count
    restored)."""
    back = WriteBack()
    intended = []
    for step in steps:
        payload = {"row": step.row, "before": step.current, "after": step.body}
        intended.append((_intend(journal, run_id, step, payload), step))
        for column, value in step.body.items():
            back.set(MASTER, step.key, column, None if is_blank(value) else value)
    untick_reverted(workbook, back, reverted, run_id)
    back.sync_log_exists = SYNC_LOG in workbook.tab_names()
    back.append(SYNC_LOG, log_row())
    missed = {sku_key(m.op.key): m.reason for m in write_back(workbook, back, [])}
    restored = 0
    for write_id, step in intended:
        if sku_key(step.key) in missed:
            journal.mark_unknown(write_id, missed[sku_key(step.key)])
        else:
            journal.mark_done(write_id, innergy_id=None, answer=step.body)
            restored += 1
    return restored
