"""Deciding each ticked row: apply it, or the Result that says why not (stale, applied, unknown).

Terraform's rule: a row is applied only while neither fingerprint (master row, INNERGY
record) has moved since the plan; otherwise it is ``stale`` and left for a person.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from canonical.models import Library, Material
from canonical.normalize import sku_key
from canonical.plan import MaterialChange, Plan, PPakChange
from canonical.serialize import fingerprint
from innergy_client import wire
from innergy_client.mapping import to_canonical
from sheets_sync.approval.diff_tabs import Ticked

__all__ = ["ALREADY", "APPLIED", "WOULD_APPLY", "Decision", "Innergy", "decide"]

APPLIED = "applied"
ALREADY = "skipped: already applied"
WOULD_APPLY = "would apply"


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
