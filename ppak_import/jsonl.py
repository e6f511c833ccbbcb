"""Canonical records held column-wise -> JSON Lines, byte for byte what ``to_jsonl`` writes.

``canonical.to_jsonl`` dumps one model at a time (~25 us a record here): a million
project lines would take most of a minute. Records here are already JSON-mode values, so
each distinct value of a column is encoded once and rows are joined from the pieces.
The tests hold this to ``to_jsonl`` of the validated models.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ppak_import.columns import objects

__all__ = ["frame_to_jsonl"]


def _encode(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _pieces(name: str, values: np.ndarray) -> list[str]:
    prefix = _encode(name) + ":"
    if any(isinstance(v, list) for v in values[:1]) or values.dtype != object:
        return [prefix + _encode(v) for v in values.tolist()]
    codes, uniques = pd.factorize(values)  # None gets code -1: the last piece, null
    encoded = objects([prefix + _encode(v) for v in uniques.tolist()] + [prefix + "null"])
    return encoded[codes].tolist()


def frame_to_jsonl(frame: pd.DataFrame) -> str:
    """One JSON object a row, keys sorted, compact separators, literal non-ASCII."""
    if frame.empty:
        return ""
    columns = [_pieces(name, frame[name].to_numpy(dtype=object)) for name in sorted(frame.columns)]
    return "".join("{" + ",".join(parts) + "}\n" for parts in zip(*columns, strict=True))
