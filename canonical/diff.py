"""The keyed diff: what INNERGY and the master disagree on, and what PPak adds.

Records are keyed before anything is compared. A master row finds its INNERGY record by
``INNERGY ID`` first (so a SKU renamed in the master updates the same record), then by
canonical SKU == ``ExternalId`` (``sku_key``), then, among records entered by hand (no
external id), by MaterialName case-insensitively. A matched pair whose projected values
equal INNERGY's (one tuple comparison, in C) is skipped before any field is looked at;
only the rows that differ get a field-by-field comparison.

Comparison rules: cost and margin compare as Decimals at INNERGY's 4 places (cost is per
base unit, where cents would hide real changes such as $0.0156/SF); text compares after
``fold_text`` on both sides (trimmed, inner white space folded; case counts); a blank
master cell means "no change"; a field in ``Material.cleared`` means "clear it".

Field-level detail is computed directly from the two value tuples, not with deepdiff:
deepdiff costs about 25 us per field compared, so the 3 % changed rows of a 100,000-row
library alone take ~1 s through it, twice the diff's whole budget (see
``benchmarks/bench_diff.py``, which keeps deepdiff as the baseline).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import compress, repeat
from operator import attrgetter
from typing import Any, Literal, cast

from canonical.models import InnergyMaterial, Library, Material, Problem, UomMapping
from canonical.normalize import BadValue, canonical_unit, fold_text
from canonical.projection import CLEARABLE, COMPARED_FIELDS, MONEY_FIELDS, project_material, projected_rows

__all__ = [
    "ACTIONS",
    "Action",
    "Difference",
    "FieldChange",
    "MaterialDiff",
    "PPakDiff",
    "PPakDifference",
    "PPakKind",
    "diff_materials",
    "diff_ppak",
    "display",
]

Action = Literal["create", "update", "deactivate", "reactivate", "conflict"]
ACTIONS: tuple[Action, ...] = ("create", "update", "deactivate", "reactivate", "conflict")
PPakKind = Literal["new", "differs"]
MASTER = "MATERIAL_LIBRARY_MASTER"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One ``field: old -> new`` line; values as a person reads them, ``None`` for blank."""

    field: str
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True)
class Difference:
    """One material change, before the plan gives it an id and fingerprints."""

    action: Action
    sku: str
    name: str
    fields: tuple[FieldChange, ...]
    material: Material | None
    """The master row it came from (``None`` when the row is gone from the master)."""
    record: InnergyMaterial | None
    """INNERGY's record as read (``None`` for a create)."""
    payload: InnergyMaterial | None
    """The whole record push would send; ``None`` for a conflict."""
    reason: str | None = None
    """Why a conflict is one."""


@dataclass(frozen=True)
class MaterialDiff:
    changes: tuple[Difference, ...]
    unchanged: int
    unmanaged: tuple[InnergyMaterial, ...]
    """INNERGY records entered by hand that no master row claims: never deactivated."""
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class PPakDifference:
    kind: PPakKind
    ppak_sku: str
    canonical_sku: str | None
    name: str
    fields: tuple[FieldChange, ...]
    item: Material
    """The PPak library item as ppak_import read it."""
    master: Material | None
    """The master row it was compared with (``None`` for ``new``)."""
    master_row: Material | None
    """For ``new``: the row a tick adds to the master (SKU, Name, Category, UoM, Cost)."""


@dataclass(frozen=True)
class PPakDiff:
    changes: tuple[PPakDifference, ...]
    problems: tuple[Problem, ...]


def display(value: Any) -> str | None:
    """A value as a diff line shows it: ``yes``/``no`` for flags, Decimals as held."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


_FOUR = Decimal("0.0001")
_CENT = Decimal("0.01")
_innergy_values = attrgetter(*COMPARED_FIELDS)
_innergy_id = attrgetter("innergy_id")
_external_id = attrgetter("external_id")
_unit_of = attrgetter("uom")
_sku = attrgetter("sku")
_POSITION = {field: i for i, field in enumerate(COMPARED_FIELDS)}
_ORDER = {action: i for i, action in enumerate(ACTIONS)}


def _keys(skus: Iterable[str]) -> list[str]:
    """``sku_key`` of many SKUs by C-level maps (``str.split`` splits on the same white space
    as ``\\s``); the diff keys every row of both sides."""
    return list(map(str.casefold, map("".join, map(str.split, skus))))


def _key(sku: str | None) -> str:
    return _keys([sku or ""])[0]


def _name_keys(names: Iterable[str | None]) -> list[str]:
    """MaterialName as INNERGY's uniqueness sees it: white space folded, case-folded."""
    return list(map(str.casefold, map(" ".join, map(str.split, (n or "" for n in names)))))


def _name_key(name: str | None) -> str:
    return _name_keys([name])[0]


def _same(field: str, a: Any, b: Any) -> bool:
    if a == b:
        return True
    if field in MONEY_FIELDS:
        return a is not None and b is not None and bool(a.quantize(_FOUR) == b.quantize(_FOUR))
    return field != "active" and fold_text(a) == fold_text(b)


def _field_changes(material: Material, new: tuple[Any, ...], old: tuple[Any, ...]) -> list[FieldChange]:
    cleared = CLEARABLE.intersection(material.cleared)
    return [
        FieldChange(field, display(was), display(value))
        for field, value, was in zip(COMPARED_FIELDS, new, old, strict=True)
        if (value is not None or field in cleared) and not _same(field, value, was)
    ]


def _action(was_active: bool, is_active: bool) -> Action | None:
    if was_active and not is_active:
        return "deactivate"
    if is_active and not was_active:
        return "reactivate"
    return "update" if is_active else None


def _baseline_clash(base: InnergyMaterial, change: Difference) -> str | None:
    """Fields INNERGY changed since the last sync that the master changed too."""
    clashes = []
    for line in change.fields:
        if line.field not in _POSITION or change.record is None or change.payload is None:
            continue
        synced, current = getattr(base, line.field), getattr(change.record, line.field)
        wanted = getattr(change.payload, line.field)
        if not _same(line.field, synced, current) and not _same(line.field, synced, wanted):
            was, now = display(synced), display(current)
            clashes.append(f"{line.field} (last synced {was!r}, INNERGY now {now!r})")
    if not clashes:
        return None
    return "INNERGY was edited since the last sync in fields the master also changed: " + "; ".join(clashes)


class _Diff:
    """One diff run: INNERGY indexed once, then one pass over the master.

    Per-row work is C-level ``map``s over attribute getters; Python code runs per row only
    to match, and per changed row to explain the change.
    """

    def __init__(self, library: Library, records: list[InnergyMaterial]) -> None:
        self.records = records
        self.by_id = dict(zip(map(_innergy_id, records), records, strict=True))
        self.by_id.pop(None, None)
        keys = _keys([e or "" for e in map(_external_id, records)])
        self.hand = [r for r, k in zip(records, keys, strict=True) if not k]
        self.by_key: dict[str, InnergyMaterial] = {}
        self.shared: dict[str, list[InnergyMaterial]] = {}
        """External ids held by more than one INNERGY record: conflicts, whatever the master says."""
        for key, record in zip(reversed(keys), reversed(records), strict=True):
            if key and self.by_key.setdefault(key, record) is not record:
                self.shared.setdefault(key, [self.by_key[key]]).insert(0, record)
                self.by_key[key] = record
        self.claimed = {id(r) for group in self.shared.values() for r in group}
        self.uom_lookup = Library(uoms=library.uoms).uom  # indexes MAP_UOM only, not the master
        self.changes: list[Difference] = []
        self.problems: list[Problem] = []
        self.unchanged = 0

    def run(self, masters: dict[str, Material]) -> list[tuple[str, Material]]:
        """Match every master row by INNERGY ID, else SKU, and compare; return the rest.

        Matching is whole-column: two C-level look-ups per row, then Python only for the
        rare rows that need a decision (an id claimed twice, a SKU renamed).
        """
        keys, rows = list(masters), list(masters.values())
        ids = list(map(_innergy_id, rows))
        by_id = list(map(self.by_id.get, ids))
        hits = set(map(id, by_id)) - {id(None)}
        if len(hits) < len(rows) - by_id.count(None) or self.claimed & hits:
            by_id = self.claim_ids(rows, by_id)
        taken = set(map(id, by_id)) | self.claimed
        wanted_ids = set(ids) - {None}
        records = [
            a
            if a is not None
            else (b if b is not None and id(b) not in taken and b.innergy_id not in wanted_ids else None)
            for a, b in zip(by_id, map(self.by_key.get, keys), strict=True)
        ]
        self.claimed.update(map(id, records))
        found = list(map(operator.is_not, records, repeat(None)))
        unmatched = list(compress(zip(keys, rows, strict=True), map(operator.not_, found)))
        keys, rows = list(compress(keys, found)), list(compress(rows, found))
        matched = cast("list[InnergyMaterial]", list(compress(records, found)))
        relinks = list(map(operator.ne, map(_external_id, matched), map(_sku, rows)))
        for i in compress(range(len(relinks)), relinks):
            relinks[i] = _key(matched[i].external_id) != keys[i]
        self.compare_all(rows, matched, relinks)
        return unmatched

    def claim_ids(
        self, rows: list[Material], by_id: list[InnergyMaterial | None]
    ) -> list[InnergyMaterial | None]:
        """The slow path of INNERGY ID matching: a record claimed twice is a conflict."""
        claimed = set(self.claimed)
        result: list[InnergyMaterial | None] = []
        for material, record in zip(rows, by_id, strict=True):
            if record is not None and id(record) in claimed:
                reason = f"INNERGY record {record.innergy_id} is claimed by another row or shares its SKU"
                self.conflict(material, [record], reason)
                record = None
            elif record is not None:
                claimed.add(id(record))
            result.append(record)
        return result

    def usable(self, materials: list[Material]) -> dict[str, UomMapping | None]:
        """MAP_UOM for each unit; a row whose entry has Base Units per UoM <= 0 is a Problem."""
        uoms = {unit: self.uom_lookup(unit) for unit in set(map(_unit_of, materials))}
        bad = {
            u for u, m in uoms.items() if m and m.base_units_per_uom is not None and m.base_units_per_uom <= 0
        }
        for material in materials:
            if material.uom in bad:
                message = (
                    f"SKU {material.sku}: the Base Units per UoM of unit {material.uom} is not above zero"
                )
                problem = Problem(
                    source="MAP_UOM", column="Base Units per UoM", value=material.uom, message=message
                )
                self.problems.append(problem)
        return {u: m for u, m in uoms.items() if u not in bad}

    def compare_all(
        self, materials: list[Material], records: list[InnergyMaterial], relinks: list[bool]
    ) -> None:
        """Skip pairs whose values are equal (one C-level comparison each); explain the rest."""
        uoms = self.usable(materials)
        if len(uoms) < len(set(map(_unit_of, materials))):
            ok = [m.uom in uoms for m in materials]
            materials, records = list(compress(materials, ok)), list(compress(records, ok))
            relinks = list(compress(relinks, ok))
        wanted = projected_rows(materials, uoms)
        differ = list(map(operator.or_, map(operator.ne, wanted, map(_innergy_values, records)), relinks))
        self.unchanged += differ.count(False)
        for i in compress(range(len(differ)), differ):
            self.compare(materials[i], wanted[i], records[i], relinks[i])

    def compare(
        self, material: Material, values: tuple[Any, ...], record: InnergyMaterial, relink: bool
    ) -> None:
        """The slow path, for a pair whose values differ: field lines, action and payload."""
        fields = _field_changes(material, values, _innergy_values(record))
        action = _action(record.active, material.active)
        if action == "deactivate":
            fields = [f for f in fields if f.field == "active"]
        if action is None or not (fields or relink):
            self.unchanged += 1
            return
        update = {f.field: values[_POSITION[f.field]] for f in fields}
        if relink:
            fields.insert(0, FieldChange("external_id", record.external_id, material.sku))
            update["external_id"] = material.sku
        payload = record.model_copy(update=update)
        self.changes.append(
            Difference(action, material.sku, material.name, tuple(fields), material, record, payload)
        )

    def create(self, materials: list[Material]) -> None:
        uoms = self.usable(materials)
        for material in materials:
            if material.uom not in uoms:
                continue
            wanted = project_material(material, uoms[material.uom]).model_copy(update={"innergy_id": None})
            values = _innergy_values(wanted)
            fields = tuple(
                FieldChange(f, None, display(v))
                for f, v in zip(COMPARED_FIELDS, values, strict=True)
                if v is not None
            )
            self.changes.append(
                Difference("create", material.sku, material.name, fields, material, None, wanted)
            )

    def conflict(self, material: Material | None, records: list[InnergyMaterial], reason: str) -> None:
        self.claimed.update(id(r) for r in records)
        first = records[0]
        sku = material.sku if material else str(first.external_id or first.name)
        name = material.name if material else first.name
        self.changes.append(Difference("conflict", sku, name, (), material, first, None, reason))

    def adopt(self, unmatched: list[tuple[str, Material]]) -> None:
        """Rows no record claimed: a hand-entered record of the same name, else a create."""
        by_name: dict[str, list[InnergyMaterial]] = defaultdict(list)
        for record, key in zip(self.hand, _name_keys(r.name for r in self.hand), strict=True):
            by_name[key].append(record)
        adopted: list[Material] = []
        records: list[InnergyMaterial] = []
        creates = []
        for key, material in unmatched:
            if key in self.shared:
                continue
            free = [r for r in by_name.get(_name_key(material.name), ()) if id(r) not in self.claimed]
            if len(free) > 1:
                self.conflict(material, free, f"{len(free)} hand-entered INNERGY records have this name")
            elif free:
                self.claimed.add(id(free[0]))
                adopted.append(material)
                records.append(free[0])
            elif material.active:
                creates.append(material)
        self.compare_all(adopted, records, [True] * len(adopted))
        self.create(creates)

    def retire(self, masters: Mapping[str, Material]) -> tuple[InnergyMaterial, ...]:
        """Managed records no row claims are deactivated; hand-entered ones are only listed."""
        for key, group in self.shared.items():
            ids = ", ".join(str(r.innergy_id) for r in group)
            reason = f"{len(group)} INNERGY records share this external id ({ids})"
            self.conflict(masters.get(key), group, reason)
        unmanaged = []
        for record in self.records:
            if id(record) in self.claimed:
                continue
            if not _key(record.external_id):
                unmanaged.append(record)
            elif record.active:
                fields = (FieldChange("active", "yes", "no"),)
                payload = record.model_copy(update={"active": False})
                sku = str(record.external_id)
                self.changes.append(Difference("deactivate", sku, record.name, fields, None, record, payload))
        return tuple(unmanaged)


def diff_materials(
    library: Library,
    innergy: Iterable[InnergyMaterial],
    baseline: Mapping[str, InnergyMaterial] | None = None,
) -> MaterialDiff:
    """Compare the master with INNERGY's records; ``baseline`` holds records as last synced.

    Duplicate master SKUs: the first row wins (the reader reports the others).
    """
    rows = library.materials
    masters = dict(zip(reversed(_keys(m.sku for m in rows)), reversed(rows), strict=True))
    run = _Diff(library, list(innergy))
    unmatched = run.run(masters)
    run.adopt(unmatched)
    unmanaged = run.retire(masters)
    checked = _check_names(run.changes, run.records, baseline or {})
    checked.sort(key=lambda c: (_ORDER[c.action], _key(c.sku)))
    return MaterialDiff(tuple(checked), run.unchanged, unmanaged, tuple(run.problems))


def _check_names(
    changes: list[Difference], records: list[InnergyMaterial], baseline: Mapping[str, InnergyMaterial]
) -> list[Difference]:
    """Turn into conflicts the writes that would clash on MaterialName or with INNERGY edits."""
    writers: dict[str, list[str]] = defaultdict(list)
    for change in changes:
        if change.action == "create" or any(f.field == "name" for f in change.fields):
            writers[_name_key(change.name)].append(change.sku)
    holders: dict[str, list[InnergyMaterial]] = defaultdict(list)
    for record, key in zip(records, _name_keys(r.name for r in records), strict=True):
        if key in writers:
            holders[key].append(record)
    result = []
    for change in changes:
        reason = change.reason
        base = baseline.get(change.record.innergy_id or "") if change.record else None
        if reason is None and base is not None:
            reason = _baseline_clash(base, change)
        if reason is None and change.action != "deactivate":
            key = _name_key(change.name)
            others = [r for r in holders.get(key, ()) if r is not change.record]
            twins = [s for s in writers.get(key, ()) if s != change.sku]
            if others:
                owner = f"SKU {others[0].external_id}" if others[0].external_id else "a hand-entered record"
                reason = f"the name {change.name!r} is already used in INNERGY by {owner}"
                reason += f" ({others[0].innergy_id})"
            elif twins:
                reason = f"the name {change.name!r} is also given to SKU {', '.join(twins)} in the master"
        if reason is None or change.action == "conflict":
            result.append(change)
        else:
            result.append(replace(change, action="conflict", payload=None, reason=reason))
    return result


def _unit(raw: str, table: Mapping[str, str]) -> str:
    try:
        return canonical_unit(raw, table) or raw.strip().upper()
    except BadValue:
        return ""


def _per_master_unit(item: Material, master: Material, library: Library) -> Decimal | None:
    """PPak's price converted to the master row's unit, or ``None`` when no MAP_UOM path exists."""
    table = library.unit_table()
    if _unit(item.uom, table) == _unit(master.uom, table):
        return item.cost
    theirs, ours = library.uom(item.uom), library.uom(master.uom)
    if theirs is None or ours is None or not theirs.innergy_uom_group:
        return None
    if ours.innergy_uom_group != theirs.innergy_uom_group:
        return None
    per_base = item.cost / (theirs.base_units_per_uom or 1)
    return per_base * (ours.base_units_per_uom or 1)


def _ppak_fields(item: Material, master: Material, library: Library) -> list[FieldChange]:
    table = library.unit_table()
    fields = []
    if _unit(item.uom, table) != _unit(master.uom, table):
        fields.append(FieldChange(field="uom", old=master.uom, new=item.uom))
    price = _per_master_unit(item, master, library)
    if price is not None and price.quantize(_CENT) != master.cost.quantize(_CENT):
        fields.append(FieldChange(field="cost", old=display(master.cost), new=display(price.quantize(_CENT))))
    if item.description is not None and fold_text(item.description) != fold_text(master.description):
        fields.append(FieldChange(field="description", old=master.description, new=item.description))
    return fields


def diff_ppak(items: Iterable[Material], library: Library) -> PPakDiff:
    """PPak library items against the master: ``new`` when unknown, ``differs`` when apart.

    An item carries its PPak code in ``ppak_skus`` (or ``sku``); the code becomes a
    canonical SKU through MAP_MATERIAL_SKU, else when the master has it.
    """
    changes: list[PPakDifference] = []
    problems: list[Problem] = []
    for item in items:
        code = item.ppak_skus[0] if item.ppak_skus else item.sku
        sku = library.canonical_sku(code) or library.canonical_sku(item.sku)
        if sku is None:
            row = Material(
                sku=code.strip(), name=item.name, category=item.category, uom=item.uom, cost=item.cost
            )
            changes.append(PPakDifference("new", code, None, item.name, (), item, None, row))
            continue
        master = library.material(sku)
        if master is None:
            problems.append(
                Problem(
                    source="MAP_MATERIAL_SKU",
                    column="Canonical SKU",
                    value=sku,
                    message=f"PPak code {code} maps to SKU {sku}, which the master does not have",
                    severity="warning",
                )
            )
            continue
        if fields := _ppak_fields(item, master, library):
            found = PPakDifference(
                "differs", code, master.sku, master.name, tuple(fields), item, master, None
            )
            changes.append(found)
    return PPakDiff(tuple(changes), tuple(problems))
