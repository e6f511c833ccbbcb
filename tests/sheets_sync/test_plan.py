"""``matsync plan`` end to end: unmodified gspread against the fake Sheets API, INNERGY's sandbox.

Every test builds a spreadsheet in the fake, INNERGY records in the sandbox (created
through the real client), runs the plan, and reads back what the fake stores.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from canonical.models import InnergyMaterial, Material, UomMapping
from canonical.plan import Plan
from canonical.projection import project_material
from canonical.serialize import to_jsonl
from innergy_client import InnergyClient, to_wire
from innergy_client.sandbox import Sandbox, running_sandbox
from sheets_sync.config import Settings
from sheets_sync.plan import ACTION_COLORS, plan
from sheets_sync.tabs import (
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
FIRST_ROW = 4
"""The sheet row of the first change in a DIFF tab (header on row 3)."""


def material(sku: str, name: str, cost: str = "10.00", **fields: Any) -> Material:
    return Material(sku=sku, name=name, category="Hardware", uom="EA", cost=Decimal(cost), **fields)


def master_tab(materials: Sequence[Material], extra: Sequence[Sequence[Any]] = ()) -> list[list[Any]]:
    """The master as a person types it: text cells, a checkbox for Active."""
    rows: list[list[Any]] = [list(MASTER_FIELDS)]
    for m in materials:
        values = m.model_dump()
        row: list[Any] = []
        for field in MASTER_FIELDS.values():
            value = values.get(field)
            row.append(value if isinstance(value, bool) or value is None else str(value))
        rows.append(row)
    return rows + [list(r) for r in extra]


def workbook_tabs(materials: Sequence[Material], extra: Sequence[Sequence[Any]] = ()) -> dict[str, Any]:
    uoms = [[u.source_uom, u.canonical_uom, u.innergy_uom_group, u.innergy_common_uom,
             str(u.base_units_per_uom or "")] for u in (EACH, SHEET)]  # fmt: skip
    return {
        MASTER: master_tab(materials, extra),
        MAP_STATUS: [list(SPECS[MAP_STATUS].headers)],
        MAP_PHASE: [list(SPECS[MAP_PHASE].headers)],
        MAP_MATERIAL_SKU: [list(SPECS[MAP_MATERIAL_SKU].headers), ["PP-7", "A-7", ""]],
        MAP_UOM: [list(SPECS[MAP_UOM].headers), *uoms],
    }


def in_innergy(sandbox: Sandbox, records: Sequence[InnergyMaterial]) -> None:
    """INNERGY's library, created through the real client (the sandbox validates every body)."""
    with InnergyClient(sandbox.url, sandbox.api_key, backoff=0.001) as client:
        client.create_materials([to_wire(r) for r in records])


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
    assert rows[2][:7] == list(SPECS[DIFF_INNERGY].headers)
    found = by_sku(rows)
    assert {sku: row[2] for sku, row in found.items()} == {
        "A-1": "create",
        "A-2": "update",
        "A-3": "deactivate",
        "A-9": "deactivate",
        "A-4": "reactivate",
        "A-5": "conflict",
    }
    assert found["A-2"][5] == "cost: 11 -> 12.5000"
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
