"""The workbook as push reads it: the ticked rows of the diff tabs, and the master beside them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from canonical.models import Library
from canonical.plan import is_tick, tab_plan_id
from reports.plan import HEADER_ROW
from sheets_sync.master.reader import LIBRARY_TABS, read_library
from sheets_sync.master.tabs import DIFF_INNERGY, DIFF_PPAK, ISSUES, MASTER, SYNC_LOG
from sheets_sync.workbook.base import Cell, Rows, Workbook, column_index, header_columns, header_key

__all__ = ["DIFF_TABS", "DiffTab", "Sheet", "Ticked", "read_diff_tab", "read_sheet"]

DIFF_TABS = (DIFF_INNERGY, DIFF_PPAK)


@dataclass(frozen=True)
class Ticked:
    """One ticked diff row: its tab, its sheet row (as a person sees it) and its change id."""

    tab: str
    row: int
    change_id: str


@dataclass(frozen=True)
class DiffTab:
    """What push needs from one diff tab: the plan id in B1 and the ticked rows."""

    name: str
    plan_id: str | None
    ticked: tuple[Ticked, ...]
    result_column: str | None
    """The header text of the Result column as the tab spells it (``None`` when absent)."""


def _cell(rows: Sequence[Sequence[Any]], row: int, col: int) -> Any:
    return rows[row][col] if row < len(rows) and col < len(rows[row]) else None


def read_diff_tab(name: str, rows: Sequence[Sequence[Any]]) -> DiffTab:
    """Parse DIFF_INNERGY / DIFF_PPAK values as read (row 1: ``Plan ID`` | id; row 3: header)."""
    plan_id = tab_plan_id(rows)
    header = list(rows[HEADER_ROW - 1]) if len(rows) >= HEADER_ROW else []
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        columns.setdefault(str(title or "").strip().casefold(), index)
    approve, change = columns.get("approve"), columns.get("change id")
    ticked: list[Ticked] = []
    if approve is not None and change is not None:
        for index in range(HEADER_ROW, len(rows)):
            change_id = _cell(rows, index, change)
            if change_id not in (None, "") and is_tick(_cell(rows, index, approve)):
                ticked.append(Ticked(name, index + 1, str(change_id).strip()))
    result = columns.get("result")
    return DiffTab(name, plan_id, tuple(ticked), str(header[result]) if result is not None else None)


@dataclass(frozen=True)
class Sheet:
    """What push read from the workbook."""

    library: Library
    rows: Mapping[str, int]
    """sku_key -> master sheet row (as a person sees it)."""
    tabs: Mapping[str, DiffTab]
    has_sync_log: bool = True
    issues: Rows | None = None
    """ISSUES as read (``None`` when the tab is missing)."""
    master: Rows | None = None
    """The master tab as read: the cells' own text, which undo puts back as it was."""
    logged_runs: frozenset[str] = frozenset()
    """The Run IDs SYNC_LOG holds a row for."""

    def master_cell(self, row: int, column: str) -> Cell:
        """A master cell's value as read (row as a person sees it), ``None`` when empty."""
        rows = self.master or []
        at = self._master_columns.get(header_key(column))
        if at is None or row > len(rows) or at >= len(rows[row - 1]):
            return None
        return rows[row - 1][at]

    @cached_property
    def _master_columns(self) -> dict[str, int]:
        """The master's header as ``header_key`` -> position (the first of a repeated title),
        found once rather than per cell."""
        return header_columns(self.master[0] if self.master else [])

    @property
    def plan_id(self) -> str | None:
        ids = {t.plan_id for t in self.tabs.values() if t.plan_id and t.ticked}
        ids = ids or {t.plan_id for t in self.tabs.values() if t.plan_id}
        return min(ids) if len(ids) == 1 else None

    @property
    def ticked(self) -> list[Ticked]:
        return [tick for tab in self.tabs.values() for tick in tab.ticked]


def _run_ids(log: Rows) -> frozenset[str]:
    at = column_index(log[0], "Run ID") if log else None
    if at is None:
        return frozenset()
    return frozenset(str(row[at]) for row in log[1:] if at < len(row) and row[at] not in (None, ""))


def read_sheet(workbook: Workbook) -> Sheet:
    """The master (as the Library, with its row numbers), the two diff tabs, and whose runs
    SYNC_LOG holds."""
    values = workbook.read_tabs([*LIBRARY_TABS, *DIFF_TABS, SYNC_LOG, ISSUES])
    library, _problems, rows = read_library(workbook, values)
    tabs = {name: read_diff_tab(name, values.get(name) or []) for name in DIFF_TABS}
    return Sheet(
        library,
        rows,
        tabs,
        has_sync_log=bool(values.get(SYNC_LOG)),
        issues=values.get(ISSUES),
        master=values.get(MASTER),
        logged_runs=_run_ids(values.get(SYNC_LOG) or []),
    )
