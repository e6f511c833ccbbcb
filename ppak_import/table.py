"""Records -> a table of one PPak export kind: header found, dirt skipped and counted.

The header is the first of the leading records that matches a schema (title lines
above it are skipped). Below it, blank records, ``Total`` footers and repeated header
rows are skipped with their reason; a record with more fields than the header (an
unquoted comma, most often) is left out and reported; columns no schema knows are kept
aside and listed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from canonical.models import Problem
from ppak_import.schemas import Schema, header_key, match_header

__all__ = ["HEADER_SEARCH", "Table", "find_table"]

HEADER_SEARCH = 30
"""How many leading records may be titles before the header row."""

_TOTAL = re.compile(r"^\s*(grand\s+|sub\s*)?totals?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Table:
    """The rows of one export, by field name; the index is the row a person sees."""

    source: str
    schema: Schema
    frame: pd.DataFrame
    headers: dict[str, str]
    """Field name -> the header text the file used for it."""
    encoding: str | None = None
    header_row: int = 1
    read: int = 0
    """Records below the header: converted + reported + skipped."""
    skipped: Counter[str] = field(default_factory=Counter)
    problems: tuple[Problem, ...] = ()
    """Rows left out here (one ``error`` each) and file-level warnings."""
    reported: int = 0
    extra_columns: tuple[str, ...] = ()


def _header_at(records: pd.DataFrame) -> tuple[int, Schema, dict[str, int]] | None:
    for position in range(min(HEADER_SEARCH, len(records))):
        found = match_header([str(v).strip() for v in records.iloc[position]])
        if found:
            return position, *found
    return None


def _skip_reasons(body: pd.DataFrame, header: list[str], key: int) -> pd.Series:
    """``blank line``, ``total row`` or ``repeated header`` per record, ``""`` otherwise."""
    reasons = pd.Series("", index=body.index, dtype=object)
    codes, distinct = pd.factorize(body[key].to_numpy(dtype=object), use_na_sentinel=False)
    keys = pd.Series(distinct, dtype=object).str.strip()  # each distinct key tested once
    flags = keys.eq("") | keys.str.match(_TOTAL) | keys.str.casefold().eq(header_key(header[key]))
    candidates = flags.to_numpy(dtype=bool)[codes]
    if not candidates.any():
        return reasons
    rows = body[candidates].apply(lambda c: c.str.strip())
    blank = rows.eq("").all(axis=1)
    total = rows.apply(lambda c: c.str.match(_TOTAL)).any(axis=1) & ~blank
    repeated = rows.apply(lambda c: c.map(header_key)).eq([header_key(h) for h in header]).all(axis=1)
    reasons[rows.index[blank.to_numpy()]] = "blank line"
    reasons[rows.index[total.to_numpy()]] = "total row"
    reasons[rows.index[repeated.to_numpy()]] = "repeated header"
    return reasons


def find_table(
    records: pd.DataFrame, widths: np.ndarray, source: str, encoding: str | None = None
) -> Table | None:
    """The export table in a file's records, or ``None`` when no header row is known."""
    found = _header_at(records)
    if found is None:
        return None
    position, schema, columns = found
    header = [str(v).strip() for v in records.iloc[position]]
    header_width = max((i + 1 for i, h in enumerate(header) if h), default=1)
    body = records.iloc[position + 1 :]
    body_widths = widths[position + 1 :]
    key = columns[next(f.name for f in schema.fields if f.required)]
    reasons = _skip_reasons(body, header, key)
    problems: list[Problem] = []
    wide = (body_widths > header_width) & reasons.eq("").to_numpy()
    if wide.any():
        beyond = body.iloc[:, header_width:][wide]
        for row, extra in zip(beyond.index, beyond.itertuples(index=False), strict=True):
            spill = ",".join(v for v in extra if v)
            problems.append(
                Problem(
                    source=source,
                    row=int(row),
                    value=spill or None,
                    message=f"the row has more fields than the header's {header_width} "
                    "(an unquoted comma?); left out",
                )
            )
        reasons[body.index[wide]] = "reported"
    keep = reasons.eq("").to_numpy()
    frame = body[keep][list(columns.values())]
    frame.columns = list(columns)
    known = set(columns.values())
    extra = tuple(h for i, h in enumerate(header) if h and i not in known)
    counts = reasons[reasons.ne("") & reasons.ne("reported")].value_counts()
    skipped = Counter({str(r): int(n) for r, n in counts.items()})
    return Table(
        source=source,
        schema=schema,
        frame=frame,
        headers={name: header[i] for name, i in columns.items()},
        encoding=encoding,
        header_row=int(records.index[position]),
        read=len(body),
        skipped=skipped,
        problems=tuple(problems),
        reported=int(wide.sum()),
        extra_columns=extra,
    )
