"""``pretty_json`` writes the text the standard library writes, faster."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reports.jsontext import pretty_json

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def stdlib(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


@given(JSON)
def test_the_text_is_the_standard_librarys(value: Any) -> None:
    assert pretty_json(value) == stdlib(value)


def test_every_naughty_string_as_key_and_value(naughty_strings: list[str]) -> None:
    value = {
        "by_key": {s: i for i, s in enumerate(naughty_strings)},
        "values": naughty_strings,
        "empty": [{}, []],
    }
    assert pretty_json(value) == stdlib(value)
    assert json.loads(pretty_json(value)) == value
