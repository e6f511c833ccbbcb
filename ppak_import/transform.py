"""Tables -> canonical records, column by column, through the caller's ``Library``.

Rules (see ppak_exports.md): a row with a malformed or missing required value is left
out with an ``error`` per bad cell; everything merely unmapped is kept with a
``warning`` and tallied (a PPak code with no canonical SKU keeps its code: a library item
becomes a candidate ``new`` row, a project line gets ``sku=None``); an unmapped status or
phase gives ``status``/``phase`` ``None`` (never guessed) with the PPak text kept in
``ppak_status``/``ppak_phase``. Unit traps are flagged, not fixed: a price whose ``/UNIT``
hint is not the row's unit is an error; a price that looks like the purchase unit's
while the row is in the stock unit (``$1,204.00`` per GAL for a 5-gallon pail) is a
warning.

Records come out as JSON-mode dicts (what ``model_dump(mode="json")`` gives) held
column-wise in a DataFrame, so that a million lines never pass through a per-row model.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from canonical.models import Library, Material, Problem
from canonical.normalize import BadValue, Money, canonical_unit, clean_text, markup_to_margin, sku_key
from ppak_import.columns import Column, jsonable, objects, read_column
from ppak_import.table import Table

__all__ = ["Converted", "Unmapped", "convert_lines", "convert_materials", "convert_projects"]

EXAMPLES = 3


@dataclass
class Unmapped:
    """Values no mapping knows: how often each occurs and where (``file:row``)."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, value: str, count: int, where: list[str]) -> None:
        self.counts[value] += count
        self.examples[value].extend(where[: EXAMPLES - len(self.examples[value])])

    def as_list(self) -> list[dict[str, Any]]:
        ordered = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [{"value": v, "count": n, "examples": self.examples[v]} for v, n in ordered]


@dataclass(frozen=True)
class Converted:
    """One table's canonical records and what was wrong with its rows."""

    source: str
    records: pd.DataFrame
    """One column per model field, JSON-mode values; index = the source row."""
    keys: np.ndarray
    """The duplicate-detection key of each record."""
    problems: list[Problem]
    reported: int
    unmapped: dict[str, Unmapped]


class _Batch:
    """The rows of one table being converted: bad cells reported, bad rows left out."""

    def __init__(self, table: Table, library: Library) -> None:
        self.table = table
        self.library = library
        self.size = len(table.frame)
        self.rows = table.frame.index.to_numpy()
        self.out = np.zeros(self.size, dtype=bool)
        self.problems: list[Problem] = []
        self.unmapped: dict[str, Unmapped] = defaultdict(Unmapped)
        self.units = library.unit_table()

    def header(self, name: str) -> str:
        return self.table.headers.get(name, self.table.schema.field(name).headers[0])

    def report(
        self, mask: np.ndarray, name: str | None, raw: np.ndarray, message: str | np.ndarray, severity: str
    ) -> None:
        for i in np.flatnonzero(mask):
            value = raw[i]
            self.problems.append(
                Problem(
                    source=self.table.source,
                    row=int(self.rows[i]),
                    column=self.header(name) if name else None,
                    value=str(value) if value not in (None, "") else None,
                    message=message if isinstance(message, str) else str(message[i]),
                    severity=severity,
                )
            )
        if severity == "error":
            self.out |= mask

    def column(self, name: str, parse: Callable[[Any], Any] | None = None) -> Column:
        """A parsed column; cells that do not parse are errors that leave their row out."""
        parse = parse or self.table.schema.field(name).parse
        column = read_column(self.table.frame.get(name), self.size, parse)
        self.fail(column, name)
        return column

    def fail(self, column: Column, name: str) -> None:
        bad = column.bad()
        if bad.any():
            self.report(bad, name, column.raw_rows(), column.errors[column.codes], "error")

    def required(self, column: Column, name: str, what: str) -> None:
        blank = (column.values == None)[column.codes] & ~column.bad()  # noqa: E711
        if blank.any():
            self.report(blank, name, column.raw_rows(), f"{what} is blank; the row needs one", "error")

    def tally(self, kind: str, name: str, values: np.ndarray, mask: np.ndarray, message: str) -> None:
        """Count unmapped values; one warning per distinct value, at its first row."""
        mask = mask & ~self.out
        if not mask.any():
            return
        picked = pd.Series(values[mask], index=self.rows[mask])
        for value, rows in picked.groupby(picked, sort=True).groups.items():
            where = [f"{self.table.source}:{r}" for r in rows[:EXAMPLES]]
            self.unmapped[kind].add(str(value), len(rows), where)
            self.problems.append(
                Problem(
                    source=self.table.source,
                    row=int(rows[0]),
                    column=self.header(name),
                    value=str(value),
                    message=message.format(value=value, count=len(rows)),
                    severity="warning",
                )
            )

    def unit(self, name: str, required: bool) -> np.ndarray:
        """Canonical unit codes; an unknown unit keeps its text and is tallied."""
        text = self.column(name, clean_text)
        if required:
            self.required(text, name, self.header(name))

        def code(raw: str | None) -> str | None:
            return None if raw is None else canonical_unit(raw, self.units)

        codes = text.map(code)
        known = codes.rows()
        given = text.rows()
        unknown = (known == None) & (given != None)  # noqa: E711
        self.tally(
            "units",
            name,
            given,
            unknown,
            "unit {value!r} is in no MAP_UOM row nor synonym (rows: {count}); kept",
        )
        return np.where(unknown, given, known)

    def money(self, name: str, units: np.ndarray | None) -> Column:
        """Money cells; a ``/UNIT`` hint that is not the row's unit is an error."""
        column = self.column(name)
        if units is None:
            hinted = np.array([isinstance(v, Money) and v.per is not None for v in column.values])
            message = "an amount cannot be per a unit"
            self.report(hinted[column.codes] & ~self.out, name, column.raw_rows(), message, "error")
            return column
        per = np.array([self._unit_of_hint(v) for v in column.values], dtype=object)[column.codes]
        clash = (per != None) & (per != units) & ~self.out  # noqa: E711
        messages = np.empty(self.size, dtype=object)  # written only where a row clashes
        for i in np.flatnonzero(clash):
            messages[i] = f"unit trap: priced per {per[i]} but the row's unit is {units[i]}"
        self.report(clash, name, column.raw_rows(), messages, "error")
        return column

    def _unit_of_hint(self, money: Money | None) -> str | None:
        if money is None or money.per is None:
            return None
        try:
            return canonical_unit(money.per, self.units) or money.per.upper()
        except BadValue:
            return None

    def result(self, records: dict[str, np.ndarray], keys: np.ndarray) -> Converted:
        keep = ~self.out
        frame = pd.DataFrame({k: v[keep] for k, v in records.items()}, index=self.rows[keep], dtype=object)
        left_out = int(self.out.sum())
        return Converted(self.table.source, frame, keys[keep], self.problems, left_out, dict(self.unmapped))


def _json(column: Column, convert: Callable[[Any], Any] = lambda v: v) -> np.ndarray:
    """Per-row JSON-mode values, computed once per distinct value."""
    values = np.empty(len(column.values), dtype=object)
    for i, v in enumerate(column.values):
        try:
            values[i] = jsonable(convert(v)) if v is not None else None
        except BadValue:
            values[i] = None
    return values[column.codes]


def _amount(money: Money) -> Decimal:
    return money.value


def _first_line(text: str | None) -> str | None:
    return text.splitlines()[0].strip() if text else None


def _margin(markup: Decimal) -> Decimal:
    return markup_to_margin(markup)


_PACK = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*([A-Za-z][A-Za-z.]*)")


def _pack_trap(description: str | None, uom: str | None, purchase: str | None, conv: Decimal | None) -> bool:
    """The description names a pack of ``conv`` stock units (``5 gal`` for a 5-GAL pail)."""
    if not description or not uom or conv is None or conv <= 1 or purchase in (None, uom):
        return False
    for number, word in _PACK.findall(description):
        if Decimal(number) == conv and canonical_unit(word) == uom:
            return True
    return False


def convert_materials(table: Table, library: Library) -> Converted:
    """PPak library items -> ``Material`` records (code kept in ``ppak_skus``)."""
    b = _Batch(table, library)
    code = b.column("code")
    b.required(code, "code", "the item code")
    description = b.column("description")
    b.required(description, "description", "the description")
    division = b.column("division")
    b.required(division, "division", "the division (the material's category)")
    uom = b.unit("uom", required=True)
    purchase = b.unit("purchase_uom", required=False)
    price = b.money("price", uom)
    b.required(price, "price", "the price")
    markup = b.column("markup")
    margin = markup.map(lambda m: None if m is None else _margin(m))
    b.fail(margin, "markup")
    b.column("price_date")
    conversion = b.column("conversion")
    inactive = b.column("inactive")
    ppak = code.rows()
    canonical = code.map(lambda c: library.canonical_sku(c) if c else None)
    skus = canonical.rows()
    unmapped = (skus == None) & (ppak != None)  # noqa: E711
    b.tally("skus", "code", ppak, unmapped, "PPak code {value} has no canonical SKU: a candidate new item")
    texts = description.rows()
    traps = (
        np.array(
            [
                _pack_trap(d, u, p, c)
                for d, u, p, c in zip(texts, uom, purchase, conversion.rows(), strict=True)
            ],
            dtype=bool,
        )
        if b.size
        else np.zeros(0, dtype=bool)
    )
    b.report(
        traps & ~b.out,
        "price",
        price.raw_rows(),
        "unit trap: the description names a pack of the purchase unit; check whether the price "
        "is per the unit or per the pack",
        "warning",
    )
    records = {
        "sku": np.where(unmapped, ppak, skus),
        "name": _json(description, _first_line),
        "description": _json(description),
        "category": _json(division),
        "subcategory": _json(b.column("subdivision")),
        "uom": uom,
        "purchase_uom": purchase,
        "purchase_conversion": _json(conversion),
        "thickness_in": _json(b.column("thickness")),
        "width_in": _json(b.column("width")),
        "length_in": _json(b.column("length")),
        "species_color": _json(b.column("species_color")),
        "grade": _json(b.column("grade")),
        "core": _json(b.column("core")),
        "manufacturer": _json(b.column("manufacturer")),
        "manufacturer_sku": _json(b.column("manufacturer_sku")),
        "vendor": _json(b.column("vendor")),
        "vendor_sku": _json(b.column("vendor_sku")),
        "cost": _json(price, _amount),
        "margin": _json(margin),
        "waste": _json(b.column("waste")),
        "lead_time": _json(b.column("lead_time")),
        "gl_account": _json(b.column("gl_account")),
        "taxable": _json(b.column("taxable")),
        "active": _json(inactive, lambda v: not v),
        "notes": _json(b.column("notes")),
        "ppak_skus": objects([[c] if c else [] for c in ppak]),
    }
    records["active"] = np.where(records["active"] == None, True, records["active"])  # noqa: E711
    return b.result(_complete(records, Material, b.size), _keys(ppak))


def _key_part(values: np.ndarray) -> pd.Series:
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    keyed = objects([sku_key(v) if isinstance(v, str) else "" for v in uniques])
    return pd.Series(keyed[codes], dtype=object)


def _keys(first: np.ndarray, *more: np.ndarray) -> np.ndarray:
    """Duplicate-detection keys: each part trimmed of all white space and case-folded."""
    joined = _key_part(first)
    for part in more:
        joined = joined + "\x1f" + _key_part(part)
    return joined.to_numpy(dtype=object)


def _complete(records: dict[str, np.ndarray], model: type[BaseModel], size: int) -> dict[str, np.ndarray]:
    """Every field of the model, defaults in JSON mode for those the file does not give."""
    full: dict[str, np.ndarray] = {}
    for name, info in model.model_fields.items():
        if name in records:
            full[name] = records[name]
        else:
            default = jsonable(info.default)
            full[name] = objects([list(default) if isinstance(default, list) else default] * size)
    return full


_CHANGE_ORDER = re.compile(r"\s*[-–—]?\s*\b(?:CO|C\.O\.|Change\s+Order)\s*#?\s*(\d+)\s*$", re.IGNORECASE)


def _change_order(name: str | None) -> str | None:
    """``CO1`` for a name ending ``- CO#1`` (``#`` left out: the id goes into URLs)."""
    match = _CHANGE_ORDER.search(name or "")
    return f"CO{int(match[1])}" if match else None


def _mapped(
    b: _Batch,
    name: str,
    lookup: Callable[[str], Any],
    fields: tuple[str, str],
    kind: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PPak text, its canonical and its INNERGY value through a mapping tab; unmapped -> None."""
    text = b.column(name)
    found = text.map(lambda t: lookup(t) if t else None)
    pairs = [(getattr(m, fields[0]), getattr(m, fields[1])) if m else (None, None) for m in found.values]
    canonical = objects([p[0] for p in pairs])[found.codes]
    innergy = objects([p[1] for p in pairs])[found.codes]
    given = text.rows()
    tab = "MAP_STATUS" if kind == "statuses" else "MAP_PHASE"
    b.tally(
        kind,
        name,
        given,
        (canonical == None) & (given != None),  # noqa: E711
        f"{name} {{value!r}} is not in {tab} (rows: {{count}}); left blank, add a {tab} row",
    )
    return given, canonical, innergy


def convert_projects(table: Table, library: Library) -> Converted:
    """PPak projects and change orders -> ``Project`` records."""
    from canonical.models import Project

    b = _Batch(table, library)
    ppak_id = b.column("project_id")
    b.required(ppak_id, "project_id", "the project id")
    name = b.column("name")
    b.required(name, "name", "the project name")
    change_order = _json(name, _change_order)
    status, canonical_status, innergy_status = _mapped(
        b, "status", library.status, ("canonical_status", "innergy_status"), "statuses"
    )
    phase, canonical_phase, step = _mapped(
        b, "phase", library.phase, ("canonical_phase", "innergy_workflow_step"), "phases"
    )
    records = {
        "ppak_id": ppak_id.rows(),
        "change_order": change_order,
        "name": name.rows(),
        "customer": _json(b.column("customer")),
        "city": _json(b.column("city")),
        "state": _json(b.column("state")),
        "estimator": _json(b.column("estimator")),
        "project_manager": _json(b.column("project_manager")),
        "ppak_status": status,
        "status": canonical_status,
        "innergy_status": innergy_status,
        "ppak_phase": phase,
        "phase": canonical_phase,
        "innergy_workflow_step": step,
        "bid_date": _json(b.column("bid_date")),
        "award_date": _json(b.column("award_date")),
        "due_date": _json(b.column("due_date")),
        "contract_amount": _json(b.money("contract_amount", None), _amount),
        "estimated_cost": _json(b.money("estimated_cost", None), _amount),
        "grade": _json(b.column("grade")),
        "job_type": _json(b.column("job_type")),
        "notes": _json(b.column("notes")),
    }
    return b.result(_complete(records, Project, b.size), _keys(records["ppak_id"], change_order))


Pack = tuple[str, str | None, Decimal, Decimal]


def _reference_prices(items: pd.DataFrame, library: Library) -> dict[str, Pack]:
    """``sku_key(code)`` -> (unit, purchase unit, price per unit, conversion) of packs."""
    reference: dict[str, Pack] = {}
    for m in library.materials:
        if m.purchase_uom and m.purchase_conversion and m.purchase_conversion > 1:
            reference[m.key] = (m.uom, m.purchase_uom, m.cost, m.purchase_conversion)
    if len(items):
        for codes, uom, purchase, cost, conv in zip(
            items["ppak_skus"],
            items["uom"],
            items["purchase_uom"],
            items["cost"],
            items["purchase_conversion"],
            strict=True,
        ):
            if codes and purchase and conv and Decimal(conv) > 1:
                reference[sku_key(codes[0])] = (uom, purchase, Decimal(cost), Decimal(conv))
    return reference


def _near(a: Decimal, b: Decimal) -> bool:
    return b != 0 and abs(a - b) <= abs(b) * Decimal("0.005")


def _pack_priced(key: str, uom: str | None, cost: Money | None, reference: Mapping[str, tuple]) -> str | None:
    """Why a line's unit cost looks like it is per the other unit of its item, or ``None``."""
    known = reference.get(key)
    if known is None or cost is None or uom is None:
        return None
    unit, purchase, price, conv = known
    if uom == unit and _near(cost.value, price * conv) and not _near(cost.value, price):
        return f"unit trap: priced per {purchase} ({conv} {unit}) while the line's unit is {unit}"
    if uom == purchase and _near(cost.value, price) and not _near(cost.value, price * conv):
        return f"unit trap: priced per {unit} while the line's unit is {purchase} ({conv} {unit})"
    return None


def convert_lines(table: Table, library: Library, items: pd.DataFrame | None = None) -> Converted:
    """PPak estimate / BOM lines -> ``ProjectLine`` records.

    ``items`` are the PPak library records of the same run: a line's unit cost is checked
    against its item's price per unit and per purchase unit (unit traps).
    """
    from canonical.models import ProjectLine

    b = _Batch(table, library)
    project = b.column("project_id")
    b.required(project, "project_id", "the project id")
    line = b.column("line")
    b.required(line, "line", "the line number")
    code = b.column("code")
    ppak = code.rows()
    skus = code.map(lambda c: library.canonical_sku(c) if c else None).rows()
    b.tally(
        "skus",
        "code",
        ppak,
        (skus == None) & (ppak != None),  # noqa: E711
        "PPak code {value} has no canonical SKU (lines: {count}); kept with an empty SKU",
    )
    uom = b.unit("uom", required=False)
    unit_cost = b.money("unit_cost", uom)
    reference = _reference_prices(items if items is not None else pd.DataFrame(), library)
    keys = _keys(ppak)
    costs = unit_cost.rows()
    checked: dict[tuple[str, str | None, int], str | None] = {}
    reasons = np.full(b.size, None, dtype=object)
    for i in np.flatnonzero(pd.Series(keys).isin(reference).to_numpy() & ~b.out):
        combo = (keys[i], uom[i], int(unit_cost.codes[i]))
        if combo not in checked:
            checked[combo] = _pack_priced(keys[i], uom[i], costs[i], reference)
        reasons[i] = checked[combo]
    trapped = reasons != None  # noqa: E711
    b.report(trapped, "unit_cost", unit_cost.raw_rows(), reasons, "warning")
    records = {
        "project_id": project.rows(),
        "estimate_rev": _json(b.column("estimate_rev")),
        "line": line.rows(),
        "line_type": _json(b.column("line_type")),
        "area": _json(b.column("area")),
        "ppak_sku": ppak,
        "sku": skus,
        "description": _json(b.column("description")),
        "quantity": _json(b.column("quantity")),
        "uom": uom,
        "unit_cost": _json(unit_cost, _amount),
        "extended_cost": _json(b.money("extended_cost", None), _amount),
        "waste": _json(b.column("waste")),
        "markup": _json(b.column("markup")),
        "sell": _json(b.money("sell", None), _amount),
        "vendor": _json(b.column("vendor")),
        "work_order": _json(b.column("work_order")),
        "need_by": _json(b.column("need_by")),
    }
    keys = _keys(records["project_id"], records["estimate_rev"], records["line"])
    return b.result(_complete(records, ProjectLine, b.size), keys)
