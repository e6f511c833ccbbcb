"""Column-wise conversion: each distinct cell text is parsed once, then mapped to rows.

A PPak column of a million rows holds a few thousand distinct values; parsing those once
with ``canonical.normalize`` and spreading the results by integer codes (the reader's
categorical codes) is what makes the ETL fast, and keeps the rules the ones every other
reader uses. The records stay coded to the end: the JSON writer encodes each distinct
value once, and a DataFrame of them is made only when someone asks for one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from canonical.normalize import BadValue
from ppak_import.csv_table import distinct

__all__ = ["Coded", "Column", "Records", "concat", "concat_records", "jsonable", "objects", "read_column"]


def objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object array of exactly these values (tuples stay elements)."""
    array = np.empty(len(values), dtype=object)
    array[:] = list(values) if not isinstance(values, list) else values
    return array


@dataclass(frozen=True)
class Coded:
    """Rows as ``values[codes]``: each distinct value is held, parsed and encoded once.

    ``values`` need not be distinct (two raw texts may parse alike); ``codes`` are >= 0.
    """

    codes: np.ndarray
    values: np.ndarray

    def rows(self) -> np.ndarray:
        return self.values[self.codes]

    def take(self, mask: np.ndarray) -> Coded:
        return Coded(self.codes[mask], self.values)

    def per_row(self, flags: np.ndarray | Sequence[bool]) -> np.ndarray:
        """``flags`` computed once per value, spread to the rows."""
        return np.asarray(flags, dtype=bool)[self.codes]


def concat(parts: Sequence[Coded]) -> Coded:
    """The rows of ``parts`` one after another."""
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0, *(len(p.values) for p in parts[:-1])])
    codes = [p.codes.astype(np.int64) + o for p, o in zip(parts, offsets, strict=True)]
    return Coded(np.concatenate(codes), np.concatenate([p.values for p in parts]))


@dataclass(frozen=True)
class Column(Coded):
    """One column of cell texts parsed: ``raw`` and ``errors`` are indexed like ``values``."""

    raw: np.ndarray
    errors: np.ndarray
    """The ``BadValue`` message of each distinct value, ``None`` where it parsed."""

    def bad(self) -> np.ndarray:
        return self.per_row(self.errors != None)  # noqa: E711 - element-wise on an object array

    def map(self, convert: Callable[[Any], Any]) -> Column:
        """Another column of the same rows, ``convert`` applied to each distinct value."""
        values, errors = _apply(self.values, convert, self.errors)
        return Column(self.codes, values, self.raw, errors)

    def json(self, convert: Callable[[Any], Any] = lambda v: v) -> Coded:
        """JSON-mode values of ``convert`` (``None`` where it is refused), once per distinct value."""
        values = np.empty(len(self.values), dtype=object)
        for i, v in enumerate(self.values):
            try:
                values[i] = jsonable(convert(v)) if v is not None else None
            except BadValue:
                values[i] = None
        return Coded(self.codes, values)


@dataclass(frozen=True)
class Records:
    """One kind's canonical records column by column (JSON-mode); ``rows``: each one's source row."""

    rows: np.ndarray
    columns: dict[str, Coded]

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, mask: np.ndarray) -> Records:
        if mask.all():
            return self
        return Records(self.rows[mask], {name: c.take(mask) for name, c in self.columns.items()})

    def frame(self) -> pd.DataFrame:
        """The records as a DataFrame of JSON-mode values, one row each, index = source row."""
        return pd.DataFrame({n: c.rows() for n, c in self.columns.items()}, index=self.rows, dtype=object)


def _apply(items: np.ndarray, parse: Callable[[Any], Any], previous: np.ndarray | None = None) -> tuple:
    values = np.empty(len(items), dtype=object)
    errors = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        if previous is not None and previous[i] is not None:
            errors[i] = previous[i]
            continue
        try:
            values[i] = parse(item)
        except BadValue as exc:
            errors[i] = str(exc)
    return values, errors


def read_column(series: pd.Series | None, length: int, parse: Callable[[Any], Any]) -> Column:
    """Parse a column of cell texts (``None``: the file has no such column, all blank)."""
    if series is None:
        codes, uniques = np.zeros(length, dtype=np.int64), objects([""])
    else:
        codes, found = distinct(series)
        uniques = objects([*found.tolist(), None])
        codes = np.where(codes < 0, len(found), codes)  # a missing cell: the last, None
    values, errors = _apply(uniques, parse)
    return Column(codes, values, uniques, errors)


def jsonable(value: Any) -> Any:
    """A canonical value as ``model_dump(mode="json")`` writes it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value


def concat_records(parts: Sequence[Records]) -> Records:
    """The records of ``parts`` (one kind, so the same columns) one after another."""
    if len(parts) == 1:
        return parts[0]
    columns = {n: concat([p.columns[n] for p in parts]) for n in parts[0].columns}
    return Records(np.concatenate([p.rows for p in parts]), columns)
