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
KINDS = list(BAD_CELLS.values())
GOOD = 2
"""Parts 0 and 1 stay good; then two parts per kind of bad cell: the first keeps its SKU,
the second's SKU is renamed too, so only its INNERGY ID still names its record."""


@pytest.fixture(params=["google", "xlsx"])
def backend(request: pytest.FixtureRequest, sheets_server: FakeSheets) -> Iterator[FakeSheets | None]:
    yield sheets_server if request.param == "google" else None


def synced_tabs(sandbox: Sandbox) -> dict[str, list[list[Any]]]:
    """Parts pushed before (INNERGY ID and Last Synced filled); then all but two broken."""
    parts = [part(n) for n in range(GOOD + 2 * len(KINDS))]
    seed_innergy(sandbox, parts)
    ids = {str(r["ExternalId"]): str(r["Id"]) for r in sandbox.materials}
    tabs = tabs_for([p.model_copy(update={"innergy_id": ids[p.sku]}) for p in parts])
    master = tabs[MASTER]
    for row in master[1:]:
        row[HEADER.index("Last Synced")] = "2025-11-03T14:05:00Z"
    for kind, (column, value) in enumerate(KINDS):
        by_sku, by_id = master[1 + GOOD + 2 * kind], master[2 + GOOD + 2 * kind]
        by_sku[HEADER.index(column)] = by_id[HEADER.index(column)] = value
        by_id[HEADER.index("SKU")] += "-RENAMED"
    return tabs


def test_synced_rows_with_bad_cells_are_issues_and_their_records_are_left_alone(
    tmp_path: Path, sandbox: Sandbox, backend: FakeSheets | None
) -> None:
    world = tabs_world(tmp_path, sandbox, synced_tabs(sandbox), backend)

    outcome = plan(world.settings)

    assert world.diff_rows() == {}, "no deactivate, update or conflict for any broken row"
    assert outcome.exit_code == 0, outcome.lines
    summary = outcome.summary
    assert (summary["changes"], summary["unchanged"], summary["unmanaged"]) == (0, GOOD, 0)
    flagged = {(int(r[2]), r[3]) for r in world.tab(ISSUES)[1:] if r[1] == MASTER and r[0] == "error"}
    assert flagged == {
        (sheet_row, column)
        for kind, (column, _) in enumerate(KINDS)
        for sheet_row in (2 + GOOD + 2 * kind, 3 + GOOD + 2 * kind)
    }
    assert {r["Status"] for r in world.sandbox.materials} == {"Active"}


def test_the_same_rows_gone_from_the_master_are_deactivated(tmp_path: Path, sandbox: Sandbox) -> None:
    """The control: only a row that is gone deactivates."""
    tabs = synced_tabs(sandbox)
    del tabs[MASTER][1 + GOOD :]
    world = tabs_world(tmp_path, sandbox, tabs)
    outcome = plan(world.settings, allow_mass_deactivate=True)
    assert outcome.summary["counts"]["deactivate"] == 2 * len(KINDS)
    assert set(world.diff_rows()) == {part(n).sku for n in range(GOOD, GOOD + 2 * len(KINDS))}
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
