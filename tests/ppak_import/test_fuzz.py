"""Random bytes and CSV-ish text never crash the readers, and every row lands somewhere."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canonical.models import Library
from ppak_import import read_library_report, run_etl
from ppak_import.xlsx_report import DAMAGED

HEADERS = ["Project ID", "Line", "Item Code", "Qty", "UOM", "Unit Cost", "Need By", "Status", "Project Name"]
CELLS = st.sampled_from(
    ["", " ", "23014", "10", "$1,39.50", "$9.75/BF", "35%", '3/4"', '"', '""', ",", "\r\n", "\n", "Total",
     "NA", "None", "sht", "Bd Ft", "9/30/22", "é½×", "\x00", "=1+2", "GAL", "-", "1e5"]
)  # fmt: skip
CSVISH = st.lists(st.lists(st.one_of(CELLS, st.text(max_size=6)), max_size=10), max_size=12).map(
    lambda rows: "\r\n".join(",".join(r) for r in [HEADERS[:6], *rows])
)


def _accounted(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "x.csv").write_bytes(data)
        result = run_etl(Path(folder), Library())
    for f in result.files:
        if f["kind"]:
            assert f["rows_read"] == f["converted"] + f["reported"] + sum(f["skipped"].values())
    errors = {(p.source, p.row) for p in result.problems if p.severity == "error"}
    assert sum(f.get("reported", 0) for f in result.files) == len(errors)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _accounted(data)
    with contextlib.suppress(*DAMAGED):  # the one error it may raise: run_etl notes the file
        read_library_report(data, "x.xlsx")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CSVISH, st.sampled_from(["utf-8", "cp1252", "utf-8-sig"]))
def test_random_csvish_text(text: str, encoding: str) -> None:
    _accounted(text.encode(encoding, errors="replace"))
