"""A matsync world for end-to-end tests: a workbook (fake Sheets or .xlsx), the sandbox, an output folder.

Used by the push, nightly and export-import-file tests. The fixtures (``fake``,
``sandbox``, ``make_world``) are registered in a test module by assigning them::

    from tests.fakes import push_world
    fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from canonical.errors import ExitCode
from canonical.models import Material
from innergy_client import InnergyClient, to_wire
from innergy_client.sandbox import Sandbox, running_sandbox
from sheets_sync.cli import app
from sheets_sync.commands.plan import plan
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.master.tabs import (
    DIFF_INNERGY,
    MAP_MATERIAL_SKU,
    MAP_PHASE,
    MAP_STATUS,
    MAP_UOM,
    MASTER,
    SPECS,
)
from sheets_sync.workbook import CellUpdate, Rewrite
from sheets_sync.workbook.xlsx import XlsxWorkbook
from tests.fakes.master_tab import master_tab
from tests.fakes.sheets_server import FakeSheets

__all__ = [
    "World",
    "fake",
    "make_world",
    "part",
    "sandbox",
    "seed_innergy",
    "tabs_for",
    "tabs_world",
    "ticked_xlsx_world",
    "xlsx_world",
]

HEADER_ROW = 3
MATERIAL_PATHS = ("/api/materials/create", "/edit")


def part(n: int, cost: str = "4.25") -> Material:
    return Material(sku=f"P-{n:04}", name=f"Part {n}", category="Hardware", uom="EA", cost=Decimal(cost))


def tabs_for(materials: Sequence[Material]) -> dict[str, list[list[Any]]]:
    """A workbook as a person fills it: the master as text cells, one unit in MAP_UOM."""
    return {
        MASTER: master_tab(materials, checkboxes=False),
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

    def cli(self, *args: str) -> tuple[int, dict[str, Any]]:
        """``matsync --json <args>`` in process on this world: the exit code and the JSON."""
        env = {
            "MATERIAL_LIBRARY_MASTER": str(self.settings.workbook),
            "MATSYNC_SHEETS_ENDPOINT": self.settings.sheets_endpoint,
            "MIGRATION_OUTPUT_DIR": str(self.settings.output_dir),
            "INNERGY_BASE_URL": self.settings.innergy_base_url,
            "INNERGY_API_KEY": self.sandbox.api_key,
        }
        result = CliRunner().invoke(app, ["--json", *args], env=env)
        return result.exit_code, json.loads(result.stdout)

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
        db = sqlite3.connect(path, timeout=10)
        try:
            return db.execute(sql).fetchall()
        except sqlite3.OperationalError:  # a run creating its journal right now
            return []
        finally:
            db.close()


def seed_innergy(sandbox: Sandbox, materials: Sequence[Material]) -> None:
    """Records INNERGY already holds, created through the real client (the sandbox validates)."""
    from canonical.projection import project_material
    from sheets_sync.master.reader import parse_library

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
        return tabs_world(tmp_path, sandbox, tabs_for(materials), fake, output)

    return make


def tabs_world(
    tmp_path: Path,
    sandbox: Sandbox,
    tabs: dict[str, list[list[Any]]],
    fake: FakeSheets | None = None,
    output: str = "out",
) -> World:
    """A world on ``tabs`` exactly as given: a spreadsheet in ``fake``, else a local .xlsx
    workbook (what a subprocess can open too)."""
    where: dict[str, Any] = {"output_dir": tmp_path / output}
    if fake is not None:
        where |= {"workbook": fake.create_spreadsheet(tabs), "sheets_endpoint": fake.url}
    else:
        path = tmp_path / "library.xlsx"
        XlsxWorkbook(path, create=True).write([Rewrite(tab, rows) for tab, rows in tabs.items()])
        where["workbook"] = str(path)
    settings = Settings(**where, innergy_base_url=sandbox.url, innergy_api_key=sandbox.api_key)
    return World(settings, sandbox, fake)


def xlsx_world(tmp_path: Path, sandbox: Sandbox, materials: Sequence[Material]) -> World:
    """A world on a local .xlsx workbook."""
    return tabs_world(tmp_path, sandbox, tabs_for(materials))


def ticked_xlsx_world(tmp_path: Path, sandbox: Sandbox, creates: int, updates: int) -> World:
    """A .xlsx world planned and ticked: ``updates`` records INNERGY holds, at a new cost in
    the master (P-0000 ...), then ``creates`` new materials."""
    seed_innergy(sandbox, [part(n) for n in range(updates)])
    master = [part(n, "7.10") for n in range(updates)] + [part(n) for n in range(updates, updates + creates)]
    world = xlsx_world(tmp_path, sandbox, master)
    world.plan()
    world.tick([m.sku for m in master])
    return world
