"""The workbook interface every command uses, whatever the backend.

A workbook is read as plain rows and written in one batch of operations:

- ``read_tabs(names)`` reads several tabs in one go and returns ``{tab: rows}``; a tab
  that does not exist is absent from the result (``require_tabs`` turns that into
  ``MissingTab``). Rows start at sheet row 1; a cell is ``str`` (text as stored, numbers
  as their plain value such as ``"0.35"``), ``bool`` (checkboxes) or ``None`` (empty);
  a formula whose file holds no result is an ``Uncalculated`` (a ``str``: the formula).
  Trailing empty cells and rows are trimmed.
- ``write(ops)`` applies a batch of ``Rewrite`` / ``Append`` / ``CellUpdate`` /
  ``KeyedCell`` / ``Expect`` / ``Style`` operations at once. Tabs that do not exist are
  created. User text is written as literal text (RAW): ``=1+1`` stays the four
  characters ``=1+1``. It returns the ``Missed`` writes: keyed cells whose key was not
  found exactly once, or whose tab failed an ``Expect``.

The sheet is shared: people insert, delete and sort rows while a command runs. A
``KeyedCell`` names its row by identity (a SKU, a Change ID), and the backend finds the
row from a read made just before the write (Google: one values read for every keyed
tab; .xlsx: the file as it is on disk, replaced only if nobody saved it meanwhile).
``Append`` tabs are read then too, so a row added meanwhile is never overwritten.

``close()`` lets go of the connection and the rows read; ``with open_workbook(...) as
workbook:`` closes it however the block ends.

Operations that name a column by its header text (``Append`` with dicts,
``CellUpdate``) are resolved against the tab's header row as last read; a tab not read
yet is read first (one extra read).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, Self, TypeAlias

from canonical.errors import MissingTab, WorkbookError
from canonical.normalize import sku_key

__all__ = [
    "CHANGE",
    "MONEY",
    "PERCENT",
    "Append",
    "Block",
    "Cell",
    "CellTexts",
    "CellUpdate",
    "Dropdown",
    "Expect",
    "KeyedCell",
    "Missed",
    "Op",
    "Rewrite",
    "Rows",
    "Style",
    "Uncalculated",
    "Value",
    "Workbook",
    "WriteBatch",
    "cell_text",
    "column_index",
    "fresh_tabs",
    "header_columns",
    "header_key",
    "moved",
    "plan_write",
    "require_tabs",
    "resolve_keyed",
    "row_text",
    "tabs_to_read",
]

Cell: TypeAlias = str | bool | None
"""A cell as read: text, a checkbox / boolean, or empty."""
Rows: TypeAlias = list[list[Cell]]
Value: TypeAlias = str | bool | int | float | Decimal | date | datetime | None
"""A cell as written: numbers stay numbers, dates are written as ISO text, ``None`` empties."""


class Uncalculated(str):
    """A formula cell whose file holds no result, as a program that does not calculate
    (openpyxl, many exporters) saves it: its text is the formula (``=C2*1.1``), so the
    reader can name it, where a blank would hide a value the sheet shows in Excel. It is
    not the text it holds: it equals no ``str`` (a text cell ``=C2*1.1`` is another cell)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is Uncalculated and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((Uncalculated, str.__str__(self)))

    def __repr__(self) -> str:
        return f"Uncalculated({str.__repr__(self)})"


@dataclass(frozen=True)
class Dropdown:
    """A drop-down list: fixed ``values``, or the values of a column of another tab."""

    values: tuple[str, ...] = ()
    source: tuple[str, str] | None = None
    """``(tab, column header)`` whose cells below the header feed the list."""


PERCENT = "0.00%"
"""A fraction shown as percent: 0.2593 reads 25.93%."""
MONEY = "#,##0.00##"
"""An amount to the cent, more places when it has them (0.1899 stays 0.1899)."""
CHANGE = "+0.0%;-0.0%;0.0%"
"""A fraction shown as a signed percent: 0.4 reads +40.0%."""


@dataclass(frozen=True)
class Style:
    """Formatting of one tab; columns are named by their header text."""

    tab: str
    header_row: int = 1
    frozen_rows: int | None = None
    """Rows frozen at the top; ``None`` means through the header row."""
    bold_header: bool = True
    checkboxes: tuple[str, ...] = ()
    dropdowns: Mapping[str, Dropdown] = field(default_factory=dict)
    protected: tuple[str, ...] = ()
    """Columns only the tool writes: a warning on edit (Sheets: a warning-only protected
    range; .xlsx: a warning data validation, or locked cells of a ``locked`` tab)."""
    locked: bool = False
    """The tab is the tool's: .xlsx protects the sheet (no password; filter and sort
    allowed), leaving the cells of the columns not ``protected`` editable."""
    filter: bool = False
    row_colors: Mapping[int, str] = field(default_factory=dict)
    """Sheet row -> background colour ``#RRGGBB``."""
    cell_colors: Mapping[tuple[int, int], str] = field(default_factory=dict)
    """(sheet row, column number) -> background colour, over the row's (a legend)."""
    number_formats: Mapping[str, str] = field(default_factory=dict)
    """Column -> number format code (``PERCENT``, ``MONEY``, ``CHANGE``) below the header."""
    fit: bool = False
    """Column widths fitted to the tab's content, wrapped rows as tall as their lines
    (``layout``); for tabs the tool writes whole, whose look is the tool's."""
    wrap: tuple[str, ...] = ()
    """Columns whose text wraps below the header (the rows below it align to the top)."""


@dataclass(frozen=True)
class Rewrite:
    """Replace a whole tab's values from A1 (and its formatting when ``style`` is given)."""

    tab: str
    rows: Sequence[Sequence[Value]]
    style: Style | None = None


@dataclass(frozen=True)
class Append:
    """Rows added below the last non-empty row: lists in column order, or dicts by header."""

    tab: str
    rows: Sequence[Sequence[Value] | Mapping[str, Value]]
    header_row: int = 1


@dataclass(frozen=True)
class CellUpdate:
    """One cell: ``row`` as a person sees it; ``column`` a header text or a 1-based number."""

    tab: str
    row: int
    column: str | int
    value: Value
    header_row: int = 1


@dataclass(frozen=True)
class KeyedCell:
    """One cell of the row whose ``key_column`` holds ``key`` when the write is made.

    Keys match as SKUs do (case and white space ignored). A key found on no row, or on
    more than one, is not written: it comes back in ``Missed``.
    """

    tab: str
    key_column: str
    key: str
    column: str
    value: Value
    header_row: int = 1


@dataclass(frozen=True)
class Expect:
    """A precondition: the batch's keyed cells of ``tab`` are written only while the cell
    at (``row``, ``col``) still holds ``value`` (push's Results, under the Plan ID it read)."""

    tab: str
    row: int
    col: int
    value: Cell
    what: str = "the cell"
    """How a reason names the cell (``the Plan ID``)."""


@dataclass(frozen=True)
class Missed:
    """A keyed cell that was not written, and why."""

    op: KeyedCell
    reason: str


Op: TypeAlias = Rewrite | Append | CellUpdate | KeyedCell | Expect | Style


@dataclass(frozen=True)
class Block:
    """A rectangle of values to write, top-left at (row, col), both 1-based."""

    tab: str
    row: int
    col: int
    values: list[list[Value]]


@dataclass
class WriteBatch:
    """A batch of operations resolved to absolute cells: what a backend applies."""

    blocks: list[Block] = field(default_factory=list)
    clear_below: dict[str, tuple[int, int]] = field(default_factory=dict)
    """tab -> (rows kept, columns kept) of a rewrite: everything outside is cleared."""
    styles: list[Style] = field(default_factory=list)
    tabs: list[str] = field(default_factory=list)
    """Every tab the batch touches, in order of first mention (created when missing)."""
    missed: list[Missed] = field(default_factory=list)
    """Keyed cells the rows read do not place (see ``resolve_keyed``)."""
    placed: list[tuple[KeyedCell, int]] = field(default_factory=list)
    """Each keyed cell written, with the row it was placed on (what a backend may verify)."""

    def touch(self, tab: str) -> None:
        if tab not in self.tabs:
            self.tabs.append(tab)


class Workbook(Protocol):
    """What every backend offers (see the module docstring); ``with`` closes it.

    Backends subclass it for ``__enter__`` and ``__exit__``."""

    max_cell_chars: int
    """The most characters (UTF-16 code units) one cell holds; a longer value fails the write."""

    def tab_names(self) -> list[str]: ...

    def read_tabs(self, names: Sequence[str]) -> dict[str, Rows]: ...

    def write(self, ops: Sequence[Op]) -> list[Missed]: ...

    def close(self) -> None:
        """Let go of what the workbook holds (a connection, rows read); closing again does nothing."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def require_tabs(read: Mapping[str, Rows], names: Sequence[str]) -> None:
    """Raise ``MissingTab`` naming every absent tab and the command that creates them."""
    missing = [name for name in names if name not in read]
    if missing:
        raise MissingTab(
            f"the workbook has no {', '.join(missing)} tab{'s' if len(missing) > 1 else ''}: "
            "run `matsync init-sheet` to create the contract tabs"
        )


def tabs_to_read(ops: Sequence[Op], known: Mapping[str, Rows], existing: Collection[str]) -> list[str]:
    """Existing tabs a batch needs the current rows of (headers, last row) but has not read."""
    return sorted(
        {op.tab for op in ops if not isinstance(op, Rewrite) and op.tab not in known and op.tab in existing}
    )


def fresh_tabs(ops: Sequence[Op]) -> list[str]:
    """Tabs a batch must read just before it writes: where it finds rows by key or appends."""
    return sorted({op.tab for op in ops if isinstance(op, KeyedCell | Expect | Append)})


def _find_rows(rows: Rows, header_row: int, key_column: str) -> dict[str, list[int]] | None:
    """key -> the sheet rows holding it below the header; ``None`` without the key column."""
    header = rows[header_row - 1] if len(rows) >= header_row else []
    at = header_columns(header).get(header_key(key_column))
    if at is None:
        return None
    found: dict[str, list[int]] = {}
    for number in range(header_row + 1, len(rows) + 1):
        line = rows[number - 1]
        if at < len(line) and line[at] not in (None, ""):
            found.setdefault(sku_key(str(line[at])), []).append(number)
    return found


def _indexer(known: Mapping[str, Rows]) -> Callable[[KeyedCell], dict[str, list[int]] | None]:
    """A keyed cell's tab as ``_find_rows`` indexes it, each tab's key column indexed once
    however many cells a batch names there (per cell, a push of 10,000 rows was quadratic)."""
    indexes: dict[tuple[str, int, str], dict[str, list[int]] | None] = {}

    def index(op: KeyedCell) -> dict[str, list[int]] | None:
        where = (op.tab, op.header_row, op.key_column)
        if where not in indexes:
            indexes[where] = _find_rows(known.get(op.tab) or [], op.header_row, op.key_column)
        return indexes[where]

    return index


def resolve_keyed(
    ops: Sequence[Op], known: Mapping[str, Rows]
) -> tuple[list[Op], list[Missed], list[tuple[KeyedCell, int]]]:
    """``KeyedCell`` and ``Expect`` as the rows of ``known`` (read just now) place them.

    Returns the batch with each keyed cell turned into a ``CellUpdate`` on the one row
    holding its key, the keyed cells that cannot be placed, and where each was placed.
    """
    refused: dict[str, str] = {}
    for op in ops:
        if isinstance(op, Expect):
            rows = known.get(op.tab) or []
            now = (
                rows[op.row - 1][op.col - 1]
                if len(rows) >= op.row and len(rows[op.row - 1]) >= op.col
                else None
            )
            if now != op.value:
                refused[op.tab] = (
                    f"{op.what} of {op.tab} is now {now or '(blank)'}, not {op.value or '(blank)'}"
                )
    rows_by_key = _indexer(known)
    resolved: list[Op] = []
    missed: list[Missed] = []
    placed: list[tuple[KeyedCell, int]] = []
    for op in ops:
        if isinstance(op, Expect):
            continue
        if not isinstance(op, KeyedCell):
            resolved.append(op)
            continue
        if op.tab in refused:
            missed.append(Missed(op, refused[op.tab]))
            continue
        index = rows_by_key(op)
        rows_found = [] if index is None else index.get(sku_key(op.key), [])
        if len(rows_found) == 1:
            resolved.append(CellUpdate(op.tab, rows_found[0], op.column, op.value, op.header_row))
            placed.append((op, rows_found[0]))
        elif index is None:
            missed.append(Missed(op, f"{op.tab} has no {op.key_column} column"))
        elif not rows_found:
            missed.append(Missed(op, f"{op.key_column} {op.key} is no longer in {op.tab}"))
        else:
            shown = ", ".join(map(str, rows_found))
            missed.append(
                Missed(op, f"{op.key_column} {op.key} is on more than one row of {op.tab} ({shown})")
            )
    return resolved, missed, placed


def moved(placed: Sequence[tuple[KeyedCell, int]], known: Mapping[str, Rows]) -> list[Missed]:
    """Keyed cells whose row no longer holds their key in ``known`` (read after the write):
    someone moved rows between the read that placed them and the write."""
    out = []
    rows_by_key = _indexer(known)
    for op, row in placed:
        if row not in (rows_by_key(op) or {}).get(sku_key(op.key), []):
            out.append(
                Missed(op, f"{op.key_column} {op.key} moved in {op.tab} while it was written (row {row})")
            )
    return out


def header_key(title: object) -> str:
    """Headers match case-insensitively, ignoring surrounding spaces."""
    return str(title).strip().casefold() if title is not None else ""


def header_columns(header: Sequence[Cell]) -> dict[str, int]:
    """``header_key`` -> 0-based position in a header row, the first of a repeated title
    (built once where many columns are looked up in one header)."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        columns.setdefault(header_key(cell), index)
    return columns


def column_index(header: Sequence[Cell], title: str) -> int | None:
    """The 0-based position of a header text in a header row, or ``None``."""
    return header_columns(header).get(header_key(title))


def cell_text(value: object) -> Cell:
    """A stored value as the interface reads it: text, bool or ``None``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != datetime.min.time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class CellTexts(dict[object, Cell]):
    """A stored value -> its ``cell_text``, each distinct value converted once, so a read
    that looks its cells up here makes no Python call per cell (a hit is a C-level dict
    lookup). ``parse`` first makes the value of a key (a JSON number literal, say). Keys
    must be of one type: ``True == 1.0`` would share an entry."""

    def __init__(self, parse: Callable[[Any], object] | None = None) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, key: object) -> Cell:
        text = self[key] = cell_text(key if self.parse is None else self.parse(key))
        return text


def row_text(values: Iterable[object]) -> list[Cell]:
    """``cell_text`` of each value, text (most cells) converted inline without a call."""
    return [(v or None) if v.__class__ is str else cell_text(v) for v in values]


def _trim(values: Sequence[Value]) -> list[Value]:
    row = list(values)
    while row and row[-1] in (None, ""):
        row.pop()
    return row


class _Headers:
    """Each tab's header row as ``{header_key: column}``, built once per plan, dropped when written.

    A push resolves three ``CellUpdate`` columns a row (30,000 at 10,000 rows) against a
    few header rows, so each header is read once rather than scanned per update.
    """

    def __init__(self, known: Mapping[str, Rows]) -> None:
        self.known = known
        self.columns: dict[tuple[str, int], dict[str, int]] = {}

    def resolve(self, tab: str, header_row: int, column: str | int) -> int:
        """A column header (or 1-based number) as a 1-based column number."""
        if isinstance(column, int):
            if column < 1:
                raise WorkbookError(f"column number {column} in tab {tab} must be 1 or more")
            return column
        columns = self.columns.get((tab, header_row))
        if columns is None:
            rows = self.known.get(tab) or []
            columns = header_columns(rows[header_row - 1] if len(rows) >= header_row else [])
            if header_row >= 1:  # a row below 1 counts from the end, which every write may move
                self.columns[tab, header_row] = columns
        found = columns.get(header_key(column))
        if found is None:
            raise WorkbookError(
                f"tab {tab} has no column {column!r} in its header row {header_row}",
                hint="run `matsync init-sheet` to repair the headers",
            )
        return found + 1

    def written(self, tab: str, rows: int | range | None = None) -> None:
        """Forget ``tab``'s header rows among ``rows`` written: one, a range, or all (``None``)."""
        if isinstance(rows, int):
            self.columns.pop((tab, rows), None)
            return
        for key in [k for k in self.columns if k[0] == tab and (rows is None or k[1] in rows)]:
            del self.columns[key]


def plan_write(ops: Sequence[Op], known: dict[str, Rows]) -> WriteBatch:
    """Resolve operations into blocks against ``known`` tabs, updating ``known`` as written.

    Keyed cells are placed by the rows of ``known`` first (read them just before)."""
    batch, headers = WriteBatch(), _Headers(known)
    ops, batch.missed, batch.placed = resolve_keyed(ops, known)
    for op in ops:
        batch.touch(op.tab)
        if isinstance(op, Style):
            batch.styles.append(op)
        elif isinstance(op, Rewrite):
            values = [_trim(r) for r in op.rows]
            width = max((len(r) for r in values), default=0)
            padded = [r + [None] * (width - len(r)) for r in values]
            batch.blocks = [b for b in batch.blocks if b.tab != op.tab]
            batch.blocks.append(Block(op.tab, 1, 1, padded))
            batch.clear_below[op.tab] = (len(padded), width)
            known[op.tab] = [row_text(r) for r in values]
            headers.written(op.tab)
            if op.style is not None:
                batch.styles.append(op.style)
        elif isinstance(op, Append):
            rows = known.setdefault(op.tab, [])
            start = len(rows) + 1
            values = []
            for row in op.rows:
                if isinstance(row, Mapping):
                    cells: list[Value] = []
                    for title, value in row.items():
                        col = headers.resolve(op.tab, op.header_row, title)
                        cells.extend([None] * (col - len(cells)))
                        cells[col - 1] = value
                    values.append(cells)
                else:
                    values.append(list(row))
            width = max((len(r) for r in values), default=0)
            if width:
                batch.blocks.append(Block(op.tab, start, 1, [r + [None] * (width - len(r)) for r in values]))
                rows.extend(row_text(_trim(r)) for r in values)
                headers.written(op.tab, range(start, len(rows) + 1))
        elif isinstance(op, CellUpdate):
            col = headers.resolve(op.tab, op.header_row, op.column)
            if op.row < 1:
                raise WorkbookError(f"row {op.row} in tab {op.tab} must be 1 or more")
            batch.blocks.append(Block(op.tab, op.row, col, [[op.value]]))
            rows = known.setdefault(op.tab, [])
            rows.extend([] for _ in range(op.row - len(rows)))
            line = rows[op.row - 1]
            line.extend([None] * (col - len(line)))
            line[col - 1] = cell_text(op.value)
            headers.written(op.tab, op.row)
    return batch
