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

Records come out as JSON-mode values (what ``model_dump(mode="json")`` gives) held
column-wise, each column coded (``Records``), so that a million lines never pass through a
per-row model and every distinct value is converted once.
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
from pydantic import BaseModel, TypeAdapter

from canonical.models import Library, Material, Problem
from canonical.normalize import BadValue, Money, canonical_unit, clean_text, markup_to_margin, sku_key
from ppak_import.columns import Coded, Column, Records, jsonable, objects, read_column
from ppak_import.table import Table

__all__ = ["Converted", "Unmapped", "convert_lines", "convert_materials", "convert_projects"]

EXAMPLES = 3
_PROBLEMS = TypeAdapter(list[Problem])


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
    records: Records
    """One column per model field, JSON-mode values; ``rows`` = the source rows."""
    keys: tuple[Coded, ...]
    """The parts of each record's duplicate-detection key (``sku_key`` texts)."""
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
        self,
        mask: np.ndarray,
        name: str,
        cells: Column,
        message: str | Callable[[int], str],
        severity: str,
    ) -> None:
        """A Problem for each row in ``mask``, naming its cell of ``cells``; errors leave the row out.

        Validated in one call: a dirty export reports tens of thousands of cells.
        """
        at = np.flatnonzero(mask)
        column, source = self.header(name), self.table.source
        messages = [message] * len(at) if isinstance(message, str) else [message(i) for i in at.tolist()]
        found = zip(self.rows[at].tolist(), cells.raw[cells.codes[at]].tolist(), messages, strict=True)
        self.problems += _PROBLEMS.validate_python(
            [
                {
                    "source": source,
                    "row": row,
                    "column": column,
                    "value": str(value) if value not in (None, "") else None,
                    "message": text,
                    "severity": severity,
                }
                for row, value, text in found
            ]
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
            self.report(bad, name, column, lambda i: str(column.errors[column.codes[i]]), "error")

    def required(self, column: Column, name: str, what: str) -> None:
        blank = (column.values == None)[column.codes] & ~column.bad()  # noqa: E711
        if blank.any():
            self.report(blank, name, column, f"{what} is blank; the row needs one", "error")

    def tally(self, kind: str, name: str, column: Coded, unmapped: np.ndarray, message: str) -> None:
        """Count the rows of each unmapped value (``unmapped``: per value of ``column``); one
        warning per distinct value, at its first row."""
        at = np.flatnonzero(column.per_row(unmapped) & ~self.out)
        if not len(at):
            return
        groups, values = pd.factorize(column.values)  # values equal after parsing: one group
        found = groups[column.codes[at]]
        order = np.argsort(found, kind="stable")  # each group's rows, in row order
        counts = np.bincount(found, minlength=len(values))
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        for g in sorted(np.flatnonzero(counts), key=lambda g: values[g]):
            rows = self.rows[at[order[starts[g] : starts[g] + counts[g]]]]
            value = values[g]
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

    def unit(self, name: str, required: bool) -> Coded:
        """Canonical unit codes; an unknown unit keeps its text and is tallied."""
        text = self.column(name, clean_text)
        if required:
            self.required(text, name, self.header(name))

        def code(raw: str | None) -> str | None:
            return None if raw is None else canonical_unit(raw, self.units)

        known = text.map(code).values
        unknown = (known == None) & (text.values != None)  # noqa: E711
        self.tally(
            "units",
            name,
            text,
            unknown,
            "unit {value!r} is in no MAP_UOM row nor synonym (rows: {count}); kept",
        )
        return Coded(text.codes, np.where(unknown, text.values, known))

    def money(self, name: str, units: np.ndarray | None) -> Column:
        """Money cells; a ``/UNIT`` hint that is not the row's unit is an error."""
        column = self.column(name)
        if units is None:
            hinted = column.per_row([isinstance(v, Money) and v.per is not None for v in column.values])
            self.report(hinted & ~self.out, name, column, "an amount cannot be per a unit", "error")
            return column
        per = objects([self._unit_of_hint(v) for v in column.values])
        clash = column.per_row(per != None) & ~self.out  # noqa: E711 - hinted rows, few; then their units
        at = np.flatnonzero(clash)
        clash[at] = per[column.codes[at]] != units[at]

        def message(i: int) -> str:
            return f"unit trap: priced per {per[column.codes[i]]} but the row's unit is {units[i]}"

        self.report(clash, name, column, message, "error")
        return column

    def _unit_of_hint(self, money: Money | None) -> str | None:
        if money is None or money.per is None:
            return None
        try:
            return canonical_unit(money.per, self.units) or money.per.upper()
        except BadValue:
            return None

    def result(self, records: dict[str, Coded], keys: tuple[Coded, ...]) -> Converted:
        keep = ~self.out
        kept = Records(self.rows, records).take(keep)
        left_out = int(self.out.sum())
        return Converted(
            self.table.source,
            kept,
            tuple(k.take(keep) for k in keys),
            self.problems,
            left_out,
            dict(self.unmapped),
        )


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
    price = b.money("price", uom.rows())
    b.required(price, "price", "the price")
    markup = b.column("markup")
    margin = markup.map(lambda m: None if m is None else _margin(m))
    b.fail(margin, "markup")
    b.column("price_date")
    conversion = b.column("conversion")
    inactive = b.column("inactive")
    canonical = code.map(lambda c: library.canonical_sku(c) if c else None).values
    unmapped = (canonical == None) & (code.values != None)  # noqa: E711
    message = "PPak code {value} has no canonical SKU: a candidate new item"
    b.tally("skus", "code", code, unmapped, message)
    texts = description.rows()
    traps = (
        np.array(
            [
                _pack_trap(d, u, p, c)
                for d, u, p, c in zip(texts, uom.rows(), purchase.rows(), conversion.rows(), strict=True)
            ],
            dtype=bool,
        )
        if b.size
        else np.zeros(0, dtype=bool)
    )
    b.report(
        traps & ~b.out,
        "price",
        price,
        "unit trap: the description names a pack of the purchase unit; check whether the price "
        "is per the unit or per the pack",
        "warning",
    )
    active = inactive.json(lambda v: not v)
    records = {
        "sku": Coded(code.codes, np.where(unmapped, code.values, canonical)),
        "name": description.json(_first_line),
        "description": description.json(),
        "category": division.json(),
        "subcategory": b.column("subdivision").json(),
        "uom": uom,
        "purchase_uom": purchase,
        "purchase_conversion": conversion.json(),
        "thickness_in": b.column("thickness").json(),
        "width_in": b.column("width").json(),
        "length_in": b.column("length").json(),
        "species_color": b.column("species_color").json(),
        "grade": b.column("grade").json(),
        "core": b.column("core").json(),
        "manufacturer": b.column("manufacturer").json(),
        "manufacturer_sku": b.column("manufacturer_sku").json(),
        "vendor": b.column("vendor").json(),
        "vendor_sku": b.column("vendor_sku").json(),
        "cost": price.json(_amount),
        "margin": margin.json(),
        "waste": b.column("waste").json(),
        "lead_time": b.column("lead_time").json(),
        "gl_account": b.column("gl_account").json(),
        "taxable": b.column("taxable").json(),
        "active": Coded(active.codes, objects([True if v is None else v for v in active.values])),
        "notes": b.column("notes").json(),
        "ppak_skus": Coded(code.codes, objects([[c] if c else [] for c in code.values])),
    }
    return b.result(_complete(records, Material, b.size), _keys(code))


def _keys(*parts: Coded) -> tuple[Coded, ...]:
    """Duplicate-detection key parts: each trimmed of all white space and case-folded."""
    return tuple(
        Coded(p.codes, objects([sku_key(v) if isinstance(v, str) else "" for v in p.values])) for p in parts
    )


def _complete(records: dict[str, Coded], model: type[BaseModel], size: int) -> dict[str, Coded]:
    """Every field of the model, defaults in JSON mode for those the file does not give."""
    full: dict[str, Coded] = {}
    for name, info in model.model_fields.items():
        if name in records:
            full[name] = records[name]
        else:
            full[name] = Coded(np.zeros(size, dtype=np.intp), objects([jsonable(info.default)]))
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
) -> tuple[Coded, Coded, Coded]:
    """PPak text, its canonical and its INNERGY value through a mapping tab; unmapped -> None."""
    text = b.column(name)
    found = text.map(lambda t: lookup(t) if t else None)
    pairs = [(getattr(m, fields[0]), getattr(m, fields[1])) if m else (None, None) for m in found.values]
    canonical = objects([p[0] for p in pairs])
    tab = "MAP_STATUS" if kind == "statuses" else "MAP_PHASE"
    b.tally(
        kind,
        name,
        text,
        (canonical == None) & (text.values != None),  # noqa: E711
        f"{name} {{value!r}} is not in {tab} (rows: {{count}}); left blank, add a {tab} row",
    )
    return text, Coded(text.codes, canonical), Coded(text.codes, objects([p[1] for p in pairs]))


def convert_projects(table: Table, library: Library) -> Converted:
    """PPak projects and change orders -> ``Project`` records."""
    from canonical.models import Project

    b = _Batch(table, library)
    ppak_id = b.column("project_id")
    b.required(ppak_id, "project_id", "the project id")
    name = b.column("name")
    b.required(name, "name", "the project name")
    change_order = name.json(_change_order)
    status, canonical_status, innergy_status = _mapped(
        b, "status", library.status, ("canonical_status", "innergy_status"), "statuses"
    )
    phase, canonical_phase, step = _mapped(
        b, "phase", library.phase, ("canonical_phase", "innergy_workflow_step"), "phases"
    )
    records = {
        "ppak_id": ppak_id,
        "change_order": change_order,
        "name": name,
        "customer": b.column("customer").json(),
        "city": b.column("city").json(),
        "state": b.column("state").json(),
        "estimator": b.column("estimator").json(),
        "project_manager": b.column("project_manager").json(),
        "ppak_status": status,
        "status": canonical_status,
        "innergy_status": innergy_status,
        "ppak_phase": phase,
        "phase": canonical_phase,
        "innergy_workflow_step": step,
        "bid_date": b.column("bid_date").json(),
        "award_date": b.column("award_date").json(),
        "due_date": b.column("due_date").json(),
        "contract_amount": b.money("contract_amount", None).json(_amount),
        "estimated_cost": b.money("estimated_cost", None).json(_amount),
        "grade": b.column("grade").json(),
        "job_type": b.column("job_type").json(),
        "notes": b.column("notes").json(),
    }
    return b.result(_complete(records, Project, b.size), _keys(ppak_id, change_order))


Pack = tuple[str, str | None, Decimal, Decimal]


def _reference_prices(items: Records | None, library: Library) -> dict[str, Pack]:
    """``sku_key(code)`` -> (unit, purchase unit, price per unit, conversion) of packs."""
    reference: dict[str, Pack] = {}
    for m in library.materials:
        if m.purchase_uom and m.purchase_conversion and m.purchase_conversion > 1:
            reference[m.key] = (m.uom, m.purchase_uom, m.cost, m.purchase_conversion)
    if items is not None and len(items):
        names = ("ppak_skus", "uom", "purchase_uom", "cost", "purchase_conversion")
        for codes, uom, purchase, cost, conv in zip(*(items.columns[n].rows() for n in names), strict=True):
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


def convert_lines(table: Table, library: Library, items: Records | None = None) -> Converted:
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
    skus = code.map(lambda c: library.canonical_sku(c) if c else None)
    b.tally(
        "skus",
        "code",
        code,
        (skus.values == None) & (code.values != None),  # noqa: E711
        "PPak code {value} has no canonical SKU (lines: {count}); kept with an empty SKU",
    )
    coded_uom = b.unit("uom", required=False)
    uom = coded_uom.rows()
    unit_cost = b.money("unit_cost", uom)
    reference = _reference_prices(items, library)
    (key,) = _keys(code)
    priced = key.per_row([k in reference for k in key.values]) & ~b.out
    keys, costs = key.values[key.codes], unit_cost.values[unit_cost.codes]
    checked: dict[tuple[str, str | None, int], str | None] = {}
    reasons = np.full(b.size, None, dtype=object)
    for i in np.flatnonzero(priced):
        combo = (keys[i], uom[i], int(unit_cost.codes[i]))
        if combo not in checked:
            checked[combo] = _pack_priced(keys[i], uom[i], costs[i], reference)
        reasons[i] = checked[combo]
    trapped = reasons != None  # noqa: E711
    b.report(trapped, "unit_cost", unit_cost, lambda i: str(reasons[i]), "warning")
    estimate_rev = b.column("estimate_rev").json()
    records = {
        "project_id": project,
        "estimate_rev": estimate_rev,
        "line": line,
        "line_type": b.column("line_type").json(),
        "area": b.column("area").json(),
        "ppak_sku": code,
        "sku": skus,
        "description": b.column("description").json(),
        "quantity": b.column("quantity").json(),
        "uom": coded_uom,
        "unit_cost": unit_cost.json(_amount),
        "extended_cost": b.money("extended_cost", None).json(_amount),
        "waste": b.column("waste").json(),
        "markup": b.column("markup").json(),
        "sell": b.money("sell", None).json(_amount),
        "vendor": b.column("vendor").json(),
        "work_order": b.column("work_order").json(),
        "need_by": b.column("need_by").json(),
    }
    return b.result(_complete(records, ProjectLine, b.size), _keys(project, estimate_rev, line))
