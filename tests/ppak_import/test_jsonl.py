"""The coded JSON Lines writer writes ``to_jsonl``'s bytes, merged columns or not, in chunks."""

from __future__ import annotations

import numpy as np
import pytest

from canonical.serialize import to_jsonl
from ppak_import import jsonl
from ppak_import.columns import Coded, Records, objects


def _records(size: int) -> Records:
    wide = objects([f"v{n} – ½" for n in range(size)])  # as many values as rows: never merged
    return Records(
        np.arange(size),
        {
            "zeta": Coded(np.arange(size) % 3, objects([None, True, 'x\u2028"y"'])),
            "alpha": Coded(np.arange(size), wide),
            "mid": Coded(np.arange(size) % 2, objects([[], ["a", "b"]])),
            "const": Coded(np.zeros(size, dtype=np.intp), objects(["1.50"])),
        },
    )


@pytest.mark.parametrize("merged_pieces", [1, 1 << 14])
def test_written_as_to_jsonl_writes_the_rows(monkeypatch: pytest.MonkeyPatch, merged_pieces: int) -> None:
    monkeypatch.setattr(jsonl, "CHUNK_ROWS", 7)
    monkeypatch.setattr(jsonl, "MERGED_PIECES", merged_pieces)
    records = _records(20)
    chunks = list(jsonl.jsonl_chunks(records))
    assert len(chunks) == 3
    assert b"".join(chunks).decode() == to_jsonl(records.frame().to_dict("records"))


def test_no_records_no_bytes() -> None:
    assert list(jsonl.jsonl_chunks(Records(np.zeros(0, dtype=np.intp), {}))) == []
