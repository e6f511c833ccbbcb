"""Canonical records as text: JSON Lines with a stable key order, and fingerprints.

The same records always give the same bytes, so canonical files can be diffed and
fingerprints compared across runs and machines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from itertools import islice
from operator import itemgetter
from types import UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import msgspec
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from canonical.lazy import LazyModels

__all__ = [
    "Text",
    "canonical_bytes",
    "canonical_json",
    "fingerprint",
    "from_jsonl",
    "jsonl_chunks",
    "msgspec_alike",
    "text_bytes",
    "to_jsonl",
]

M = TypeVar("M", bound=BaseModel)

_ENCODER = msgspec.json.Encoder(order="sorted")
_SCALARS = frozenset({str, int, bool, type(None)})


_FLAT = frozenset({*_SCALARS, Decimal, date})
"""Values msgspec writes as ``json.dumps`` writes their JSON-mode dump (a Decimal as
``str(d)``, a date as ISO text, like pydantic); checked over every code point for text."""


def msgspec_alike(value: Any, flat: frozenset[object] = _FLAT, *, datetimes: bool = True) -> bool:
    """Whether msgspec's sorted encoding of ``value`` is byte for byte ``json.dumps``'s of its
    JSON-mode dump (what ``model_dump(mode="json")`` would give for it), by exact type.

    It holds for str keys and the ``flat`` values, lists, tuples and dicts of them, and (where
    ``datetimes``) datetimes whose UTC offset is whole minutes (pydantic writes a seconds
    offset ``+00:00``, msgspec ``Z``). Floats are written differently (``1e16`` against
    ``1e+16``) and other types are refused by ``json.dumps``, so those take the standard
    encoder. The journal, whose ``json.dumps`` writes datetimes as ``isoformat()``, asks
    with ``datetimes=False`` and its own ``flat``.
    """
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (
                type(item) not in flat and not msgspec_alike(item, flat, datetimes=datetimes)
            ):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) in flat or msgspec_alike(item, flat, datetimes=datetimes) for item in value)
    if kind is datetime and datetimes:
        offset = value.utcoffset()
        return offset is None or not (offset.seconds % 60 or offset.microseconds)
    return kind in flat


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


@cache
def _stored_checks(model: type[BaseModel]) -> tuple[str, ...] | None:
    """The fields to check (those that may hold a datetime) when a record's ``__dict__``
    encodes as its JSON-mode dump; ``None`` when it never does. It does for a plain model
    whose fields hold no models and are all dumped, under their own names."""
    fields = model.model_fields
    eligible = (
        _plain_model(model)
        and not model.__pydantic_decorators__.computed_fields
        and not model.model_config.get("serialize_by_alias")
        and all(not f.exclude and not _mentions(f.annotation, BaseModel) for f in fields.values())
    )
    return tuple(n for n, f in fields.items() if _mentions(f.annotation, datetime)) if eligible else None


def _mentions(annotation: Any, kind: type) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, kind):
        return True
    return any(_mentions(a, kind) for a in get_args(annotation))


def canonical_bytes(record: BaseModel | dict[str, Any]) -> bytes:
    """``canonical_json`` as UTF-8, through msgspec's C encoder where it writes the same bytes.

    A canonical model is encoded from its stored field values, without dumping it first
    (4x faster than dumping); a dict as it is, its Decimals and dates written as the
    model's JSON mode writes them (text).
    """
    if isinstance(record, BaseModel):
        checks, stored = _stored_checks(type(record)), record.__dict__
        if checks is not None and all(msgspec_alike(stored[n]) for n in checks):
            return _ENCODER.encode(stored)
        plain = record.model_dump(mode="json")
        if _plain_model(type(record)) or msgspec_alike(plain):
            return _ENCODER.encode(plain)
    elif msgspec_alike(record):
        return _ENCODER.encode(record)
    else:
        plain = record
    return json.dumps(
        plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_mode
    ).encode()


def _json_mode(value: Any) -> Any:
    """A Decimal, date or datetime in a dict as ``model_dump(mode="json")`` writes it (text)."""
    if isinstance(value, Decimal | date):
        return to_jsonable_python(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


Text = str | None | list["Text"] | tuple["Text", ...] | dict[str, "Text"]
"""Texts, blanks and lists and str-keyed dicts of them: what msgspec writes as ``json.dumps``
does, by ``msgspec_alike``'s rule, so with no walk to check it."""


def text_bytes(value: Text) -> bytes:
    """``canonical_bytes`` of a value of texts (``Text``), its type being the check: a change
    id hashes one per change, and the walk cost more than the encoding."""
    return _ENCODER.encode(value)


def canonical_json(record: BaseModel | dict[str, Any]) -> str:
    """One record as compact JSON with sorted keys and literal non-ASCII text."""
    return canonical_bytes(record).decode()


def jsonl_chunks(records: Iterable[BaseModel | dict[str, Any]], size: int = 2_000) -> Iterator[bytes]:
    """``to_jsonl`` as UTF-8, ``size`` lines at a time: a writer never holds the whole file."""
    if isinstance(records, LazyModels):
        yield from _lazy_chunks(records, size)
        return
    it = iter(records)
    while chunk := list(islice(it, size)):
        values = _as_encoded(chunk)
        if values is not None:
            yield _ENCODER.encode_lines(values)
        else:
            yield b"".join([canonical_bytes(r) + b"\n" for r in chunk])


def _as_encoded(chunk: list[BaseModel | dict[str, Any]]) -> list[Any] | None:
    """What msgspec encodes for each record of a chunk of one kind, all in one call; ``None``
    when some record needs ``canonical_bytes`` one by one."""
    kind = type(chunk[0])
    if any(type(r) is not kind for r in chunk):
        return None
    if kind is dict:
        return chunk if all(map(msgspec_alike, chunk)) else None
    checks = _stored_checks(kind) if issubclass(kind, BaseModel) else None
    if checks is None:
        return None
    stored = [r.__dict__ for r in chunk]
    return stored if _alike(stored, checks) else None


def _alike(stored: Sequence[Mapping[str, Any]], checks: tuple[str, ...]) -> bool:
    """msgspec writes these models' stored values (``__dict__``) as ``canonical_bytes`` does:
    a field whose values are all of ``_FLAT`` types (most often all ``None``) is seen to be
    so by its types alone, in C; only a field holding others is checked value by value."""
    for name in checks:
        values = list(map(itemgetter(name), stored))
        if not set(map(type, values)) <= _FLAT and not all(map(msgspec_alike, values)):
            return False
    return True


def _lazy_chunks(records: LazyModels[BaseModel], size: int) -> Iterator[bytes]:
    """A ``LazyModels``' lines from its values (a model's stored values): its models are not
    built to be written; a chunk msgspec would write otherwise goes model by model."""
    checks = _stored_checks(records.model)
    for start in range(0, len(records), size):
        stored = list(records.values[start : start + size])
        if checks is not None and _alike(stored, checks):
            yield _ENCODER.encode_lines(stored)
        else:
            yield b"".join([canonical_bytes(r) + b"\n" for r in records[start : start + size]])


def to_jsonl(records: Iterable[BaseModel | dict[str, Any]]) -> str:
    return b"".join(jsonl_chunks(records)).decode()


def from_jsonl(text: str, model: type[M]) -> list[M]:
    return [model.model_validate_json(line) for line in text.splitlines() if line.strip()]


def fingerprint(record: BaseModel | dict[str, Any] | None) -> str:
    """A short, stable hash of a record's content (``-`` for no record)."""
    if record is None:
        return "-"
    return hashlib.sha256(canonical_json(record).encode()).hexdigest()[:16]
