"""The ISSUES tab, shared by every command that reports problems.

Each command replaces only the rows of the sources it read (``Tab or File``), so that
``pull`` does not wipe what ``ppak-import`` reported, and the other way round.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from canonical.models import Problem
from reports.rows import ISSUES, ISSUES_HEADER, ROW_COLUMN, SOURCE_COLUMN, issue_rows
from sheets_sync.master.tabs import SPECS
from sheets_sync.workbook.base import Cell, Rewrite, Value, Workbook, cell_text, column_index

__all__ = ["ERROR_COLOUR", "WARNING_COLOUR", "issues_rewrite", "replace_issues"]

ERROR_COLOUR = "#F4CCCC"
WARNING_COLOUR = "#FFF2CC"


def _kept(current: Sequence[Sequence[Cell]] | None, sources: Collection[str]) -> list[list[Value]]:
    if not current:
        return []
    source_at = column_index(current[0], ISSUES_HEADER[SOURCE_COLUMN])
    if source_at is None:
        source_at = SOURCE_COLUMN
    owned = set(sources)
    kept: list[list[Value]] = [
        list(row)
        for row in current[1:]
        if any(c not in (None, "") for c in row)
        and (str(row[source_at]).strip() if len(row) > source_at and row[source_at] is not None else "")
        not in owned
    ]
    row_at = column_index(current[0], ISSUES_HEADER[ROW_COLUMN])
    row_at = ROW_COLUMN if row_at is None else row_at
    for row in kept:
        # read back as text ("7"): written again as the number the new rows hold, so the
        # column sorts and filters as one
        number = row[row_at] if len(row) > row_at else None
        if isinstance(number, str) and number.isascii() and number.isdigit():
            row[row_at] = int(number)
    return kept


def _normal(rows: Iterable[Sequence[object]]) -> list[list[Cell]]:
    out = [[cell_text(c) for c in r] for r in rows]
    for row in out:
        while row and row[-1] is None:
            row.pop()
    return out


def issues_rewrite(
    current: Sequence[Sequence[Cell]] | None,
    problems: Iterable[Problem],
    sources: Collection[str],
    limit: int | None = None,
) -> Rewrite | None:
    """The ISSUES rewrite: rows of ``sources`` replaced by ``problems``, other rows kept.

    ``current`` is the ISSUES tab as read (``None`` when absent). ``None`` is returned
    when nothing would change, so a caller can skip the write. ``limit`` is the cell
    limit of the workbook written (``Workbook.max_cell_chars``): a longer Value or
    Message is cut. Kept rows were read from that workbook, so they fit it already.
    """
    rows: list[list[Any]] = [list(ISSUES_HEADER), *_kept(current, sources), *issue_rows(problems, limit)]
    if current is not None and _normal(current) == _normal(rows):
        return None
    colours = {
        number: ERROR_COLOUR if row[0] == "error" else WARNING_COLOUR
        for number, row in enumerate(rows[1:], start=2)
        if row and row[0] in ("error", "warning")
    }
    return Rewrite(ISSUES, rows, SPECS[ISSUES].style(row_colors=colours))  # type: ignore[arg-type]


def replace_issues(workbook: Workbook, problems: Iterable[Problem], sources: Collection[str]) -> bool:
    """Read ISSUES, replace the rows of ``sources``, write it; ``False`` when unchanged."""
    current = workbook.read_tabs([ISSUES]).get(ISSUES)
    op = issues_rewrite(current, problems, sources, workbook.max_cell_chars)
    if op is not None:
        workbook.write([op])
    return op is not None
