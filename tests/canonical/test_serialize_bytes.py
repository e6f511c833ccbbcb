"""The fast canonical encoder writes the standard encoder's bytes; JSON Lines come in chunks."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, PlainSerializer

from canonical import Material
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
