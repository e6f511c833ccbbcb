"""The shop's truth as pydantic models: materials, projects, lines and the mapping tables.

Money and quantities are ``Decimal``; percentages are fractions (0.35 = 35 %). Models are
frozen so that a value read once is the value compared, fingerprinted and pushed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache, cached_property
from operator import itemgetter
from typing import Any, Self

from pydantic import BaseModel, ConfigDict

from canonical.keys import sku_keys
from canonical.lazy import field_values
from canonical.normalize import sku_key, unit_key

__all__ = [
    "Claim",
    "FrozenModel",
    "InnergyMaterial",
    "Library",
    "Material",
    "PhaseMapping",
    "Problem",
    "Project",
    "ProjectLine",
    "SkuMapping",
    "StatusMapping",
    "UomMapping",
]


class FrozenModel(BaseModel):
    """Every canonical record: immutable, and a field we do not know is an error, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def from_valid(cls, values: Mapping[str, Any]) -> Self:
        """The model of ``values`` that already have their fields' types, every field given:
        what ``model_construct`` builds (fields in the model's order, which its JSON keeps),
        without its loop over the fields in Python, a fifth of the cost (a plan builds
        50,000 records). Raises ``KeyError`` unless the fields given are exactly the model's."""
        fields = cls.__pydantic_fields__
        if values.keys() != fields.keys():
            wrong = sorted(values.keys() ^ fields.keys())
            raise KeyError(f"{cls.__name__} fields not given or unknown: {wrong}")
        model = _new(cls)
        _set(model, "__dict__", dict(zip(fields, _in_order(cls)(values), strict=True)))
        _set(model, "__pydantic_fields_set__", set(fields))
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        return model

    @classmethod
    def from_valid_fields(cls, values: Mapping[str, Any]) -> Self:
        """``model_validate(values)`` for values that already have their fields' types,
        some fields left out: those take their defaults, and the fields set are the ones
        given, as validation records them. For a master row, where a blank cell leaves
        its field unset (13 us a row validated, 2 us so). Raises ``KeyError`` for a field
        the model does not have, or a required one not given."""
        return cls.from_all_fields(cls.with_defaults(values), set(values))

    @classmethod
    def with_defaults(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """Every field's value, in the model's order: ``values`` and the defaults of the
        fields it leaves out (``from_valid_fields``' check and merge, without the model)."""
        if not values.keys() <= cls.__pydantic_fields__.keys() or not _required(cls) <= values.keys():
            wrong = sorted(
                (values.keys() - cls.__pydantic_fields__.keys()) | (_required(cls) - values.keys())
            )
            raise KeyError(f"{cls.__name__} fields unknown or required and not given: {wrong}")
        fields = _defaults(cls).copy()
        fields.update(values)
        return fields

    @classmethod
    def defaults(cls, given: Iterable[str]) -> dict[str, Any]:
        """Every field at its default, in the model's order (``None`` for a required one),
        for values that will give fields of ``given`` only: ``with_defaults`` with its check
        of the field names made once for many records. Raises ``KeyError`` for a field of
        ``given`` the model does not have."""
        if unknown := set(given) - cls.__pydantic_fields__.keys():
            raise KeyError(f"{cls.__name__} has no fields {sorted(unknown)}")
        return _defaults(cls).copy()

    @classmethod
    def from_all_fields(cls, fields: dict[str, Any], given: set[str]) -> Self:
        """The model of ``with_defaults``' values (held as they are), the fields ``given`` set."""
        model = _new(cls)
        _set(model, "__dict__", fields)
        _set(model, "__pydantic_fields_set__", given)
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        return model


@cache
def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    """Every field at its default, in the model's order (``None`` for a required one, which
    ``from_valid_fields`` requires given). The canonical models' defaults are immutable."""
    return {
        name: None if info.is_required() else info.get_default(call_default_factory=True)
        for name, info in model.__pydantic_fields__.items()
    }


@cache
def _required(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, info in model.__pydantic_fields__.items() if info.is_required())


@cache
def _in_order(model: type[BaseModel]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """The values of ``model``'s fields, in its order, from a mapping (one C call)."""
    return itemgetter(*model.__pydantic_fields__)


_new, _set = object.__new__, object.__setattr__


class Problem(FrozenModel):
    """One piece of bad input, precise enough for a person to find and fix it.

    ``row`` is the row a person sees: the sheet row, or the physical line of a file with
    the header as 1. ``severity`` is ``error`` (the row was left out) or ``warning`` (the
    row was kept, something about it needs a look).
    """

    source: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    message: str
    severity: str = "error"


class Material(FrozenModel):
    """One row of MATERIAL_LIBRARY_MASTER."""

    sku: str
    name: str
    description: str | None = None
    category: str
    subcategory: str | None = None
    uom: str
    purchase_uom: str | None = None
    purchase_conversion: Decimal | None = None
    thickness_in: Decimal | None = None
    width_in: Decimal | None = None
    length_in: Decimal | None = None
    species_color: str | None = None
    grade: str | None = None
    core: str | None = None
    manufacturer: str | None = None
    manufacturer_sku: str | None = None
    vendor: str | None = None
    vendor_sku: str | None = None
    cost: Decimal
    margin: Decimal | None = None
    waste: Decimal | None = None
    lead_time: str | None = None
    gl_account: str | None = None
    taxable: bool | None = None
    active: bool = True
    innergy_id: str | None = None
    last_synced: datetime | None = None
    notes: str | None = None
    ppak_skus: tuple[str, ...] = ()
    cleared: tuple[str, ...] = ()
    """Fields whose master cell held exactly ``(clear)``: clear them in INNERGY."""

    @property
    def key(self) -> str:
        return sku_key(self.sku)


class Claim(FrozenModel):
    """A master row that failed validation: not a ``Material``, yet still the master's word
    that its INNERGY record exists, so nothing is planned for that record until it is fixed."""

    sku: str | None = None
    innergy_id: str | None = None


class Project(FrozenModel):
    """A PPak project or change order, with canonical status and phase."""

    ppak_id: str
    change_order: str | None = None
    """Set when a change order shares its parent's PPak id (``CO#1``)."""
    name: str
    customer: str | None = None
    city: str | None = None
    state: str | None = None
    estimator: str | None = None
    project_manager: str | None = None
    ppak_status: str | None = None
    status: str | None = None
    innergy_status: str | None = None
    ppak_phase: str | None = None
    phase: str | None = None
    innergy_workflow_step: str | None = None
    bid_date: date | None = None
    award_date: date | None = None
    due_date: date | None = None
    contract_amount: Decimal | None = None
    estimated_cost: Decimal | None = None
    grade: str | None = None
    job_type: str | None = None
    notes: str | None = None
    innergy_id: str | None = None

    @property
    def external_id(self) -> str:
        """The id INNERGY knows this project by: the PPak id, plus the change order."""
        return f"{self.ppak_id}-{self.change_order}" if self.change_order else self.ppak_id


class ProjectLine(FrozenModel):
    """One estimate / BOM line of a project."""

    project_id: str
    estimate_rev: str | None = None
    line: str
    line_type: str | None = None
    area: str | None = None
    ppak_sku: str | None = None
    sku: str | None = None
    """The canonical SKU; ``None`` when the PPak code is unmapped."""
    description: str | None = None
    quantity: Decimal | None = None
    uom: str | None = None
    unit_cost: Decimal | None = None
    extended_cost: Decimal | None = None
    waste: Decimal | None = None
    markup: Decimal | None = None
    sell: Decimal | None = None
    vendor: str | None = None
    work_order: str | None = None
    need_by: date | None = None


class StatusMapping(FrozenModel):
    ppak_status: str
    canonical_status: str
    innergy_status: str | None = None


class PhaseMapping(FrozenModel):
    ppak_phase: str
    canonical_phase: str
    innergy_workflow_step: str | None = None


class SkuMapping(FrozenModel):
    ppak_sku: str
    canonical_sku: str
    notes: str | None = None


class UomMapping(FrozenModel):
    source_uom: str
    canonical_uom: str
    innergy_uom_group: str | None = None
    innergy_common_uom: str | None = None
    base_units_per_uom: Decimal | None = None
    """Base units of the INNERGY group in one of this unit (blank = 1; 4'x8' in SF = 32)."""


class Library(FrozenModel):
    """The master and the mapping tables: everything estimators keep in the workbook.

    Look-ups go through indexes built once per library (the first entry of a key wins;
    duplicates are reported by the reader that built the library).
    """

    materials: Sequence[Material] = ()
    """A tuple, or as the master's reader gives them a ``LazyModels``: the models of the
    rows nothing names are never built."""
    statuses: tuple[StatusMapping, ...] = ()
    phases: tuple[PhaseMapping, ...] = ()
    skus: tuple[SkuMapping, ...] = ()
    uoms: tuple[UomMapping, ...] = ()
    claims: tuple[Claim, ...] = ()
    """Master rows left out for a problem: their SKUs and INNERGY IDs are held, never retired."""

    @cached_property
    def _indexes(self) -> dict[str, dict[str, Any]]:
        indexes: dict[str, dict[str, Any]] = {
            "material": {},
            "sku": {},
            "status": {},
            "phase": {},
            "uom": {},
            "uom_code": {},
        }
        # by position, read from the values: a lazy master's models are not built to index them
        skus = (values["sku"] for values in field_values(self.materials))
        deque(map(indexes["material"].setdefault, sku_keys(skus), range(len(self.materials))), maxlen=0)
        tables: tuple[tuple[str, Sequence[Any], Callable[[Any], str]], ...] = (
            ("sku", self.skus, lambda s: sku_key(s.ppak_sku)),
            ("status", self.statuses, lambda s: unit_key(s.ppak_status)),
            ("phase", self.phases, lambda p: unit_key(p.ppak_phase)),
            ("uom", self.uoms, lambda u: unit_key(u.source_uom)),
            ("uom_code", self.uoms, lambda u: unit_key(u.canonical_uom)),
        )
        for name, items, key_of in tables:
            index = indexes[name]
            for item in items:
                index.setdefault(key_of(item), item)
        return indexes

    def material(self, sku: str) -> Material | None:
        position = self._indexes["material"].get(sku_key(sku))
        return None if position is None else self.materials[position]

    def canonical_sku(self, ppak_code: str) -> str | None:
        """MAP_MATERIAL_SKU wins; else the code itself when the master has it."""
        mapped = self._indexes["sku"].get(sku_key(ppak_code))
        if mapped is not None:
            return str(mapped.canonical_sku)
        material = self.material(ppak_code)
        return material.sku if material else None

    def status(self, ppak_status: str) -> StatusMapping | None:
        return self._indexes["status"].get(unit_key(ppak_status))

    def phase(self, ppak_phase: str) -> PhaseMapping | None:
        return self._indexes["phase"].get(unit_key(ppak_phase))

    def uom(self, unit: str) -> UomMapping | None:
        """The MAP_UOM row for a source unit, or else for a canonical unit code."""
        key = unit_key(unit)
        return self._indexes["uom"].get(key) or self._indexes["uom_code"].get(key)

    def unit_table(self) -> dict[str, str]:
        """MAP_UOM as the table ``canonical_unit`` takes."""
        return {key: u.canonical_uom for key, u in self._indexes["uom"].items()}


class InnergyMaterial(FrozenModel):
    """A material as INNERGY holds it, in canonical names and types.

    The wire model (PascalCase, Money objects) lives in ``innergy_client``; this is the
    shape both sides of the diff are brought to: the master projected through MAP_UOM,
    and INNERGY's records read from the API or an exported file.
    """

    innergy_id: str | None = None
    external_id: str | None = None
    """Our canonical SKU (INNERGY ``ExternalId``); ``None`` for records entered by hand."""
    name: str
    description: str | None = None
    category: str | None = None
    """INNERGY ``BudgetGroup``."""
    location: str | None = None
    uom_group: str | None = None
    common_uom: str | None = None
    cost: Decimal | None = None
    """Per base unit of ``uom_group``."""
    margin: Decimal | None = None
    active: bool = True
    manufacturer: str | None = None
    manufacturer_sku: str | None = None
    vendor: str | None = None
    vendor_sku: str | None = None
    lead_time: str | None = None
    weight: Decimal | None = None
    notes: str | None = None
    created_on: datetime | None = None
    modified_on: datetime | None = None
