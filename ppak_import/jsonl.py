"""Canonical records held column-wise -> JSON Lines, byte for byte what ``to_jsonl`` writes.

``canonical.to_jsonl`` dumps one model at a time (~25 us a record here): a million
project lines would take most of a minute. Records here are already JSON-mode values, so
each distinct value of a column is encoded once, as UTF-8 bytes carrying its separator,
and rows are joined from those pieces in one ``bytes.join`` a chunk: no per-row Python,
and no whole-file string (non-ASCII text would make it two bytes a character). The tests
hold this to ``to_jsonl`` of the validated models.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ppak_import.columns import objects

__all__ = ["frame_to_jsonl", "write_jsonl"]

CHUNK_ROWS = 100_000


def _encode(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _pieces(name: str, values: np.ndarray, before: str, after: str) -> np.ndarray:
    """Each row's ``"name":value`` as UTF-8, with the separator before and after it."""
    prefix = before + _encode(name) + ":"
    if any(isinstance(v, list) for v in values[:1]) or values.dtype != object:
        return objects([(prefix + _encode(v) + after).encode() for v in values.tolist()])
    codes, uniques = pd.factorize(values)  # None gets code -1: the last piece, null
    texts = [*(_encode(v) for v in uniques.tolist()), "null"]
    return objects([(prefix + t + after).encode() for t in texts])[codes]


def _chunks(frame: pd.DataFrame) -> Iterator[bytes]:
    if frame.empty:
        return
    names = sorted(frame.columns)
    last = len(names) - 1
    grid = np.stack(
        [
            _pieces(name, frame[name].to_numpy(dtype=object), "," if i else "{", "}\n" if i == last else "")
            for i, name in enumerate(names)
        ],
        axis=1,
    )
    for start in range(0, len(grid), CHUNK_ROWS):
        yield b"".join(grid[start : start + CHUNK_ROWS].ravel().tolist())


def frame_to_jsonl(frame: pd.DataFrame) -> str:
    """One JSON object a row, keys sorted, compact separators, literal non-ASCII."""
    return b"".join(_chunks(frame)).decode("utf-8")


def write_jsonl(frame: pd.DataFrame, path: Path) -> None:
    """``frame_to_jsonl`` written to ``path`` (UTF-8) a chunk at a time."""
    with path.open("wb") as handle:
        for chunk in _chunks(frame):
            handle.write(chunk)
