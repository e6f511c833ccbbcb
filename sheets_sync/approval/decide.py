"""Deciding each ticked row: apply it, or the Result that says why not (stale, applied, unknown).

Terraform's rule: a row is applied only while neither fingerprint (master row, INNERGY
record) has moved since the plan; otherwise it is ``stale`` and left for a person.

A tick approves one change of one plan, once: a change applied is ``skipped: already
applied``, one an undo reverted is skipped until it is re-planned and ticked again.

The plan file is evidence, not authority: each change that passes is derived again from
the master, INNERGY and PPak as they are now (``build_plan``, deterministic) and is sent
only when it is exactly the file's change; otherwise ``stale: the plan file was changed``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from canonical.models import InnergyMaterial, Library, Material
from canonical.normalize import sku_key
from canonical.plan import Change, MaterialChange, Plan, PPakChange, build_plan, is_genuine, same_change
from canonical.serialize import fingerprint
from innergy_client import wire
from innergy_client.mapping import to_canonical
from sheets_sync.approval.diff_tabs import Ticked
from sheets_sync.approval.targets import INNERGY_TARGET
from sheets_sync.store.journal import Journal
from sheets_sync.store.paths import Outputs
from sheets_sync.store.plans import read_ppak_library

__all__ = [
    "ALREADY",
    "APPLIED",
    "EDITED",
    "NOT_SENT",
    "REVERTED_IN_TAB",
    "REVERTED_NOTE",
    "REVERTED_SKIP",
    "WOULD_APPLY",
    "Decision",
    "Innergy",
    "Known",
    "decide",
]

APPLIED = "applied"
ALREADY = "skipped: already applied"
WOULD_APPLY = "would apply"
NOT_SENT = "skipped: interrupted before it was sent; push again to send it"
"""The Result of an approved row a SIGINT / SIGTERM kept from being sent."""
EDITED = "stale: the plan file was changed"
GONE = "stale: the master, INNERGY and PPak as they are now no longer give this change"
PPAK_MOVED = "stale: the PPak item changed since the plan"
REVERTED_SKIP = "skipped: reverted by undo {run}; re-plan and tick again"
"""Push's Result for a tick of a change an undo reverted, in the plan it was applied from."""
REVERTED_IN_TAB = "reverted by undo {run}; re-plan and tick again"
"""What undo writes into the Result of the rows it unticks (that plan's diff tab)."""
REVERTED_NOTE = "reverted by undo {run}; tick again to re-apply"
"""A later plan's Result for a change an undo reverted (shown unticked)."""
CREATED_BEFORE = (
    "skipped: run {run} created INNERGY record {record} for this SKU, which INNERGY does not "
    "list under it; not created again (check that record)"
)
"""A create the journal holds as done: never repeated on a listing's word alone."""


@dataclass(frozen=True)
class Decision:
    """A ticked row and what push does with it: apply it (``verdict`` None) or a final Result."""

    ticked: Ticked
    change: Change | None
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

    @cached_property
    def canonical(self) -> tuple[InnergyMaterial, ...]:
        """The records in canonical names and types, in order: made once, for the stale check
        and for the plan derived again alike."""
        return tuple(to_canonical(r) for r in self.records)

    @cached_property
    def _canonical_of(self) -> dict[int, InnergyMaterial]:
        return {id(r): c for r, c in zip(self.records, self.canonical, strict=True)}

    def canonical_of(self, record: wire.Material) -> InnergyMaterial:
        """One of ``records`` in canonical names (``to_canonical``, not made again)."""
        return self._canonical_of[id(record)]

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
        now = fingerprint(innergy.canonical_of(record) if record else None)
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


@dataclass(frozen=True)
class Known:
    """What push knows of a plan's changes besides the sheet and INNERGY: the journal's word
    on them, and the plan's other inputs as they are now, to derive its changes again."""

    applied: frozenset[str] = frozenset()
    reverted: Mapping[str, str] = field(default_factory=dict)
    """Change id -> the undo run that reverted it, for this plan's changes."""
    ppak: tuple[Material, ...] = ()
    baseline: Mapping[str, InnergyMaterial] = field(default_factory=dict)
    created: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """sku_key -> (run id, INNERGY id) of every material create the journal holds as done:
    a create is never repeated on a listing's word alone."""
    unreported: Mapping[str, str] = field(default_factory=dict)
    """Change id -> the run that applied it and was killed before writing its Result."""

    @classmethod
    def read(cls, journal: Journal | None, outputs: Outputs, plan_id: str) -> Known:
        """From the journal (none yet: nothing applied, no baseline) and the output folder."""
        ppak = tuple(read_ppak_library(outputs))
        if journal is None:
            return cls(ppak=ppak)
        reverted = {r.change_id: r.undo_run for r in journal.reverted_changes() if r.plan_id == plan_id}
        created = {
            sku_key(key): (w.run_id, w.innergy_id)
            for key, w in journal.done_creates(INNERGY_TARGET).items()
            if w.innergy_id
        }
        return cls(
            frozenset(journal.applied_change_ids(plan_id)), reverted, ppak, journal.baseline(), created,
            journal.unreported_changes(plan_id),
        )  # fmt: skip


def _created_before(change: MaterialChange, known: Known) -> str | None:
    """The Result of a create the journal holds as done already (``None`` for any other)."""
    earlier = known.created.get(sku_key(change.sku)) if change.action == "create" else None
    return CREATED_BEFORE.format(run=earlier[0], record=earlier[1]) if earlier else None


def _evidence(change: Change, derived_now: Mapping[str, Change]) -> str | None:
    """The plan file's change against the one the inputs give now: sent only when the same."""
    derived = derived_now.get(change.change_id)
    if derived is None:
        return GONE
    match change, derived:
        case PPakChange(ppak_fingerprint=was), PPakChange(ppak_fingerprint=now) if was != now:
            return PPAK_MOVED
    return None if same_change(change, derived) else EDITED


def decide(
    ticked: Iterable[Ticked],
    plan: Plan,
    library: Library,
    innergy: Innergy | None,
    known: Known,
) -> list[Decision]:
    """Each ticked row against the plan, the journal, and the current master and INNERGY.

    ``innergy`` is ``None`` where INNERGY cannot be read (the import-file path): there only
    the master side can be checked, and nothing is derived again.
    """
    planned = plan.by_id()
    decisions = []
    for tick in ticked:
        change = planned.get(tick.change_id)
        if change is None:
            verdict: str | None = f"skipped: change {tick.change_id} is not in plan {plan.plan_id}"
        elif not is_genuine(change):
            verdict = EDITED
        elif tick.change_id in known.reverted:
            verdict = REVERTED_SKIP.format(run=known.reverted[tick.change_id])
        elif tick.change_id in known.applied:
            verdict = ALREADY
        elif (
            isinstance(change, MaterialChange)
            and change.action == "create"
            and sku_key(change.sku) in known.created
        ):
            run, record = known.created[sku_key(change.sku)]
            verdict = CREATED_BEFORE.format(run=run, record=record)
        elif isinstance(change, MaterialChange):
            verdict = _material_verdict(change, library, innergy)
        else:
            verdict = _ppak_verdict(change, library)
        decisions.append(Decision(tick, change, verdict))
    if innergy is None or all(d.verdict is not None for d in decisions):
        return decisions
    # the plan's own check, not the person's approval: a mass deactivation was allowed when planned
    now = build_plan(
        library, innergy.canonical, ppak=known.ppak, baseline=known.baseline, allow_mass_deactivate=True
    ).by_id()
    return [
        replace(d, verdict=_evidence(d.change, now)) if d.verdict is None and d.change else d
        for d in decisions
    ]
