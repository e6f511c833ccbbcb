"""Push's own cells fit the backend too: a Result quoting a long INNERGY error, a SYNC_LOG value."""

from __future__ import annotations

from pathlib import Path

from reports.plan import HEADER_ROW
from sheets_sync.approval.write_back import WriteBack, write_back
from sheets_sync.master.tabs import DIFF_INNERGY, SYNC_LOG, SYNC_LOG_HEADER
from sheets_sync.workbook.base import Rewrite
from sheets_sync.workbook.xlsx import EXCEL_CELL_LIMIT, XlsxWorkbook


def test_a_result_over_the_cell_limit_is_cut_and_the_rest_is_written(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    diff = [["Plan ID", "p-1"], [], ["Approve", "Change ID", "Result"], [True, "c-1"], [True, "c-2"]]
    XlsxWorkbook(path, create=True).write([Rewrite(DIFF_INNERGY, diff)])
    back = WriteBack(sync_log_exists=False)
    back.plan_ids[DIFF_INNERGY] = "p-1"
    back.set(DIFF_INNERGY, "c-1", "Result", "failed: " + "INNERGY said no. " * 4_000)
    back.set(DIFF_INNERGY, "c-2", "Result", "applied")
    back.append(SYNC_LOG, {"Actor": "otto " * 10_000, "Outcome": "ok"})

    with XlsxWorkbook(path) as workbook:
        assert write_back(workbook, back, []) == []
        tabs = workbook.read_tabs([DIFF_INNERGY, SYNC_LOG])

    (cut, rest) = (row[2] for row in tabs[DIFF_INNERGY][HEADER_ROW:])
    assert (
        isinstance(cut, str) and len(cut) <= EXCEL_CELL_LIMIT and cut.startswith("failed: INNERGY said no.")
    )
    assert "[cut: 68,008 characters" in cut and rest == "applied"
    log = dict(zip(SYNC_LOG_HEADER, tabs[SYNC_LOG][1], strict=False))
    assert len(str(log["Actor"])) <= EXCEL_CELL_LIMIT and log["Outcome"] == "ok"
