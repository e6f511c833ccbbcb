"""The master reader: the master and mapping tabs -> a validated canonical ``Library``.

Every data row ends as a canonical object or as ``Problem``s naming tab, sheet row,
column, value and reason. Rows with an error are left out, never guessed; a row kept
with something to look at carries a warning. A master row left out still claims its SKU
and INNERGY ID (``Library.claims``): plan tells "left out for a problem" from "not in the
master", and only the latter deactivates. The master row number of every SKU is returned
too (blocked rows included), so push writes back to the right row.

A master whose layout would misread every row (no header, a required column missing, a
contract header twice) is a ``MasterTabError``, not a Problem: read that way, every
material would look gone.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import compress, filterfalse, repeat, zip_longest
from operator import and_, attrgetter, is_, is_not, itemgetter, not_
from typing import Any, Literal, cast

from pydantic import BaseModel, ValidationError

from canonical.errors import DuplicateColumn, EmptyMaster, MissingColumn, MissingTab
from canonical.gc_pause import paused_gc
from canonical.keys import sku_keys
from canonical.lazy import LazyModels
from canonical.models import (
    Claim,
    FrozenModel,
    Library,
    Material,
    PhaseMapping,
    Problem,
    SkuMapping,
    StatusMapping,
    UomMapping,
)
from canonical.normalize import (
    CLEAR,
    BadValue,
    clean_text,
    not_finite,
    parse_bool,
    parse_datetime,
    parse_decimal,
    parse_money,
    parse_percent,
    sheet_error,
    sku_key,
    unit_key,
)
from sheets_sync.master.tabs import (
    MAP_MATERIAL_SKU,
    MAP_PHASE,
    MAP_STATUS,
    MAP_UOM,
    MAPPING_TABS,
    MASTER,
    SPECS,
    TabSpec,
)
from sheets_sync.workbook.base import Cell, Rows, Uncalculated, Workbook, header_key, require_tabs

__all__ = ["LIBRARY_TABS", "parse_library", "read_library", "reference_parse_library", "require_master_rows"]

LIBRARY_TABS = (MASTER, *MAPPING_TABS)
Parser = Callable[[Any], Any]


def _cost(raw: Any) -> Any:
    money = parse_money(raw)
    if money is not None and money.value < 0:
        raise BadValue(f"cost {money.value} is negative")
    return money


def _positive(raw: Any) -> Any:
    value = parse_decimal(raw, "base units per UoM")
    if value is not None and value <= 0:
        raise BadValue(f"base units per UoM must be above zero, not {value}")
    return value


_DECIMAL_FIELDS = {"purchase_conversion", "thickness_in", "width_in", "length_in"}
PARSERS: Mapping[str, Parser] = {
    **{f: partial(parse_decimal, what=f.replace("_", " ")) for f in _DECIMAL_FIELDS},
    "cost": _cost,
    "margin": parse_percent,
    "waste": parse_percent,
    "taxable": parse_bool,
    "active": parse_bool,
    "last_synced": parse_datetime,
    "base_units_per_uom": _positive,
}
"""Canonical field -> parser of its cell; every other field is text."""


def _positions(spec: TabSpec, header: Sequence[Cell]) -> dict[str, list[int]]:
    """Contract header -> its positions in this tab (headers matched loosely; extras ignored)."""
    wanted = {header_key(h): h for h in spec.fields}
    found: dict[str, list[int]] = {}
    for index, title in enumerate(header):
        name = wanted.get(header_key(title))
        if name is not None:
            found.setdefault(name, []).append(index)
    return found


def _letter(index: int) -> str:
    """A 0-based column position as the sheet names it (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class _Reader:
    """Rows of one tab -> dicts of canonical field values, or problems."""

    def __init__(self, spec: TabSpec, rows: Rows, problems: list[Problem], reference: bool = False) -> None:
        self.spec = spec
        self.reference = reference
        """Read as before the bulk path (``reference_parse_library``)."""
        self.rows = rows
        self.problems = problems
        self.header = rows[spec.header_row - 1] if len(rows) >= spec.header_row else []
        positions = _positions(spec, self.header)
        self.columns = {title: at[0] for title, at in positions.items()}
        self.repeated = {title: at for title, at in positions.items() if len(at) > 1}
        """Contract headers found in more than one column (a mapping tab reads the first)."""
        self.missing = [h for h in spec.required if h not in self.columns]
        for title in self.missing:
            self.problem(
                spec.header_row, title, None, f"the required column {title!r} is missing from the header"
            )

    def problem(
        self, row: int, column: str | None, value: Any, message: str, severity: str = "error"
    ) -> None:
        shown = None if value is None else str(value)
        self.problems.append(
            Problem(
                source=self.spec.name, row=row, column=column, value=shown, message=message, severity=severity
            )
        )

    def parsed(self) -> _Parsed:
        """The body column by column, problems noted: each distinct cell of a column is
        parsed once, and only rows holding a problem, a ``(clear)`` or a blank required
        cell take the cell-by-cell path (``_checked``), in sheet order."""
        spec = self.spec
        body = self.rows[spec.header_row :] if not self.missing else []
        raw_columns = list(zip_longest(*body))
        plan: list[tuple[str, str, bool]] = []
        columns: list[list[Any]] = []
        special: set[int] = set()
        blank: set[str] = set()
        for title, at in self.columns.items() if not self.missing else ():
            cells = raw_columns[at] if at < len(raw_columns) else (None,) * len(body)
            required = title in spec.required
            column, flagged, blanks = _column(cells, PARSERS.get(spec.fields[title]), required)
            if blanks == "all" and not required:
                continue  # an empty optional column adds nothing to any row
            plan.append((title, spec.fields[title], required))
            columns.append(column)
            special.update(flagged)
            if blanks != "none":
                blank.add(spec.fields[title])
        first = spec.header_row + 1
        fields = [field for _, field, _ in plan]
        parsed = _Parsed(fields, columns, frozenset(blank), len(body), first, [], {}, [])
        for index in sorted(special):
            record = self._checked(index + first, plan, parsed.row(index))
            if record is not None:
                parsed.checked[index] = record
            else:
                parsed.left_out.append(index)
        parsed.clean.extend(filterfalse(special.__contains__, range(len(body))))
        return parsed

    def records(self) -> list[tuple[int, dict[str, Any], list[str]]]:
        """(sheet row, field values, cleared fields) of each readable row; problems noted."""
        if self.reference:
            return self.reference_records()
        parsed = self.parsed()
        out = [(index, parsed.values(index)) for index in parsed.clean]
        records: list[tuple[int, dict[str, Any], list[str]]] = [
            (parsed.first + index, values, []) for index, values in out if values
        ]
        if not parsed.checked:
            return records
        return sorted([*records, *parsed.checked.values()], key=_number_of)

    def reference_records(self) -> list[tuple[int, dict[str, Any], list[str]]]:
        """``records`` as it was before the bulk path, one loop over the rows: the reference
        path of ``reference_parse_library``, removed with it.

        Every cell is parsed on its own (``_column_cell_by_cell``), so the differential
        test also holds the bulk path's per-distinct-cell parse (``_column``) to it; only
        rows holding a problem, a ``(clear)`` or a blank required cell take ``_checked``.
        """
        if self.missing:
            return []
        spec = self.spec
        body = self.rows[spec.header_row :]
        raw_columns = list(zip_longest(*body))
        plan: list[tuple[str, str, bool]] = []
        columns: list[list[Any]] = []
        special: set[int] = set()
        for title, at in self.columns.items():
            cells = raw_columns[at] if at < len(raw_columns) else (None,) * len(body)
            required = title in spec.required
            column, flagged, blanks = _column_cell_by_cell(cells, PARSERS.get(spec.fields[title]), required)
            if blanks == "all" and not required:
                continue  # an empty optional column adds nothing to any row
            plan.append((title, spec.fields[title], required))
            columns.append(column)
            special.update(flagged)
        fields = [field for _, field, _ in plan]
        out = []
        for index, outcomes in enumerate(zip(*columns, strict=True)):
            number = index + spec.header_row + 1
            if index in special:
                record = self._checked(number, plan, outcomes)
                if record is not None:
                    out.append(record)
                continue
            values = {f: o for f, o in zip(fields, outcomes, strict=True) if o is not _BLANK}
            if values:
                out.append((number, values, []))
        return out

    def _checked(
        self, number: int, plan: Sequence[tuple[str, str, bool]], outcomes: Sequence[Any]
    ) -> tuple[int, dict[str, Any], list[str]] | None:
        """One row holding a problem, a clear or a blank required cell, cell by cell."""
        values: dict[str, Any] = {}
        cleared: list[str] = []
        blocked: list[tuple[str, Any, str]] = []
        blank = True
        for (title, field, required), outcome in zip(plan, outcomes, strict=True):
            if outcome is _BLANK:
                if required:
                    blocked.append((title, None, f"{title} is required"))
                continue
            blank = False
            if isinstance(outcome, _Bad):
                blocked.append((title, outcome.cell, outcome.message))
            elif isinstance(outcome, _Cleared):
                if required:
                    blocked.append((title, outcome.cell, f"{title} is required and cannot be cleared"))
                else:
                    cleared.append(field)
            else:
                values[field] = outcome
        if blank:
            return None
        for title, cell, message in blocked:
            self.problem(number, title, cell, message)
        return None if blocked else (number, values, cleared)


_BLANK = object()
_TEXT = frozenset({str, type(None)})
_TEXT_OR_BOOL = frozenset({str, type(None), bool})
_NONE_IS_EMPTY: dict[Any, Any] = {None: ""}
_EMPTY_IS_BLANK: dict[Any, Any] = {"": _BLANK}
_SAMPLE = 1_000
"""Cells at the head of a text column that tell whether its cells mostly differ."""
_per, _amount = attrgetter("per"), attrgetter("value")
_number_of = itemgetter(0)


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A tab's body parsed: each column's outcomes (a value, or ``_BLANK``) in ``fields``' order."""

    fields: list[str]
    columns: list[list[Any]]
    """Every body row's outcome in each field; those of a row in ``checked`` or ``left_out``
    hold problems or clears."""
    blanks: frozenset[str]
    """The fields whose column holds a blank."""
    length: int
    """How many body rows there are."""
    first: int
    """The sheet row of the first body row."""
    clean: list[int]
    """Body rows whose every cell parsed as a value or a blank (a required one not blank)."""
    checked: dict[int, tuple[int, dict[str, Any], list[str]]]
    """Body rows read cell by cell and kept: their sheet row, values and cleared fields."""
    left_out: list[int]
    """Body rows read cell by cell and left out (a problem, or every cell blank)."""

    def row(self, index: int) -> tuple[Any, ...]:
        """One body row's outcomes, in ``fields``' order."""
        return tuple(column[index] for column in self.columns)

    def column(self, name: str) -> list[Any] | None:
        """The outcomes of field ``name``; ``None`` when the tab has no such column."""
        return self.columns[self.fields.index(name)] if name in self.fields else None

    def values(self, index: int) -> dict[str, Any]:
        """A clean row's fields that hold a value (a parser gives a value for every cell
        that is not blank, so none is ``None``)."""
        row = self.row(index)
        return dict(compress(zip(self.fields, row, strict=True), map(is_not, row, repeat(_BLANK))))


@dataclass(frozen=True, slots=True)
class _Bad:
    cell: Any
    message: str


@dataclass(frozen=True, slots=True)
class _Cleared:
    cell: Any


Blanks = Literal["none", "some", "all"]


def _column(
    cells: Sequence[Any], parser: Parser | None, required: bool
) -> tuple[list[Any], list[int], Blanks]:
    """Outcome of every cell (value, ``_BLANK``, ``_Bad``, ``_Cleared``), each distinct cell
    parsed once; the rows whose outcome needs the cell-by-cell path; whether any or all are blank."""
    if parser is None and (plain := _plain_texts(cells, required)) is not None:
        return plain
    odd: Iterable[Any]
    """The keys whose outcome may be other than a value (all, but for a text column)."""
    try:
        distinct: dict[Any, None] | None = dict.fromkeys(cells)
    except TypeError:  # a cell that cannot hash (a signalling NaN): not a text column
        distinct = None
    if distinct is not None and (
        # a text never equals a cell of another type, so the distinct cells hold every type there is
        set(map(type, distinct)) <= _TEXT
        # True == 1.0 would hide a number among the distinct cells: the types are the cells'
        or (parser is not None and set(map(type, cells)) <= _TEXT_OR_BOOL)
    ):
        keys: Sequence[Any] = cells
        if parser is None:  # only texts and blanks
            outcomes, odd = _text_outcomes(distinct)
        else:
            outcomes = odd = {cell: _outcome(cell, parser) for cell in distinct}
    else:  # 1 == 1.0 == True, 0.0 == -0.0 and Decimal("1.0") == Decimal("1"): key by type and repr
        keys = [c if type(c) is str else (type(c), repr(c)) for c in cells]
        by_key = dict(zip(keys, cells, strict=True))
        outcomes = odd = {key: _outcome(cell, parser) for key, cell in by_key.items()}
    column = list(map(outcomes.__getitem__, keys))
    flagged_keys = {key for key in odd if _needs_the_cell_path(outcomes[key], required)}
    flagged = [i for i, key in enumerate(keys) if key in flagged_keys] if flagged_keys else []
    return column, flagged, _blanks(outcomes.values())


def _plain_texts(cells: Sequence[Any], required: bool) -> tuple[list[Any], list[int], Blanks] | None:
    """``_column`` of a text column (no parser) whose cells mostly differ (SKUs, names), in
    C-level passes over the cells, as parsing each distinct cell once saves nothing there;
    ``None`` when that path is cheaper (the first cells repeat) or needed (a cell not text,
    a ``(clear)`` or ``#`` text, a blank where a value is required)."""
    sample = cells[:_SAMPLE]
    if not set(map(type, sample)) <= _TEXT:
        return None
    repeats = len(set(sample)) < len(sample) // 2
    if repeats and sample.count(None) < len(sample):
        return None  # told by the sample alone (units, categories): no pass over all the cells
    types = set(map(type, cells))
    if not types <= _TEXT:
        return None
    if types == {type(None)}:
        return None if required else ([_BLANK] * len(cells), [], "all")
    if repeats:
        return None
    texts = list(map(_NONE_IS_EMPTY.get, cells, cells)) if type(None) in types else cells
    stripped = list(map(str.strip, texts))
    if _odd_text(stripped):
        return None
    if "" not in stripped:
        return stripped, [], "none"
    if required:
        return None
    return list(map(_EMPTY_IS_BLANK.get, stripped, stripped)), [], "some"


def _column_cell_by_cell(
    cells: Sequence[Any], parser: Parser | None, required: bool
) -> tuple[list[Any], list[int], Blanks]:
    """``_column`` with no shortcut: every cell through ``_outcome`` (the reference path)."""
    column = [_outcome(cell, parser) for cell in cells]
    flagged = [i for i, outcome in enumerate(column) if _needs_the_cell_path(outcome, required)]
    return column, flagged, _blanks(column)


def _blanks(outcomes: Iterable[Any]) -> Blanks:
    """Whether a column's outcomes are blank: ``"none"``, ``"some"`` or ``"all"``."""
    blank = list(map(is_, outcomes, repeat(_BLANK)))
    return "all" if all(blank) else "some" if any(blank) else "none"


def _needs_the_cell_path(outcome: Any, required: bool) -> bool:
    """A problem, a ``(clear)``, or a blank where a value is required: the row is read
    cell by cell (``_Reader._checked``)."""
    return isinstance(outcome, (_Bad, _Cleared)) or (required and outcome is _BLANK)


def _text_outcomes(distinct: dict[str | None, None]) -> tuple[dict[str | None, Any], list[str | None]]:
    """``_outcome`` of each of a text column's ``distinct`` cells (no parser), and the cells
    whose outcome is not their text: every text stripped in one C-level map, and only the
    rare blank, ``(clear)`` or ``#`` text (a sheet error perhaps) read by ``_outcome``.
    Takes ``distinct`` over (it loses its ``None``)."""
    odd: list[str | None] = [None] if None in distinct else []
    distinct.pop(None, None)
    texts = cast("dict[str, None]", distinct)
    stripped = list(map(str.strip, texts))
    outcomes: dict[str | None, Any] = dict(zip(texts, stripped, strict=True))
    if "" in stripped or _odd_text(stripped):
        odd += [cell for cell, text in outcomes.items() if not text or text[0] == "#" or text == CLEAR]
    for cell in odd:
        outcomes[cell] = _outcome(cell, None)
    return outcomes, odd


def _odd_text(texts: list[str]) -> bool:
    """Whether a stripped text is a ``(clear)`` or starts with ``#`` (a sheet error, perhaps),
    in C-level scans."""
    return CLEAR in texts or any(map(str.startswith, texts, repeat("#")))


_UNCALCULATED = (
    "the cell holds a formula with no saved result (the file was saved by a program that does not "
    "calculate): open the workbook in Excel or LibreOffice and save it, so the result is stored"
)


def _outcome(cell: Any, parser: Parser | None) -> Any:
    """One cell through its column's parser (text when none): a value, or what it is instead."""
    if cell is None:
        return _BLANK
    if cell.__class__ is Uncalculated:
        return _Bad(cell, _UNCALCULATED)
    if isinstance(cell, str):
        text = cell.strip()
        if not text:
            return _BLANK
        if text == CLEAR:
            return _Cleared(cell)
        if text[0] == "#" and (error := sheet_error(text)):
            return _Bad(cell, f"the cell shows the sheet error {error}")
        if parser is None:
            return text
        value: Any = text
    elif not_finite(cell):  # the normalisers would read NaN as blank: drop or empty a cell
        return _Bad(cell, f"the cell holds {cell}, which is not a finite number; type the value again")
    else:
        value = cell
    try:
        return (parser or clean_text)(value)
    except BadValue as exc:
        return _Bad(cell, str(exc))


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that hold a value (``None`` leaves the model's default)."""
    return {k: v for k, v in values.items() if v is not None}


def _build(reader: _Reader, number: int, model: type[BaseModel], fields: dict[str, Any]) -> Any:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        reader.problem(number, None, None, f"the row cannot be read: {exc.errors()[0]['msg']}")
        return None


def _mappings(
    reader: _Reader, model: type[BaseModel], key_field: str, target_field: str, key: Callable[[str], str]
) -> list[Any]:
    """Mapping rows; a key mapped to two different targets is an error on every such row."""
    by_key: dict[str, list[tuple[int, Any]]] = {}
    for number, values, _ in reader.records():
        item = _build(reader, number, model, _present(values))
        if item is not None:
            by_key.setdefault(key(getattr(item, key_field)), []).append((number, item))
    kept = []
    title = next(h for h, f in reader.spec.fields.items() if f == key_field)
    for entries in by_key.values():
        targets = {unit_key(str(getattr(item, target_field))) for _, item in entries}
        first_number, first = entries[0]
        if len(targets) > 1:
            shown = " and ".join(sorted({str(getattr(i, target_field)) for _, i in entries}))
            rows = ", ".join(str(n) for n, _ in entries)
            for number, item in entries:
                value = getattr(item, key_field)
                reader.problem(
                    number, title, value, f"{value!r} is mapped to {shown} (rows {rows}); keep one"
                )
            continue
        for number, _ in entries[1:]:
            reader.problem(
                number,
                title,
                getattr(first, key_field),
                f"repeats row {first_number}; this row is ignored",
                "warning",
            )
        kept.append(first)
    return kept


def _key_cell(raw: Sequence[Cell], at: int | None) -> str | None:
    """A row's SKU or INNERGY ID as text; ``None`` when blank or unreadable (``#REF!``)."""
    if at is None or at >= len(raw):
        return None
    outcome = _outcome(raw[at], None)
    return outcome if isinstance(outcome, str) else None


def _claim(values: Mapping[str, Any]) -> Claim:
    return Claim(sku=values["sku"], innergy_id=values.get("innergy_id"))


def _trusted(reader: _Reader, number: int, model: type[FrozenModel], fields: dict[str, Any]) -> Any:
    """A master row's ``Material`` built from its parsed values without validating them
    again (``FrozenModel.from_valid_fields``): every value is of its field's type, as its
    column's parser gives it, so validation could only return the same model
    (``tests/canonical/test_columnar_vs_models.py`` holds the two paths equal)."""
    return model.from_valid_fields(fields)


Build = Callable[[_Reader, int, type[FrozenModel], dict[str, Any]], Any]
"""How a row's values become its model: ``_trusted`` (the bulk path) or ``_build`` (validating)."""
Materials = Callable[
    [_Reader, Sequence[UomMapping], Mapping[str, tuple[str, ...]]],
    tuple[Sequence[Material], list[Claim], dict[str, int]],
]
"""The master's materials, claims and rows: ``_materials`` (the bulk path) or ``_reference_materials``."""


def _materials(
    reader: _Reader,
    uoms: Sequence[UomMapping],
    ppak: Mapping[str, tuple[str, ...]],
) -> tuple[LazyModels[Material], list[Claim], dict[str, int]]:
    """The master's materials, the claims of the rows left out, and sku_key -> row.
    A clean row is held as its values, its ``Material`` built when something names it
    (``LazyModels``: a plan explains only the rows that change).

    Column-wise where it can be: the SKU keys in one call, the units checked once per
    distinct unit, and the values of the clean rows whose units are all known built
    column by column (``_clean_values``), with no per-row check; the rare rows that need
    a decision (a duplicate SKU, an unknown unit, a ``/UNIT`` cost, a cell read cell by
    cell) take ``_material``, in the order the problems have always been listed in.
    """
    units = {unit_key(u.source_uom) for u in uoms} | {unit_key(u.canonical_uom) for u in uoms}
    unit_of = _memo(unit_key)
    parsed = reader.parsed()
    checked = parsed.checked
    kept = sorted([*parsed.clean, *checked]) if checked else parsed.clean
    """Body rows read as values, in sheet order."""
    sku_column = cast("list[Any]", parsed.column("sku"))
    if checked:
        skus = [checked[i][1]["sku"] if i in checked else sku_column[i] for i in kept]
    else:
        skus = list(map(sku_column.__getitem__, kept))
    keys = sku_keys(skus)
    numbers = [parsed.first + index for index in kept]
    rows: dict[str, int] = {}
    deque(map(rows.setdefault, keys, numbers), maxlen=0)  # the first row of each key, as a C loop
    claims = []
    blocked: dict[str, list[int]] = {}
    raw_sku_at, id_at = reader.columns.get("SKU"), reader.columns.get("INNERGY ID")
    for index in parsed.left_out:
        number, raw = parsed.first + index, reader.rows[reader.spec.header_row + index]
        sku, innergy_id = _key_cell(raw, raw_sku_at), _key_cell(raw, id_at)
        if sku:
            key = sku_key(sku)
            rows.setdefault(key, number)
            blocked.setdefault(key, []).append(number)
        if sku or innergy_id:  # a blocked row (a blank one has neither)
            claims.append(Claim(sku=sku, innergy_id=innergy_id))
    doubtful = set(blocked).intersection(keys)
    """Keys held by more than one row (a blocked row's SKU counts: which row is the material?)."""
    if len(set(keys)) < len(keys):
        doubtful.update(key for key, count in Counter(keys).items() if count > 1)
    groups: dict[str, list[int]] = defaultdict(list)
    for position in compress(range(len(keys)), map(doubtful.__contains__, keys)) if doubtful else ():
        groups[keys[position]].append(position)
    known = _known_units(parsed, units, unit_of)
    unfit = _unfit(parsed, known)
    defaults = Material.defaults({*parsed.fields, "ppak_skus"})
    """Every field at its default (``active`` yes): a clean row's fields replace theirs."""
    if not (doubtful or checked or unfit):  # every row as it is: its values, built column-wise
        materials = _clean_values(parsed, kept, keys, defaults, ppak)
        return LazyModels(Material, materials, _clean_row), claims, rows
    quick = [
        not (key in doubtful or index in checked or index in unfit)
        for index, key in zip(kept, keys, strict=True)
    ]
    """The kept rows (by position) whose values need no decision."""
    ready = iter(_clean_values(parsed, list(compress(kept, quick)), compress(keys, quick), defaults, ppak))
    materials = []
    """Each kept row's values, every field (``Material.with_defaults``)."""
    built: dict[int, Material] = {}
    """The models of the rows read cell by cell, by position in ``materials``."""
    for position, (index, key) in enumerate(zip(kept, keys, strict=True)):
        if quick[position]:
            materials.append(next(ready))
            continue
        if key in groups:
            entries = groups.pop(key)  # the whole group at its first row; none at the later ones
            numbers_shown = ", ".join(map(str, sorted([numbers[p] for p in entries] + blocked.get(key, []))))
            for entry in entries:
                values = checked[kept[entry]][1] if kept[entry] in checked else parsed.values(kept[entry])
                reader.problem(
                    numbers[entry],
                    "SKU",
                    values["sku"],
                    f"duplicate SKU (rows {numbers_shown}, compared ignoring case and spaces); "
                    "all are left out until one remains",
                )
                claims.append(_claim(values))
            continue
        if key in doubtful:
            continue  # a later row of a duplicate group, reported with its first
        _, values, cleared = checked[index] if index in checked else (0, parsed.values(index), [])
        material = _material(
            reader, numbers[position], values, cleared, ppak.get(key, ()), units, unit_of, _trusted
        )
        if material is None:
            claims.append(_claim(values))
            continue
        built[len(materials)] = material
        materials.append(vars(material))
    return LazyModels(Material, materials, _clean_row, built=built), claims, rows


def _unfit(parsed: _Parsed, known: set[Any]) -> set[int]:
    """The clean rows whose units or cost ``_material`` must check: a unit MAP_UOM does not
    know, a cost given per a unit (``/SHT``)."""
    rows = parsed.clean
    uom, cost = cast("list[Any]", parsed.column("uom")), cast("list[Any]", parsed.column("cost"))
    fit = map(
        and_,
        map(known.__contains__, map(uom.__getitem__, rows)),
        map(is_, map(_per, map(cost.__getitem__, rows)), repeat(None)),
    )
    if (purchase := parsed.column("purchase_uom")) is not None:
        fit = map(and_, fit, map(known.__contains__, map(purchase.__getitem__, rows)))
    return set(compress(rows, map(not_, fit)))


def _clean_values(
    parsed: _Parsed,
    rows: Sequence[int],
    keys: Iterable[str],
    defaults: dict[str, Any],
    ppak: Mapping[str, tuple[str, ...]],
) -> list[dict[str, Any]]:
    """The values (``Material.with_defaults``) of clean ``rows`` (in sheet order; ``keys``
    their sku_keys) whose units and costs need no check, built column-wise: a blank cell
    leaves its field's default, the cost is its amount."""
    chosen = [False] * parsed.length
    deque(map(chosen.__setitem__, rows, repeat(True)), maxlen=0)
    names = [*parsed.fields, "ppak_skus"]
    columns: list[Iterable[Any]] = []
    for name, column in zip(parsed.fields, parsed.columns, strict=True):
        if name == "cost":
            columns.append(map(_amount, compress(column, chosen)))
        elif name in parsed.blanks:
            blank_is_default = {_BLANK: defaults[name]}.get
            columns.append(map(blank_is_default, compress(column, chosen), compress(column, chosen)))
        else:
            columns.append(compress(column, chosen))
    columns.append(map(ppak.get, keys, repeat(())))
    fresh = defaults.copy
    values = [fresh() for _ in rows]
    deque(map(dict.update, values, map(zip, repeat(names), zip(*columns, strict=True))), maxlen=0)
    return values


def _clean_row(values: dict[str, Any]) -> Material:
    """A clean row's ``Material`` of its values (``Material.with_defaults``), as
    ``_trusted`` would have built it: the fields set are those its cells gave (a parser
    gives no ``None``), ``active`` and ``ppak_skus``, which ``_materials`` always gives,
    and never ``cleared``, which only a row read cell by cell has."""
    given = set(compress(values, map(is_not, values.values(), repeat(None))))
    given.discard("cleared")
    return Material.from_all_fields(values, given)


def _reference_materials(
    reader: _Reader, uoms: Sequence[UomMapping], ppak: Mapping[str, tuple[str, ...]]
) -> tuple[list[Material], list[Claim], dict[str, int]]:
    """``_materials`` row by row, each ``Material`` validated: the reference path the
    differential test (``tests/canonical/test_columnar_vs_models.py``) compares the bulk
    path against, removed once the bulk path has served a release of plans unchanged."""
    units = {unit_key(u.source_uom) for u in uoms} | {unit_key(u.canonical_uom) for u in uoms}
    rows: dict[str, int] = {}
    seen: dict[str, list[tuple[int, dict[str, Any], list[str]]]] = {}
    kept: set[int] = set()
    for number, values, cleared in reader.records():
        key = sku_key(values["sku"])
        rows.setdefault(key, number)
        seen.setdefault(key, []).append((number, values, cleared))
        kept.add(number)
    claims = []
    blocked: dict[str, list[int]] = {}
    sku_at, id_at = reader.columns.get("SKU"), reader.columns.get("INNERGY ID")
    for number, raw in enumerate(reader.rows[1:], start=2):
        if number in kept:  # its SKU cell's key is its parsed SKU's, already in ``rows``
            continue
        sku, innergy_id = _key_cell(raw, sku_at), _key_cell(raw, id_at)
        if sku:
            key = sku_key(sku)
            rows.setdefault(key, number)
            blocked.setdefault(key, []).append(number)
        if sku or innergy_id:  # a blocked row (a blank one has neither)
            claims.append(Claim(sku=sku, innergy_id=innergy_id))
    materials = []
    unit_of = _memo(unit_key)
    for key, entries in seen.items():
        if len(entries) > 1 or key in blocked:  # a blocked row's SKU counts: which row is the material?
            numbers = ", ".join(map(str, sorted([n for n, _, _ in entries] + blocked.get(key, []))))
            for number, values, _ in entries:
                reader.problem(
                    number,
                    "SKU",
                    values["sku"],
                    f"duplicate SKU (rows {numbers}, compared ignoring case and spaces); "
                    "all are left out until one remains",
                )
                claims.append(_claim(values))
            continue
        number, values, cleared = entries[0]
        material = _material(reader, number, values, cleared, ppak.get(key, ()), units, unit_of, _build)
        if material is None:
            claims.append(_claim(values))
        else:
            materials.append(material)
    return materials, claims, rows


def _known_units(parsed: _Parsed, units: set[str], unit_of: Callable[[str], str]) -> set[Any]:
    """The UoM and Purchase UoM outcomes that need no problem: units MAP_UOM knows, and
    a blank Purchase UoM (each distinct outcome checked once)."""
    found: set[Any] = {_BLANK}
    for column in map(parsed.column, ("uom", "purchase_uom")):
        if column is not None:
            texts = {o for o in column if type(o) is str}  # a problem may not hash
            found.update(text for text in texts if unit_of(text) in units)
    return found


def _material(
    reader: _Reader,
    number: int,
    values: Mapping[str, Any],
    cleared: Sequence[str],
    ppak_skus: tuple[str, ...],
    units: set[str],
    unit_of: Callable[[str], str],
    build: Build,
) -> Material | None:
    """One readable row as a ``Material``, or ``None`` with its problem noted."""
    if not _unit_ok(reader, number, values, units, unit_of):
        return None
    fields = _present(values)
    fields["cost"] = values["cost"].value
    fields.setdefault("active", True)
    fields["ppak_skus"] = ppak_skus
    if cleared:
        fields["cleared"] = tuple(cleared)
    return build(reader, number, Material, fields)


def _unit_ok(
    reader: _Reader, number: int, values: Mapping[str, Any], units: set[str], unit_of: Callable[[str], str]
) -> bool:
    uom = values["uom"]
    if unit_of(uom) not in units:
        reader.problem(number, "UoM", uom, f"unit {uom!r} is not in MAP_UOM; add it there")
        return False
    per = values["cost"].per
    if per is not None and unit_of(per) != unit_of(uom):
        reader.problem(
            number,
            "Cost",
            f"{values['cost'].value}/{per}",
            f"the cost is per {per} but the row's UoM is {uom}",
        )
        return False
    purchase = values.get("purchase_uom")
    if purchase and unit_of(purchase) not in units:
        reader.problem(number, "Purchase UoM", purchase, f"unit {purchase!r} is not in MAP_UOM", "warning")
    return True


def _memo(function: Callable[[str], str]) -> Callable[[str], str]:
    """``function`` computed once per distinct argument (a column holds few units)."""
    known: dict[str, str] = {}

    def once(text: str) -> str:
        if text not in known:
            known[text] = function(text)
        return known[text]

    return once


_RESTORE = (
    f"if the master tab was renamed, rename it back to {MASTER} (deleting any empty one "
    "`matsync init-sheet` made); otherwise restore its rows from the sheet's version history "
    "or a backup"
)


def _require_layout(master: _Reader) -> None:
    """A master read through a wrong header would make every row look gone: refuse it."""
    if not any(map(header_key, master.header)):
        raise EmptyMaster(f"the {MASTER} tab is empty: it has no header row", hint=_RESTORE)
    if master.missing:
        names = " and ".join(repr(title) for title in master.missing)
        plural = "s" if len(master.missing) > 1 else ""
        raise MissingColumn(
            f"the {MASTER} tab has no {names} column{plural} in its header (row 1); "
            f"the required columns are {', '.join(master.spec.required)}",
            hint=f"name the column{plural} {names} again (case and surrounding spaces do not "
            "matter), or run `matsync init-sheet` to add a missing column",
        )
    if master.repeated:
        shown = "; ".join(
            f"{title!r} in columns {' and '.join(map(_letter, at))}" for title, at in master.repeated.items()
        )
        raise DuplicateColumn(
            f"the {MASTER} tab has a header twice: {shown}",
            hint="rename or delete all but one of each (headers match ignoring case and surrounding spaces)",
        )


def require_master_rows(library: Library) -> None:
    """Plan's guard: a master without a single row (a renamed master tab that `init-sheet`
    recreated empty) would deactivate every material."""
    if not library.materials and not library.claims:
        raise EmptyMaster(
            f"the {MASTER} tab has no material rows below its header: a plan would deactivate "
            "every INNERGY material, so nothing was planned",
            hint=_RESTORE,
        )


def parse_library(tabs: Mapping[str, Rows]) -> tuple[Library, list[Problem], dict[str, int]]:
    """The master and mapping tabs as read -> (Library, problems, sku_key -> master row).

    Raises ``MasterTabError`` when the master's header cannot be trusted."""
    return _parse_library(tabs, _materials)


def reference_parse_library(tabs: Mapping[str, Rows]) -> tuple[Library, list[Problem], dict[str, int]]:
    """``parse_library`` as it was before the bulk path: rows read one by one and every
    master row's ``Material`` validated (``_Reader.reference_records``,
    ``_reference_materials``). The reference path the differential test
    (``tests/canonical/test_columnar_vs_models.py``) compares the bulk path against,
    removed once the bulk path has served a release of plans unchanged."""
    return _parse_library(tabs, _reference_materials, reference=True)


def _parse_library(
    tabs: Mapping[str, Rows], materials_of: Materials, reference: bool = False
) -> tuple[Library, list[Problem], dict[str, int]]:
    problems: list[Problem] = []

    def reader(name: str) -> _Reader:
        return _Reader(SPECS[name], tabs.get(name, []), problems, reference)

    master = reader(MASTER)
    _require_layout(master)
    uoms = _mappings(reader(MAP_UOM), UomMapping, "source_uom", "canonical_uom", unit_key)
    statuses = _mappings(reader(MAP_STATUS), StatusMapping, "ppak_status", "canonical_status", unit_key)
    phases = _mappings(reader(MAP_PHASE), PhaseMapping, "ppak_phase", "canonical_phase", unit_key)
    skus = _mappings(reader(MAP_MATERIAL_SKU), SkuMapping, "ppak_sku", "canonical_sku", sku_key)
    ppak: dict[str, tuple[str, ...]] = {}
    for mapping in skus:
        key = sku_key(mapping.canonical_sku)
        ppak[key] = (*ppak.get(key, ()), mapping.ppak_sku)
    with paused_gc():
        materials, claims, rows = materials_of(master, uoms, ppak)
    # not validated again: each value is its field's type already, and validating a lazy
    # master's materials would build every model
    library = Library.from_valid_fields(
        {
            "materials": materials if isinstance(materials, LazyModels) else tuple(materials),
            "claims": tuple(claims),
            "statuses": tuple(statuses),
            "phases": tuple(phases),
            "skus": tuple(skus),
            "uoms": tuple(uoms),
        }
    )
    return library, problems, rows


def read_library(
    workbook: Workbook, tabs: Mapping[str, Rows] | None = None
) -> tuple[Library, list[Problem], dict[str, int]]:
    """Read (or take already-read) master and mapping tabs; ``MissingTab`` names init-sheet.

    Pass ``tabs`` when the caller read them in its own batch (one read for everything).
    """
    if tabs is None:
        tabs = workbook.read_tabs(LIBRARY_TABS)
    try:
        require_tabs(tabs, LIBRARY_TABS)
    except MissingTab as exc:
        if MASTER not in tabs:  # init-sheet would make an empty master, which plan refuses
            exc.hint = f"if the master tab was renamed, rename it back to {MASTER} before anything else"
        raise
    return parse_library(tabs)
