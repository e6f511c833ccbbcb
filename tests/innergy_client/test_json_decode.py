"""The client's fast JSON decoder reads every answer exactly as ``json.loads(parse_float=Decimal)``.

The listing is decoded by msgspec for speed; money is compared as Decimals, so a number
must come back with its literal's digits and scale (``12.50``, ``1E+5``, 20 digits), and
what msgspec refuses (``NaN``, a byte-order mark, a lone surrogate) must still read as the
standard parser reads it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from innergy_client import InnergyClient

_NUMBER = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
    st.tuples(st.integers(-999, 999), st.integers(0, 10**6), st.integers(0, 6)).map(
        lambda t: f"{t[0]}.{t[1]:0{t[2] + 1}d}"
    ),
    st.tuples(st.integers(-99, 99), st.sampled_from("eE"), st.integers(-400, 400)).map(
        lambda t: f"{t[0]}{t[1]}{t[2]:+d}"
    ),
    st.sampled_from(["NaN", "Infinity", "-0.0", "0.10", "1.0e-400", "12.50", "123456789012345678.12345678"]),
)
_TEXT = st.one_of(st.text(max_size=8).map(json.dumps), st.just('"\\ud800"'))


def _documents(depth: int = 2) -> st.SearchStrategy[str]:
    leaf = st.one_of(_NUMBER, _TEXT, st.sampled_from(["true", "false", "null"]))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
            st.dictionaries(st.text(max_size=5).map(json.dumps), inner, max_size=4).map(
                lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs.items()) + "}"
            ),
        ),
        max_leaves=12,
    ).map(lambda body: '{"openapi": ' + body + "}")


def _served(body: bytes) -> Any:
    """``body`` as the client decodes it (INNERGY's JSON answer, over a fake transport)."""
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    )
    with InnergyClient("http://innergy.test", "key-1234", transport=transport) as client:
        return client.openapi_document()


def _exact(value: Any) -> Any:
    """A decoded value with each Decimal as its exact text (``==`` ignores scale: 12.5 == 12.50)."""
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    return (type(value).__name__, value)


@settings(max_examples=300, deadline=None)
@given(_documents(), st.booleans())
def test_answers_decode_exactly_as_the_standard_parser(text: str, bom: bool) -> None:
    body = ("\ufeff" if bom else "").encode() + text.encode("utf-8", "surrogatepass")
    assert _exact(_served(body)) == _exact(json.loads(body, parse_float=Decimal))


def test_money_keeps_its_scale_and_every_digit() -> None:
    got = _served(b'{"Cost": {"Value": 12.50, "OriginalValue": 0.1000000000000000055511151231257827}}')
    assert str(got["Cost"]["Value"]) == "12.50"
    assert str(got["Cost"]["OriginalValue"]) == "0.1000000000000000055511151231257827"
