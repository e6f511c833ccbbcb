"""Canonical records as text: JSON Lines with a stable key order, and fingerprints.

The same records always give the same bytes, so canonical files can be diffed and
fingerprints compared across runs and machines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from itertools import islice
from operator import itemgetter
from types import UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import msgspec
from pydantic import BaseModel

__all__ = ["canonical_bytes", "canonical_json", "fingerprint", "from_jsonl", "jsonl_chunks", "to_jsonl"]

M = TypeVar("M", bound=BaseModel)

_ENCODER = msgspec.json.Encoder(order="sorted")
_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(record: BaseModel | dict[str, Any]) -> Any:
    return record.model_dump(mode="json") if isinstance(record, BaseModel) else record


def _msgspec_writes_it_alike(value: Any) -> bool:
    """Whether msgspec's sorted encoding of ``value`` is byte for byte ``json.dumps``'s.

    It is for str keys and str, int, bool, None, lists and dicts (checked over every code
    point); floats are written differently (``1e16`` against ``1e+16``) and other types are
    refused by ``json.dumps``, so those take the standard encoder.
    """
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _SCALARS and not _msgspec_writes_it_alike(item)):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) in _SCALARS or _msgspec_writes_it_alike(item) for item in value)
    return kind in _SCALARS


_PLAIN_TYPES = frozenset({str, int, bool, type(None), Decimal, datetime, date})
"""Field types whose JSON-mode dump msgspec writes as ``json.dumps`` does (Decimals, dates: as text)."""


def _plain_annotation(annotation: Any) -> bool:
    if annotation in _PLAIN_TYPES:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _plain_model(annotation)
    origin = get_origin(annotation)
    if origin is Literal:
        return all(type(v) in _SCALARS for v in get_args(annotation))
    if origin in (Union, UnionType, tuple, list):
        return all(a is Ellipsis or _plain_annotation(a) for a in get_args(annotation))
    return False


@cache
def _plain_model(model: type[BaseModel]) -> bool:
    """Whether every field of ``model`` dumps to str, int, bool, None, lists or plain models:
    its records need no walk for floats (``Material`` and the INNERGY models do not)."""
    fields = model.model_fields.values()
    decorators = model.__pydantic_decorators__
    return (
        model.model_config.get("extra") != "allow"
        and not decorators.field_serializers
        and not decorators.model_serializers
        and all(not f.metadata and _plain_annotation(f.annotation) for f in fields)
    )


def canonical_bytes(record: BaseModel | dict[str, Any]) -> bytes:
    """``canonical_json`` as UTF-8, through msgspec's C encoder where it writes the same bytes (3x faster)."""
    plain = _plain(record)
    if (isinstance(record, BaseModel) and _plain_model(type(record))) or _msgspec_writes_it_alike(plain):
        return _ENCODER.encode(plain)
    return json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def canonical_json(record: BaseModel | dict[str, Any]) -> str:
    """One record as compact JSON with sorted keys and literal non-ASCII text."""
    return canonical_bytes(record).decode()


def jsonl_chunks(records: Iterable[BaseModel | dict[str, Any]], size: int = 2_000) -> Iterator[bytes]:
    """``to_jsonl`` as UTF-8, ``size`` lines at a time: a writer never holds the whole file."""
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield _plain_lines(chunk) or b"".join([canonical_bytes(r) + b"\n" for r in chunk])


_MINUTE = timedelta(minutes=1)


@cache
def _time_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(
        name
        for name, info in model.__pydantic_fields__.items()
        if datetime in (info.annotation, *get_args(info.annotation))
    )


_FIELD_ENCODER = msgspec.json.Encoder(order="sorted", decimal_format="string")
"""Writes a plain model's field values as its JSON-mode dump reads (Decimals and times as text)."""


def _plain_lines(chunk: list[Any]) -> bytes | None:
    """The lines of a chunk of one plain model, encoded from the models' own values in one
    call (a fifth of dumping each first); ``None`` for any other chunk. The bytes are those
    of ``canonical_bytes`` line by line (property-tested)."""
    kinds = set(map(type, chunk))
    model = kinds.pop() if len(kinds) == 1 else None
    if model is None or not issubclass(model, BaseModel) or not _plain_model(model):
        return None
    values = list(map(vars, chunk))
    if set(map(len, values)) != {len(model.__pydantic_fields__)}:  # something beside the fields
        return None
    for name in _time_fields(model):  # pydantic cuts an offset's seconds, msgspec rounds them
        offsets = [t.utcoffset() for t in map(itemgetter(name), values) if t is not None]
        if any(offset % _MINUTE for offset in offsets if offset is not None):
            return None
    try:
        return _FIELD_ENCODER.encode_lines(values)
    except TypeError:  # a nested model: dumped record by record
        return None


def to_jsonl(records: Iterable[BaseModel | dict[str, Any]]) -> str:
    return b"".join(jsonl_chunks(records)).decode()


def from_jsonl(text: str, model: type[M]) -> list[M]:
    return [model.model_validate_json(line) for line in text.splitlines() if line.strip()]


def fingerprint(record: BaseModel | dict[str, Any] | None) -> str:
    """A short, stable hash of a record's content (``-`` for no record)."""
    if record is None:
        return "-"
    return hashlib.sha256(canonical_json(record).encode()).hexdigest()[:16]
