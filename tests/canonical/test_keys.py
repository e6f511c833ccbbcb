"""Keys of whole columns equal the one-text rules, whatever the texts hold."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonical.keys import WHITE_SPACE, name_key, name_keys, sku_keys
from canonical.normalize import sku_key

ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    " a\u00a0b\u2003c ",
    "A\u200bB",
    "x\x1cy",
    "ß",
    "ΣΑΣ",
    "ﬃ",
    "İ",
    "a  b",
    "\ta b\n",
]
TEXTS = st.lists(st.text(alphabet=st.sampled_from([*"aZß Σİﬃ\x00-", *WHITE_SPACE]), max_size=8), max_size=12)


def test_white_space_is_every_character_str_split_splits_on() -> None:
    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == WHITE_SPACE


def test_column_keys_equal_one_text_keys(naughty_strings: list[str]) -> None:
    texts = [*naughty_strings, *ODD]
    assert sku_keys(texts) == [sku_key(t) for t in texts]
    assert name_keys(texts) == [" ".join(t.split()).casefold() for t in texts]


def test_single_spaced_names_take_the_joined_path_and_agree() -> None:
    names = ["Material 1 SHT", "Strasse ß", "ΟΔΟΣ Σ", "İstanbul ﬃ", ""]
    assert name_keys(names) == list(map(name_key, names))
    assert name_key("  Oak\u00a0 Veneer ") == "oak veneer"


@pytest.mark.parametrize("odd", ["a  b", " a", "a ", "a\tb", "a\u3000b", "a\u00a0", "", " "])
def test_one_odd_name_among_plain_ones_is_still_folded(odd: str) -> None:
    names = ["Plain Name", odd, "Other Plain"]
    assert name_keys(names) == ["plain name", " ".join(odd.split()).casefold(), "other plain"]
    assert sku_keys(names) == ["plainname", "".join(odd.split()).casefold(), "otherplain"]


@given(TEXTS)
def test_any_column_keys_like_its_texts(texts: list[str]) -> None:
    assert sku_keys(texts) == [re.sub(r"\s+", "", t).casefold() for t in texts]
    assert name_keys(texts) == [re.sub(r"\s+", " ", t).strip().casefold() for t in texts]
