"""The fast canonical encoder writes the standard encoder's bytes; JSON Lines come in chunks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, PlainSerializer
from pydantic_core import to_jsonable_python

from canonical import InnergyMaterial, Material, Problem
from canonical.serialize import canonical_bytes, canonical_json, jsonl_chunks, text_bytes

_JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), inner, max_size=4),
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=6), _JSON_VALUES, max_size=6))
def test_canonical_bytes_are_the_standard_encoders(record: dict[str, Any]) -> None:
    """Byte for byte ``json.dumps`` (sorted, compact, literal non-ASCII), floats and odd keys included."""
    try:
        expected = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    except (TypeError, UnicodeEncodeError) as exc:  # mixed key types; lone surrogates
        with pytest.raises(type(exc)):
            canonical_bytes(record)
        return
    assert canonical_bytes(record) == expected
    assert canonical_json(record) == expected.decode()


def test_jsonl_chunks_make_the_same_file_in_pieces() -> None:
    records = [
        Material.model_validate(
            {"sku": f"S{n}", "name": 'Ply ¾" – “WO”', "category": "Sheet Goods", "uom": "SHT", "cost": "1.50"}
        )
        for n in range(7)
    ]
    chunks = list(jsonl_chunks(records, size=3))
    assert len(chunks) == 3
    assert b"".join(chunks).decode() == "".join(canonical_json(r) + "\n" for r in records)


class _Floaty(BaseModel):
    weight: float | None = None
    cost: Annotated[Decimal, PlainSerializer(float)] = Decimal("1E+16")


@pytest.mark.parametrize("record", [_Floaty(weight=1e16), _Floaty(weight=1e-7), _Floaty()])
def test_models_that_may_dump_floats_take_the_standard_encoder(record: BaseModel) -> None:
    expected = json.dumps(
        record.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    assert canonical_json(record) == expected


def test_canonical_models_skip_the_walk_and_write_the_same_bytes() -> None:
    record = Material.model_validate(
        {"sku": "A", "name": "é\u2028", "category": "C", "uom": "SF", "cost": "1E+2", "ppak_skus": ["x"]}
    )
    expected = json.dumps(
        record.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    assert canonical_json(record) == expected


_OFFSETS = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
)
_DATETIMES = st.datetimes(timezones=st.none() | st.just(UTC) | _OFFSETS.map(timezone))
_DECIMALS = st.decimals(allow_nan=False, allow_infinity=False)


class _Stored(BaseModel):
    """A model of every field type canonical records hold."""

    text: str
    amount: Decimal | None = None
    when: datetime | None = None
    day: date | None = None
    flag: bool = True
    count: int = 0
    codes: tuple[str, ...] = ()


_STORED = st.builds(
    _Stored,
    text=st.text(),
    amount=st.none() | _DECIMALS,
    when=st.none() | _DATETIMES,
    day=st.none() | st.dates(),
    codes=st.lists(st.text(max_size=3), max_size=3).map(tuple),
)


def _standard(plain: Any) -> bytes:
    return json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@given(st.lists(_STORED, max_size=5))
def test_models_are_encoded_from_their_stored_values_as_their_dump(records: list[_Stored]) -> None:
    """Decimals, datetimes (any offset, seconds ones included), dates and tuples as pydantic dumps them."""
    expected = b"".join(_standard(r.model_dump(mode="json")) + b"\n" for r in records)
    assert b"".join(jsonl_chunks(records, size=2)) == expected
    assert [canonical_bytes(r) for r in records] == [_standard(r.model_dump(mode="json")) for r in records]


@given(
    st.lists(
        st.dictionaries(
            st.text(max_size=4),
            st.one_of(st.none(), st.text(), _DECIMALS, _DATETIMES, st.dates(), st.floats(allow_nan=False)),
            max_size=5,
        ),
        max_size=4,
    )
)
def test_dicts_of_plain_values_write_as_their_json_mode(records: list[dict[str, Any]]) -> None:
    """A dict's Decimals and dates are written as a model's JSON mode writes them, floats as json.dumps."""
    expected = b"".join(_standard(to_jsonable_python(r)) + b"\n" for r in records)
    assert b"".join(jsonl_chunks(records, size=3)) == expected


def test_a_chunk_of_models_and_dicts_is_written_one_by_one() -> None:
    model = _Stored(text="a", amount=Decimal("1.50"), codes=("x",))
    records: list[BaseModel | dict[str, Any]] = [model, model.model_dump(mode="json"), model]
    assert len(list(jsonl_chunks(records))) == 1
    assert b"".join(jsonl_chunks(records)) == (_standard(model.model_dump(mode="json")) + b"\n") * 3


_TEXT = st.text(min_size=1, max_size=6)
_MONEY = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from([Decimal("1E+5"), Decimal("-0"), Decimal("12.50"), Decimal("0.00001")]),
)
_LOCAL_MEAN = [timedelta(0), timedelta(hours=5, minutes=30), -timedelta(hours=5, minutes=56, seconds=48)]
_TIMES = st.none() | st.datetimes(timezones=st.sampled_from([None, *(timezone(o) for o in _LOCAL_MEAN)]))
_CANONICAL = st.one_of(
    st.builds(
        Material, sku=_TEXT, name=_TEXT, category=_TEXT, uom=_TEXT, cost=_MONEY.map(abs),
        notes=st.one_of(st.none(), st.text()), ppak_skus=st.lists(_TEXT, max_size=2).map(tuple),
        last_synced=_TIMES, cleared=st.just(("notes",)) | st.just(()),
    ),
    st.builds(
        InnergyMaterial, innergy_id=_TEXT, name=_TEXT, cost=st.one_of(st.none(), _MONEY),
        margin=st.one_of(st.none(), _MONEY), created_on=_TIMES, modified_on=_TIMES, active=st.booleans(),
    ),
    st.builds(Problem, source=_TEXT, message=st.text(), row=st.one_of(st.none(), st.integers(1, 10**6))),
)  # fmt: skip


@given(st.lists(_CANONICAL, max_size=6), st.integers(1, 4))
def test_chunks_of_the_canonical_models_are_their_dumps(records: list[BaseModel], size: int) -> None:
    """The real records, one kind or mixed, in chunks of any size: each line is the standard
    encoder's text of the record's JSON-mode dump."""
    expected = b"".join(_standard(r.model_dump(mode="json")) + b"\n" for r in records)
    assert b"".join(jsonl_chunks(records, size=size)) == expected


_TEXTS = st.recursive(
    st.one_of(st.none(), st.text()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.tuples(inner, inner), st.dictionaries(st.text(max_size=4), inner)
    ),
    max_leaves=10,
)


@given(_TEXTS)
def test_text_bytes_are_canonical_bytes_without_the_walk(value: Any) -> None:
    """A change id is hashed from ``text_bytes``: the same bytes as ``canonical_bytes`` (and so
    the same ids as before it), lone surrogates refused alike."""
    record = {"parts": value}
    try:
        expected = canonical_bytes(record)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            text_bytes(record)
        return
    assert text_bytes(record) == expected
