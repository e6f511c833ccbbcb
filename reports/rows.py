"""Problems as ISSUES rows: what a person reads to find and fix bad input.

Pure: takes ``canonical.Problem`` objects, returns sheet rows (text written RAW by the
workbook, so a value such as ``=SUM(A1)`` is shown as typed). Given the workbook's cell
limit, a Value or Message beyond it is cut, its note naming the cell the value came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from canonical.models import Problem
from reports.cells import fit_cell

__all__ = ["ISSUES", "ISSUES_HEADER", "ROW_COLUMN", "SOURCE_COLUMN", "issue_row", "issue_rows"]

ISSUES = "ISSUES"
ISSUES_HEADER = ("Severity", "Tab or File", "Row", "Column", "Value", "Message")
SOURCE_COLUMN = 1
"""Position of ``Tab or File`` in a row."""
ROW_COLUMN = 2
"""Position of ``Row`` in a row."""


def _origin(problem: Problem) -> str:
    """Where the problem's input is: ``MATERIAL_LIBRARY_MASTER, row 7, column Cost``."""
    row = [f"row {problem.row}"] if problem.row is not None else []
    column = [f"column {problem.column}"] if problem.column else []
    return ", ".join([problem.source, *row, *column])


def issue_row(problem: Problem, limit: int | None = None) -> list[Any]:
    """The ISSUES row of a problem; ``limit`` is the workbook's cell limit (``None``: no cut)."""
    origin = _origin(problem)
    return [
        problem.severity,
        problem.source,
        problem.row if problem.row is not None else "",
        problem.column or "",
        fit_cell(problem.value or "", limit, f"the whole value is in {origin}"),
        fit_cell(problem.message, limit, f"the value it quotes is in {origin}"),
    ]


def issue_rows(problems: Iterable[Problem], limit: int | None = None) -> list[list[Any]]:
    """One row per problem, errors first, then by source and row (stable otherwise)."""
    ordered = sorted(
        problems, key=lambda p: (p.severity != "error", p.source, p.row if p.row is not None else 0)
    )
    return [issue_row(p, limit) for p in ordered]
