"""Canonical records held coded -> JSON Lines, byte for byte what ``to_jsonl`` writes.

``canonical.to_jsonl`` dumps one model at a time: a million project lines would take most
of a minute. Records here are coded JSON-mode values (``Records``), so each value of a
column is encoded once, as UTF-8 bytes carrying its separator, and each row is joined
from those pieces. Neighbouring columns with few values between them are first merged
into one column of their pieces' concatenations (codes multiplied out), so a row is a few
pieces rather than one a field; the rows are then joined in one ``bytes.join`` a chunk:
no per-row Python, and no whole-file string. The tests hold this to ``to_jsonl`` of the
validated models.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ppak_import.columns import Coded, Records, objects

__all__ = ["jsonl_chunks", "write_jsonl"]

CHUNK_ROWS = 4_096
"""Rows joined at once: a chunk of a few MB stays in cache (100,000 rows joined 2-3x slower)."""
MERGED_PIECES = 1 << 14
"""At most this many distinct pieces in a column merged from neighbours (all combinations
are built, used or not; past a few thousand they cost more than the join they save)."""


def _encode(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _pieces(name: str, column: Coded, before: str, after: str) -> Coded:
    """Each row's ``"name":value`` as UTF-8, with the separator before and after it."""
    prefix = before + _encode(name) + ":"
    return Coded(column.codes, objects([(prefix + _encode(v) + after).encode() for v in column.values]))


def _merged(columns: list[Coded]) -> list[Coded]:
    """Runs of neighbouring columns as one, while their combinations stay few."""
    out = [columns[0]]
    for column in columns[1:]:
        last = out[-1]
        width = len(column.values)
        if len(last.values) * width > MERGED_PIECES:
            out.append(column)
            continue
        codes = last.codes.astype(np.int64) * width + column.codes
        out[-1] = Coded(codes, np.add.outer(last.values, column.values).ravel())
    return out


def jsonl_chunks(records: Records) -> Iterator[bytes]:
    """One JSON object a row, keys sorted, compact separators, literal non-ASCII; UTF-8 chunks."""
    if not len(records):
        return
    names = sorted(records.columns)
    last = len(names) - 1
    pieces = [
        _pieces(name, records.columns[name], "," if i else "{", "}\n" if i == last else "")
        for i, name in enumerate(names)
    ]
    merged = _merged(pieces)
    for start in range(0, len(records), CHUNK_ROWS):
        grid = np.stack([c.values[c.codes[start : start + CHUNK_ROWS]] for c in merged], axis=1)
        yield b"".join(grid.ravel().tolist())


def write_jsonl(records: Records, path: Path) -> None:
    """``records`` as canonical JSON Lines written to ``path`` a chunk at a time."""
    with path.open("wb") as handle:
        for chunk in jsonl_chunks(records):
            handle.write(chunk)
