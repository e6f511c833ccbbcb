"""Problems as ISSUES rows: what a person reads to find and fix bad input.

Pure: takes ``canonical.Problem`` objects, returns sheet rows (text written RAW by the
workbook, so a value such as ``=SUM(A1)`` is shown as typed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from canonical.models import Problem

__all__ = ["ISSUES", "ISSUES_HEADER", "SOURCE_COLUMN", "issue_row", "issue_rows"]

ISSUES = "ISSUES"
ISSUES_HEADER = ("Severity", "Tab or File", "Row", "Column", "Value", "Message")
SOURCE_COLUMN = 1
"""Position of ``Tab or File`` in a row."""


def issue_row(problem: Problem) -> list[Any]:
    return [
        problem.severity,
        problem.source,
        problem.row if problem.row is not None else "",
        problem.column or "",
        problem.value if problem.value is not None else "",
        problem.message,
    ]


def issue_rows(problems: Iterable[Problem]) -> list[list[Any]]:
    """One row per problem, errors first, then by source and row (stable otherwise)."""
    ordered = sorted(
        problems, key=lambda p: (p.severity != "error", p.source, p.row if p.row is not None else 0)
    )
    return [issue_row(p) for p in ordered]
