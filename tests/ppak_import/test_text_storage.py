"""The ETL reads and writes alike whether or not pyarrow is installed.

pandas 3 stores text in Arrow when pyarrow is importable; Arrow refuses the lone
surrogates a Windows-1252 file's bytes are kept in, which once sent every such file down
the slow csv-module path (1M lines: 14 s and 2.9 GB instead of 2.6 s and 0.7 GB).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from canonical.models import Library, SkuMapping
from ppak_import import parse_csv, run_etl, write_outputs

pytest.importorskip("pyarrow", reason="pyarrow is not installed: pandas stores text one way only")

LIBRARY = Library(skus=(SkuMapping(ppak_sku="PLYWO34-VC-4X8", canonical_sku="PLY-WO-34"),))
CP1252 = b"Item Code,Description\r\n\x81,Glacier \xae\r\nEB-WO,\xbd \xd7 100#\r\n"


def _arrow_text() -> object:
    return pd.option_context("mode.string_storage", "pyarrow")


def test_a_cp1252_file_is_read_by_the_c_parser_with_arrow_text_installed() -> None:
    with _arrow_text():
        parsed = parse_csv(CP1252)
    assert parsed.encoding == "cp1252"
    assert parsed.records[1].tolist() == ["Description", "Glacier ®", "½ × 100#"]
    # the csv-module fallback would hold its categories in Arrow
    assert all(parsed.records[c].cat.categories.dtype.storage == "python" for c in parsed.records)


def test_the_etl_writes_the_same_bytes_either_way(ppak_samples: Path, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    shutil.copytree(ppak_samples, exports)
    (exports / "cp1252_lines.csv").write_bytes(CP1252)
    write_outputs(run_etl(exports, LIBRARY), tmp_path / "python")
    with _arrow_text():
        write_outputs(run_etl(exports, LIBRARY), tmp_path / "arrow")
    written = sorted(p.relative_to(tmp_path / "python") for p in (tmp_path / "python").rglob("*.jsonl"))
    assert written
    for relative in written:
        assert (tmp_path / "arrow" / relative).read_bytes() == (tmp_path / "python" / relative).read_bytes()
