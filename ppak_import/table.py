"""Records -> a table of one PPak export kind: header found, dirt skipped and counted.

The header is the first of the leading records that matches a schema (title lines
above it are skipped). Empty fields past the header's last named column (Excel's
trailing comma, on the header or on rows) are ignored, once said in ``notes``; a row with
a non-empty field there (an unquoted comma, most often) is left out and reported.
Below the header, blank records, repeated header rows and summary lines are skipped
with their reason; columns no schema knows are kept aside and listed.

A summary line (``Total``, ``Grand Total``, ``Count: 7``, ``Page 2 of 3``, a line of
only a count or a sum) is told from a record by its key column (the kind's first
required field): a record holds a key there, a summary line holds nothing, or a summary
word, a count or an amount. So ``Total Wine & More Store 12`` named beside a valid id is
a project, and ``Total,7 items`` in a projects export is not. Summary lines are listed
with their line and text, so a person can check what was skipped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from canonical.models import Problem
from ppak_import.csv_table import distinct
from ppak_import.schemas import Schema, header_key, match_header

__all__ = ["HEADER_SEARCH", "Table", "find_table"]

HEADER_SEARCH = 30
"""How many leading records may be titles before the header row."""

_WORDS = re.compile(
    r"((grand|sub)\s*-?\s*)?totals?(?=[\s:]|$)|((record|item|row|line)\s+)?count(?=[\s:]|$)"
    r"|page\s+\d+(\s+of\s+\d+)?$",
    re.IGNORECASE,
)
"""A cell that opens with a summary word (``Total``, ``Total:``, not ``TOTAL-HNG-110``)."""
_COUNT = r"\d[\d,]*\s+[^\W\d_]+\.?"
"""``7 items``, ``12 records``: a count of something."""
_AMOUNT = r"\(?[-+]?\$\s*[-+]?[\d,]*\.?\d+\)?"
"""A sum of money: ``$1,234.50``, ``($12)``."""
_NOT_A_KEY = re.compile(rf"({_COUNT}|{_AMOUNT})$")
_FIGURE = re.compile(rf"({_COUNT}|{_AMOUNT}|[-+]?[\d,]*\.?\d+%?)$")
"""What a line of only a count or a sum holds: counts, amounts, numbers."""
KEPT, BLANK, SUMMARY, REPEATED, REPORTED = range(5)
_SKIPPED = {BLANK: "blank line", SUMMARY: "summary line", REPEATED: "repeated header"}
"""Why a record below the header is not converted, as a small code a row (a million-row
column of reason texts costs more to compare than to build)."""


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
    summary_lines: tuple[tuple[int, str], ...] = ()
    """(row, its non-empty cells joined by `` | ``) of each skipped summary line."""
    notes: tuple[str, ...] = ()
    """What the reader did to the file as a whole (ignored trailing fields), said once."""


def _header_at(records: pd.DataFrame) -> tuple[int, Schema, dict[str, int]] | None:
    for position in range(min(HEADER_SEARCH, len(records))):
        found = match_header([str(v).strip() for v in records.iloc[position]])
        if found:
            return position, *found
    return None


def _no_key(keys: pd.Series) -> pd.Series:
    """Per trimmed key text: blank, a summary word, a count or an amount (never a real key)."""
    return keys.eq("") | keys.str.match(_WORDS) | keys.str.match(_NOT_A_KEY)


def _skip_reasons(body: pd.DataFrame, header: list[str], key: int) -> np.ndarray:
    """``BLANK``, ``SUMMARY`` or ``REPEATED`` per record, ``KEPT`` otherwise."""
    reasons = np.full(len(body), KEPT, dtype=np.int8)
    codes, texts = distinct(body[key])
    keys = pd.Series([*texts, ""], dtype=object).str.strip()  # each distinct key tested once; missing: ""
    flags = _no_key(keys) | keys.str.casefold().eq(header_key(header[key]))
    candidates = flags.to_numpy(dtype=bool)[codes]
    if not candidates.any():
        return reasons
    rows = body[candidates].apply(lambda c: c.str.strip())
    filled = rows.ne("")
    blank = ~filled.any(axis=1)
    worded = rows.apply(lambda c: c.str.match(_WORDS)).any(axis=1)
    figures = (rows.apply(lambda c: c.str.match(_FIGURE)) | ~filled).all(axis=1)
    summary = _no_key(rows[key]) & ~blank & (worded | figures)
    repeated = rows.apply(lambda c: c.map(header_key)).eq([header_key(h) for h in header]).all(axis=1)
    at = np.flatnonzero(candidates)
    reasons[at[blank.to_numpy(dtype=bool)]] = BLANK
    reasons[at[summary.to_numpy(dtype=bool)]] = SUMMARY
    reasons[at[repeated.to_numpy(dtype=bool)]] = REPEATED
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
    key = columns[next(f.name for f in schema.fields if f.required)]
    reasons = _skip_reasons(body, header, key)
    beyond = body.iloc[:, header_width:]
    spilled = beyond.apply(lambda c: c.str.strip().ne("")).any(axis=1).to_numpy(dtype=bool)
    wide = spilled & (reasons == KEPT)
    problems: list[Problem] = []
    for row, extra in zip(beyond.index[wide], beyond[wide].itertuples(index=False), strict=True):
        problems.append(
            Problem(
                source=source,
                row=int(row),
                value=",".join(v for v in extra if v) or None,
                message=f"the row has more fields than the header's {header_width} "
                "(an unquoted comma?); left out",
            )
        )
    reasons[wide] = REPORTED
    trailing = (widths[position:] > header_width) & ~np.concatenate(([False], spilled))
    notes = (f"empty fields past the header's {header_width} columns (Excel's trailing comma) are ignored",)
    keep = reasons == KEPT
    frame = body[keep][list(columns.values())]
    frame.columns = list(columns)
    known = set(columns.values())
    extra = tuple(h for i, h in enumerate(header) if h and i not in known)
    counts = np.bincount(reasons, minlength=len(_SKIPPED) + 2)
    skipped = Counter({label: int(counts[code]) for code, label in _SKIPPED.items() if counts[code]})
    summary = body[reasons == SUMMARY]
    texts = [" | ".join(v.strip() for v in cells if v.strip()) for cells in summary.itertuples(index=False)]
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
        summary_lines=tuple(zip(summary.index.astype(int).tolist(), texts, strict=True)),
        notes=notes if trailing.any() else (),
    )
