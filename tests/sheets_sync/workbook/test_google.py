"""The Google Sheets backend against the fake Sheets API, through unmodified gspread."""

from __future__ import annotations

import pytest

from canonical.errors import MissingTab, SheetsApiError
from sheets_sync.connect import open_workbook
from sheets_sync.workbook import Append, CellUpdate, Rewrite, Style, require_tabs
from sheets_sync.workbook.base import cell_text
from sheets_sync.workbook.google import SheetsHTTPClient
from sheets_sync.workbook.retry import RetryPolicy
from tests.fakes.sheets_server import Formula

HOSTILE = [
    "=1+1", "+SUM(A1)", "-2+3", "@cmd", "=HYPERLINK(\"http://x\")", "x" * 20_000, "🙂🪵 oak",
    "\u202eRTL\u202c", "zero\u200bwidth", "NaN", "None", "TRUE", "false", "00123", "1e5", "'quoted",
    "#REF!", " padded ", "line\nbreak",
]  # fmt: skip


def test_reads_many_tabs_in_one_batch_get_after_one_metadata_call(make_google_sheet):
    sheet = make_google_sheet({"A": [["h1", "h2"], ["x", 1.5]], "B": [["only"]], "C": []})
    workbook = open_workbook(sheet.settings)
    read = workbook.read_tabs(["A", "B", "C", "MISSING"])
    assert read == {"A": [["h1", "h2"], ["x", "1.5"]], "B": [["only"]], "C": []}
    assert sheet.server.counts == {"get": 1, "values.batchGet": 1}
    with pytest.raises(MissingTab, match="init-sheet"):
        require_tabs(read, ["A", "MISSING"])


def test_one_write_is_one_structure_call_and_one_raw_values_call(google_sheet):
    workbook = open_workbook(google_sheet.settings)
    workbook.write(
        [
            Rewrite("LOG", [["Approve", "Name"], [True, "=1+1"], [False, "b"]],
                    Style("LOG", checkboxes=("Approve",), filter=True, row_colors={2: "#ff0000"})),
            Append("LOG", [{"Name": "appended"}]),
            CellUpdate("LOG", 3, "name", "edited"),
        ]
    )  # fmt: skip
    assert google_sheet.server.counts == {"get": 1, "batchUpdate": 1, "values.batchUpdate": 1}
    assert google_sheet.values("LOG") == [
        ["Approve", "Name"],
        [True, "=1+1"],
        [False, "edited"],
        [None, "appended"],
    ]
    tab = google_sheet.sheet("LOG")
    assert tab.frozen_rows == 1
    assert tab.validation_at(2, 1) == {"condition": {"type": "BOOLEAN"}}
    assert tab.basic_filter is not None
    assert open_workbook(google_sheet.settings).read_tabs(["LOG"])["LOG"][1] == [True, "=1+1"]


def test_rewrite_clears_what_the_old_content_had_beyond_the_new(make_google_sheet):
    sheet = make_google_sheet({"T": [["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"]]})
    open_workbook(sheet.settings).write([Rewrite("T", [["x"]])])
    assert sheet.values("T") == [["x"]]


def test_user_entered_would_evaluate_what_raw_keeps_as_text(google_sheet):
    """The fake stores by valueInputOption, so the RAW tests above can fail."""
    data = [{"range": "Sheet1!A1:C1", "values": [["=1+1", "TRUE", "007"]]}]
    path = f"/v4/spreadsheets/{google_sheet.key}/values:batchUpdate"
    google_sheet.server.handle("POST", path, {}, {"valueInputOption": "USER_ENTERED", "data": data})
    assert google_sheet.values("Sheet1") == [[Formula("=1+1"), True, 7]]


def test_hostile_values_round_trip_as_literal_text(google_sheet):
    workbook = open_workbook(google_sheet.settings)
    workbook.write([Rewrite("T", [[v] for v in HOSTILE])])
    read = open_workbook(google_sheet.settings).read_tabs(["T"])["T"]
    assert [r[0] for r in read] == HOSTILE


def test_naughty_strings_round_trip(google_sheet, naughty_strings):
    values = [s for s in naughty_strings if s != ""]
    open_workbook(google_sheet.settings).write([Rewrite("T", [["x", v] for v in values])])
    read = open_workbook(google_sheet.settings).read_tabs(["T"])["T"]
    assert [r[1] for r in read] == values


def test_a_burst_of_429s_is_survived(make_google_sheet):
    sheet = make_google_sheet({"A": [["x"]]})
    workbook = open_workbook(sheet.settings)
    sheet.server.inject(429, count=4)
    assert workbook.read_tabs(["A"]) == {"A": [["x"]]}
    assert sheet.server.counts["values.batchGet"] == 5


def test_a_permanent_failure_ends_in_one_clear_error(make_google_sheet):
    sheet = make_google_sheet({"A": [["x"]]})
    workbook = open_workbook(sheet.settings, retry=RetryPolicy(attempts=3))
    sheet.server.inject(503, count=None)
    with pytest.raises(SheetsApiError, match=r"after 3 attempts.*UNAVAILABLE"):
        workbook.read_tabs(["A"])
    assert sheet.server.counts["values.batchGet"] == 3


def test_a_refused_request_is_not_retried(google_sheet):
    workbook = open_workbook(google_sheet.settings)
    with pytest.raises(SheetsApiError, match=r"INVALID_ARGUMENT.*Unknown name"):
        workbook.http.batch_update(google_sheet.key, {"requests": [{"makeCoffee": {}}]})  # type: ignore[attr-defined]
    assert google_sheet.server.counts["batchUpdate"] == 1


def test_retry_waits_what_retry_after_says(make_google_sheet):
    sheet = make_google_sheet({"A": [["x"]]})
    waits: list[float] = []
    http = SheetsHTTPClient(
        None, __import__("requests").Session(), endpoint=sheet.server.url, sleep=waits.append
    )
    sheet.server.inject(429, count=2, retry_after="3")
    http.values_batch_get(sheet.key, ["A"])
    assert len(waits) == 2 and all(3 <= w <= 3.3 for w in waits)


def test_fake_enforces_grid_limits_and_range_fit(make_google_sheet):
    sheet = make_google_sheet({"A": [["x"]]})
    path = f"/v4/spreadsheets/{sheet.key}/values:batchUpdate"
    beyond = {"valueInputOption": "RAW", "data": [{"range": "A!A1001:A1001", "values": [["x"]]}]}
    status, body = sheet.server.handle("POST", path, {}, beyond)
    assert status == 400 and "exceeds grid limits" in body["error"]["message"]
    too_wide = {"valueInputOption": "RAW", "data": [{"range": "A!A1:A1", "values": [["x", "y"]]}]}
    assert sheet.server.handle("POST", path, {}, too_wide)[0] == 400


def test_writing_past_the_grid_grows_it_first(google_sheet):
    workbook = open_workbook(google_sheet.settings)
    workbook.write([Rewrite("BIG", [[str(i)] for i in range(1500)])])
    assert google_sheet.sheet("BIG").row_count >= 1500
    assert len(google_sheet.values("BIG")) == 1500


OLD_TAB = [
    ["Severity", "Tab", "Message"],
    ["error", "M", "first"],
    [True, "M", "second", "a note beyond the header"],
    ["warning", "M", "third"],
]
NO_WAIT = RetryPolicy(attempts=2, base_delay=0.0)


@pytest.mark.parametrize("failing", ["batchUpdate", "values.batchUpdate"])
@pytest.mark.parametrize("read_first", [True, False])
def test_a_failed_write_never_leaves_a_rewritten_tab_emptier(make_google_sheet, failing, read_first):
    """Shrinking, narrowing and growing past the grid at once; either write call fails for good."""
    sheet = make_google_sheet({"ISSUES": OLD_TAB})
    workbook = open_workbook(sheet.settings, retry=NO_WAIT)
    if read_first:
        workbook.read_tabs(["ISSUES"])
    new = [["Severity", "Message"], ["error", "new"]]
    sheet.server.inject(503, count=None, kind=failing)
    with pytest.raises(SheetsApiError, match="UNAVAILABLE"):
        workbook.write(
            [
                Rewrite("ISSUES", new, Style("ISSUES", checkboxes=("Severity",), row_colors={2: "#ff0000"})),
                Rewrite("BIG", [[str(i)] for i in range(1500)]),
            ]
        )
    assert sheet.values("ISSUES") == OLD_TAB
    writes = {k: sheet.server.counts[k] for k in ("batchUpdate", "values.batchUpdate")}
    assert writes == (
        {"batchUpdate": 2, "values.batchUpdate": 0}
        if failing == "batchUpdate"
        else {"batchUpdate": 1, "values.batchUpdate": 2}
    ), "two write calls at most, each tried twice; a failed first call stops the write"
    sheet.server.clear_faults()
    again = open_workbook(sheet.settings)
    again.write([Rewrite("ISSUES", new, Style("ISSUES", checkboxes=("Severity",)))])
    assert sheet.values("ISSUES") == new


def test_a_rewrite_clears_the_old_cells_in_the_values_call(make_google_sheet):
    """The structure call clears only formats and checkboxes outside the new extent; the old
    values are blanked by the values call that writes the new ones, so neither call alone
    can empty the tab."""
    sheet = make_google_sheet({"ISSUES": OLD_TAB})
    workbook = open_workbook(sheet.settings)
    workbook.read_tabs(["ISSUES"])
    sheet.server.inject(503, count=None, kind="values.batchUpdate")
    with pytest.raises(SheetsApiError):
        workbook.write([Rewrite("ISSUES", [["x"]])])
    assert sheet.values("ISSUES") == OLD_TAB
    tab = sheet.sheet("ISSUES")
    assert ({"sheetId": tab.sheet_id, "startRowIndex": 1}, None) in tab.validations


def test_a_retried_add_sheet_that_had_landed_counts_as_done(make_google_sheet):
    """Google committed the structure call but answered 503; its retry is refused ("already
    exists"). The write re-reads the metadata, plans again against the sheet as it is and
    finishes; nothing is done twice."""
    sheet = make_google_sheet({"A": [["x"]]})
    workbook = open_workbook(sheet.settings, retry=NO_WAIT)
    new = [["Approve", "Name"], [True, "oak"]]
    style = Style("NEW", checkboxes=("Approve",), protected=("Name",))
    sheet.server.inject(503, kind="batchUpdate", committed=True)
    workbook.write([Rewrite("NEW", new, style)])
    assert sheet.values("NEW") == new
    tab = sheet.sheet("NEW")
    assert tab.validation_at(2, 1) == {"condition": {"type": "BOOLEAN"}}
    assert len(tab.protected) == 1, "the replayed structure call adds no second protected range"
    assert [s.title for s in sheet.server.spreadsheets[sheet.key].sheets] == ["A", "NEW"]
    assert sheet.server.counts == {"get": 2, "batchUpdate": 3, "values.batchGet": 1, "values.batchUpdate": 1}


def test_a_tab_made_by_someone_else_meanwhile_is_written_into(make_google_sheet):
    sheet = make_google_sheet({"A": [["x"]]})
    workbook = open_workbook(sheet.settings)
    other = open_workbook(sheet.settings)
    other.write([Rewrite("NEW", [["theirs", "wide"], ["long"]])])
    workbook.write([Rewrite("NEW", [["ours"]]), Append("A", [["appended"]])])
    assert sheet.values("NEW") == [["ours"]], "their cells beyond ours are blanked, as in any rewrite"
    assert sheet.values("A") == [["x"], ["appended"]], "planned again without appending twice"


def test_a_refused_add_sheet_for_a_tab_that_is_not_there_is_still_an_error(make_google_sheet):
    sheet = make_google_sheet({"A": [["x"]]})
    workbook = open_workbook(sheet.settings)
    sheet.server.inject(400, kind="batchUpdate")
    with pytest.raises(SheetsApiError, match="INVALID_ARGUMENT"):
        workbook.write([Rewrite("NEW", [["x"]])])
    assert [s.title for s in sheet.server.spreadsheets[sheet.key].sheets] == ["A"]


def test_a_retried_protection_of_an_existing_tab_that_had_landed_is_added_once(make_google_sheet):
    """No tab is added, so only the protected range's own id (ours, not Google's) makes
    the replay refused rather than a second range."""
    sheet = make_google_sheet({"A": [["Name"], ["oak"]]})
    workbook = open_workbook(sheet.settings, retry=NO_WAIT)
    sheet.server.inject(503, kind="batchUpdate", committed=True)
    workbook.write([Rewrite("A", [["Name"], ["ash"]], Style("A", protected=("Name",)))])
    assert sheet.values("A") == [["Name"], ["ash"]]
    assert len(sheet.sheet("A").protected) == 1
    assert sheet.server.counts["batchUpdate"] == 3, "sent, replayed and refused, planned again"


def test_after_a_failed_grid_resize_the_next_write_resizes_again(make_google_sheet):
    """The failed call had grown the cached grid; the next write must not trust it."""
    sheet = make_google_sheet({"A": [["x"]]})
    workbook = open_workbook(sheet.settings, retry=NO_WAIT)
    tall = [[str(n)] for n in range(1500)]
    sheet.server.inject(503, count=None, kind="batchUpdate")
    with pytest.raises(SheetsApiError):
        workbook.write([Rewrite("A", tall)])
    sheet.server.clear_faults()
    workbook.write([Rewrite("A", tall)])
    assert sheet.values("A") == tall


LOOKALIKES = [
    0, -0.0, 1, 1.0, 1.5, -2.25, 0.1 + 0.2, 1e5, 1e-7, 1e15, 1e16, 123456789012345678, 2**70,
    -(2**70), 12.0, True, False, "", " ", "1", "1.0", "0.75", "TRUE", "nan", "🙂", "=1+1",
]  # fmt: skip


def test_cells_read_as_cell_text_of_the_value_google_sent(make_google_sheet):
    """Numbers are turned into text while the answer is decoded, each distinct literal once;
    the text is exactly ``cell_text`` of the number, and blanks inside a row read as None."""
    grid = [LOOKALIKES, LOOKALIKES[::-1], ["", "x", "", 0.75, ""], [0.75, 0.75, 96, 96, 1e16, 1e16]]
    sheet = make_google_sheet({"T": grid})
    read = open_workbook(sheet.settings).read_tabs(["T"])["T"]
    expected = [[cell_text(v) for v in row] for row in sheet.values("T")]
    assert read == expected
    assert [[type(c) for c in row] for row in read] == [[type(c) for c in row] for row in expected]
    assert read[2] == [None, "x", None, "0.75"]


def test_with_closes_the_connection(make_google_sheet):
    sheet = make_google_sheet({"T": [["a"]]})
    with open_workbook(sheet.settings) as workbook:
        assert workbook.read_tabs(["T"]) == {"T": [["a"]]}
        pools = [adapter.poolmanager.pools for adapter in workbook.http.session.adapters.values()]
        assert any(len(pool) for pool in pools), "a connection to the server is open"
    assert not any(len(pool) for pool in pools), "closed: no connection is kept"
    workbook.close()  # closing again does nothing


def test_an_empty_rewrite_clears_a_tab_and_makes_a_new_one(make_google_sheet):
    sheet = make_google_sheet({"A": [["x", "y"], ["1"]]})
    with open_workbook(sheet.settings) as workbook:
        workbook.write([Rewrite("A", []), Rewrite("NEW", [])])
    assert sheet.values("A") == [] and sheet.values("NEW") == []
