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
from dataclasses import dataclass, field
from typing import Any, Protocol

from canonical.normalize import is_blank, sku_key
from innergy_client import wire

__all__ = ["Conflict", "JournalWrite", "Step", "UndoPlan", "material_state", "plan_undo"]

INNERGY_MATERIAL = "innergy.material"
MASTER_TARGET = "sheet.MATERIAL_LIBRARY_MASTER"
CELL_OPS = frozenset({"write_back", "ppak_differs"})
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
    return all(_cell(now.get(column)) == _cell(value) for column, value in then.items())


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

    def row(self, number: Any) -> tuple[int, dict[str, Any]] | None:
        """A master row by its number (for writes journalled under another key)."""
        return next((found for found in self.master.values() if found[0] == number), None)


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
    if write.state != DONE:
        plan.unchanged.append(write.write_id)  # the sheet write was never confirmed
        return
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        _conflict(plan, write, "the journal holds no old cell values for this write")
        return
    found = world.master.get(sku_key(write.key)) or world.row(payload.get("row"))
    if found is None:
        _conflict(plan, write, f"master row for SKU {write.key} is gone")
        return
    row, cells = found
    if _same_cells(cells, before):
        plan.unchanged.append(write.write_id)
        return
    if not _same_cells(cells, after):
        changed = ", ".join(c for c in after if _cell(cells.get(c)) != _cell(after[c]))
        _conflict(plan, write, f"master row {row} changed since this run: {changed}")
        return
    current = {column: cells.get(column) for column in before}
    plan.steps.append(
        Step(write.write_id, write.target, "write_back", write.key, None, current, dict(before), row)
    )
    cells.update(before)


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
    SKU's ``sku_key`` to its master row number and cells now; ``undone`` names writes an
    earlier undo of the same run already reverted (they are left alone).
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
