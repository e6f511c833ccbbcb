"""The plan: what a reviewer approves and push applies, as one stable JSON document.

Every change carries an id that depends only on what it changes (action, SKU, INNERGY
record and its ``field: old -> new`` lines), so re-planning finds a reviewer's ticks
again on changes that are still identical. It also carries fingerprints of the master row
and the INNERGY record it was computed from (``canonical.fingerprint`` of the ``Material``
as pulled and of the ``InnergyMaterial`` as read): push recomputes them to find stale rows.

A plan file is evidence, not authority: push derives the plan again from the inputs as
they are now and sends a change only when it is the file's change (``same_change``), so
an edited file sends nothing it says. Building a plan is deterministic: the same inputs
give the same changes, ids and payloads.

A plan that would deactivate more than ``MASS_DEACTIVATE_COUNT`` records, and more than
``MASS_DEACTIVATE_PERCENT`` % of the managed ones (those with an external id), is refused
(``MassDeactivation``) unless the caller passes ``allow_mass_deactivate``: a block of master
rows lost to a filter, a paste or a renamed tab looks exactly like a deliberate clear-out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from canonical.diff import (
    ACTIONS,
    Action,
    Difference,
    FieldChange,
    PPakKind,
    diff_materials,
    diff_ppak,
)
from canonical.errors import MassDeactivation
from canonical.keys import sku_keys
from canonical.lazy import field_values
from canonical.models import FrozenModel, InnergyMaterial, Library, Material, Problem
from canonical.serialize import Text, canonical_json, fingerprint, text_bytes

__all__ = [
    "MASS_DEACTIVATE_COUNT",
    "MASS_DEACTIVATE_PERCENT",
    "Change",
    "CostUnit",
    "MaterialChange",
    "PPakChange",
    "Plan",
    "build_plan",
    "carry_ticks",
    "change_id",
    "is_genuine",
    "is_tick",
    "same_change",
    "tab_plan_id",
    "ticked_change_ids",
]


class CostUnit(FrozenModel):
    """The unit an estimator priced a change's material in, for showing its cost lines.

    The master's Cost is per the row's ``uom``; INNERGY holds cost per ``base_uom`` (the
    MAP_UOM row's INNERGY UoM Group), ``per_uom`` of them to one ``uom``. Shown only:
    it is implied by the master row (fingerprinted) and the cost line itself, so it is in
    neither the change id nor the evidence push compares (``same_change``).
    """

    uom: str
    base_uom: str | None = None
    per_uom: Decimal = Decimal(1)


class MaterialChange(FrozenModel):
    change_id: str
    action: Action
    sku: str
    name: str
    innergy_id: str | None = None
    changes: tuple[FieldChange, ...] = ()
    reason: str | None = None
    """Why a conflict is one."""
    unit: CostUnit | None = None
    """The master row's unit (``None`` when the row is gone)."""
    master_fingerprint: str
    innergy_fingerprint: str
    payload: InnergyMaterial | None = None
    """The whole record push sends (INNERGY's current record with the changed fields set)."""


class PPakChange(FrozenModel):
    change_id: str
    kind: PPakKind
    ppak_sku: str
    canonical_sku: str | None = None
    name: str
    changes: tuple[FieldChange, ...] = ()
    unit: CostUnit | None = None
    """The master row's unit (of the row a ``new`` adds): PPak's price is shown per it."""
    ppak_fingerprint: str
    master_fingerprint: str
    master_row: Material | None = None
    """For ``new``: the row a tick adds to the master."""


Change = MaterialChange | PPakChange


class Plan(FrozenModel):
    plan_id: str
    created_at: datetime
    fingerprints: dict[str, str]
    """Of the inputs: ``master``, ``innergy``, ``ppak``."""
    changes: tuple[MaterialChange, ...] = ()
    ppak_changes: tuple[PPakChange, ...] = ()
    unchanged: int = 0
    unmanaged: tuple[InnergyMaterial, ...] = ()
    problems: tuple[Problem, ...] = ()

    def counts(self) -> dict[str, int]:
        """Changes per action and per PPak kind (every key present, zeros too)."""
        counts = dict.fromkeys(ACTIONS, 0) | {"ppak_new": 0, "ppak_differs": 0}
        for change in self.changes:
            counts[change.action] += 1
        for ppak in self.ppak_changes:
            counts[f"ppak_{ppak.kind}"] += 1
        return counts

    def by_id(self) -> dict[str, Change]:
        """Every change, INNERGY's and PPak's, by its change id."""
        found: dict[str, Change] = {c.change_id: c for c in self.changes}
        found.update((p.change_id, p) for p in self.ppak_changes)
        return found

    def to_json(self) -> str:
        return canonical_json(self)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls.model_validate_json(text)


def change_id(*parts: Text) -> str:
    """A short id that is the same whenever the parts are."""
    return "C" + hashlib.sha256(text_bytes({"parts": list(parts)})).hexdigest()[:10]


def _lines(fields: Iterable[FieldChange]) -> list[Text]:
    return [[f.field, f.old, f.new] for f in fields]


def _material_id(
    action: Action, sku: str, innergy_id: str | None, fields: Iterable[FieldChange], reason: str | None
) -> str:
    return change_id(action, sku, innergy_id, _lines(fields), reason)


def _ppak_id(kind: PPakKind, ppak_sku: str, canonical_sku: str | None, fields: Iterable[FieldChange]) -> str:
    return change_id(kind, ppak_sku, canonical_sku, _lines(fields))


def _inputs_fingerprint(records: Sequence[Any]) -> str:
    """Of a whole input, by its rows' JSON (pydantic's serializer: one pass, no re-sorting):
    for a caller that has not the bytes the input was read from (see ``build_plan``)."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(record.model_dump_json().encode())
    return digest.hexdigest()[:16]


def _cost_unit(material: Material | None, units: Library) -> CostUnit | None:
    """The unit ``material``'s cost is typed in, with MAP_UOM's base unit and factor."""
    if material is None:
        return None
    mapping = units.uom(material.uom)
    if mapping is None:
        return CostUnit(uom=material.uom)
    return CostUnit(
        uom=material.uom,
        base_uom=mapping.innergy_uom_group,
        per_uom=mapping.base_units_per_uom or Decimal(1),
    )


MASS_DEACTIVATE_COUNT = 5
MASS_DEACTIVATE_PERCENT = 10


def _refuse_mass_deactivation(changes: Sequence[Difference], records: Sequence[InnergyMaterial]) -> None:
    """Raise ``MassDeactivation`` when the deactivations pass both thresholds."""
    gone = [change.sku for change in changes if change.action == "deactivate"]
    managed = sum(map(bool, sku_keys(values["external_id"] or "" for values in field_values(records))))
    if len(gone) <= MASS_DEACTIVATE_COUNT or len(gone) * 100 <= MASS_DEACTIVATE_PERCENT * managed:
        return
    shown = ", ".join(gone[:5]) + (", ..." if len(gone) > 5 else "")
    raise MassDeactivation(
        f"the plan would deactivate {len(gone)} of the {managed} managed INNERGY materials "
        f"({shown}): more than {MASS_DEACTIVATE_COUNT} and more than {MASS_DEACTIVATE_PERCENT} % "
        "need a person's word, so nothing was planned",
        hint="if the master really lost these rows, or marks them inactive, on purpose, run again "
        "with --allow-mass-deactivate; otherwise restore the rows (a filter, a deleted block, a "
        "pasted-over range) and plan again",
    )


def build_plan(
    library: Library,
    innergy: Iterable[InnergyMaterial],
    *,
    ppak: Iterable[Material] = (),
    baseline: Mapping[str, InnergyMaterial] | None = None,
    now: datetime | None = None,
    allow_mass_deactivate: bool = False,
    inputs: Mapping[str, str] | None = None,
) -> Plan:
    """Diff the master with INNERGY (and PPak's library) and give every change its id.

    ``inputs`` holds fingerprints of the inputs (``master``, ``innergy``, ``ppak``) taken
    by the caller from the bytes or cells it read them from: hashing what was read costs
    a few hundredths of a second where serialising 100,000 records again costs tenths.
    An input not in it is fingerprinted from its records. Raises ``MassDeactivation``
    past the thresholds unless ``allow_mass_deactivate``."""
    records = innergy if isinstance(innergy, Sequence) else list(innergy)  # a LazyModels stays one
    items = list(ppak)
    created = now or datetime.now(UTC)
    diff = diff_materials(library, records, baseline)
    if not allow_mass_deactivate:
        _refuse_mass_deactivation(diff.changes, records)
    ppak_diff = diff_ppak(items, library)
    units = Library(uoms=library.uoms)  # indexes MAP_UOM only, not the master
    changes = tuple(
        MaterialChange(
            change_id=_material_id(
                c.action, c.sku, c.record.innergy_id if c.record else None, c.fields, c.reason
            ),
            action=c.action,
            sku=c.sku,
            name=c.name,
            innergy_id=c.record.innergy_id if c.record else None,
            changes=c.fields,
            reason=c.reason,
            unit=_cost_unit(c.material, units),
            master_fingerprint=fingerprint(c.material),
            innergy_fingerprint=fingerprint(c.record),
            payload=c.payload,
        )
        for c in diff.changes
    )
    ppak_changes = tuple(
        PPakChange(
            change_id=_ppak_id(p.kind, p.ppak_sku, p.canonical_sku, p.fields),
            kind=p.kind,
            ppak_sku=p.ppak_sku,
            canonical_sku=p.canonical_sku,
            name=p.name,
            changes=p.fields,
            unit=_cost_unit(p.master or p.master_row, units),
            ppak_fingerprint=fingerprint(p.item),
            master_fingerprint=fingerprint(p.master),
            master_row=p.master_row,
        )
        for p in ppak_diff.changes
    )
    given = inputs or {}
    fingerprints = {
        name: given[name] if name in given else _inputs_fingerprint(rows)
        for name, rows in (("master", library.materials), ("innergy", records), ("ppak", items))
    }
    stamp = created.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    plan_id = f"{stamp}-{hashlib.sha256(canonical_json(fingerprints).encode()).hexdigest()[:6]}"
    return Plan(
        plan_id=plan_id,
        created_at=created,
        fingerprints=fingerprints,
        changes=changes,
        ppak_changes=ppak_changes,
        unchanged=diff.unchanged,
        unmanaged=diff.unmanaged,
        problems=diff.problems + ppak_diff.problems,
    )


_NOT_EVIDENCE = frozenset({"master_fingerprint", "innergy_fingerprint", "ppak_fingerprint", "unit"})


def is_genuine(change: Change) -> bool:
    """Whether the change's id is the one ``build_plan`` gives its content. Ids depend only
    on the content, so an id that does not match means the plan file was edited."""
    if isinstance(change, MaterialChange):
        made = _material_id(change.action, change.sku, change.innergy_id, change.changes, change.reason)
    else:
        made = _ppak_id(change.kind, change.ppak_sku, change.canonical_sku, change.changes)
    return made == change.change_id


def same_change(planned: Change, derived: Change) -> bool:
    """Whether a plan file's change is the one the inputs give now, in all it sends or shows.

    Fingerprints aside: push compares those itself, and a master row linked to its INNERGY
    record since the plan has another one while its change is the same. So is the unit the
    cost is shown in, which follows from the master row (a plan file written before it was
    recorded has none).
    """
    if type(planned) is not type(derived):
        return False
    names = [name for name in type(planned).model_fields if name not in _NOT_EVIDENCE]
    return all(getattr(planned, name) == getattr(derived, name) for name in names)


_TICKS = frozenset({"true", "x", "yes"})


def is_tick(value: Any) -> bool:
    """An Approve cell that counts as ticked: TRUE (a checkbox), or the text TRUE, x or yes."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().casefold() in _TICKS


def _header_at(rows: Sequence[Sequence[Any]]) -> tuple[int, int, int] | None:
    """(row index, Approve column, Change ID column) of a DIFF tab's header row."""
    for index, row in enumerate(rows):
        names = [str(cell).strip().casefold() if cell is not None else "" for cell in row]
        if "approve" in names and "change id" in names:
            return index, names.index("approve"), names.index("change id")
    return None


def tab_plan_id(rows: Sequence[Sequence[Any]]) -> str | None:
    """The plan id a DIFF tab names in B1 (``None`` when blank)."""
    value = rows[0][1] if rows and len(rows[0]) > 1 else None
    text = "" if value is None else str(value).strip()
    return text or None


def ticked_change_ids(rows: Sequence[Sequence[Any]], spent: Collection[str] = ()) -> set[str]:
    """The change ids a DIFF tab's rows (as read, header included) have ticked, less ``spent``:
    changes applied or reverted since the tab's plan, whose tick approved them once."""
    found = _header_at(rows)
    if found is None:
        return set()
    start, approve, cid = found
    return {
        str(row[cid]).strip()
        for row in rows[start + 1 :]
        if len(row) > max(approve, cid) and is_tick(row[approve]) and row[cid]
    } - set(spent)


def carry_ticks(old_rows: Sequence[Sequence[Any]], new_rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """The new DIFF tab's rows with Approve ticked where the old tab ticked the same change id."""
    ticked = ticked_change_ids(old_rows)
    rows = [list(row) for row in new_rows]
    found = _header_at(rows)
    if found is None:
        return rows
    start, approve, cid = found
    for row in rows[start + 1 :]:
        if len(row) > max(approve, cid) and str(row[cid]).strip() in ticked:
            row[approve] = True
    return rows
