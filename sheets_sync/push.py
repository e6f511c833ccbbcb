"""Push: apply exactly the approved, still-valid rows of the current plan to INNERGY.

The rules (architecture.md, "Plan, approval, push"):

- only ticked rows, and only while neither fingerprint (master row, INNERGY record)
  has moved since the plan; otherwise the row is ``stale`` and left alone;
- every INNERGY write is journalled as intended (with INNERGY's record just before it)
  before it is sent, and as done (with INNERGY's id and answer) after; a crashed run's
  pending writes are resolved first, by looking the record up, never by resending;
- a change id already applied is ``skipped: already applied``: a second push, or a push
  after a crash, duplicates nothing;
- results go back to the workbook in one write: INNERGY ID and Last Synced in the
  master, a Result per ticked row, a SYNC_LOG row;
- in the same write, blank INNERGY ID cells of rows whose SKU is exactly one INNERGY
  record's external id are filled (``link_ids``): bookkeeping of the tool's own column
  from this push's read of INNERGY, nothing applied anywhere, so it needs no approval
  (a link carried in the plan could be stale by push time; this one cannot).

The steps are functions over data (``read_diff_tab``, ``decide``) plus one ``_Writer``
that owns the INNERGY client and the journal, so that ``nightly`` and
``export-import-file`` reuse them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from canonical.errors import ExitCode, InnergyError, InnergyValidationError, PlanError
from canonical.models import Library, Material, Problem
from canonical.normalize import is_blank, sku_key
from canonical.plan import MaterialChange, Plan, PPakChange, is_tick
from canonical.serialize import fingerprint
from innergy_client import InnergyClient, wire
from innergy_client.mapping import edit_body, to_canonical, to_wire
from reports.plan import HEADER_ROW
from sheets_sync.config import Settings
from sheets_sync.console import Outcome
from sheets_sync.issues_tab import issues_rewrite
from sheets_sync.journal import Intent, Journal
from sheets_sync.lock import run_lock
from sheets_sync.pull import LIBRARY_TABS, read_library
from sheets_sync.tabs import DIFF_INNERGY, DIFF_PPAK, ISSUES, MASTER, SYNC_LOG, SYNC_LOG_HEADER
from sheets_sync.undo import cells_landed, read_master_cells, written_cells
from sheets_sync.workbook import (
    Append,
    Cell,
    CellUpdate,
    Op,
    Rewrite,
    Rows,
    Workbook,
    header_columns,
    header_key,
    open_workbook,
)

__all__ = ["Decision", "DiffTab", "Ticked", "decide", "read_diff_tab"]

APPLIED = "applied"
ALREADY = "skipped: already applied"
WOULD_APPLY = "would apply"
INNERGY_TARGET = "innergy.material"
MASTER_TARGET = f"sheet.{MASTER}"
TOOL_COLUMNS = ("INNERGY ID", "Last Synced")
"""The master columns push writes (besides the cells a DIFF_PPAK tick sets)."""


# -- reading the diff tabs ------------------------------------------------------------------


@dataclass(frozen=True)
class Ticked:
    """One ticked diff row: its tab, its sheet row (as a person sees it) and its change id."""

    tab: str
    row: int
    change_id: str


@dataclass(frozen=True)
class DiffTab:
    """What push needs from one diff tab: the plan id in B1 and the ticked rows."""

    name: str
    plan_id: str | None
    ticked: tuple[Ticked, ...]
    result_column: str | None
    """The header text of the Result column as the tab spells it (``None`` when absent)."""


def _cell(rows: Sequence[Sequence[Any]], row: int, col: int) -> Any:
    return rows[row][col] if row < len(rows) and col < len(rows[row]) else None


def read_diff_tab(name: str, rows: Sequence[Sequence[Any]]) -> DiffTab:
    """Parse DIFF_INNERGY / DIFF_PPAK values as read (row 1: ``Plan ID`` | id; row 3: header)."""
    raw_id = _cell(rows, 0, 1)
    plan_id = str(raw_id).strip() if raw_id not in (None, "") else None
    header = list(rows[HEADER_ROW - 1]) if len(rows) >= HEADER_ROW else []
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        columns.setdefault(str(title or "").strip().casefold(), index)
    approve, change = columns.get("approve"), columns.get("change id")
    ticked: list[Ticked] = []
    if approve is not None and change is not None:
        for index in range(HEADER_ROW, len(rows)):
            change_id = _cell(rows, index, change)
            if change_id not in (None, "") and is_tick(_cell(rows, index, approve)):
                ticked.append(Ticked(name, index + 1, str(change_id).strip()))
    result = columns.get("result")
    return DiffTab(name, plan_id, tuple(ticked), str(header[result]) if result is not None else None)


# -- deciding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """A ticked row and what push does with it: apply it (``verdict`` None) or a final Result."""

    ticked: Ticked
    change: MaterialChange | PPakChange | None
    verdict: str | None = None


@dataclass(frozen=True)
class Innergy:
    """INNERGY's material library as read at the start of a push, keyed two ways."""

    records: tuple[wire.Material, ...]
    by_id: Mapping[str, wire.Material] = field(init=False)
    by_key: Mapping[str, wire.Material] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {r.id: r for r in self.records})
        by_key: dict[str, wire.Material] = {}
        for record in self.records:
            if record.external_id and record.external_id.strip():
                by_key.setdefault(sku_key(record.external_id), record)
        object.__setattr__(self, "by_key", by_key)

    def record_for(self, change: MaterialChange) -> wire.Material | None:
        if change.innergy_id:
            return self.by_id.get(change.innergy_id)
        return self.by_key.get(sku_key(change.sku))

    def sole_records(self) -> dict[str, wire.Material]:
        """sku_key -> the record, for external ids exactly one record carries."""
        held = Counter(
            sku_key(r.external_id) for r in self.records if r.external_id and r.external_id.strip()
        )
        return {key: self.by_key[key] for key, count in held.items() if count == 1}


def _stale(master_was: str, master_now: str, innergy_was: str, innergy_now: str) -> str | None:
    if master_was != master_now:
        if master_now == "-":
            return "stale: the master row is gone since the plan"
        if master_was == "-":
            return "stale: the master has a row with this SKU since the plan"
        return "stale: the master row changed since the plan"
    if innergy_was != innergy_now:
        if innergy_now == "-":
            return "stale: the INNERGY record is gone since the plan"
        if innergy_was == "-":
            return "stale: INNERGY has a record with this SKU since the plan"
        return "stale: the INNERGY record changed since the plan"
    return None


def _master_now(was: str, material: Material | None, linked: str | None) -> str:
    """The master row's fingerprint, as the plan saw it when the only change since is a
    link: its INNERGY ID was blank then and holds ``linked`` now (``link_ids``)."""
    now = fingerprint(material)
    if now != was and material is not None and linked and material.innergy_id == linked:
        unlinked = fingerprint(material.model_copy(update={"innergy_id": None}))
        if unlinked == was:
            return unlinked
    return now


def _material_verdict(change: MaterialChange, library: Library, innergy: Innergy | None) -> str | None:
    if change.action == "conflict":
        return f"skipped: a conflict is never applied ({change.reason or 'see Changes'})"
    if innergy is None:  # the no-API path: only the master side can be checked
        now = change.innergy_fingerprint
    else:
        record = innergy.record_for(change)
        now = fingerprint(to_canonical(record) if record else None)
    master = _master_now(change.master_fingerprint, library.material(change.sku), change.innergy_id)
    return _stale(change.master_fingerprint, master, change.innergy_fingerprint, now)


def _ppak_verdict(change: PPakChange, library: Library) -> str | None:
    """A PPak change reads no INNERGY ID, so a link since the plan (to any record) is no change."""
    sku = change.canonical_sku or (change.master_row.sku if change.master_row else change.ppak_sku)
    material = library.material(sku)
    linked = material.innergy_id if material else None
    return _stale(
        change.master_fingerprint, _master_now(change.master_fingerprint, material, linked), "-", "-"
    )


def decide(
    ticked: Iterable[Ticked],
    plan: Plan,
    library: Library,
    innergy: Innergy | None,
    applied: set[str],
) -> list[Decision]:
    """Each ticked row against the plan and the current master and INNERGY (Terraform's rule).

    ``innergy`` is ``None`` where INNERGY cannot be read (the import-file path).
    """
    materials = {c.change_id: c for c in plan.changes}
    ppak = {c.change_id: c for c in plan.ppak_changes}
    decisions = []
    for tick in ticked:
        change: MaterialChange | PPakChange | None = materials.get(tick.change_id) or ppak.get(tick.change_id)
        if change is None:
            verdict: str | None = f"skipped: change {tick.change_id} is not in plan {plan.plan_id}"
        elif tick.change_id in applied:
            verdict = ALREADY
        elif isinstance(change, MaterialChange):
            verdict = _material_verdict(change, library, innergy)
        else:
            verdict = _ppak_verdict(change, library)
        decisions.append(Decision(tick, change, verdict))
    return decisions


# -- writing to INNERGY -------------------------------------------------------------------------


def wire_json(model: wire.MaterialWrite | None) -> dict[str, Any] | None:
    """A wire record as the journal keeps it (INNERGY's names; exact JSON)."""
    return None if model is None else model.model_dump(mode="json", by_alias=True)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _edit_changes(change: MaterialChange) -> dict[str, Any]:
    """The approved fields and their new values, from the plan's payload."""
    assert change.payload is not None
    return {f.field: getattr(change.payload, f.field) for f in change.changes}


def _reason(exc: InnergyError) -> str:
    return "; ".join(exc.messages) if exc.messages else str(exc)


@dataclass
class Applied:
    """What the INNERGY writes of one push did, per change id."""

    results: dict[str, str] = field(default_factory=dict)
    """change id -> Result text."""
    records: dict[str, wire.Material] = field(default_factory=dict)
    """change id -> INNERGY's answer (the record as it now is)."""


class Writer:
    """Sends the approved material changes to INNERGY, journalling each batch around it.

    A batch (a create request, or a round of concurrent edits) is one ``intended``
    transaction before anything is sent and one ``done`` transaction after its answers:
    the crash rule holds per write, and SQLite commits per batch, not per row.
    """

    def __init__(self, client: Any, journal: Any, run_id: str, plan_id: str) -> None:
        self.client = client
        self.journal = journal
        self.run_id = run_id
        self.plan_id = plan_id
        self.out = Applied()

    # creates

    def create(self, changes: Sequence[MaterialChange]) -> None:
        """Create in batches through the create endpoint; lost answers are looked up."""
        sendable = [c for c in changes if c.payload is not None]
        for chunk in _chunks(sendable, self.client.batch_size):
            bodies = [to_wire(c.payload) for c in chunk if c.payload is not None]
            ids = self._intend([(c, "create", None, b) for c, b in zip(chunk, bodies, strict=True)])
            try:
                answers = self.client.create_materials(bodies)
            except InnergyValidationError as exc:
                if len(chunk) > 1:  # one bad row must not sink its batch: find it alone
                    self._fail_or_retry_alone(chunk, ids, bodies)
                    continue
                self._resolve_lost(chunk, ids, bodies, _reason(exc))
                continue
            except InnergyError as exc:
                self._resolve_lost(chunk, ids, bodies, _reason(exc))
                continue
            self._done(list(zip(chunk, ids, answers, strict=True)))

    def _fail_or_retry_alone(
        self, chunk: Sequence[MaterialChange], ids: Sequence[str], bodies: Sequence[wire.MaterialWrite]
    ) -> None:
        for change, write_id, body in zip(chunk, ids, bodies, strict=True):
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
            for change, write_id in zip(chunk, ids, strict=True):
                self.journal.mark_unknown(write_id, reason)
                self.out.results[change.change_id] = f"failed: {reason} (outcome unknown; push again)"
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

        Rounds of 50 overlap: the next round is intended and queued before the answers of
        the one in flight are journalled, so the connections never wait on the journal.
        """
        workers = max(1, int(getattr(self.client, "concurrency", 1)))
        in_flight: list[tuple[MaterialChange, str, Future[wire.Material]]] = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for chunk in _chunks(changes, 50):
                bodies = [edit_body(current, _edit_changes(change)) for change, current in chunk]
                ids = self._intend(
                    [(c, c.action, current, b) for (c, current), b in zip(chunk, bodies, strict=True)]
                )
                sent = [
                    (change, write_id, pool.submit(self.client.edit_material, current.id, body))
                    for (change, current), write_id, body in zip(chunk, ids, bodies, strict=True)
                ]
                self._answers(in_flight)
                in_flight = sent
            self._answers(in_flight)

    def _answers(self, sent: Sequence[tuple[MaterialChange, str, Future[wire.Material]]]) -> None:
        """Wait for a round of edits and journal it: landed ones done, refused ones failed."""
        landed, failed = [], []
        for change, write_id, future in sent:
            try:
                landed.append((change, write_id, future.result()))
            except InnergyError as exc:
                failed.append((change, write_id, _reason(exc)))
        self._done(landed)
        self._failed(failed)

    # journal

    def _intend(
        self, writes: Sequence[tuple[MaterialChange, str, wire.Material | None, wire.MaterialWrite]]
    ) -> list[str]:
        """A batch as intended (op, INNERGY's record before, the body), committed before it is sent."""
        intents = [
            Intent(INNERGY_TARGET, op, change.sku, wire_json(before), wire.json_body(body), change.change_id,
                   self.plan_id)
            for change, op, before, body in writes
        ]  # fmt: skip
        return [str(w) for w in self.journal.intend_many(self.run_id, intents)]

    def _done(self, landed: Sequence[tuple[MaterialChange, str, wire.Material]]) -> None:
        self.journal.mark_done_many((w, answer.id, wire_json(answer)) for _, w, answer in landed)
        for change, _, answer in landed:
            self.out.results[change.change_id] = APPLIED
            self.out.records[change.change_id] = answer

    def _failed(self, failed: Sequence[tuple[MaterialChange, str, str]]) -> None:
        self.journal.mark_failed_many((w, reason) for _, w, reason in failed)
        for change, _, reason in failed:
            self.out.results[change.change_id] = f"failed: {reason}"


def resolve_pending(journal: Any, innergy: Innergy) -> int:
    """Settle the writes a crashed run left open, from INNERGY's records; never resend.

    A create that landed is found by its external id; an edit landed when INNERGY's
    record now carries the payload's values. What did not land is marked failed, so its
    change is not ``applied`` and the ticked row is applied again by this run.
    """
    settled = 0
    for write in journal.pending_writes():
        if write.target != INNERGY_TARGET:
            continue
        payload = write.payload or {}
        if write.op == "create":
            record = innergy.by_key.get(sku_key(str(payload.get("ExternalId") or write.key)))
        else:
            current = innergy.by_id.get(str(write.innergy_id or (write.before or {}).get("Id")))
            landed = current is not None and all(wire_json(current).get(k) == v for k, v in payload.items())  # type: ignore[union-attr]
            record = current if landed else None
        if record is not None:
            journal.mark_done(write.write_id, innergy_id=record.id, answer=wire_json(record))
        else:
            journal.mark_failed(write.write_id, "not found in INNERGY after an interrupted run")
        settled += 1
    return settled


# -- the sheet side ----------------------------------------------------------------------------

DIFF_TABS = (DIFF_INNERGY, DIFF_PPAK)
SYNC_LOG_COLUMNS = SYNC_LOG_HEADER
"""SYNC_LOG's header (undo writes its rows with it)."""
COUNTED = {"create": "created", "update": "updated", "deactivate": "deactivated", "reactivate": "reactivated"}


@dataclass
class WriteBack:
    """Everything a push writes to the workbook, sent as one workbook write."""

    cells: list[tuple[str, int, str, Any]] = field(default_factory=list)
    """(tab, sheet row, column header, value)."""
    appends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """tab -> rows to add at the bottom (SYNC_LOG, new master rows), by column header."""

    sync_log_exists: bool = True
    """False when the workbook has no SYNC_LOG tab yet: it is created with its header."""
    journalled: list[SheetWrite] = field(default_factory=list)
    """The master writes among ``cells`` and ``appends``, as the journal keeps them."""

    def set(self, tab: str, row: int, column: str, value: Any) -> None:
        self.cells.append((tab, row, column, value))

    def append(self, tab: str, row: dict[str, Any]) -> None:
        self.appends.setdefault(tab, []).append(row)


@dataclass(frozen=True)
class Sheet:
    """What push read from the workbook."""

    library: Library
    rows: Mapping[str, int]
    """sku_key -> master sheet row (as a person sees it)."""
    tabs: Mapping[str, DiffTab]
    has_sync_log: bool = True
    issues: Rows | None = None
    """ISSUES as read (``None`` when the tab is missing)."""
    master: Rows | None = None
    """The master tab as read: the cells' own text, which undo puts back as it was."""

    def master_cell(self, row: int, column: str) -> Cell:
        """A master cell's value as read (row as a person sees it), ``None`` when empty."""
        rows = self.master or []
        at = self._master_columns.get(header_key(column))
        if at is None or row > len(rows) or at >= len(rows[row - 1]):
            return None
        return rows[row - 1][at]

    @cached_property
    def _master_columns(self) -> dict[str, int]:
        """The master's header as ``header_key`` -> position (the first of a repeated title),
        found once rather than per cell."""
        return header_columns(self.master[0] if self.master else [])

    @property
    def plan_id(self) -> str | None:
        ids = {t.plan_id for t in self.tabs.values() if t.plan_id and t.ticked}
        ids = ids or {t.plan_id for t in self.tabs.values() if t.plan_id}
        return min(ids) if len(ids) == 1 else None

    @property
    def ticked(self) -> list[Ticked]:
        return [tick for tab in self.tabs.values() for tick in tab.ticked]


def _master_cells(
    back: WriteBack, sheet: Sheet, sku: str, record: wire.Material, synced: str, plan_id: str
) -> list[SheetWrite]:
    """INNERGY ID and Last Synced for a master row, journalled with the cells' old values."""
    row = sheet.rows.get(sku_key(sku))
    if row is None:
        return []
    old = {column: sheet.master_cell(row, column) for column in TOOL_COLUMNS}
    back.set(MASTER, row, "INNERGY ID", record.id)
    back.set(MASTER, row, "Last Synced", synced)
    cells = {"row": row, "before": old, "after": {"INNERGY ID": record.id, "Last Synced": synced}}
    return [(Intent(MASTER_TARGET, "write_back", sku, old, cells, None, plan_id), cells["after"])]


PPAK_COLUMNS = {"uom": "UoM", "cost": "Cost", "description": "Description"}
"""DIFF_PPAK ``differs`` fields -> the master column a tick updates."""


def ppak_master_writes(
    change: PPakChange, sheet: Sheet, back: WriteBack
) -> tuple[list[Problem], dict[str, Any]]:
    """A ticked DIFF_PPAK row into the master: a new row, or the differing cells updated.

    Returns the problems (what a new row could not be given) and what was written (with
    the cells' old values, for undo).
    """
    if change.kind == "new" and change.master_row is not None:
        row = change.master_row
        values = {
            "SKU": row.sku,
            "Name": row.name,
            "Category": row.category,
            "UoM": row.uom,
            "Cost": str(row.cost),
        }
        problems = [
            Problem(
                source=DIFF_PPAK,
                column=column,
                value=None,
                message=f"PPak item {change.ppak_sku} was added to the master without {column}: fill it in",
                severity="warning",
            )
            for column, value in values.items()
            if value in (None, "")
        ]
        back.append(MASTER, values)
        return problems, {"added": values}
    master = sheet.library.material(change.canonical_sku or "")
    row_number = sheet.rows.get(sku_key(change.canonical_sku or ""))
    if master is None or row_number is None:
        return [], {}
    before, after = {}, {}
    for line in change.changes:
        column = PPAK_COLUMNS.get(line.field)
        if column is None:
            continue
        before[column] = sheet.master_cell(row_number, column)  # the cell's own text, for undo
        after[column] = line.new
        back.set(MASTER, row_number, column, line.new)
    return [], {"row": row_number, "before": before, "after": after}


# -- the run ---------------------------------------------------------------------------------


def load_plan(output_dir: Path, plan_id: str | None) -> Plan:
    """The plan the diff tabs were written from (``plans/<id>.json``)."""
    if not plan_id:
        raise PlanError(
            "the diff tabs hold no single plan id in B1 (or two different ones)", hint="run `matsync plan`"
        )
    path = output_dir / "plans" / f"{plan_id}.json"
    if not path.is_file():
        raise PlanError(
            f"plan {plan_id} named in the diff tabs is not in {path.parent}", hint="run `matsync plan`"
        )
    return Plan.from_json(path.read_text(encoding="utf-8"))


def _now() -> str:
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
            _now(), command, actor, run_id, plan_id or "", self.counts["created"], self.counts["updated"],
            self.counts["deactivated"], self.counts["reactivated"], self.counts["stale"],
            self.counts["failed"], self.outcome,
        )  # fmt: skip
        return dict(zip(SYNC_LOG_HEADER, values, strict=True))


def innergy_client(settings: Settings) -> InnergyClient:
    key = settings.innergy_api_key.get_secret_value() if settings.innergy_api_key else ""
    return InnergyClient(settings.innergy_base_url, key)


def _ppak_key(change: PPakChange) -> str:
    """The master SKU a DIFF_PPAK row writes to (the new row's SKU for ``new``)."""
    if change.master_row is not None:
        return change.master_row.sku
    return change.canonical_sku or change.ppak_sku


SheetWrite = tuple[Intent, Any]
"""A master write as journalled (``payload``: row, before, after) and its answer."""


def _apply_ppak(
    decisions: Sequence[Decision], sheet: Sheet, back: WriteBack, report: Report
) -> list[SheetWrite]:
    writes = []
    for decision in decisions:
        change = decision.change
        assert isinstance(change, PPakChange)
        problems, written = ppak_master_writes(change, sheet, back)
        report.problems.extend(problems)
        intent = Intent(
            MASTER_TARGET, f"ppak_{change.kind}", _ppak_key(change), written.get("before"), written,
            change.change_id, sheet.plan_id,
        )  # fmt: skip
        writes.append((intent, written))
        report.record(decision.ticked, APPLIED, change)
    return writes


def execute(
    sheet: Sheet,
    plan: Plan,
    innergy: Innergy,
    decisions: Sequence[Decision],
    *,
    client: Any,
    journal: Journal,
    run_id: str,
) -> tuple[Report, WriteBack]:
    """Apply the decided rows to INNERGY; the write-back to send (the master's cells last)."""
    report, back, synced = Report(), WriteBack(), _now()
    to_apply = [d for d in decisions if d.verdict is None and _is_material(d)]
    to_create = [d for d in to_apply if _is_material(d, "create")]
    to_edit = [d for d in to_apply if not _is_material(d, "create")]
    writer = Writer(client, journal, run_id, plan.plan_id)
    writer.create([d.change for d in to_create])  # type: ignore[misc]
    edits = []
    for decision in to_edit:
        change = decision.change
        assert isinstance(change, MaterialChange)
        current = innergy.record_for(change)
        if current is None or change.payload is None:
            writer.out.results[change.change_id] = "failed: the INNERGY record to edit was not found"
        else:
            edits.append((change, current))
    writer.edit(edits)
    sheet_writes: list[SheetWrite] = []
    for decision in decisions:
        change = decision.change
        record: wire.Material | None = None
        if decision.verdict is None and isinstance(change, MaterialChange):
            report.record(decision.ticked, writer.out.results[change.change_id], change)
            record = writer.out.records.get(change.change_id)
        elif decision.verdict is not None:
            report.record(decision.ticked, decision.verdict, change)
            if decision.verdict == ALREADY and isinstance(change, MaterialChange):
                record = _lost_write_back(sheet, innergy, change)
        if record is not None:
            assert isinstance(change, MaterialChange)
            sheet_writes.extend(_master_cells(back, sheet, change.sku, record, synced, plan.plan_id))
    ppak = [d for d in decisions if d.verdict is None and isinstance(d.change, PPakChange)]
    sheet_writes.extend(_apply_ppak(ppak, sheet, back, report))
    back.journalled.extend(sheet_writes)
    if writer.out.records:
        answers = list(writer.out.records.values())
        journal.set_baseline({a.id: to_canonical(a) for a in answers})
        journal.set_ids(INNERGY_TARGET, {a.external_id: a.id for a in answers if a.external_id})
    return report, back


def _is_material(decision: Decision, action: str | None = None) -> bool:
    change = decision.change
    return isinstance(change, MaterialChange) and (action is None or change.action == action)


def _write_back_journalled(
    workbook: Workbook, back: WriteBack, report: Report, sheet: Sheet, journal: Journal, run_id: str
) -> None:
    """The workbook write, with its master writes (``back.journalled``) journalled around
    it: intended (with the old cell values, for undo) before, done after, unknown when the
    write fails, since part of it may have landed."""
    writes = back.journalled
    ids = journal.intend_many(run_id, [intent for intent, _ in writes]) if writes else []
    try:
        write_back(workbook, back, report.problems, sheet.issues)
    except BaseException as exc:
        journal.mark_unknown_many((w, f"the workbook write failed ({type(exc).__name__})") for w in ids)
        raise
    journal.mark_done_many((w, None, answer) for w, (_, answer) in zip(ids, writes, strict=True))


def _settle_master_writes(journal: Journal, master: Rows) -> int:
    """Master writes an earlier run left open (its workbook write failed or it was killed):
    done when the master row holds what was written, else failed (so the ticked row is
    applied again). ``master`` is the tab as read."""
    open_writes = [w for w in journal.pending_writes() if w.target == MASTER_TARGET]
    if not open_writes:
        return 0
    cells = read_master_cells(master)
    for write in open_writes:
        if cells_landed(write, cells):
            journal.mark_done(write.write_id, answer=written_cells(write))
        else:
            journal.mark_failed(write.write_id, "not in the master after an interrupted run")
    return len(open_writes)


def _lost_write_back(sheet: Sheet, innergy: Innergy, change: MaterialChange) -> wire.Material | None:
    """An applied change whose write-back was lost (a crash): the record whose id the row lacks."""
    material = sheet.library.material(change.sku)
    record = innergy.record_for(change) or innergy.by_key.get(sku_key(change.sku))
    if material is not None and record is not None and material.innergy_id != record.id:
        return record
    return None


def link_ids(back: WriteBack, sheet: Sheet, innergy: Innergy, plan_id: str | None) -> list[SheetWrite]:
    """Fill blank INNERGY ID cells of master rows whose SKU is exactly one INNERGY record's
    external id, so rows in step with INNERGY are linked without a change to approve.

    Nothing is applied to INNERGY and nothing a person typed is overwritten: only blank
    cells, only from the records read by this push (never a stale id), never a record that
    another row already names or a row this push writes itself, no Last Synced (nothing was
    synced). A SKU two records share stays blank (the plan lists it as a conflict).
    """
    ids = {row: value for tab, row, column, value in back.cells if (tab, column) == (MASTER, "INNERGY ID")}
    claimed = {m.innergy_id for m in sheet.library.materials if m.innergy_id} | set(ids.values())
    records = innergy.sole_records()
    links: list[SheetWrite] = []
    for material in sheet.library.materials:
        record, row = records.get(material.key), sheet.rows.get(material.key)
        if record is None or row is None or row in ids or record.id in claimed:
            continue
        old = sheet.master_cell(row, "INNERGY ID")
        if not is_blank(old):
            continue
        back.set(MASTER, row, "INNERGY ID", record.id)
        claimed.add(record.id)
        cells = {"row": row, "before": {"INNERGY ID": old}, "after": {"INNERGY ID": record.id}}
        intent = Intent(MASTER_TARGET, "link", material.sku, cells["before"], cells, None, plan_id)
        links.append((intent, cells["after"]))
    return links


def read_sheet(workbook: Workbook) -> Sheet:
    """The master (as the Library, with its row numbers) and the two diff tabs."""
    values = workbook.read_tabs([*LIBRARY_TABS, *DIFF_TABS, SYNC_LOG, ISSUES])
    library, _problems, rows = read_library(workbook, values)
    tabs = {name: read_diff_tab(name, values.get(name) or []) for name in DIFF_TABS}
    return Sheet(
        library,
        rows,
        tabs,
        has_sync_log=bool(values.get(SYNC_LOG)),
        issues=values.get(ISSUES),
        master=values.get(MASTER),
    )


def results_cells(report: Report, sheet: Sheet, back: WriteBack) -> None:
    for tick, result in report.results.items():
        column = sheet.tabs[tick.tab].result_column or "Result"
        back.set(tick.tab, tick.row, column, result)


def _outcome(
    report: Report, run_id: str | None, plan_id: str | None, dry_run: bool, back: WriteBack
) -> Outcome:
    summary: dict[str, Any] = {
        "ok": report.exit_code == ExitCode.OK,
        "command": "push",
        "dry_run": dry_run,
        "run_id": run_id,
        "plan_id": plan_id,
        **report.counts,
        "pending_resolved": report.pending_resolved,
        "problems": len(report.problems),
        "results": [
            {"tab": t.tab, "row": t.row, "change_id": t.change_id, "result": r}
            for t, r in report.results.items()
        ],
    }
    if dry_run:
        summary["would_write"] = {
            "innergy": {k: report.counts[k] for k in ("created", "updated", "deactivated", "reactivated")},
            "sheet_cells": [{"tab": t, "row": r, "column": c, "value": v} for t, r, c, v in back.cells],
            "sheet_appends": back.appends,
        }
    verb = "would apply" if dry_run else "applied"
    lines = [
        f"plan {plan_id or '-'}: {report.counts['ticked']} ticked; {verb} {report.counts['applied']} "
        f"(created {report.counts['created']}, updated {report.counts['updated']}, deactivated "
        f"{report.counts['deactivated']}, reactivated {report.counts['reactivated']}, PPak rows "
        f"{report.counts['ppak_added'] + report.counts['ppak_updated']}); stale {report.counts['stale']}, "
        f"failed {report.counts['failed']}, skipped {report.counts['skipped']}; "
        f"{'would link' if dry_run else 'linked'} {report.counts['linked']} INNERGY IDs",
        *(f"  {t.tab} row {t.row}: {r}" for t, r in report.results.items() if r != APPLIED),
    ]
    if run_id:
        lines.append(f"run {run_id}")
    return Outcome(summary, report.exit_code, lines)


def push(settings: Settings, dry_run: bool = False, *, client: InnergyClient | None = None) -> Outcome:
    """``matsync push``: hold the run lock, apply the approved rows, write the results back.

    ``client`` replaces the one made from the settings (tests and benchmarks tune its
    retries and batch size); it is left open.
    """
    if dry_run:
        return run_push(settings, dry_run=True, client=client)
    with run_lock(settings.output_dir, "push"):
        return run_push(settings, client=client)


def run_push(
    settings: Settings, *, dry_run: bool = False, command: str = "push", client: InnergyClient | None = None
) -> Outcome:
    """The push itself, for a caller that holds the run lock (``push``, ``nightly``)."""
    workbook = open_workbook(settings)
    try:
        sheet = read_sheet(workbook)
        plan = load_plan(settings.output_dir, sheet.plan_id) if sheet.ticked else None
        with ExitStack() as stack:
            if client is None and (plan is not None or settings.innergy_api_key is not None):
                client = stack.enter_context(innergy_client(settings))
            if dry_run:
                return _dry_run(settings, sheet, plan, client)
            journal = stack.enter_context(open_journal(settings.output_dir))
            return _journalled(workbook, sheet, plan, journal, command, client)
    finally:
        workbook.close()


def _journalled(
    workbook: Workbook,
    sheet: Sheet,
    plan: Plan | None,
    journal: Journal,
    command: str,
    client: InnergyClient | None,
) -> Outcome:
    run_id = journal.start_run(command, plan_id=plan.plan_id if plan else None)
    report, back = Report(), WriteBack()
    try:
        settled = _settle_master_writes(journal, sheet.master or [])
        innergy = Innergy(tuple(client.list_materials())) if client is not None else None
        if plan is not None and innergy is not None:
            settled += resolve_pending(journal, innergy)
            applied = journal.applied_change_ids(plan.plan_id)
            decisions = decide(sheet.ticked, plan, sheet.library, innergy, applied)
            report, back = execute(
                sheet, plan, innergy, decisions, client=client, journal=journal, run_id=run_id
            )
        report.pending_resolved = settled
        if innergy is not None:
            links = link_ids(back, sheet, innergy, sheet.plan_id)
            back.journalled.extend(links)
            report.counts["linked"] = len(links)
        results_cells(report, sheet, back)
        back.sync_log_exists = sheet.has_sync_log
        back.append(SYNC_LOG, report.sync_log_row(command, journal.actor(run_id), run_id, sheet.plan_id))
        _write_back_journalled(workbook, back, report, sheet, journal, run_id)
    except BaseException:
        journal.finish_run(run_id, outcome="failed", counts=report.counts)
        raise
    journal.finish_run(run_id, outcome=report.outcome, counts=report.counts)
    return _outcome(report, run_id, sheet.plan_id, False, back)


def _dry_run(settings: Settings, sheet: Sheet, plan: Plan | None, client: InnergyClient | None) -> Outcome:
    """What push would write, computed from the same reads; nothing is written anywhere."""
    report, back = Report(), WriteBack()
    innergy = Innergy(tuple(client.list_materials())) if client is not None else None
    if plan is not None and innergy is not None:
        applied = read_applied_change_ids(settings.output_dir, plan.plan_id)
        for decision in decide(sheet.ticked, plan, sheet.library, innergy, applied):
            change = decision.change
            report.record(decision.ticked, decision.verdict or WOULD_APPLY, change)
            if decision.verdict is None and isinstance(change, PPakChange):
                report.problems.extend(ppak_master_writes(change, sheet, back)[0])
            elif isinstance(change, MaterialChange) and decision.verdict in (None, ALREADY):
                # the IDs push would write back with the results, so links are not counted for them
                record = (
                    innergy.record_for(change)
                    if decision.verdict is None
                    else _lost_write_back(sheet, innergy, change)
                )
                if record is not None:
                    _master_cells(back, sheet, change.sku, record, _now(), plan.plan_id)
    if innergy is not None:
        report.counts["linked"] = len(link_ids(back, sheet, innergy, sheet.plan_id))
    results_cells(report, sheet, back)
    return _outcome(report, None, sheet.plan_id, True, back)


# -- the journal and the workbook ------------------------------------------------------------


def open_journal(output_dir: Path) -> Journal:
    return Journal.open(output_dir / "state.db")


def read_applied_change_ids(output_dir: Path, plan_id: str) -> set[str]:
    """For a dry run: the journal's applied change ids, read without creating anything."""
    path = output_dir / "state.db"
    if not path.is_file():
        return set()
    with open_journal(output_dir) as journal:
        return journal.applied_change_ids(plan_id)


def write_back(
    workbook: Workbook, back: WriteBack, problems: Sequence[Problem], issues: Rows | None = None
) -> None:
    """Everything push writes to the workbook, as one workbook write (constant Sheets calls).

    Problems replace the ISSUES rows of their own sources only (what other commands
    reported stays; ``issues`` is the tab as read); with no problems ISSUES is left alone.
    """
    ops: list[Op] = [
        CellUpdate(tab, row, column, value, header_row=HEADER_ROW if tab in DIFF_TABS else 1)
        for tab, row, column, value in back.cells
    ]
    for tab, rows in back.appends.items():
        if tab == SYNC_LOG and not back.sync_log_exists:
            table = [[r.get(c) for c in SYNC_LOG_HEADER] for r in rows]
            ops.append(Rewrite(SYNC_LOG, [list(SYNC_LOG_HEADER), *table]))
        else:
            ops.append(Append(tab, rows))
    rewrite = issues_rewrite(issues, problems, {p.source for p in problems}) if problems else None
    workbook.write([*ops, rewrite] if rewrite is not None else ops)
