"""Canonical records as text: JSON Lines with a stable key order, and fingerprints.

The same records always give the same bytes, so canonical files can be diffed and
fingerprints compared across runs and machines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["canonical_json", "fingerprint", "from_jsonl", "to_jsonl"]

M = TypeVar("M", bound=BaseModel)


def _plain(record: BaseModel | dict[str, Any]) -> Any:
    return record.model_dump(mode="json") if isinstance(record, BaseModel) else record


def canonical_json(record: BaseModel | dict[str, Any]) -> str:
    """One record as compact JSON with sorted keys and literal non-ASCII text."""
    return json.dumps(_plain(record), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def to_jsonl(records: Iterable[BaseModel | dict[str, Any]]) -> str:
    return "".join(canonical_json(r) + "\n" for r in records)


def from_jsonl(text: str, model: type[M]) -> list[M]:
    return [model.model_validate_json(line) for line in text.splitlines() if line.strip()]


def fingerprint(record: BaseModel | dict[str, Any] | None) -> str:
    """A short, stable hash of a record's content (``-`` for no record)."""
    if record is None:
        return "-"
    return hashlib.sha256(canonical_json(record).encode()).hexdigest()[:16]
