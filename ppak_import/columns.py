"""Column-wise conversion: each distinct cell text is parsed once, then mapped to rows.

A PPak column of a million rows holds a few thousand distinct values; parsing those once
with ``canonical.normalize`` and spreading the results by ``pandas.factorize`` codes is
what makes the ETL fast, and keeps the rules the ones every other reader uses.
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

__all__ = ["Column", "jsonable", "objects", "read_column"]


def objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object array of exactly these values (tuples stay elements)."""
    array = np.empty(len(values), dtype=object)
    array[:] = list(values) if not isinstance(values, list) else values
    return array


@dataclass(frozen=True)
class Column:
    """One column as distinct values: ``codes[i]`` indexes ``raw``/``values``/``errors``."""

    codes: np.ndarray
    raw: np.ndarray
    values: np.ndarray
    errors: np.ndarray
    """The ``BadValue`` message of each distinct value, ``None`` where it parsed."""

    def rows(self) -> np.ndarray:
        return self.values[self.codes]

    def raw_rows(self) -> np.ndarray:
        return self.raw[self.codes]

    def bad(self) -> np.ndarray:
        return (self.errors != None)[self.codes]  # noqa: E711 - element-wise on an object array

    def map(self, convert: Callable[[Any], Any]) -> Column:
        """Another column of the same rows, ``convert`` applied to each distinct value."""
        values, errors = _apply(self.values, convert, self.errors)
        return Column(self.codes, self.raw, values, errors)


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
        codes, found = pd.factorize(series.to_numpy(dtype=object))  # a missing cell: code -1
        uniques = objects([*found.tolist(), None])
    values, errors = _apply(uniques, parse)
    return Column(codes, uniques, values, errors)


def jsonable(value: Any) -> Any:
    """A canonical value as ``model_dump(mode="json")`` writes it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value
