"""The INNERGY writer: approved material changes sent in batches, each journalled around its send.

The crash rule holds per write: intended (with INNERGY's record before) is committed
before anything is sent, done (with INNERGY's answer) after; a write whose answer was
lost is looked up, never resent. ``resolve_pending`` settles what a crashed run left open.

A requested ``Stop`` (SIGINT / SIGTERM) keeps every write not yet sent from being sent:
those in flight are awaited and journalled, the rest are Result ``NOT_SENT`` (journalled
as failed, since they never left, when their batch was already intended).

The journal holds JSON text made by pydantic's serializer (``wire_text``), and each batch's
answers are settled in the transaction that records the next batch as intended: one commit
per batch, and no dump to dicts and ``json.dumps`` per record on push's own thread.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from canonical.errors import InnergyError, InnergyValidationError
from canonical.normalize import sku_key
from canonical.plan import MaterialChange
from innergy_client import InnergyClient, wire
from innergy_client.mapping import edit_body, to_wire
from innergy_client.workers import result, worker_pool
from sheets_sync.approval.decide import APPLIED, NOT_SENT
from sheets_sync.approval.targets import INNERGY_TARGET
from sheets_sync.interrupt import WITHDRAWN, Stop
from sheets_sync.store.journal import Encoded, Intent, Journal

__all__ = ["Applied", "Writer", "create_body", "edit_body_for", "wire_json", "wire_text"]


def wire_json(model: wire.MaterialWrite | None) -> dict[str, Any] | None:
    """A wire record as the journal keeps it (INNERGY's names; exact JSON)."""
    return None if model is None else model.model_dump(mode="json", by_alias=True)


def wire_text(model: wire.MaterialWrite | None) -> Encoded | None:
    """``wire_json`` as the JSON text the journal stores, encoded by pydantic in one call."""
    return None if model is None else Encoded(model.model_dump_json(by_alias=True))


_Batch = tuple[
    Sequence[MaterialChange], Sequence[str], Sequence[wire.MaterialWrite], Future[list[wire.Material]]
]
"""A create batch in flight: its changes, their journal ids, the bodies, INNERGY's answer to come."""


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def create_body(change: MaterialChange) -> wire.MaterialWrite:
    """What a create sends: the plan's payload in INNERGY's names."""
    assert change.payload is not None
    return to_wire(change.payload)


def edit_body_for(change: MaterialChange, current: wire.Material) -> wire.MaterialWrite:
    """What an edit sends: INNERGY's whole current record with the approved fields changed."""
    assert change.payload is not None
    return edit_body(current, {f.field: getattr(change.payload, f.field) for f in change.changes})


def _reason(exc: InnergyError) -> str:
    return "; ".join(exc.messages) if exc.messages else str(exc)


@dataclass
class _Answers:
    """Answers in, not yet journalled: settled with the next batch's intents (``Writer._journal``)."""

    landed: list[tuple[MaterialChange, str, wire.Material]] = field(default_factory=list)
    failed: list[tuple[MaterialChange, str, str]] = field(default_factory=list)
    """(change, write id, reason): refused by INNERGY."""
    withdrawn: list[tuple[MaterialChange, str]] = field(default_factory=list)
    """Intended, then kept back by a stop: never sent."""
    unknown: list[tuple[MaterialChange, str, str]] = field(default_factory=list)
    """(change, write id, reason): sent, and whether it landed could not be looked up."""


@dataclass
class Applied:
    """What the INNERGY writes of one push did, per change id."""

    results: dict[str, str] = field(default_factory=dict)
    """change id -> Result text."""
    ids: dict[str, str] = field(default_factory=dict)
    """change id -> the INNERGY id the master row is given (a dry run's prediction, too)."""
    records: dict[str, wire.Material] = field(default_factory=dict)
    """change id -> INNERGY's answer (the record as it now is); empty in a dry run."""


class Writer:
    """Sends the approved material changes to INNERGY, journalling each batch around it.

    A batch (a create request, or a round of concurrent edits) is committed as intended
    before anything of it is sent; its answers are committed with the next batch's intents
    (or at the end), never before they came: the crash rule holds per write, and SQLite
    commits once per batch. ``stop`` is looked at before each batch and before each single send.
    """

    def __init__(
        self, client: InnergyClient, journal: Journal, run_id: str, plan_id: str, stop: Stop | None = None
    ) -> None:
        self.client = client
        self.journal = journal
        self.run_id = run_id
        self.plan_id = plan_id
        self.stop = stop or Stop()
        self.out = Applied()
        self._answers_in = _Answers()

    # creates

    def create(self, changes: Sequence[MaterialChange]) -> None:
        """Create in batches through the create endpoint; lost answers are looked up.

        Up to the client's concurrency of batches are in flight, and one more is intended
        and queued while this thread journals an answer, so the connections never wait on
        the journal; each batch is still intended before it is sent and done after.
        (A SKU the journal holds as created never gets here: ``decide`` skips it.)
        """
        workers = max(1, self.client.concurrency)
        in_flight: deque[_Batch] = deque()
        with worker_pool(workers) as pool:
            try:
                for chunk in _chunks(changes, self.client.batch_size):
                    if self.stop.requested:  # a signal: no new batch; those in flight are settled below
                        self._not_sent(chunk)
                        continue
                    bodies = [create_body(c) for c in chunk]
                    ids = self._intend([(c, "create", None, b) for c, b in zip(chunk, bodies, strict=True)])
                    in_flight.append((chunk, ids, bodies, pool.submit(self.client.create_materials, bodies)))
                    if len(in_flight) > workers:
                        self._created(*in_flight.popleft())
                while in_flight:
                    self._created(*in_flight.popleft())
            finally:
                self._journal()

    def _created(
        self,
        chunk: Sequence[MaterialChange],
        ids: Sequence[str],
        bodies: Sequence[wire.MaterialWrite],
        sent: Future[list[wire.Material]],
    ) -> None:
        """A create batch's answer journalled: done, or found alone, or looked up."""
        try:
            answers = result(sent)
        except InnergyValidationError as exc:
            if len(chunk) > 1:  # one bad row must not sink its batch: find it alone
                self._fail_or_retry_alone(chunk, ids, bodies)
                return
            self._resolve_lost(chunk, ids, bodies, _reason(exc))
            return
        except InnergyError as exc:
            self._resolve_lost(chunk, ids, bodies, _reason(exc))
            return
        self._done(list(zip(chunk, ids, answers, strict=True)))

    def _fail_or_retry_alone(
        self, chunk: Sequence[MaterialChange], ids: Sequence[str], bodies: Sequence[wire.MaterialWrite]
    ) -> None:
        for change, write_id, body in zip(chunk, ids, bodies, strict=True):
            if self.stop.requested:
                self._withdrawn([(change, write_id)])
                continue
            try:
                (answer,) = self.client.create_materials([body])
            except InnergyError as exc:
                self._resolve_lost([change], [write_id], [body], _reason(exc))
                continue
            self._done([(change, write_id, answer)])

    def _resolve_lost(
        self,
        chunk: Sequence[MaterialChange],
        ids: Sequence[str],
        bodies: Sequence[wire.MaterialWrite],
        reason: str,
    ) -> None:
        """After an error a create may still have landed: look it up before calling it failed."""
        try:
            found = {sku_key(r.external_id or ""): r for r in self.client.list_materials()}
        except InnergyError:
            self._answers_in.unknown.extend((c, w, reason) for c, w in zip(chunk, ids, strict=True))
            return
        landed, failed = [], []
        for change, write_id, body in zip(chunk, ids, bodies, strict=True):
            record = found.get(sku_key(body.external_id or ""))
            if record is not None:
                landed.append((change, write_id, record))
            else:
                failed.append((change, write_id, reason))
        self._done(landed)
        self._failed(failed)

    # edits

    def edit(self, changes: Sequence[tuple[MaterialChange, wire.Material]]) -> None:
        """Edits with the whole record: INNERGY's current one with the approved fields changed.

        Rounds of 50 overlap: a round is intended and queued while the one before is still
        in flight, and only then are that one's answers awaited, so the connections never
        wait on the journal (the answers are committed with the next round's intents).
        """
        workers = max(1, self.client.concurrency)
        in_flight: deque[list[tuple[MaterialChange, str, Future[wire.Material | None]]]] = deque()
        with worker_pool(workers) as pool:
            try:
                for chunk in _chunks(changes, 50):
                    if self.stop.requested:
                        self._not_sent([change for change, _ in chunk])
                        continue
                    bodies = [edit_body_for(change, current) for change, current in chunk]
                    ids = self._intend(
                        [(c, c.action, current, b) for (c, current), b in zip(chunk, bodies, strict=True)]
                    )
                    in_flight.append([
                        (change, write_id, pool.submit(self._edit, current.id, body))
                        for (change, current), write_id, body in zip(chunk, ids, bodies, strict=True)
                    ])  # fmt: skip
                    if len(in_flight) > 1:
                        self._answers(in_flight.popleft())
                while in_flight:
                    self._answers(in_flight.popleft())
            finally:
                self._journal()

    def _edit(self, material_id: str, body: wire.MaterialWrite) -> wire.Material | None:
        """One queued edit, sent unless a stop was requested meanwhile (``None``: not sent)."""
        if self.stop.requested:
            return None
        return self.client.edit_material(material_id, body)

    def _answers(self, sent: Sequence[tuple[MaterialChange, str, Future[wire.Material | None]]]) -> None:
        """Wait for a round of edits and journal it: landed ones done, refused ones failed,
        those a stop kept back withdrawn."""
        landed, failed, withdrawn = [], [], []
        for change, write_id, future in sent:
            try:
                answer = result(future)
            except InnergyError as exc:
                failed.append((change, write_id, _reason(exc)))
                continue
            if answer is None:
                withdrawn.append((change, write_id))
            else:
                landed.append((change, write_id, answer))
        self._done(landed)
        self._failed(failed)
        self._withdrawn(withdrawn)

    # journal

    def _intend(
        self, writes: Sequence[tuple[MaterialChange, str, wire.Material | None, wire.MaterialWrite]]
    ) -> list[str]:
        """A batch as intended (op, INNERGY's record before, the body), committed before it
        is sent, with the answers that came in since the last batch."""
        intents = [
            Intent(INNERGY_TARGET, op, change.sku, wire_text(before), wire_text(body), change.change_id,
                   self.plan_id)
            for change, op, before, body in writes
        ]  # fmt: skip
        return self._journal(intents)

    def _journal(self, intents: Sequence[Intent] = ()) -> list[str]:
        """One transaction: the answers in so far settled, ``intents`` recorded; then the
        settled writes' Results (a Result is given only once its write is journalled). When
        the transaction is refused the answers stay in, for the closing call to settle."""
        answers = self._answers_in
        ids = self.journal.step(
            self.run_id,
            intents,
            done=[(w, answer.id, wire_text(answer)) for _, w, answer in answers.landed],
            failed=[
                *((w, reason) for _, w, reason in answers.failed),
                *((w, WITHDRAWN) for _, w in answers.withdrawn),
            ],
            unknown=[(w, reason) for _, w, reason in answers.unknown],
        )
        self._answers_in = _Answers()
        for change, _, answer in answers.landed:
            self.out.results[change.change_id] = APPLIED
            self.out.records[change.change_id] = answer
            self.out.ids[change.change_id] = answer.id
        for change, _, reason in answers.failed:
            self.out.results[change.change_id] = f"failed: {reason}"
        self._not_sent([change for change, _ in answers.withdrawn])
        for change, _, reason in answers.unknown:
            self.out.results[change.change_id] = f"failed: {reason} (outcome unknown; push again)"
        return ids

    def _done(self, landed: Sequence[tuple[MaterialChange, str, wire.Material]]) -> None:
        self._answers_in.landed.extend(landed)

    def _failed(self, failed: Sequence[tuple[MaterialChange, str, str]]) -> None:
        self._answers_in.failed.extend(failed)

    def _withdrawn(self, kept_back: Sequence[tuple[MaterialChange, str]]) -> None:
        """Intended writes a stop kept from being sent: settled as never sent."""
        self._answers_in.withdrawn.extend(kept_back)

    def _not_sent(self, changes: Sequence[MaterialChange]) -> None:
        for change in changes:
            self.out.results[change.change_id] = NOT_SENT
