"""``matsync plan`` end to end: unmodified gspread against the fake Sheets API, INNERGY's sandbox.

Every test builds a spreadsheet in the fake, INNERGY records in the sandbox (created
through the real client), runs the plan, and reads back what the fake stores.
"""

from __future__ import annotations

import gc
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from canonical.models import InnergyMaterial, Material, UomMapping
from canonical.plan import Plan
from canonical.projection import project_material
from canonical.serialize import to_jsonl
from innergy_client import InnergyClient, to_wire, wire, write_import_file
from innergy_client.sandbox import Sandbox, running_sandbox
from sheets_sync.cli import app
from sheets_sync.commands.plan import ACTION_COLORS, plan
from sheets_sync.config import Settings
from sheets_sync.master.tabs import (
    DIFF_INNERGY,
    DIFF_PPAK,
    ISSUES,
    MAP_MATERIAL_SKU,
    MAP_PHASE,
    MAP_STATUS,
    MAP_UOM,
    MASTER,
    MASTER_FIELDS,
    SPECS,
)
from tests.fakes.master_tab import master_tab
from tests.fakes.sheets_server import FakeSheets, Sheet

EACH = UomMapping(
    source_uom="EA",
    canonical_uom="EA",
    innergy_uom_group="Each",
    innergy_common_uom="EA",
    base_units_per_uom=None,
)
SHEET = UomMapping(
    source_uom="SHT",
    canonical_uom="SHT",
    innergy_uom_group="SF",
    innergy_common_uom="4'x8'",
    base_units_per_uom=Decimal(32),
)
SEEDED = "2026-01-05T08:00:00.000000Z"
FIRST_ROW = 4
"""The sheet row of the first change in a DIFF tab (header on row 3)."""


def material(sku: str, name: str, cost: str = "10.00", **fields: Any) -> Material:
    return Material(sku=sku, name=name, category="Hardware", uom="EA", cost=Decimal(cost), **fields)


def workbook_tabs(materials: Sequence[Material], extra: Sequence[Sequence[Any]] = ()) -> dict[str, Any]:
    uoms = [[u.source_uom, u.canonical_uom, u.innergy_uom_group, u.innergy_common_uom,
             str(u.base_units_per_uom or "")] for u in (EACH, SHEET)]  # fmt: skip
    return {
        MASTER: master_tab(materials) + [list(r) for r in extra],
        MAP_STATUS: [list(SPECS[MAP_STATUS].headers)],
        MAP_PHASE: [list(SPECS[MAP_PHASE].headers)],
        MAP_MATERIAL_SKU: [list(SPECS[MAP_MATERIAL_SKU].headers), ["PP-7", "A-7", ""]],
        MAP_UOM: [list(SPECS[MAP_UOM].headers), *uoms],
    }


def in_innergy(sandbox: Sandbox, records: Sequence[InnergyMaterial]) -> None:
    """INNERGY's library, created through the real client (the sandbox validates every body)."""
    with InnergyClient(sandbox.url, sandbox.api_key, backoff=0.001) as client:
        client.create_materials([to_wire(r) for r in records])


def bulk(n: int) -> Iterator[tuple[str, str, str]]:
    """SKU, Name and Cost of ``n`` generated materials."""
    return ((f"M-{i:06}", f"Material {i}", f"{i % 97 + 1}.25") for i in range(n))


def bulk_master(n: int) -> dict[str, Any]:
    """A workbook of ``n`` master rows, typed cells only where the contract needs them."""
    sku, name, cost = (list(MASTER_FIELDS).index(h) for h in ("SKU", "Name", "Cost"))
    template = master_tab([material("X", "X")])[1]
    rows = []
    for values in bulk(n):
        row = list(template)
        row[sku], row[name], row[cost] = values
        rows.append(row)
    return workbook_tabs([], rows)


def bulk_innergy(sandbox: Sandbox, n: int, skip: int = 0) -> None:
    """``bulk(n)`` less the first ``skip`` as INNERGY holds them, straight into the sandbox's store."""
    template = wire.json_body(to_wire(as_innergy(material("X", "X"))))
    with sandbox.store.lock:
        for i, (sku, name, cost) in enumerate(bulk(n)):
            if i >= skip:
                innergy_id = str(uuid.UUID(int=i + 1))
                money = {**template["Cost"], "Value": float(cost), "OriginalValue": float(cost)}
                body = {**template, "MaterialName": name, "ExternalId": sku, "Cost": money}
                sandbox.store.data["materials"][innergy_id] = {"Id": innergy_id, **body, "CreatedOn": SEEDED}


def as_innergy(m: Material, **changes: Any) -> InnergyMaterial:
    return project_material(m, EACH).model_copy(update=changes)


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    with FakeSheets() as running:
        yield running


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(seed=3) as running:
        yield running


@pytest.fixture
def make_settings(fake: FakeSheets, sandbox: Sandbox, tmp_path: Path) -> Any:
    def make(tabs: dict[str, Any]) -> Settings:
        key = fake.create_spreadsheet(tabs)
        return Settings(
            workbook=key,
            sheets_endpoint=fake.url,
            output_dir=tmp_path / "out",
            innergy_base_url=sandbox.url,
            innergy_api_key=sandbox.api_key,
        )

    return make


def tab(fake: FakeSheets, settings: Settings, name: str) -> list[list[Any]]:
    assert settings.workbook
    return fake.values(settings.workbook, name)


def by_sku(rows: list[list[Any]]) -> dict[str, list[Any]]:
    """DIFF_INNERGY rows below the header, by SKU (column D)."""
    return {row[3]: row for row in rows[3:]}


# -- the whole plan, every action ----------------------------------------------------------

UNCHANGED = material("A-7", "Oak pull")
RENAMED = material("A-2", "Brass hinge", cost="12.50")
RETIRED = material("A-3", "Old knob", active=False)
BACK = material("A-4", "Chrome knob")
HOLDER = material("A-6", "Walnut Ply")


@pytest.fixture
def every_action(make_settings: Any, sandbox: Sandbox) -> Settings:
    in_innergy(
        sandbox,
        [
            as_innergy(UNCHANGED),
            as_innergy(RENAMED, cost=Decimal("11.00")),
            as_innergy(RETIRED, active=True),
            as_innergy(BACK, active=False),
            as_innergy(HOLDER),
            as_innergy(material("A-9", "Gone from the master")),
        ],
    )
    materials = [
        material("A-1", "New screw"),
        RENAMED,
        RETIRED,
        BACK,
        material("A-5", "Walnut Ply"),
        HOLDER,
        UNCHANGED,
    ]
    bad = ["A-8", "Bad cost", "", "Hardware", "", "EA", *[""] * 12, "twelve"]
    settings = make_settings(workbook_tabs(materials, [bad]))
    ppak = [
        material("PP-1", "PPak only item", ppak_skus=("PP-1",)),
        material("PP-7", "Oak pull", cost="10.40", ppak_skus=("PP-7",)),
    ]
    path = settings.output_dir / "canonical" / "ppak_materials.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text(to_jsonl(ppak), encoding="utf-8")
    return settings


def test_plan_writes_every_action_the_tabs_files_and_issues(every_action: Settings, fake: FakeSheets) -> None:
    outcome = plan(every_action)

    assert outcome.exit_code == 3
    summary = outcome.summary
    counts = summary["counts"]
    assert {k: counts[k] for k in ("create", "update", "deactivate", "reactivate", "conflict")} == {
        "create": 1,
        "update": 1,
        "deactivate": 2,
        "reactivate": 1,
        "conflict": 1,
    }
    assert (counts["ppak_new"], counts["ppak_differs"]) == (1, 1)
    assert summary["unchanged"] == 2

    rows = tab(fake, every_action, DIFF_INNERGY)
    assert rows[0][:2] == ["Plan ID", summary["plan_id"]]
    assert rows[2][:9] == list(SPECS[DIFF_INNERGY].headers)
    found = by_sku(rows)
    assert {sku: row[2] for sku, row in found.items()} == {
        "A-1": "create",
        "A-2": "update",
        "A-3": "deactivate",
        "A-9": "deactivate",
        "A-4": "reactivate",
        "A-5": "conflict",
    }
    assert found["A-2"][5] == "cost: 11 -> 12.5000 per EA"
    assert "Walnut Ply" in found["A-5"][5]
    assert all(row[0] is False for row in found.values())

    sheet = fake.sheet(every_action.workbook or "", DIFF_INNERGY)
    assert sheet.frozen_rows == 3
    assert sheet.basic_filter is not None
    assert (sheet.validation_at(FIRST_ROW, 1) or {})["condition"]["type"] == "BOOLEAN"
    for offset, row in enumerate(rows[3:]):
        assert background(sheet, FIRST_ROW + offset) == ACTION_COLORS[row[2]], row[2]

    ppak_rows = tab(fake, every_action, DIFF_PPAK)
    assert ppak_rows[0][1] == summary["plan_id"]
    assert sorted((r[2], r[3]) for r in ppak_rows[3:]) == [("differs", "PP-7"), ("new", "PP-1")]

    issues = tab(fake, every_action, ISSUES)
    assert any(r[1] == MASTER and str(r[2]) == "9" and r[3] == "Cost" and r[4] == "twelve" for r in issues)
    assert summary["problems"] >= 1

    out = every_action.output_dir
    saved = Plan.from_json((out / "plans" / f"{summary['plan_id']}.json").read_text(encoding="utf-8"))
    assert {c.change_id for c in saved.changes} == {r[1] for r in rows[3:]}
    create = next(c for c in saved.changes if c.action == "create")
    assert create.payload is not None and create.payload.external_id == "A-1"
    for name in ("md", "html", "json"):
        assert (out / "reports" / f"plan_{summary['plan_id']}.{name}").is_file()
    materials = (out / "canonical" / "materials.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(materials) == 7
    assert set(summary["files"]) >= {"plan", "report_md", "report_html", "report_json", "materials"}


def background(sheet: Sheet, row: int) -> str | None:
    """The background colour the fake holds for a row (the last format that sets one wins)."""
    found = None
    for cell in sheet.formats_at(row, 2):
        colour = cell.get("userEnteredFormat", {}).get("backgroundColor")
        if colour:
            found = "#" + "".join(f"{round(colour[c] * 255):02X}" for c in ("red", "green", "blue"))
    return found


# -- approvals across re-plans -------------------------------------------------------------


def tick(fake: FakeSheets, settings: Settings, tab_name: str, sheet_row: int) -> None:
    """A reviewer ticks Approve (the checkbox holds TRUE)."""
    fake.sheet(settings.workbook or "", tab_name).rows[sheet_row - 1][0] = True


def set_cell(
    fake: FakeSheets, settings: Settings, tab_name: str, sheet_row: int, header: str, value: Any
) -> None:
    sheet = fake.sheet(settings.workbook or "", tab_name)
    column = [str(h) for h in sheet.rows[0]].index(header)
    sheet.rows[sheet_row - 1][column] = value


def test_ticks_survive_a_replan_when_the_change_is_identical_and_drop_when_it_changed(
    every_action: Settings, fake: FakeSheets
) -> None:
    first = plan(every_action).summary
    rows = tab(fake, every_action, DIFF_INNERGY)
    position = {row[3]: FIRST_ROW + i for i, row in enumerate(rows[3:])}
    tick(fake, every_action, DIFF_INNERGY, position["A-1"])
    tick(fake, every_action, DIFF_INNERGY, position["A-2"])
    tick(fake, every_action, DIFF_PPAK, FIRST_ROW)
    ppak_ticked = tab(fake, every_action, DIFF_PPAK)[3][1]
    set_cell(fake, every_action, MASTER, 3, "Cost", "13.75")  # A-2's update is now another change

    second = plan(every_action).summary

    assert second["plan_id"] != first["plan_id"]
    again = by_sku(tab(fake, every_action, DIFF_INNERGY))
    assert again["A-1"][0] is True
    assert again["A-2"][0] is False
    assert again["A-2"][5] == "cost: 11 -> 13.7500 per EA"
    assert [r[0] for r in by_sku(rows).values() if r[3] not in ("A-1", "A-2")] == [False] * 4
    ppak = {r[1]: r[0] for r in tab(fake, every_action, DIFF_PPAK)[3:]}
    assert ppak[ppak_ticked] is True
    assert second["ticks_kept"] == 2


def test_text_ticks_count_and_are_written_back_as_checkboxes(
    every_action: Settings, fake: FakeSheets
) -> None:
    plan(every_action)
    fake.sheet(every_action.workbook or "", DIFF_INNERGY).rows[FIRST_ROW - 1][0] = " Yes "
    plan(every_action)
    assert tab(fake, every_action, DIFF_INNERGY)[FIRST_ROW - 1][0] is True


# -- constant Sheets calls -----------------------------------------------------------------


def sheets_requests(fake: FakeSheets, settings: Settings) -> dict[str, int]:
    fake.reset_counts()
    plan(settings)
    return dict(fake.counts)


def test_sheets_requests_do_not_depend_on_the_number_of_master_rows(
    make_settings: Any, fake: FakeSheets, sandbox: Sandbox
) -> None:
    """100 rows against 20,000 (1,000 of them creates: the DIFF tab outgrows the default grid)."""
    small = sheets_requests(fake, make_settings(bulk_master(100)))
    bulk_innergy(sandbox, 20_000, skip=1_000)
    large_settings = make_settings(bulk_master(20_000))
    large = sheets_requests(fake, large_settings)

    assert small == large
    assert large["values.batchGet"] == 1
    rows = tab(fake, large_settings, DIFF_INNERGY)
    assert len(rows) == 3 + 1_000
    assert {r[2] for r in rows[3:]} == {"create"}


# -- the command: exit codes, --json, --innergy-source -------------------------------------

runner = CliRunner()


def cli(settings: Settings, *args: str) -> Any:
    env = {
        "MATERIAL_LIBRARY_MASTER": settings.workbook or "",
        "MATSYNC_SHEETS_ENDPOINT": settings.sheets_endpoint,
        "MIGRATION_OUTPUT_DIR": str(settings.output_dir),
        "INNERGY_BASE_URL": settings.innergy_base_url,
        "INNERGY_API_KEY": settings.innergy_api_key.get_secret_value() if settings.innergy_api_key else "",
    }
    return runner.invoke(app, ["--json", "plan", *args], env=env)


def test_exit_3_with_changes_then_0_when_innergy_matches(make_settings: Any, sandbox: Sandbox) -> None:
    materials = [material("A-1", "Oak pull"), material("A-2", "Brass hinge", cost="12.50")]
    settings = make_settings(workbook_tabs(materials))
    in_innergy(sandbox, [as_innergy(materials[0])])

    pending = cli(settings)
    assert pending.exit_code == 3, pending.output
    summary = json.loads(pending.stdout)
    assert summary["counts"]["create"] == 1
    assert summary["plan_id"] and Path(summary["files"]["plan"]).is_file()

    in_innergy(sandbox, [as_innergy(materials[1])])
    done = cli(settings)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["changes"] == 0
    assert gc.isenabled(), "plan pauses the cyclic collector only while it runs"


def test_exit_1_on_a_missing_mapping_tab_naming_init_sheet(make_settings: Any) -> None:
    tabs = workbook_tabs([material("A-1", "Oak pull")])
    del tabs[MAP_UOM]
    result = cli(make_settings(tabs))
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert "MAP_UOM" in error and "matsync init-sheet" in error
    for thread in threading.enumerate():  # INNERGY's read, whose client was closed under it
        if thread.name == "matsync-background":
            thread.join(5)
            assert not thread.is_alive()
    assert gc.isenabled(), "plan pauses the cyclic collector only while it runs"


def test_exit_1_on_a_bad_innergy_key_without_printing_it(make_settings: Any) -> None:
    settings = make_settings(workbook_tabs([material("A-1", "Oak pull")])).model_copy(
        update={"innergy_api_key": SecretStr("not-the-sandbox-key-9f3a")}
    )
    result = cli(settings)
    assert result.exit_code == 1
    assert "not-the-sandbox-key-9f3a" not in result.output
    assert not (settings.output_dir / "plans").exists()


def test_innergy_source_reads_an_exported_file_and_lists_its_problems(
    make_settings: Any, fake: FakeSheets, tmp_path: Path
) -> None:
    oak = material("A-1", "Oak pull")
    export = tmp_path / "innergy.xlsx"
    write_import_file([as_innergy(oak, cost=Decimal("9.00"))], export)
    book = openpyxl.load_workbook(export)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    sheet.append(["Broken" if h == "MaterialName" else "abc" if h == "Cost" else None for h in header])
    book.save(export)
    settings = make_settings(workbook_tabs([oak]))

    result = cli(settings, "--innergy-source", str(export))

    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["counts"]["update"] == 1
    assert by_sku(tab(fake, settings, DIFF_INNERGY))["A-1"][5] == "cost: 9 -> 10.0000 per EA"
    issues = tab(fake, settings, ISSUES)
    assert any(r[1] == "innergy.xlsx" and str(r[2]) == "3" and r[4] == "abc" for r in issues), issues
