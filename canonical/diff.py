"""The keyed diff: what INNERGY and the master disagree on, and what PPak adds.

Records are keyed before anything is compared. A master row finds its INNERGY record by
``INNERGY ID`` first (so a SKU renamed in the master updates the same record), then by
canonical SKU == ``ExternalId`` (``sku_key``), then, among records entered by hand (no
external id), by MaterialName case-insensitively. A record that a row left out for a
problem claims (``Library.claims``, by SKU or INNERGY ID) is held: no change of any kind
is planned for it, and it is neither unmanaged nor deactivated. A matched pair whose
projected values equal INNERGY's (C-level comparisons of value tuples) is skipped before
any field is looked at; only the rows that differ get a field-by-field comparison.

Comparison rules: cost and margin compare as Decimals at INNERGY's 4 places (cost is per
base unit, where cents would hide real changes such as $0.0156/SF); text compares after
``fold_text`` on both sides (trimmed, inner white space folded; case counts); a blank
master cell means "no change"; a field in ``Material.cleared`` means "clear it".

Field-level detail is computed directly from the two value tuples, not with deepdiff:
even given only the pairs that changed, DeepDiff needs about 200 us per changed field
(3,000 changed rows of a 100,000-row library: 1.3 s in one call), well over the diff's
whole 0.5 s budget. DeepDiff stays the oracle of the field detail in a property test
(``tests/canonical/test_diff.py``) and the speed baseline of ``benchmarks/bench_diff.py``.
"""

from __future__ import annotations

import operator
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import chain, compress, filterfalse, repeat
from operator import attrgetter, itemgetter
from typing import Any, Literal, cast

from pydantic import TypeAdapter

from canonical.gc_pause import paused_gc
from canonical.keys import name_key, name_keys, sku_keys
from canonical.lazy import field_values
from canonical.models import Claim, InnergyMaterial, Library, Material, Problem, UomMapping
from canonical.normalize import BadValue, canonical_unit, fold_text
from canonical.projection import (
    CLEARABLE,
    COMPARED_FIELDS,
    MONEY_FIELDS,
    SHARED_FIELDS,
    UnitParts,
    per_base_unit,
    projected_rows,
    unit_parts,
)

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


@dataclass(frozen=True, slots=True, init=False)
class FieldChange:
    """One ``field: old -> new`` line; values as a person reads them, ``None`` for blank."""

    field: str
    old: str | None = None
    new: str | None = None

    def __init__(self, field: str, old: str | None = None, new: str | None = None) -> None:
        # Set through the slots' descriptors: a frozen dataclass's own __init__ goes through
        # object.__setattr__, 3x slower, and a plan holds one line per changed field.
        _set_field(self, field)
        _set_old(self, old)
        _set_new(self, new)


_set_field, _set_old, _set_new = (vars(FieldChange)[name].__set__ for name in ("field", "old", "new"))


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


_FOUR_PLACES = Decimal("0.0001")
_CENT = Decimal("0.01")
_ONE = Decimal(1)
_POSITION = {field: position for position, field in enumerate(COMPARED_FIELDS)}
_ORDER = {action: rank for rank, action in enumerate(ACTIONS)}
# attrgetters rather than lambdas: ``map`` over them stays in C.
_action_of, _sku_of, _name_of, _field_of = map(attrgetter, ("action", "sku", "name", "field"))

# Each model is read through its ``__dict__`` (where pydantic keeps field values; a third
# faster than attribute access), and a pair's compared values are read into two tuples
# that are compared and dropped at once: at 100,000 rows, holding every row's values as
# tuples costs more in allocation and freeing than the comparison itself. ``_x_in(values)``
# is field ``x`` of such values: an itemgetter, so ``map`` over it stays in C.
_sku_in, _innergy_id_in, _external_id_in, _uom_in, _cost_in, _name_in = map(
    itemgetter, ("sku", "innergy_id", "external_id", "uom", "cost", "name")
)
_shared_values_in = itemgetter(*SHARED_FIELDS)
_compared_values_in = itemgetter(*COMPARED_FIELDS)
# A unit's UnitParts (group, common unit, divisor) split without a Python function call.
_group_and_common_unit = itemgetter(slice(0, 2))
_divisor_of = itemgetter(2)
_RECORDS = TypeAdapter(list[InnergyMaterial])
"""Validates the records of many creates in one call (pydantic's loop, not ours)."""
_BLANK_FOR_NONE = {None: ""}
"""``.get(x, x)``: ``""`` for ``None``, else ``x``, as a C-level map."""


def _same_money(a: Decimal | None, b: Decimal | None) -> bool:
    return a is not None and b is not None and a.quantize(_FOUR_PLACES) == b.quantize(_FOUR_PLACES)


def _same_text(a: str | None, b: str | None) -> bool:
    return fold_text(a) == fold_text(b)


def _never(a: Any, b: Any) -> bool:
    return False


_SAME = {
    field: _never if field == "active" else _same_money if field in MONEY_FIELDS else _same_text
    for field in COMPARED_FIELDS
}
"""How each compared field tells two unequal values apart from a real change."""
_SAME_BY_POSITION = tuple(map(_SAME.__getitem__, COMPARED_FIELDS))
"""``_SAME`` by position in ``COMPARED_FIELDS``: a tuple index, not a dict lookup by name."""
_COMPARED_POSITIONS = range(len(COMPARED_FIELDS))


def _same(field: str, a: Any, b: Any) -> bool:
    return a == b or _SAME[field](a, b)


def _field_changes(material: Material, new: tuple[Any, ...], old: tuple[Any, ...]) -> list[FieldChange]:
    """The lines of the fields whose values differ beyond the comparison rules; a blank
    master value is no change unless the field is cleared."""
    changes = []
    # compress over a C-level ``!=`` of the two tuples: Python code runs only for the fields that differ
    for position in compress(_COMPARED_POSITIONS, map(operator.ne, new, old)):
        value, was, field = new[position], old[position], COMPARED_FIELDS[position]
        if value is None and (field not in material.cleared or field not in CLEARABLE):
            continue
        if _SAME_BY_POSITION[position](value, was):
            continue
        changes.append(FieldChange(field, display(was), display(value)))
    return changes


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


def _first_index(keys: list[str]) -> dict[str, int]:
    """key -> the position of its first occurrence, in the order of ``keys``."""
    # dict(zip()) builds the index in C; it keeps the last position of a repeated key, so then
    # the index is rebuilt with setdefault, driven by a zero-length deque (a C loop, no Python body).
    index = dict(zip(keys, range(len(keys)), strict=True))
    if len(index) < len(keys):  # a key repeats: the later positions must not overwrite
        index = {}
        deque(map(index.setdefault, keys, range(len(keys))), maxlen=0)
    return index


def _unique(indexes: list[int | None]) -> bool:
    """No index is given twice (``None`` aside)."""
    # counted in C instead of a loop: distinct values, less the one ``None`` if any, equal the non-None
    given = len(indexes) - indexes.count(None)
    return len(set(indexes)) - (given < len(indexes)) == given


def _costs(
    rows: Sequence[Mapping[str, Any]], units: list[str], parts: Mapping[str, UnitParts]
) -> list[Decimal]:
    """The master rows' costs (``rows`` are their models' values) as INNERGY would hold
    them, dividing only where a divisor is not 1 (at 100,000 rows, every Decimal operation
    saved counts)."""
    costs = list(map(_cost_in, rows))
    divisors = {unit: _divisor_of(split) for unit, split in parts.items() if _divisor_of(split) != _ONE}
    to_divide = list(compress(range(len(units)), map(divisors.__contains__, units)))
    if not to_divide:
        return costs
    divided = per_base_unit(
        map(costs.__getitem__, to_divide), map(divisors.__getitem__, map(units.__getitem__, to_divide))
    )
    deque(map(costs.__setitem__, to_divide, divided), maxlen=0)  # the assignments, as a C loop
    return costs


class _Diff:
    """One diff run over the master's rows and INNERGY's records, read from their values.

    Rows and records are named by their position; matching and the skip of unchanged pairs
    are C-level ``map``s over the models' values. Python code runs per row only for the rare rows
    that need a decision (an id claimed twice, a shared external id) and per changed row
    to explain the change.
    """

    def __init__(self, library: Library, records: Sequence[InnergyMaterial]) -> None:
        self.materials = library.materials
        self.mine = field_values(self.materials)
        """Each master row's field values, by position."""
        self.records = records
        self.theirs = field_values(records)
        """Each INNERGY record's field values, by position (a ``LazyModels``' own: its
        models are built only for the records a change or a conflict names)."""
        self.by_id: dict[str | None, int] = {}
        self.ids_unique = True
        externals = list(map(_external_id_in, self.theirs))
        if None in externals:
            externals = list(map(_BLANK_FOR_NONE.get, externals, externals))
        self.keys = sku_keys(externals)
        self.by_key = _first_index(self.keys)
        self.hand: list[int] = []
        """Records entered by hand (no external id)."""
        if self.by_key.pop("", None) is not None:
            self.hand = list(compress(range(len(records)), map(operator.not_, self.keys)))
        self.shared: dict[str, list[int]] = {}
        """External ids held by more than one INNERGY record: conflicts, whatever the master says."""
        if len(self.by_key) < len(records) - len(self.hand):
            groups: dict[str, list[int]] = defaultdict(list)
            for record in compress(range(len(records)), self.keys):
                groups[self.keys[record]].append(record)
            self.shared = {key: group for key, group in groups.items() if len(group) > 1}
        self.claimed = set(chain.from_iterable(self.shared.values()))
        self.held = self.hold(library.claims)
        """Records that master rows left out for a problem claim: nothing is planned for them."""
        self.claimed |= self.held
        self.held_keys = {self.keys[record]: record for record in self.held if self.keys[record]}
        self.uom_lookup = Library(uoms=library.uoms).uom  # indexes MAP_UOM only, not the master
        self.changes: list[Difference] = []
        self.problems: list[Problem] = []
        self.unchanged = 0

    def hold(self, claims: Sequence[Claim]) -> set[int]:
        """The records the claims name, by SKU (== external id) or by INNERGY ID."""
        if not claims:
            return set()
        skus = set(sku_keys(claim.sku for claim in claims if claim.sku)) - {""}
        ids = {claim.innergy_id for claim in claims if claim.innergy_id}
        named = map(operator.or_, map(skus.__contains__, self.keys), map(ids.__contains__, self.ids()))
        return set(compress(range(len(self.records)), named))

    def ids(self) -> list[str | None]:
        """Each record's INNERGY ID, by position."""
        return list(map(_innergy_id_in, self.theirs))

    def masters(self) -> tuple[list[str], Sequence[int]]:
        """The master rows' sku_keys and positions; of duplicate SKUs the first row wins."""
        keys = sku_keys(map(_sku_in, self.mine))
        if len(set(keys)) == len(keys):  # a set, not an index: no positions to store
            return keys, range(len(keys))
        index = _first_index(keys)
        return list(index), list(index.values())

    def run(self, keys: list[str], rows: Sequence[int]) -> list[tuple[str, int]]:
        """Match every master row by INNERGY ID, else SKU, and compare; return the rest."""
        ids = list(map(_innergy_id_in, map(self.mine.__getitem__, rows)))
        if ids.count(None) < len(ids):
            self.index_ids()
            # by_id.get(id, default): the record named by ID, else the one keyed by SKU, in one C map
            picks = list(map(self.by_id.get, ids, map(self.by_key.get, keys)))
            safe = self.ids_unique and _unique(picks)
        else:
            picks = list(map(self.by_key.get, keys))
            safe = True  # distinct keys pick distinct records
        if not (safe and (not self.claimed or self.claimed.isdisjoint(picks))):
            picks = self.match_slowly(keys, rows, ids)
        found = list(map(operator.is_not, picks, repeat(None)))
        if found.count(False):
            missing = compress(range(len(found)), map(operator.not_, found))
            unmatched = [(keys[position], rows[position]) for position in missing]
            picks, keys, rows = (
                list(compress(picks, found)),
                list(compress(keys, found)),
                list(compress(rows, found)),
            )
        else:
            unmatched = []
        matched = cast("list[int]", picks)
        self.claimed.update(matched)
        self.compare_all(rows, matched, keys if self.by_id else None)  # else each record has its row's key
        return unmatched

    def index_ids(self) -> None:
        """INNERGY ID -> record, built only when a master row names an INNERGY ID."""
        ids = self.ids()
        self.by_id = dict(zip(ids, range(len(ids)), strict=True))
        self.by_id.pop(None, None)
        self.ids_unique = len(self.by_id) == len(ids) - ids.count(None)

    def match_slowly(self, keys: list[str], rows: Sequence[int], ids: list[str | None]) -> list[int | None]:
        """Matching when a record would be claimed twice: the first claimant of an INNERGY
        ID keeps it (the others are conflicts), and a SKU never takes a record that a row
        names by ID or that shares its external id."""
        by_id: list[int | None] = list(map(self.by_id.get, ids))
        for position, record in enumerate(by_id):
            if record is None:
                continue
            if record in self.claimed:
                innergy_id = self.records[record].innergy_id
                reason = f"INNERGY record {innergy_id} is claimed by another row or shares its SKU"
                self.conflict(rows[position], [record], reason)
                by_id[position] = None
            else:
                self.claimed.add(record)
        wanted = set(ids) - {None}
        return [
            named
            if named is not None
            else (
                keyed
                if keyed is not None
                and keyed not in self.claimed
                and _innergy_id_in(self.theirs[keyed]) not in wanted
                else None
            )
            for named, keyed in zip(by_id, map(self.by_key.get, keys), strict=True)
        ]

    def usable(self, rows: Sequence[int], units: list[str]) -> tuple[dict[str, UomMapping | None], set[str]]:
        """MAP_UOM for each usable unit, and the units whose entry has Base Units per UoM <= 0
        (each row of those is a Problem)."""
        uoms = {unit: self.uom_lookup(unit) for unit in set(units)}
        bad = {
            unit
            for unit, mapping in uoms.items()
            if mapping and mapping.base_units_per_uom is not None and mapping.base_units_per_uom <= 0
        }
        if not bad:
            return uoms, bad
        for row in compress(rows, map(bad.__contains__, units)):
            material = self.materials[row]
            message = f"SKU {material.sku}: the Base Units per UoM of unit {material.uom} is not above zero"
            problem = Problem(
                source="MAP_UOM", column="Base Units per UoM", value=material.uom, message=message
            )
            self.problems.append(problem)
        return {unit: mapping for unit, mapping in uoms.items() if unit not in bad}, bad

    def compare_all(self, rows: Sequence[int], records: list[int], keys: list[str] | None) -> None:
        """Skip pairs whose values are equal (C-level comparisons); explain the rest.

        ``keys`` are the rows' sku_keys when a record may be keyed otherwise (matched by
        INNERGY ID, or entered by hand): such a record is relinked (its external id set to
        the row's SKU); ``None`` when each record was matched by its row's key.

        Only the costs of units with a divisor are projected here: an amount entered per
        base unit is compared as entered (equal amounts are equal at 4 places too, and the
        few that differ only beyond 4 places are settled field by field).
        """
        mine = list(map(self.mine.__getitem__, rows))
        units = list(map(_uom_in, mine))
        uoms, bad = self.usable(rows, units)
        if bad:
            ok = list(map(uoms.__contains__, units))
            rows, records = list(compress(rows, ok)), list(compress(records, ok))
            keys = None if keys is None else list(compress(keys, ok))
            mine, units = list(compress(mine, ok)), list(compress(units, ok))
        parts = unit_parts(uoms)
        units_of = {unit: _group_and_common_unit(split) for unit, split in parts.items()}
        # the rows' COMPARED_FIELDS, built as projected_rows builds them: shared, unit, cost;
        # lazy maps, so each pair's two tuples are built, compared and freed one at a time
        unit_and_cost = map(tuple.__add__, map(units_of.__getitem__, units), zip(_costs(mine, units, parts)))
        wanted = map(tuple.__add__, map(_shared_values_in, mine), unit_and_cost)
        held = map(_compared_values_in, map(self.theirs.__getitem__, records))
        differ = list(map(operator.ne, wanted, held))
        relinks = [False] * len(differ)
        if keys is not None:
            relinks = list(map(operator.ne, map(self.keys.__getitem__, records), keys))
            differ = list(map(operator.or_, differ, relinks))
        self.unchanged += differ.count(False)
        changed = list(compress(range(len(differ)), differ))
        materials = [self.materials[rows[pair]] for pair in changed]
        for pair, material, values in zip(changed, materials, projected_rows(materials, uoms), strict=True):
            record = records[pair]
            held_values = _compared_values_in(self.theirs[record])
            self.compare(material, values, self.records[record], held_values, relinks[pair])

    def compare(
        self,
        material: Material,
        values: tuple[Any, ...],
        record: InnergyMaterial,
        held: tuple[Any, ...],
        relink: bool,
    ) -> None:
        """The slow path, for a pair whose values differ: field lines, action and payload.

        ``values`` and ``held`` are the master's and the record's ``COMPARED_FIELDS``."""
        fields = _field_changes(material, values, held)
        action = _action(record.active, material.active)
        if action == "deactivate":
            fields = [line for line in fields if line.field == "active"]
        if action is None or not (fields or relink):
            self.unchanged += 1
            return
        update = {line.field: values[_POSITION[line.field]] for line in fields}
        if relink:
            fields.insert(0, FieldChange("external_id", record.external_id, material.sku))
            update["external_id"] = material.sku
        payload = record.model_copy(update=update)
        self.changes.append(
            Difference(action, material.sku, material.name, tuple(fields), material, record, payload)
        )

    def create(self, rows: list[int]) -> None:
        uoms, _ = self.usable(rows, list(map(_uom_in, map(self.mine.__getitem__, rows))))
        materials = [material for material in map(self.materials.__getitem__, rows) if material.uom in uoms]
        values = projected_rows(materials, uoms)
        wanted = _RECORDS.validate_python(
            [
                dict(zip(COMPARED_FIELDS, row, strict=True), external_id=material.sku)
                for material, row in zip(materials, values, strict=True)
            ]
        )
        for material, row, record in zip(materials, values, wanted, strict=True):
            given = list(map(operator.is_not, row, repeat(None)))
            shown = map(display, compress(row, given))
            fields = tuple(map(FieldChange, compress(COMPARED_FIELDS, given), repeat(None), shown))
            self.changes.append(
                Difference("create", material.sku, material.name, fields, material, None, record)
            )

    def conflict(self, row: int | None, records: list[int], reason: str) -> None:
        self.claimed.update(records)
        material = self.materials[row] if row is not None else None
        first = self.records[records[0]]
        sku = material.sku if material else str(first.external_id or first.name)
        name = material.name if material else first.name
        self.changes.append(Difference("conflict", sku, name, (), material, first, None, reason))

    def adopt(self, unmatched: list[tuple[str, int]]) -> None:
        """Rows no record claimed: a hand-entered record of the same name, else a create."""
        by_name: dict[str, list[int]] = defaultdict(list)
        for record, key in zip(
            self.hand, name_keys(map(_name_in, map(self.theirs.__getitem__, self.hand))), strict=True
        ):
            by_name[key].append(record)
        adopted: list[int] = []
        records: list[int] = []
        keys: list[str] = []
        creates = []
        for key, row in unmatched:
            if key in self.shared:
                continue
            if key in self.held_keys:  # a create would give INNERGY a second record of this SKU
                reason = "the INNERGY record of this SKU is claimed by another master row with a problem"
                self.conflict(row, [self.held_keys[key]], f"{reason} (see ISSUES)")
                continue
            material = self.materials[row]
            free = [
                record for record in by_name.get(name_key(material.name), ()) if record not in self.claimed
            ]
            if len(free) > 1:
                self.conflict(row, free, f"{len(free)} hand-entered INNERGY records have this name")
            elif free:
                self.claimed.add(free[0])
                adopted.append(row)
                records.append(free[0])
                keys.append(key)
            elif material.active:
                creates.append(row)
        self.compare_all(adopted, records, keys)
        self.create(creates)

    def retire(self, keys: list[str], rows: Sequence[int]) -> tuple[InnergyMaterial, ...]:
        """Managed records no row claims are deactivated; hand-entered ones are only listed.

        ``keys`` and ``rows`` are the master's, as ``masters`` gives them."""
        masters = dict(zip(keys, rows, strict=True)) if self.shared else {}
        for key, group in self.shared.items():
            if self.held.issuperset(group):
                continue
            ids = ", ".join(str(self.records[record].innergy_id) for record in group)
            reason = f"{len(group)} INNERGY records share this external id ({ids})"
            self.conflict(masters.get(key), group, reason)
        unclaimed = filterfalse(self.claimed.__contains__, range(len(self.records)))
        unmanaged = []
        for position in unclaimed:  # an inactive record's model is not built: nothing names it
            if not self.keys[position]:
                unmanaged.append(self.records[position])
            elif self.theirs[position]["active"]:
                record = self.records[position]
                fields = (FieldChange("active", "yes", "no"),)
                payload = record.model_copy(update={"active": False})
                sku = str(record.external_id)
                self.changes.append(Difference("deactivate", sku, record.name, fields, None, record, payload))
        return tuple(unmanaged)

    def check_names(self, baseline: Mapping[str, InnergyMaterial]) -> list[Difference]:
        """Turn into conflicts the writes that would clash on MaterialName or with INNERGY edits.

        Only changes under a name that some change writes (a create or a rename) can clash
        on a name, and only changes of a record in ``baseline`` on an edit."""
        names = name_keys(map(_name_of, self.changes))
        writers: dict[str, list[str]] = defaultdict(list)
        for change, key in zip(self.changes, names, strict=True):
            if change.action == "create" or "name" in map(_field_of, change.fields):
                writers[key].append(change.sku)
        holders: dict[str, list[InnergyMaterial]] = defaultdict(list)
        if writers:
            keys = name_keys(map(_name_in, self.theirs))
            for record in compress(range(len(keys)), map(writers.__contains__, keys)):
                holders[keys[record]].append(self.records[record])
        result = list(self.changes)
        suspects = (
            range(len(result)) if baseline else compress(range(len(result)), map(writers.__contains__, names))
        )
        for position in suspects:
            change = result[position]
            if change.action == "conflict":
                continue
            base = baseline.get(change.record.innergy_id or "") if change.record else None
            reason = _baseline_clash(base, change) if base is not None else None
            if reason is None and change.action != "deactivate":
                name = names[position]
                reason = _name_clash(change, holders.get(name, []), writers.get(name, []))
            if reason is not None:
                result[position] = replace(change, action="conflict", payload=None, reason=reason)
        return result


def _name_clash(change: Difference, holders: list[InnergyMaterial], writers: list[str]) -> str | None:
    """Why ``change`` cannot go as planned: another INNERGY record (``holders``) or another
    master row (``writers``, by SKU) has its name."""
    others = [holder for holder in holders if holder is not change.record]
    if others:
        owner = f"SKU {others[0].external_id}" if others[0].external_id else "a hand-entered record"
        return f"the name {change.name!r} is already used in INNERGY by {owner} ({others[0].innergy_id})"
    twins = [sku for sku in writers if sku != change.sku]
    if twins:
        return f"the name {change.name!r} is also given to SKU {', '.join(twins)} in the master"
    return None


def diff_materials(
    library: Library,
    innergy: Iterable[InnergyMaterial],
    baseline: Mapping[str, InnergyMaterial] | None = None,
) -> MaterialDiff:
    """Compare the master with INNERGY's records; ``baseline`` holds records as last synced.

    Duplicate master SKUs: the first row wins (the reader reports the others).
    """
    with paused_gc():
        records = innergy if isinstance(innergy, Sequence) else list(innergy)
        return _diff(library, records, baseline or {})


def _diff(
    library: Library, innergy: Sequence[InnergyMaterial], baseline: Mapping[str, InnergyMaterial]
) -> MaterialDiff:
    """The diff run, whose working tuples are freed on return, before the collector resumes
    (else its first pass would walk all of them)."""
    run = _Diff(library, innergy)
    keys, rows = run.masters()
    run.adopt(run.run(keys, rows))
    unmanaged = run.retire(keys, rows)
    checked = run.check_names(baseline)
    orders = map(_ORDER.__getitem__, map(_action_of, checked))
    # sorted over (rank, key, position) tuples: C comparisons, no Python key function per change
    ranked = sorted(zip(orders, sku_keys(map(_sku_of, checked)), range(len(checked)), strict=True))
    in_order = tuple(checked[position] for *_, position in ranked)
    return MaterialDiff(in_order, run.unchanged, unmanaged, tuple(run.problems))


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
