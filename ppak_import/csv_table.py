"""CSV bytes -> records with their physical line numbers, in the encodings Excel writes.

The encoding is detected, not assumed: a UTF-8 BOM (or UTF-16 BOM) wins, then strict
UTF-8, then Windows-1252 (what US Excel writes). Bytes cp1252 leaves undefined are
replaced and reported, never dropped silently.

pandas' C parser reads the file into categorical columns (no NA guessing, so ``NA`` and
``None`` stay text): each distinct cell text is made a ``str`` once and every row holds a
small integer code, so nothing downstream hashes a million strings again. It reads the
bytes as UTF-8 with ``surrogateescape``, which keeps every byte; a Windows-1252 file's
distinct texts are then re-decoded from those bytes, so the file is never transcoded as
a whole. A record's physical line is its predecessor's plus the line breaks inside
its quoted fields, so rows are numbered as a text editor shows them (header = 1) even
when fields hold newlines. A file the C parser refuses (a record longer than the first,
a quote left open) is tokenised by the standard ``csv`` module instead, which numbers
records by the lines it consumed; both give the same records for any file both accept.

Text is kept in Python strings even where pyarrow is installed (pandas 3 stores text in
Arrow then): Arrow refuses the lone surrogates that keep a Windows-1252 file's bytes, so
the C parser's read would fail and every such file would go the slow way (1M lines: 14 s
and 2.9 GB instead of 2.6 s and 0.7 GB). The ETL does not change with what else is installed.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Parsed", "decode", "distinct", "parse_csv", "python_text"]


@dataclass(frozen=True)
class Parsed:
    """Every record of a file, blank ones included, padded to one width."""

    encoding: str
    records: pd.DataFrame
    """Categorical columns 0..n-1 of ``str`` (a missing field: NaN); index = the physical
    line each record starts on."""
    widths: np.ndarray
    """Fields each record really had (a record longer than its header is suspect)."""
    replaced_bytes: int
    """Bytes the detected encoding could not decode (replaced by U+FFFD)."""


def python_text() -> AbstractContextManager[object]:
    """pandas' text stored as Python strings inside the block, whatever is installed."""
    return pd.option_context("mode.string_storage", "python")


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode(data: bytes) -> tuple[str, str, int]:
    """The text, the encoding used and how many bytes it could not decode."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data.decode(encoding, errors="replace")
            return text, encoding, text.count("\ufffd") - data.decode(encoding, "ignore").count("\ufffd")
    try:
        return data.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace")
    return text, "cp1252", text.count("\ufffd") - data.decode("cp1252", "ignore").count("\ufffd")


_BREAK = re.compile(r"\r\n|\r|\n")


def distinct(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each row's index into the column's distinct values (-1: a missing cell), and those values.

    A categorical column has both already; any other is factorised.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), series.cat.categories.to_numpy(dtype=object)
    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    return codes, np.asarray(uniques, dtype=object)


def _breaks(series: pd.Series) -> np.ndarray | None:
    """Line breaks inside each cell, counted once per distinct text; ``None`` when none."""
    codes, uniques = distinct(series)
    counts = np.fromiter((len(_BREAK.findall(u)) for u in uniques), dtype=np.int64, count=len(uniques))
    return np.append(counts, 0)[codes] if counts.any() else None


def _start_lines(frame: pd.DataFrame) -> np.ndarray:
    """Physical start line of each record: 1 + records before + breaks inside them."""
    breaks = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        found = _breaks(frame[column])
        if found is not None:
            breaks += found
    return 1 + np.arange(len(frame), dtype=np.int64) + np.concatenate(([0], np.cumsum(breaks)[:-1]))


def _with_pandas(source: str | bytes, encoding: str) -> Parsed | None:
    """The C parser's records; ``source`` is the text, or bytes it decodes as ``encoding``
    (then ``replaced_bytes`` counts the U+FFFD that decoding made)."""
    if isinstance(source, str):
        first = next(csv.reader(io.StringIO(source, newline="")), [])
    else:
        text = io.TextIOWrapper(io.BytesIO(source), encoding=encoding, errors="replace", newline="")
        first = next(csv.reader(text), [])
    width = max(len(first), 1)
    # pandas turns a column's categories into numbers (or bools) when every one parses as
    # such ("007" would read as 7); a first record of text in every column keeps them text.
    guard = ",".join(["x"] * width) + "\n"
    stream = io.StringIO(guard + source) if isinstance(source, str) else io.BytesIO(guard.encode() + source)
    try:
        frame = pd.read_csv(
            stream,
            header=None,
            names=range(width),
            dtype="category",
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            index_col=False,
            encoding="utf-8",
            encoding_errors="surrogateescape",
            low_memory=False,  # one chunk: chunks' categories would be hashed, and surrogates refuse it
        ).iloc[1:]
    except (pd.errors.ParserError, ValueError):
        return None
    replaced = 0
    if isinstance(source, bytes) and encoding != "utf-8":
        columns = {}
        for name in frame.columns:
            columns[name], count = _redecoded(frame[name], encoding)
            replaced += count
        frame = pd.DataFrame(columns)
    frame.index = pd.Index(_start_lines(frame)) if len(frame) else pd.Index([], dtype=np.int64)
    return Parsed("", frame, np.full(len(frame), frame.shape[1]), replaced)


def _redecoded(column: pd.Series, encoding: str) -> tuple[pd.Series, int]:
    """A column read as UTF-8 with ``surrogateescape``, its distinct texts decoded as
    ``encoding``; and how many U+FFFD its cells got (one per undefined byte).

    ``encoding`` is a single-byte one (cp1252), so all texts go through one decode, NUL
    separated (the file's NULs are replaced before it is read). Texts equal after
    decoding (two undefined bytes, both U+FFFD) become one category.
    """
    codes, texts = distinct(column)
    joined = "\x00".join(texts).encode("utf-8", "surrogateescape").decode(encoding, "replace")
    fixed = joined.split("\x00") if len(texts) else []
    marks = np.array([t.count("\ufffd") for t in fixed], dtype=np.int64)
    replaced = int(marks[codes[codes >= 0]].sum()) if marks.any() else 0
    remap, categories = pd.factorize(np.asarray(fixed, dtype=object))
    if len(categories) == len(fixed):
        return column.cat.rename_categories(fixed), replaced
    merged = np.where(codes < 0, -1, remap[codes])
    return pd.Series(pd.Categorical.from_codes(merged, categories=categories), index=column.index), replaced


def _with_csv_module(text: str) -> Parsed:
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    rows: list[list[str]] = []
    starts: list[int] = []
    line = 1
    for row in reader:
        rows.append(row)
        starts.append(line)
        line = reader.line_num + 1
    width = max((len(r) for r in rows), default=1) or 1
    widths = np.array([len(r) for r in rows], dtype=np.int64)
    padded = [r[:width] + [""] * (width - len(r)) for r in rows]
    index = pd.Index(starts, dtype=np.int64)
    frame = pd.DataFrame(padded, columns=range(width), index=index, dtype="category")
    return Parsed("", frame, widths, 0)


_UNDEFINED_CP1252 = bytes(b for b in range(256) if bytes([b]).decode("cp1252", "replace") == "\ufffd")


def _raw(data: bytes) -> tuple[bytes, str, int] | None:
    """Bytes pandas can decode itself (no BOM; UTF-8 or cp1252), NULs made U+FFFD, and
    how many NULs there were.

    Handing pandas the bytes saves decoding the whole file into one str first.
    """
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return None
    nuls = data.count(b"\x00")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return (data.replace(b"\x00", _UNDEFINED_CP1252[:1]) if nuls else data), "cp1252", nuls
    return (data.replace(b"\x00", "\ufffd".encode()) if nuls else data), "utf-8", nuls


def parse_csv(data: bytes) -> Parsed:
    """All records of a CSV file, numbered by physical line (the first line = 1).

    Raises ``csv.Error`` for what no reader takes (a field beyond the csv module's limit).
    """
    with python_text():
        return _parse(data)


def _parse(data: bytes) -> Parsed:
    raw = _raw(data)
    if raw is not None:
        source, encoding, nuls = raw
        parsed = _with_pandas(source, encoding)
        if parsed is None:
            text = source.decode(encoding, errors="replace")
            parsed = _with_csv_module(text)
            parsed = Parsed("", parsed.records, parsed.widths, text.count("\ufffd"))
        # cp1252: each U+FFFD decoded is an undefined byte (NULs became one of those)
        return Parsed(
            encoding, parsed.records, parsed.widths, nuls if encoding == "utf-8" else parsed.replaced_bytes
        )
    text, encoding, replaced = decode(data)
    replaced += text.count("\x00")
    text = text.replace("\x00", "\ufffd")
    parsed = _with_pandas(text, "utf-8") or _with_csv_module(text)
    return Parsed(encoding, parsed.records, parsed.widths, replaced)
