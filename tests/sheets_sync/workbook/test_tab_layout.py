"""The diff tabs and ISSUES as a reviewer opens them, on both backends: every column wide
enough, Changes and Message wrapped in rows tall enough for every line, Approve a real
checkbox, the header frozen and filtered, the plan block and the legend above it, the
tool's cells protected; and the master's money and percent columns formatted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from canonical.plan import Plan
from reports.plan import DIFF_INNERGY, DIFF_PPAK, HEADER_ROW, lines_of
from sheets_sync.commands.init_sheet import init_sheet
from sheets_sync.commands.plan import ACTION_COLORS
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.master.tabs import ISSUES, MASTER, SPECS
from sheets_sync.workbook import CellUpdate
from sheets_sync.workbook.base import MONEY, PERCENT
from sheets_sync.workbook.layout import MAX_WIDTH, MIN_WIDTH, WRAP_WIDTH
from tests.fakes.review_world import BAD_SKU, plan_for_review
from tests.fakes.sheets_fixtures import GoogleSheet
from tests.fakes.tab_look import GoogleLook, TabLook, XlsxLook

TOOL_TABS = (DIFF_INNERGY, DIFF_PPAK, ISSUES)
WRAPPED = {DIFF_INNERGY: "Changes", DIFF_PPAK: "Changes", ISSUES: "Message"}


class Reviewed:
    """A workbook after ``plan``, and how it looks."""

    def __init__(self, settings: Settings, plan: Plan, look: Callable[[], TabLook]) -> None:
        self.settings, self.plan, self._look = settings, plan, look

    @property
    def look(self) -> TabLook:
        return self._look()

    def rows(self, tab: str) -> list[list[object]]:
        with open_workbook(self.settings) as workbook:
            return workbook.read_tabs([tab]).get(tab) or []

    def column(self, tab: str, title: str) -> int:
        header = self.rows(tab)[SPECS[tab].header_row - 1]
        return [str(c).strip() for c in header].index(title) + 1


@pytest.fixture(params=["google", "xlsx"])
def reviewed(request: pytest.FixtureRequest, tmp_path: Path) -> Reviewed:
    if request.param == "google":
        sheet: GoogleSheet = request.getfixturevalue("make_google_sheet")({"Sheet1": []})
        settings = sheet.settings
        look: Callable[[], TabLook] = lambda: GoogleLook(sheet)  # noqa: E731
    else:
        path = tmp_path / "library.xlsx"
        settings = Settings(workbook=str(path), output_dir=tmp_path / "out")
        look = lambda: XlsxLook(path)  # noqa: E731
    return Reviewed(settings, plan_for_review(settings).plan, look)


def _body(reviewed: Reviewed, tab: str) -> range:
    top = SPECS[tab].header_row
    return range(top + 1, len(reviewed.rows(tab)) + 1)


def test_every_column_of_the_tool_tabs_is_fitted_within_bounds(reviewed: Reviewed) -> None:
    look = reviewed.look
    for tab in TOOL_TABS:
        rows = reviewed.rows(tab)
        top = SPECS[tab].header_row
        for col, title in enumerate(SPECS[tab].headers, start=1):
            width = look.width(tab, col)
            assert width is not None, f"{tab} {title} keeps the default width"
            bound = WRAP_WIDTH if title == WRAPPED[tab] else MAX_WIDTH
            assert MIN_WIDTH <= width <= bound, (tab, title, width)
            cells = [r[col - 1] for r in rows[top:] if len(r) >= col and r[col - 1] is not None]
            longest = max(map(len, map(str, cells)), default=0)
            if title in ("Change ID", "SKU", "PPak SKU", "Tab or File"):  # the cut the issue saw: PLYWO14-V
                assert width >= longest, (tab, title, width, longest)


def test_changes_and_message_wrap_in_rows_tall_enough_for_every_line(reviewed: Reviewed) -> None:
    look = reviewed.look
    for tab, title in WRAPPED.items():
        col = reviewed.column(tab, title)
        rows = reviewed.rows(tab)
        tallest = 0
        for row in _body(reviewed, tab):
            assert look.wraps(tab, row, col), (tab, row)
            text = str(rows[row - 1][col - 1] or "")
            lines = text.count("\n") + 1
            tallest = max(tallest, lines)
            assert look.lines(tab, row) >= lines, (tab, row, lines, look.lines(tab, row))
        assert not look.wraps(tab, SPECS[tab].header_row, col), "the header keeps one line"
        if tab == DIFF_INNERGY:
            assert tallest >= 8, "a create lists every field it sets"


def test_a_create_row_shows_each_line_of_its_changes(reviewed: Reviewed) -> None:
    rows = reviewed.rows(DIFF_INNERGY)
    create = next(c for c in reviewed.plan.changes if c.action == "create")
    [row] = [r for r in rows[HEADER_ROW:] if r[1] == create.change_id]
    assert row[5] == lines_of(create)
    assert row[5].splitlines()[-1].startswith("cost: (blank) -> ")


def test_approve_is_a_checkbox_on_every_change_and_nothing_else(reviewed: Reviewed) -> None:
    look = reviewed.look
    for tab in (DIFF_INNERGY, DIFF_PPAK):
        body = _body(reviewed, tab)
        assert len(body) >= 2
        for row in body:
            assert look.checkbox(tab, row, 1), (tab, row)
            assert look.value(tab, row, 1) is False
        assert not look.checkbox(tab, 1, 1)
        assert not look.checkbox(tab, body[0], 2)


def test_the_header_is_frozen_and_filtered_over_every_column(reviewed: Reviewed) -> None:
    look = reviewed.look
    for tab in TOOL_TABS:
        top = SPECS[tab].header_row
        assert look.frozen(tab) == top
        assert look.filtered(tab) == (top, len(SPECS[tab].headers)), tab


def test_the_plan_block_names_each_value_beside_its_label_and_the_legend_is_coloured(
    reviewed: Reviewed,
) -> None:
    look = reviewed.look
    for tab in (DIFF_INNERGY, DIFF_PPAK):
        rows = reviewed.rows(tab)
        assert rows[0][:2] == ["Plan ID", reviewed.plan.plan_id]  # what push and undo read
        assert "Created" in rows[0]
        labels = rows[1][0::2]
        counts = rows[1][1::2]
        assert all(isinstance(label, str) for label in labels) and all(str(n).isdigit() for n in counts)
        coloured = {label for label in labels if label in ACTION_COLORS}
        assert coloured, tab
        for col, label in enumerate(rows[1], start=1):
            if label in ACTION_COLORS:
                assert look.fill(tab, 2, col) == ACTION_COLORS[label], (tab, label)
                kind_col = reviewed.column(tab, "Action" if tab == DIFF_INNERGY else "Kind")
                row = next((n for n in _body(reviewed, tab) if rows[n - 1][kind_col - 1] == label), None)
                if row is not None:  # the legend's colour is its rows' colour
                    assert look.fill(tab, row, 2) == ACTION_COLORS[label]


def test_only_approve_is_editable_without_a_warning(reviewed: Reviewed) -> None:
    look = reviewed.look
    for tab in TOOL_TABS:
        row = _body(reviewed, tab)[0]
        for col, title in enumerate(SPECS[tab].headers, start=1):
            assert look.warns(tab, row, col) == (title != "Approve"), (tab, title)


def test_the_master_warns_only_on_the_columns_the_tool_writes(reviewed: Reviewed) -> None:
    look = reviewed.look
    for col, title in enumerate(SPECS[MASTER].headers, start=1):
        assert look.warns(MASTER, 2, col) == (title in ("INNERGY ID", "Last Synced")), title


def test_the_masters_money_and_percent_columns_are_formatted(reviewed: Reviewed) -> None:
    look = reviewed.look
    formats = {"Cost": MONEY, "Margin %": PERCENT, "Waste %": PERCENT, "Name": None}
    for title, code in formats.items():
        col = reviewed.column(MASTER, title)
        assert look.number_format(MASTER, 2, col) == code, title
    assert look.number_format(
        DIFF_INNERGY, _body(reviewed, DIFF_INNERGY)[0], reviewed.column(DIFF_INNERGY, "Δ %")
    )


def test_push_and_a_repair_keep_the_look(reviewed: Reviewed) -> None:
    """Push writes Results and the master's cells into the formatted tabs; init-sheet runs again."""
    first = _body(reviewed, DIFF_INNERGY)[0]
    with open_workbook(reviewed.settings) as workbook:
        workbook.write(
            [
                CellUpdate(DIFF_INNERGY, first, "Result", "applied", header_row=HEADER_ROW),
                CellUpdate(DIFF_INNERGY, first, "Approve", True, header_row=HEADER_ROW),
                CellUpdate(MASTER, 2, "INNERGY ID", "m-1"),
                CellUpdate(MASTER, 2, "Cost", 121.5),
            ]
        )
    init_sheet(reviewed.settings)
    look = reviewed.look
    assert look.value(DIFF_INNERGY, first, reviewed.column(DIFF_INNERGY, "Result")) == "applied"
    assert look.checkbox(DIFF_INNERGY, first, 1) and look.value(DIFF_INNERGY, first, 1) is True
    assert look.warns(DIFF_INNERGY, first, 2) and not look.warns(DIFF_INNERGY, first, 1)
    assert look.wraps(DIFF_INNERGY, first, reviewed.column(DIFF_INNERGY, "Changes"))
    assert look.number_format(MASTER, 2, reviewed.column(MASTER, "Cost")) == MONEY
    assert look.warns(MASTER, 2, reviewed.column(MASTER, "INNERGY ID"))
    bad = next(n for n, r in enumerate(reviewed.rows(MASTER), start=1) if r[0] == BAD_SKU)
    assert look.number_format(MASTER, bad, reviewed.column(MASTER, "Margin %")) == PERCENT
