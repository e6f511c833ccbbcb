"""A master row that fails validation still claims its SKU (and its INNERGY ID): it goes to
ISSUES, and plan proposes nothing for its INNERGY record, neither deactivate nor update nor
conflict. End to end on both backends (the fake Sheets API and a local .xlsx), the sandbox
holding the records; and the reader's claims, row by row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canonical.models import Claim
from innergy_client.sandbox import Sandbox
from sheets_sync.commands.plan import plan
from sheets_sync.master.reader import parse_library
from sheets_sync.master.tabs import DIFF_INNERGY, ISSUES, MASTER, MASTER_FIELDS
from tests.fakes import push_world
from tests.fakes.push_world import part, seed_innergy, tabs_for, tabs_world
from tests.fakes.sheets_server import FakeSheets
from tests.sheets_sync.commands.test_pull import good, library_tabs

sandbox = push_world.sandbox

HEADER = list(MASTER_FIELDS)
BAD_CELLS = {
    "bad cost": ("Cost", "$1,39.50"),
    "blank name": ("Name", None),
    "blank category": ("Category", None),
    "blank uom": ("UoM", None),
    "unreadable last synced": ("Last Synced", "last tuesday"),
    "bad percent": ("Margin %", "lots"),
}
SKU_MATCHED, ID_MATCHED = 1, 2
"""The parts whose rows break: one keeps its SKU, the other's SKU is renamed in the master
too, so only its INNERGY ID still names the record."""


@pytest.fixture(params=["google", "xlsx"])
def backend(request: pytest.FixtureRequest, sheets_server: FakeSheets) -> Iterator[FakeSheets | None]:
    yield sheets_server if request.param == "google" else None


def synced_tabs(sandbox: Sandbox, column: str, value: Any) -> dict[str, list[list[Any]]]:
    """Eight parts, pushed before (INNERGY ID and Last Synced filled); two rows then broken."""
    parts = [part(n) for n in range(8)]
    seed_innergy(sandbox, parts)
    ids = {str(r["ExternalId"]): str(r["Id"]) for r in sandbox.materials}
    tabs = tabs_for([p.model_copy(update={"innergy_id": ids[p.sku]}) for p in parts])
    master = tabs[MASTER]
    for row in master[1:]:
        row[HEADER.index("Last Synced")] = "2025-11-03T14:05:00Z"
    for n in (SKU_MATCHED, ID_MATCHED):
        master[n + 1][HEADER.index(column)] = value
    master[ID_MATCHED + 1][HEADER.index("SKU")] = "P-0002-RENAMED"
    return tabs


@pytest.mark.parametrize(("column", "value"), BAD_CELLS.values(), ids=BAD_CELLS.keys())
def test_a_synced_row_with_a_bad_cell_is_an_issue_and_its_record_is_left_alone(
    tmp_path: Path, sandbox: Sandbox, backend: FakeSheets | None, column: str, value: Any
) -> None:
    world = tabs_world(tmp_path, sandbox, synced_tabs(sandbox, column, value), backend)

    outcome = plan(world.settings)

    assert outcome.exit_code == 0, outcome.lines  # nothing to review: no deactivate, no update
    summary = outcome.summary
    assert summary["changes"] == 0 and summary["counts"]["deactivate"] == 0
    assert (summary["unchanged"], summary["unmanaged"]) == (6, 0)
    assert world.diff_rows() == {}
    flagged = {(int(r[2]), r[3]) for r in world.tab(ISSUES)[1:] if r[1] == MASTER and r[0] == "error"}
    assert flagged == {(SKU_MATCHED + 2, column), (ID_MATCHED + 2, column)}
    assert {r["Status"] for r in world.sandbox.materials} == {"Active"}


def test_the_same_rows_gone_from_the_master_are_deactivated(tmp_path: Path, sandbox: Sandbox) -> None:
    """The control: only a row that is gone deactivates."""
    tabs = synced_tabs(sandbox, "Cost", "$1,39.50")
    del tabs[MASTER][ID_MATCHED + 1], tabs[MASTER][SKU_MATCHED + 1]
    world = tabs_world(tmp_path, sandbox, tabs)
    outcome = plan(world.settings)
    assert outcome.summary["counts"]["deactivate"] == 2
    assert set(world.diff_rows()) == {"P-0001", "P-0002"}
    assert {r[2] for r in world.tab(DIFF_INNERGY)[3:]} == {"deactivate"}


# -- the reader's claims ------------------------------------------------------------------


def claims_of(*rows: list[object]) -> tuple[tuple[Claim, ...], tuple[str, ...], list[tuple[int | None, str]]]:
    library, problems, _ = parse_library(library_tabs(list(rows)))
    return library.claims, tuple(m.sku for m in library.materials), [(p.row, p.message) for p in problems]


@pytest.mark.parametrize(("column", "value"), BAD_CELLS.values(), ids=BAD_CELLS.keys())
def test_each_bad_cell_leaves_a_claim_with_the_rows_sku_and_innergy_id(column: str, value: Any) -> None:
    claims, materials, problems = claims_of(
        good("OK-1"), good("BAD-1", **{column: value or "", "INNERGY ID": "id-9"})
    )
    assert materials == ("OK-1",)
    assert claims == (Claim(sku="BAD-1", innergy_id="id-9"),)
    assert [row for row, _ in problems] == [3]


def test_rows_dropped_after_their_cells_were_read_claim_too() -> None:
    """A unit MAP_UOM lacks, and SKUs repeated (each left out until one remains)."""
    claims, materials, _ = claims_of(good("U-1", UoM="furlong"), good("D-1"), good(" d-1"), good("OK"))
    assert materials == ("OK",)
    assert sorted(c.sku or "" for c in claims) == ["D-1", "U-1", "d-1"]


def test_a_row_with_no_readable_sku_claims_its_innergy_id() -> None:
    claims, _, _ = claims_of(good("", **{"INNERGY ID": "id-7"}), good("#REF!", **{"INNERGY ID": "id-8"}))
    assert claims == (Claim(innergy_id="id-7"), Claim(innergy_id="id-8"))


def test_a_blank_row_claims_nothing() -> None:
    claims, materials, problems = claims_of(good("OK"), [""] * len(HEADER), good("", Notes="only a note"))
    assert materials == ("OK",)
    assert claims == ()
    assert [row for row, _ in problems] == [4]  # the note's row lacks its required cells


def test_a_bad_row_sharing_a_valid_rows_sku_leaves_both_out() -> None:
    """Which of the two is the material is for a person to say; INNERGY's record waits."""
    claims, materials, problems = claims_of(good("A-1"), good("a-1", Cost="twelve"), good("OK"))
    assert materials == ("OK",)
    assert {c.sku for c in claims} == {"A-1", "a-1"}
    duplicate = [row for row, message in problems if "duplicate SKU (rows 2, 3" in message]
    assert duplicate == [2]
