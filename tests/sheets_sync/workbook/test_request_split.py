"""Google advises at most 2 MB a request: a large values write is split by rows, and only then.

The split is measured on the bytes the fake Sheets API received, for a plan of 6,000
creates (its DIFF_INNERGY alone is more than 2 MB) beside one of 600.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sheets_sync.workbook.base import Block
from sheets_sync.workbook.google import MAX_REQUEST_BYTES, merged, value_ranges
from tests.fakes import push_world
from tests.fakes.push_world import World, part

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world


def test_value_ranges_stay_under_the_limit_and_cover_every_row_in_order() -> None:
    rows = [[f"row {n}", "x" * (n % 50)] for n in range(3_000)]
    blocks = [Block("A", 1, 1, rows), Block("B", 5, 3, [["small"]]), Block("C", 1, 1, [["y" * 900]])]

    requests = value_ranges(blocks, 10_000)

    assert len(requests) > 5
    for data in requests[:-1]:
        assert len(json.dumps({"valueInputOption": "RAW", "data": data})) <= 10_000 + 1_000
    sent = [(r["range"], row) for data in requests for r in data for row in r["values"]]
    assert [row for _, row in sent] == [*rows, ["small"], ["y" * 900]]
    assert sent[0][0] == "'A'!A1:B" + str(sent[0][0].split(":B")[1])
    a_ranges = [r["range"] for data in requests for r in data if r["range"].startswith("'A'")]
    starts = [int(a.split("!A")[1].split(":")[0]) for a in a_ranges]
    assert starts == sorted(starts) and starts[0] == 1


def test_a_row_larger_than_the_limit_goes_alone() -> None:
    big = [["z" * 500]]
    requests = value_ranges([Block("A", 1, 1, [["a"], *big, ["b"]])], 300)
    assert [[r["values"] for r in data] for data in requests] == [[[["a"]]], [big], [[["b"]]]]


def _plan_requests(make_world: Callable[..., World], creates: int, first: int) -> tuple[list[int], int]:
    described = "Prefinished maple plywood, A-1 grade, veneer core, CARB2 compliant, from the Hood River mill"
    materials = [part(n).model_copy(update={"description": described}) for n in range(first, first + creates)]
    world = make_world(materials, output=f"out-{creates}")
    assert world.fake is not None
    world.fake.reset_counts()
    world.fake.body_sizes.clear()
    world.plan()
    values = [size for path, size in world.fake.body_sizes if path.endswith("values:batchUpdate")]
    others = sum(world.fake.counts.values()) - world.fake.counts["values.batchUpdate"]
    return values, others


def test_a_6000_create_plan_writes_in_requests_under_2_mb(make_world: Callable[..., World]) -> None:
    small, small_others = _plan_requests(make_world, 600, 0)
    large, large_others = _plan_requests(make_world, 6_000, 10_000)

    assert len(small) == 1, "below the limit the values write is one call"
    assert sum(large) > MAX_REQUEST_BYTES, "the plan is large enough to need the split"
    assert all(size <= MAX_REQUEST_BYTES for size in large), large
    assert len(large) == -(-sum(large) // MAX_REQUEST_BYTES) or len(large) <= sum(large) // (
        MAX_REQUEST_BYTES // 2
    )
    assert large_others == small_others, "every other call is the same count at 600 and 6,000 rows"


def test_runs_of_single_cells_are_merged_into_rectangles_in_their_place() -> None:
    cells = [Block("M", row, col, [[f"{row}:{col}"]]) for row in range(2, 1_002) for col in (7, 8)]
    results = [Block("D", row, 3, [[f"r{row}"]]) for row in range(5, 505)]
    rewrite = Block("D", 1, 1, [["x", "y"], ["z", None]])
    blocks = [*cells, Block("M", 10, 7, [["later"]]), rewrite, *results, Block("M", 3, 9, [["far"]])]

    out = merged(blocks)

    assert [(b.tab, b.row, b.col, len(b.values), len(b.values[0])) for b in out] == [
        ("M", 2, 7, 1_000, 2),
        ("D", 1, 1, 2, 2),
        ("D", 5, 3, 500, 1),
        ("M", 3, 9, 1, 1),
    ]
    assert out[0].values[8] == ["later", "10:8"], "a cell written twice keeps the later value"
    assert out[0].values[0] == ["2:7", "2:8"] and out[2].values[-1] == ["r504"]
    assert out[1] is rewrite, "a block of more than one cell stays as it is, in its place"
    assert len(value_ranges(out, MAX_REQUEST_BYTES)) == 1


def test_cells_apart_stay_apart() -> None:
    """A gap in a row, a cell diagonal to another, another tab: four ranges."""
    blocks = [
        Block("M", 2, 1, [["a"]]),
        Block("M", 2, 3, [["b"]]),
        Block("M", 3, 2, [["c"]]),
        Block("N", 3, 1, [["d"]]),
    ]
    out = merged(blocks)
    assert [(b.tab, b.row, b.col, b.values) for b in out] == [
        ("M", 2, 1, [["a"]]),
        ("M", 2, 3, [["b"]]),
        ("M", 3, 2, [["c"]]),
        ("N", 3, 1, [["d"]]),
    ]
