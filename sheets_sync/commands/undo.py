"""Undo: revert one journalled run from its before-images, never over someone else's edit.

Why it works the way it does:

- INNERGY deletes nothing, so a create is undone by deactivating the record; an update,
  deactivation or reactivation by editing the record back to its before-image (the whole
  record: INNERGY edits replace it). Master write-backs get their cells' old values back.
- A record is only written when it still is what the run left (the journal's answer, its
  after-image). Already back at the before-image: nothing to do. Anything else means a
  person or another system changed it since: a conflict, listed, never overwritten.
- The run's writes are walked newest first over a simulated state, so a record the run
  wrote twice is brought back step by step to what it was before the run.
- Undo is itself a journalled run (command ``undo``, ``undo_of`` the run): each revert is
  intended before it is sent, so undoing twice, or again after a crash, writes nothing
  twice, and an undo can itself be undone.

``plan_undo`` is the pure part (journal writes + current state -> steps and conflicts);
``undo`` reads INNERGY, the workbook and the journal, and carries the steps out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from canonical.errors import ExitCode, InnergyError, UsageError
from canonical.normalize import is_blank, sku_key
from innergy_client import wire
from sheets_sync.config import Settings
from sheets_sync.console import Outcome
from sheets_sync.workbook.base import Rows, column_index, header_key

__all__ = [
    "Conflict",
    "JournalWrite",
    "Step",
    "UndoPlan",
    "cells_landed",
    "material_state",
    "plan_undo",
    "read_master_cells",
    "undo",
    "written_cells",
]

INNERGY_MATERIAL = "innergy.material"
MASTER_TARGET = "sheet.MATERIAL_LIBRARY_MASTER"
CELL_OPS = frozenset({"write_back", "link", "ppak_differs"})
"""Master writes that set cells (payload ``{row, before, after}``): undone cell by cell."""
DONE = "done"
_WRITABLE = tuple(f.alias or name for name, f in wire.MaterialWrite.model_fields.items())
REVERSE_OP = {"create": "deactivate", "deactivate": "reactivate", "reactivate": "deactivate"}
"""What the revert of an INNERGY write is called (anything else is an ``update``)."""


class JournalWrite(Protocol):
    """What undo reads of one journalled write (the journal's write rows have these)."""

    @property
    def write_id(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def innergy_id(self) -> str | None: ...
    @property
    def before(self) -> Any: ...
    @property
    def payload(self) -> Any: ...
    @property
    def answer(self) -> Any: ...


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
    """A material's writable fields as INNERGY's JSON: what two records are compared on.

    Bookkeeping (``Id``, ``CreatedOn``, ``ModifiedOn``) and unknown extras are left out, and
    numbers are normalised through the wire model, so ``12.50`` equals ``12.5``.
    """
    if record is None:
        return None
    body = {name: record[name] for name in _WRITABLE if name in record}
    return wire.json_body(wire.MaterialWrite.model_validate(body))


def _cell(value: Any) -> str:
    return "" if is_blank(value) else str(value).strip()


def _same_cells(now: Mapping[str, Any], then: Mapping[str, Any]) -> bool:
    return all(_cell(now.get(header_key(column))) == _cell(value) for column, value in then.items())


def written_cells(write: JournalWrite) -> dict[str, Any]:
    """The cells a master write sets: ``after`` of a cell write, ``added`` of a new row."""
    payload = write.payload if isinstance(write.payload, Mapping) else {}
    return dict(payload.get("after") or payload.get("added") or {})


def cells_landed(write: JournalWrite, master: Mapping[str, tuple[int, Mapping[str, Any]]]) -> bool:
    """The master row of a write holds the cells it wrote (``master`` as ``read_master_cells``
    gives it): how an open write of a crashed run is settled without writing again."""
    found = master.get(sku_key(write.key))
    return found is not None and _same_cells(found[1], written_cells(write))


@dataclass
class _World:
    """INNERGY and the master as they are now, then as the planned steps leave them."""

    records: dict[str, dict[str, Any] | None]
    by_external_id: dict[str, str]
    master: dict[str, tuple[int, dict[str, Any]]]

    def record(self, write: JournalWrite) -> tuple[str | None, dict[str, Any] | None]:
        """The INNERGY record a write touched: by its id, else by the payload's external id."""
        answer = write.answer if isinstance(write.answer, Mapping) else {}
        before = write.before if isinstance(write.before, Mapping) else {}
        record_id = write.innergy_id or answer.get("Id") or before.get("Id")
        if not record_id:
            payload = write.payload if isinstance(write.payload, Mapping) else {}
            record_id = self.by_external_id.get(sku_key(str(payload.get("ExternalId") or write.key)))
        return record_id, self.records.get(record_id) if record_id else None


def _revert_material(write: JournalWrite, world: _World, plan: UndoPlan) -> None:
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


def _revert_cells(write: JournalWrite, world: _World, plan: UndoPlan) -> None:
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
    if _same_cells(cells, before):
        plan.unchanged.append(write.write_id)
        return
    if not _same_cells(cells, after):
        changed = ", ".join(c for c in after if _cell(cells.get(header_key(c))) != _cell(after[c]))
        _conflict(plan, write, f"master row {row} changed since this run: {changed}")
        return
    current = {column: cells.get(header_key(column)) for column in before}
    plan.steps.append(
        Step(write.write_id, write.target, "write_back", write.key, None, current, dict(before), row)
    )
    cells.update({header_key(column): value for column, value in before.items()})


def _conflict(plan: UndoPlan, write: JournalWrite, reason: str, innergy_id: str | None = None) -> None:
    plan.conflicts.append(Conflict(write.write_id, write.target, write.key, reason, innergy_id))


def _manual(write: JournalWrite) -> str:
    if write.target == MASTER_TARGET and write.op == "ppak_new":
        return f"this run added master row {write.key}; remove it by hand if it should go"
    return f"{write.target} {write.op} cannot be reverted through the API; revert it in INNERGY by hand"


def plan_undo(
    writes: Sequence[JournalWrite],
    innergy: Iterable[Mapping[str, Any]],
    master: Mapping[str, tuple[int, Mapping[str, Any]]],
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
        elif write.target == INNERGY_MATERIAL:
            _revert_material(write, world, plan)
        elif write.target == MASTER_TARGET and write.op in CELL_OPS:
            _revert_cells(write, world, plan)
        elif write.state == DONE:
            _conflict(plan, write, _manual(write))
        else:
            plan.unchanged.append(write.write_id)
    return plan


# -- carrying an undo out -------------------------------------------------------------------

MASTER = "MATERIAL_LIBRARY_MASTER"
UNDO_PREFIX = "undo:"
"""An undo write's change id: ``undo:<the write id it reverts>``."""
COUNTED = ("updated", "deactivated", "reactivated", "cells_restored")
_COUNT = {"update": "updated", "deactivate": "deactivated", "reactivate": "reactivated"}


def read_master_cells(rows: Rows) -> dict[str, tuple[int, dict[str, Any]]]:
    """The master as ``plan_undo`` takes it: sku_key -> (sheet row, cells by ``header_key``)."""
    if not rows:
        return {}
    header = [header_key(title) for title in rows[0]]
    sku = column_index(rows[0], "SKU")
    if sku is None:
        return {}
    master: dict[str, tuple[int, dict[str, Any]]] = {}
    for number, row in enumerate(rows[1:], start=2):
        value = row[sku] if sku < len(row) else None
        if not is_blank(value):
            master.setdefault(sku_key(str(value)), (number, dict(zip(header, row, strict=False))))
    return master


@dataclass
class Done:
    """What an undo run wrote and what it could not."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*COUNTED, "failed"), 0))
    failures: list[dict[str, str]] = field(default_factory=list)
    pending_resolved: int = 0


def resolve_pending(
    journal: Any,
    undo_writes: Iterable[Any],
    records: Mapping[str, Mapping[str, Any]],
    master: Mapping[str, tuple[int, Mapping[str, Any]]],
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
        if write.target == INNERGY_MATERIAL:
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


def _revert_innergy(steps: Sequence[Step], client: Any, journal: Any, run_id: str, done: Done) -> None:
    """Edits with whole records, each intended in the journal before it is sent."""
    workers = max(1, int(getattr(client, "concurrency", 1)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for start in range(0, len(steps), 50):
            sent = []
            for step in steps[start : start + 50]:
                write_id = _intend(journal, run_id, step, step.body)
                body = wire.MaterialWrite.model_validate(step.body)
                sent.append((step, write_id, pool.submit(client.edit_material, step.innergy_id, body)))
            for step, write_id, future in sent:
                try:
                    answer = future.result()
                except InnergyError as exc:
                    journal.mark_failed(write_id, str(exc))
                    done.counts["failed"] += 1
                    done.failures.append({"write_id": step.reverts, "key": step.key, "reason": str(exc)})
                    continue
                journal.mark_done(write_id, innergy_id=answer.id, answer=wire.json_body(answer))
                done.counts[_COUNT[step.op]] += 1


def _intend(journal: Any, run_id: str, step: Step, payload: Mapping[str, Any]) -> str:
    fields = {"target": step.target, "op": step.op, "key": step.key, "before": step.current}
    change_id = UNDO_PREFIX + step.reverts
    return str(journal.intend(run_id, **fields, payload=dict(payload), change_id=change_id, plan_id=None))


def _restore_cells(steps: Sequence[Step], workbook: Any, journal: Any, run_id: str, log_row: Any) -> int:
    """The master's old cell values and the SYNC_LOG row, as one workbook write."""
    from sheets_sync.commands.push import SYNC_LOG, WriteBack, write_back

    back = WriteBack()
    intended = []
    for step in steps:
        payload = {"row": step.row, "before": step.current, "after": step.body}
        intended.append((_intend(journal, run_id, step, payload), step))
        for column, value in step.body.items():
            back.set(MASTER, int(step.row or 0), column, None if is_blank(value) else value)
    back.sync_log_exists = SYNC_LOG in workbook.tab_names()
    back.append(SYNC_LOG, log_row())
    write_back(workbook, back, [])
    for write_id, step in intended:
        journal.mark_done(write_id, innergy_id=None, answer=step.body)
    return len(intended)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def undo(settings: Settings, run_id: str, dry_run: bool = False) -> Outcome:
    """``matsync undo --run RUN_ID``: revert one run, as a journalled run of its own."""
    from sheets_sync.commands.push import innergy_client, open_journal, open_workbook, run_lock

    if not (settings.output_dir / "state.db").is_file():
        raise UsageError(f"no journal in {settings.output_dir}: there is no run {run_id} to undo")
    journal = open_journal(settings.output_dir)
    try:
        writes = _run_writes(journal, run_id)
        if dry_run:
            return _undo(settings, journal, run_id, writes, None, innergy_client, open_workbook)
        with run_lock(settings.output_dir, "undo"):
            return _undo(settings, journal, run_id, writes, "undo", innergy_client, open_workbook)
    finally:
        journal.close()


def _undo(
    settings: Settings,
    journal: Any,
    run_id: str,
    writes: Sequence[Any],
    command: str | None,
    innergy_client: Any,
    open_workbook: Any,
) -> Outcome:
    workbook = open_workbook(settings)
    master = read_master_cells(workbook.read_tabs([MASTER]).get(MASTER) or [])
    with innergy_client(settings) as client:
        records = {r.id: wire.json_body(r) for r in client.list_materials()}
        done = Done()
        if command is not None:
            done.pending_resolved = resolve_pending(journal, _undo_writes(journal, run_id), records, master)
        undone = {
            str(w.change_id).removeprefix(UNDO_PREFIX)
            for w in _undo_writes(journal, run_id)
            if w.state == DONE and str(w.change_id or "").startswith(UNDO_PREFIX)
        }
        plan = plan_undo(writes, records.values(), master, undone)
        if command is None:
            return _outcome(plan, done, None, run_id, dry_run=True)
        undo_run = journal.start_run(command, plan_id=None, undo_of=run_id)
        try:
            innergy_steps = [s for s in plan.steps if s.target == INNERGY_MATERIAL]
            _revert_innergy(innergy_steps, client, journal, undo_run, done)
            cell_steps = _cells_to_restore(plan.steps, done)

            def log_row() -> dict[str, Any]:
                return _sync_log_row(journal.actor(undo_run), undo_run, plan, done)

            done.counts["cells_restored"] = _restore_cells(cell_steps, workbook, journal, undo_run, log_row)
        except BaseException:
            journal.finish_run(undo_run, outcome="failed", counts=done.counts)
            raise
    outcome = _outcome(plan, done, undo_run, run_id, dry_run=False)
    journal.finish_run(undo_run, outcome=outcome.summary["outcome"], counts=done.counts)
    return outcome


def _cells_to_restore(steps: Sequence[Step], done: Done) -> list[Step]:
    """Master reverts, except a row whose INNERGY revert failed (its INNERGY ID must stay)."""
    failed = {sku_key(f["key"]) for f in done.failures}
    kept = []
    for step in steps:
        if step.target == INNERGY_MATERIAL:
            continue
        if sku_key(step.key) in failed:
            reason = "master cells left as they are: the INNERGY revert of this SKU failed"
            done.failures.append({"write_id": step.reverts, "key": step.key, "reason": reason})
            done.counts["failed"] += 1
        else:
            kept.append(step)
    return kept


def _exit_code(plan: UndoPlan, done: Done) -> ExitCode:
    if done.counts["failed"]:
        return ExitCode.FAILED
    return ExitCode.NEEDS_PERSON if plan.conflicts else ExitCode.OK


def _outcome_name(code: ExitCode) -> str:
    return {ExitCode.FAILED: "failed", ExitCode.NEEDS_PERSON: "conflicts"}.get(code, "ok")


def _sync_log_row(actor: str, undo_run: str, plan: UndoPlan, done: Done) -> dict[str, Any]:
    from sheets_sync.commands.push import SYNC_LOG_COLUMNS

    outcome = _outcome_name(_exit_code(plan, done))
    c = done.counts
    values = (
        _now(), "undo", actor, undo_run, "", 0, c["updated"], c["deactivated"], c["reactivated"],
        len(plan.conflicts), c["failed"], outcome,
    )  # fmt: skip
    return dict(zip(SYNC_LOG_COLUMNS, values, strict=True))


def _outcome(plan: UndoPlan, done: Done, undo_run: str | None, run_id: str, *, dry_run: bool) -> Outcome:
    code = _exit_code(plan, done)
    outcome = _outcome_name(code)
    conflicts = [asdict(c) for c in plan.conflicts]
    summary: dict[str, Any] = {
        "ok": code == ExitCode.OK,
        "command": "undo",
        "dry_run": dry_run,
        "run_id": undo_run,
        "undo_of": run_id,
        "outcome": outcome,
        "counts": {**done.counts, "conflicts": len(plan.conflicts), "unchanged": len(plan.unchanged)},
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
    lines = [
        f"undo of run {run_id}: {verb} {len(plan.steps) - done.counts['failed']} writes; "
        f"{len(plan.unchanged)} needed nothing; {len(plan.conflicts)} conflicts; "
        f"{done.counts['failed']} failed",
        *(f"  conflict: {c.target} {c.key}: {c.reason}" for c in plan.conflicts),
        *(f"  failed: {f['key']}: {f['reason']}" for f in done.failures),
    ]
    if undo_run:
        lines.append(f"run {undo_run}")
    return Outcome(summary, code, lines)


# -- the journal's queries (owned by sheets_sync.store.journal) -------------------------------------


def _run_writes(journal: Any, run_id: str) -> list[Any]:
    """A run's writes in the order they were made; an unknown run is a usage error."""
    detail = journal.run(run_id)
    if detail is None:
        raise UsageError(f"there is no run {run_id} in the journal (`matsync history` lists the runs)")
    return list(detail.writes)


def _undo_writes(journal: Any, run_id: str) -> list[Any]:
    """Every write of the undo runs made of ``run_id`` so far."""
    runs = [r.run_id for r in journal.runs() if r.undo_of == run_id]
    return [write for undo_run in runs for write in _run_writes(journal, undo_run)]
