"""``matsync push`` end to end: unmodified gspread against the fake Sheets API, INNERGY's sandbox.

Every test lays out a workbook in the fake, INNERGY records in the sandbox, makes the
plan with the real ``plan`` function, ticks rows through the workbook interface, pushes,
and reads back what the fake and the sandbox hold. ``World`` is shared with the nightly
and export-import-file tests.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from canonical.errors import ExitCode
from canonical.models import Material
from innergy_client import InnergyClient, to_wire
from innergy_client.sandbox import Sandbox, running_sandbox
from sheets_sync.config import Settings
from sheets_sync.plan import plan
from sheets_sync.push import push
from sheets_sync.tabs import (
    DIFF_INNERGY,
    MAP_MATERIAL_SKU,
    MAP_PHASE,
    MAP_STATUS,
    MAP_UOM,
    MASTER,
    MASTER_FIELDS,
    SPECS,
    SYNC_LOG,
)
from sheets_sync.workbook import CellUpdate, open_workbook
from tests.fakes.sheets_server import FakeSheets

HEADER_ROW = 3
MATERIAL_PATHS = ("/api/materials/create", "/edit")


def part(n: int, cost: str = "4.25") -> Material:
    return Material(sku=f"P-{n:04}", name=f"Part {n}", category="Hardware", uom="EA", cost=Decimal(cost))


def tabs_for(materials: Sequence[Material]) -> dict[str, list[list[Any]]]:
    """A workbook as a person fills it: the master as text cells, one unit in MAP_UOM."""
    master: list[list[Any]] = [list(MASTER_FIELDS)]
    for m in materials:
        values = m.model_dump()
        master.append([None if values[f] is None else str(values[f]) for f in MASTER_FIELDS.values()])
    return {
        MASTER: master,
        MAP_STATUS: [list(SPECS[MAP_STATUS].headers)],
        MAP_PHASE: [list(SPECS[MAP_PHASE].headers)],
        MAP_MATERIAL_SKU: [list(SPECS[MAP_MATERIAL_SKU].headers)],
        MAP_UOM: [list(SPECS[MAP_UOM].headers), ["EA", "EA", "Each", "EA", ""]],
    }


@dataclass
class World:
    """A workbook (fake Sheets or .xlsx), the sandbox and an output folder, with helpers."""

    settings: Settings
    sandbox: Sandbox
    fake: FakeSheets | None = None

    def plan(self) -> str:
        outcome = plan(self.settings)
        assert outcome.exit_code in (ExitCode.OK, ExitCode.NEEDS_PERSON), outcome.lines
        return str(outcome.summary["plan_id"])

    def tab(self, name: str) -> list[list[Any]]:
        workbook = open_workbook(self.settings)
        try:
            return workbook.read_tabs([name]).get(name) or []
        finally:
            workbook.close()

    def diff_rows(self) -> dict[str, int]:
        """SKU -> sheet row of its DIFF_INNERGY change."""
        rows = self.tab(DIFF_INNERGY)
        header = [str(c or "").casefold() for c in rows[HEADER_ROW - 1]]
        sku = header.index("sku")
        return {str(r[sku]): n for n, r in enumerate(rows[HEADER_ROW:], start=HEADER_ROW + 1)}

    def tick(self, skus: Sequence[str]) -> None:
        rows = self.diff_rows()
        self.write([CellUpdate(DIFF_INNERGY, rows[s], "Approve", True, header_row=HEADER_ROW) for s in skus])

    def write(self, ops: Sequence[Any]) -> None:
        workbook = open_workbook(self.settings)
        try:
            workbook.write(ops)
        finally:
            workbook.close()

    def master(self) -> dict[str, dict[str, Any]]:
        """SKU -> the master row by header."""
        rows = self.tab(MASTER)
        header = [str(c) for c in rows[0]]
        return {str(r[0]): dict(zip(header, r, strict=False)) for r in rows[1:] if r}

    def results(self) -> dict[str, Any]:
        rows = self.tab(DIFF_INNERGY)
        header = [str(c or "").casefold() for c in rows[HEADER_ROW - 1]]
        sku, result = header.index("sku"), header.index("result")
        return {str(r[sku]): (r[result] if len(r) > result else None) for r in rows[HEADER_ROW:]}

    def innergy_writes(self) -> int:
        """Material writes INNERGY received (faulted ones included)."""
        return sum(m == "POST" and p.endswith(MATERIAL_PATHS) for m, p in self.sandbox.requests)

    def records(self) -> Counter[str]:
        """External id -> how many INNERGY records carry it."""
        return Counter(str(r["ExternalId"]) for r in self.sandbox.materials)

    def journal_rows(self, sql: str) -> list[tuple[Any, ...]]:
        path = self.settings.output_dir / "state.db"
        if not path.is_file():
            return []
        with sqlite3.connect(path) as db:
            return db.execute(sql).fetchall()


def seed_innergy(sandbox: Sandbox, materials: Sequence[Material]) -> None:
    """Records INNERGY already holds, created through the real client (the sandbox validates)."""
    from canonical.projection import project_material
    from sheets_sync.pull import parse_library

    library = parse_library(tabs_for(materials))[0]
    with InnergyClient(sandbox.url, sandbox.api_key, backoff=0.001) as client:
        client.create_materials([to_wire(project_material(m, library.uoms[0])) for m in materials])


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(seed=7) as running:
        yield running


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    with FakeSheets() as running:
        yield running


@pytest.fixture
def make_world(fake: FakeSheets, sandbox: Sandbox, tmp_path: Path) -> Callable[..., World]:
    """A world on the fake Sheets API: ``make_world(master, in_innergy=(), output="out")``."""

    def make(
        materials: Sequence[Material], in_innergy: Sequence[Material] = (), output: str = "out"
    ) -> World:
        if in_innergy:
            seed_innergy(sandbox, in_innergy)
        settings = Settings(
            workbook=fake.create_spreadsheet(tabs_for(materials)),
            sheets_endpoint=fake.url,
            output_dir=tmp_path / output,
            innergy_base_url=sandbox.url,
            innergy_api_key=sandbox.api_key,
        )
        return World(settings, sandbox, fake)

    return make


def _mixed(make_world: Callable[..., World]) -> World:
    """Six creates (P-0000..P-0005) and four cost updates (P-0006..P-0009)."""
    existing = [part(n) for n in range(6, 10)]
    master = [part(n) for n in range(6)] + [part(n, "9.50") for n in range(6, 10)]
    world = make_world(master, existing)
    world.plan()
    return world


def test_no_ticks_writes_nothing_to_innergy(make_world: Callable[..., World]) -> None:
    world = _mixed(make_world)
    before = world.innergy_writes()
    outcome = push(world.settings)
    assert outcome.exit_code == ExitCode.OK
    assert outcome.summary["ticked"] == 0 and outcome.summary["applied"] == 0
    assert world.innergy_writes() == before
    assert len(world.tab(SYNC_LOG)) == 2  # header + this run


def test_ticks_on_a_subset_apply_exactly_that_subset_then_a_second_push_writes_nothing(
    make_world: Callable[..., World],
) -> None:
    world = _mixed(make_world)
    chosen = ["P-0001", "P-0003", "P-0007"]
    world.tick(chosen)
    first = push(world.settings)
    assert first.exit_code == ExitCode.OK, first.lines
    assert (first.summary["created"], first.summary["updated"], first.summary["applied"]) == (2, 1, 3)
    records = world.records()
    assert {s for s in records if s not in {f"P-{n:04}" for n in range(6, 10)}} == {"P-0001", "P-0003"}
    costs = {r["ExternalId"]: Decimal(str(r["Cost"]["Value"])) for r in world.sandbox.materials}
    assert costs["P-0007"] == Decimal("9.5") and costs["P-0006"] == Decimal("4.25")
    writes = world.innergy_writes()
    second = push(world.settings)
    assert world.innergy_writes() == writes, "a second push must not write to INNERGY"
    assert second.summary["skipped"] == 3 and second.summary["applied"] == 0
    assert world.records() == records


def test_results_ids_and_sync_log_are_written_back(make_world: Callable[..., World]) -> None:
    world = _mixed(make_world)
    world.tick(["P-0000", "P-0008"])
    outcome = push(world.settings)
    ids = {r["ExternalId"]: r["Id"] for r in world.sandbox.materials}
    master = world.master()
    for sku in ("P-0000", "P-0008"):
        assert master[sku]["INNERGY ID"] == ids[sku]
        assert master[sku]["Last Synced"]
    assert master["P-0001"].get("INNERGY ID") in (None, "")
    results = world.results()
    assert results["P-0000"] == results["P-0008"] == "applied"
    assert results["P-0001"] in (None, "")
    log = world.tab(SYNC_LOG)
    assert log[0][:3] == ["Time", "Command", "Actor"] and len(log) == 2
    row = dict(zip(log[0], log[1], strict=False))
    assert row["Command"] == "push" and row["Run ID"] == outcome.summary["run_id"]
    assert (row["Created"], row["Updated"], row["Outcome"]) == ("1", "1", "ok")


def test_a_master_row_edited_after_the_plan_then_ticked_is_stale(make_world: Callable[..., World]) -> None:
    world = _mixed(make_world)
    row = world.master()["P-0002"]
    assert row
    world.write([CellUpdate(MASTER, 4, "Name", "Part 2, renamed after the plan")])  # P-0002 is row 4
    world.tick(["P-0002", "P-0004"])
    before = world.innergy_writes()
    outcome = push(world.settings)
    assert outcome.exit_code == ExitCode.NEEDS_PERSON
    assert world.results()["P-0002"] == "stale: the master row changed since the plan"
    assert world.results()["P-0004"] == "applied"
    assert "P-0002" not in world.records()
    assert world.innergy_writes() == before + 1


def test_dry_run_writes_nothing_anywhere(make_world: Callable[..., World]) -> None:
    world = _mixed(make_world)
    world.tick(["P-0001", "P-0007"])
    assert world.fake is not None
    key = str(world.settings.workbook)
    snapshot = {name: world.fake.values(key, name) for name in (MASTER, DIFF_INNERGY)}
    journal = world.settings.output_dir / "state.db"
    writes = world.innergy_writes()
    outcome = push(world.settings, dry_run=True)
    assert outcome.summary["dry_run"] and outcome.summary["applied"] == 2
    assert outcome.summary["would_write"]["innergy"]["created"] == 1
    assert world.innergy_writes() == writes
    assert {name: world.fake.values(key, name) for name in snapshot} == snapshot
    assert world.fake.spreadsheets[key].by_title(SYNC_LOG) is None
    assert not journal.exists()


def test_sheets_requests_of_a_push_are_the_same_for_10_and_200_ticked_rows(
    make_world: Callable[..., World],
) -> None:
    requests = {}
    for first, ticked in ((0, 10), (1000, 200)):  # one sandbox: distinct SKUs per workbook
        skus = [f"P-{n:04}" for n in range(first, first + ticked)]
        world = make_world([part(n) for n in range(first, first + ticked)], output=f"out-{ticked}")
        world.plan()
        world.tick(skus)
        assert world.fake is not None
        world.fake.reset_counts()
        outcome = push(world.settings)
        assert outcome.summary["created"] == ticked
        requests[ticked] = dict(world.fake.counts)
        results = world.results()
        assert {results[s] for s in skus} == {"applied"}
    assert requests[10] == requests[200]
    assert sum(requests[10].values()) <= 5, requests[10]
