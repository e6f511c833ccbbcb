"""The CSV reader: csv-spectrum, the encodings Excel writes, physical line numbers."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppak_import.csv_table import _with_csv_module, parse_csv

SPECTRUM_DEFECTS = {
    "location_coordinates": "the upstream JSON holds another phone number than the CSV",
    "newlines_crlf": "the corpus copy of the CSV has LF line ends, its JSON expects CRLF",
}


def _spectrum_cases() -> list:
    root = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "csv-spectrum" / "csvs"
    names = sorted(p.stem for p in root.glob("*.csv")) or ["simple"]
    return [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=SPECTRUM_DEFECTS[n]))
        if n in SPECTRUM_DEFECTS
        else n
        for n in names
    ]


@pytest.mark.parametrize("name", _spectrum_cases())
def test_csv_spectrum_records(shared_dir: Path, name: str) -> None:
    spectrum = shared_dir / "corpora" / "csv-spectrum"
    parsed = parse_csv((spectrum / "csvs" / f"{name}.csv").read_bytes())
    header, *rows = parsed.records.to_numpy().tolist()
    expected = json.loads((spectrum / "json" / f"{name}.json").read_text(encoding="utf-8"))
    expected = expected if isinstance(expected, list) else [expected]
    assert [dict(zip(header, r, strict=True)) for r in rows] == expected


TEXT = 'Item Code,Description\r\nA1,"3/4"" ply\r\nsecond line"\r\n\r\nB2,21" slide – ½ ×\r\nNA,None\r\n'


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("cp1252"), "cp1252"),
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
    ],
)
def test_encodings_detected_and_lines_physical(data: bytes, encoding: str) -> None:
    parsed = parse_csv(data)
    assert parsed.encoding == encoding
    assert parsed.records.index.tolist() == [1, 2, 4, 5, 6]
    assert parsed.records.iloc[1].tolist() == ["A1", '3/4" ply\r\nsecond line']
    assert parsed.records.iloc[3].tolist() == ["B2", '21" slide – ½ ×']
    assert parsed.records.iloc[4].tolist() == ["NA", "None"]


def test_undefined_cp1252_bytes_are_counted() -> None:
    parsed = parse_csv(b"a,b\r\n1,\x81\xe9\r\n")
    assert parsed.encoding == "cp1252"
    assert parsed.replaced_bytes == 1
    assert parsed.records.iloc[1].tolist() == ["1", "\ufffdé"]


def test_ragged_and_unterminated_fall_back_with_the_same_lines() -> None:
    parsed = parse_csv(b'a,b\n1,2,3\n"x\ny",5\n7,"open\n')
    assert parsed.records.index.tolist() == [1, 2, 3, 5]
    assert parsed.widths.tolist() == [2, 3, 2, 2]
    assert parsed.records.iloc[3].tolist()[:2] == ["7", "open\n"]


def test_pandas_and_csv_module_agree() -> None:
    text = 'h1,h2\r\n"a\r\nb",c\r\n\r\nd,"e""f"\r\ng,h'
    fast = parse_csv(text.encode())
    slow = _with_csv_module(text)
    assert fast.records.to_numpy().tolist() == slow.records.to_numpy().tolist()
    assert fast.records.index.tolist() == slow.records.index.tolist()


def test_cp1252_texts_are_decoded_from_their_bytes() -> None:
    """Read as UTF-8 then re-decoded: bytes that look like UTF-8 stay cp1252; undefined bytes read alike."""
    parsed = parse_csv(b"a,b\r\n\x81,1\r\n\x8d,2\r\n\xc3\xa9,3\r\n\xe9,4\r\n")
    assert parsed.encoding == "cp1252"
    assert parsed.replaced_bytes == 2
    assert parsed.records[0].tolist() == ["a", "\ufffd", "\ufffd", "Ã©", "é"]
    assert parsed.records[0].cat.codes.tolist()[1] == parsed.records[0].cat.codes.tolist()[2]


@pytest.mark.parametrize("data", [b"007\r\n1.50\r\n", b"True\r\nfalse\r\n", b"1e5", b"0"])
def test_numeric_looking_columns_stay_text(data: bytes) -> None:
    parsed = parse_csv(data)
    assert parsed.records[0].tolist() == data.decode().split("\r\n")[: len(parsed.records)]
    assert parsed.records.index.tolist() == list(range(1, len(parsed.records) + 1))


_UNDEFINED = [b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([b"a", b",", b'"', b"\r\n", b"\n", b"\x00", b"\xe9", b"\xc3\xa9", *_UNDEFINED]))
)
def test_replaced_bytes_are_the_undefined_bytes_and_nuls(parts: list[bytes]) -> None:
    """Counted from the cells' decoded texts, the count is the bytes' own: each NUL and undefined byte."""
    data = b"h1,h2\r\n" + b"".join(parts)
    parsed = parse_csv(data)
    undefined = sum(data.count(b) for b in _UNDEFINED) if parsed.encoding == "cp1252" else 0
    assert parsed.replaced_bytes == undefined + data.count(b"\x00")
