"""``plan_write`` resolves header names against the header as the batch has left it so far."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from canonical.errors import WorkbookError
from sheets_sync.workbook.base import Append, Block, CellUpdate, Op, Rewrite, Rows, Value, plan_write


def cells(ops: Sequence[Op], known: dict[str, Rows]) -> list[tuple[int, int, Value]]:
    """Every single-cell block of the plan as (row, column, value)."""
    blocks = plan_write(ops, known).blocks
    return [(b.row, b.col, b.values[0][0]) for b in blocks if len(b.values) == len(b.values[0]) == 1]


def test_a_header_written_earlier_in_the_batch_is_the_one_later_operations_resolve_against() -> None:
    known: dict[str, Rows] = {"T": [["SKU", "Cost", "cost", None, "Note"]]}
    ops = [
        CellUpdate("T", 2, " COST ", "1"),  # the first of two equal headers
        CellUpdate("T", 2, "", "2"),  # an empty title is the first empty header cell
        CellUpdate("T", 1, "Cost", "Price"),  # a header renamed ...
        CellUpdate("T", 3, "price", "3"),  # ... is found by its new name
        CellUpdate("T", 3, "cost", "4"),  # and the old name falls to the next column holding it
    ]
    assert cells(ops, known) == [(2, 2, "1"), (2, 4, "2"), (1, 2, "Price"), (3, 2, "3"), (3, 3, "4")]
    with pytest.raises(WorkbookError, match="no column 'Cost'"):
        plan_write([CellUpdate("T", 1, "cost", "x"), CellUpdate("T", 4, "Cost", "y")], known)


def test_rewrites_and_appends_that_make_the_header_row_are_resolved_against() -> None:
    known: dict[str, Rows] = {"R": [["A", "B"]]}
    rewritten = [CellUpdate("R", 2, "B", "old"), Rewrite("R", [["B", "A"]]), CellUpdate("R", 2, "B", "new")]
    assert cells(rewritten, known) == [(2, 1, "new")], "the rewrite supersedes the first cell"

    known = {}
    with pytest.raises(WorkbookError, match="header row 3"):
        plan_write([Append("N", [{"Unit": "EA"}], header_row=3)], known)
    known = {}
    batch = plan_write(
        [
            Append("N", [["title"], [], ["Qty", "Unit"]]),
            Append("N", [{"Unit": "EA", "qty": 2}], header_row=3),
        ],
        known,
    )
    assert batch.blocks[-1] == Block("N", 4, 1, [[2, "EA"]])
    assert known["N"][3] == ["2", "EA"]
