"""The fast canonical encoder writes the standard encoder's bytes; JSON Lines come in chunks."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, PlainSerializer

from canonical import InnergyMaterial, Material, Problem
from canonical.serialize import canonical_bytes, canonical_json, jsonl_chunks

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


_TEXT = st.text(min_size=1, max_size=6)
_DECIMAL = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from([Decimal("1E+5"), Decimal("-0"), Decimal("12.50"), Decimal("0.00001")]),
)
_OFFSETS = [
    timedelta(0),
    timedelta(hours=5, minutes=30),
    -timedelta(hours=5, minutes=56, seconds=48),
    timedelta(seconds=30),
]
_TIME = st.one_of(
    st.none(),
    st.datetimes(timezones=st.sampled_from([None, *(timezone(o) for o in _OFFSETS)])),
)
"""Times naive and aware, with offsets of whole minutes and with seconds (1920's local mean times)."""
_MODELS = st.one_of(
    st.builds(
        Material, sku=_TEXT, name=_TEXT, category=_TEXT, uom=_TEXT, cost=_DECIMAL.map(abs),
        notes=st.one_of(st.none(), st.text()), ppak_skus=st.lists(_TEXT, max_size=2).map(tuple),
        last_synced=_TIME, cleared=st.just(("notes",)) | st.just(()),
    ),
    st.builds(
        InnergyMaterial, innergy_id=_TEXT, name=_TEXT, cost=st.one_of(st.none(), _DECIMAL),
        margin=st.one_of(st.none(), _DECIMAL), created_on=_TIME, modified_on=_TIME,
        active=st.booleans(),
    ),
    st.builds(Problem, source=_TEXT, message=st.text(), row=st.one_of(st.none(), st.integers(1, 10**6))),
)  # fmt: skip


@given(st.lists(_MODELS, max_size=6), st.integers(1, 4))
def test_chunks_of_canonical_records_are_their_lines(records: list[BaseModel], size: int) -> None:
    """Chunks of one model are encoded from the models' values at once; mixed ones line by
    line: either way the file is each record's ``canonical_bytes``."""
    assert b"".join(jsonl_chunks(records, size=size)) == b"".join(canonical_bytes(r) + b"\n" for r in records)
