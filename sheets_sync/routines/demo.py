"""``matsync demo``: the whole cycle on embedded defaults, in one folder, in seconds.

A local workbook built from sample data, the INNERGY sandbox on a free loopback port
seeded with a library that has drifted from the master, and the sample PPak exports; then
init-sheet -> ppak-import -> plan -> (a reviewer's ticks) -> push -> health, each through
the same library functions the commands use. The folder is the demo's own: a second run
starts it over, and a folder that is not a demo folder is never touched.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from canonical.errors import ConfigError, ExitCode
from reports.plan import DIFF_INNERGY, DIFF_PPAK, HEADER_ROW
from sheets_sync.config import Settings
from sheets_sync.console import Outcome, progress
from sheets_sync.routines.demo_data import demo_innergy_library, demo_mappings, demo_materials
from sheets_sync.workbook.base import CellUpdate, Rows

__all__ = ["TICKS_PER_ACTION", "run_demo"]

MARKER = ".matsync-demo"
WORKBOOK = "matsync-demo.xlsx"
TICKS_PER_ACTION = 2
"""How many rows of each action the demo's reviewer approves."""


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[], Outcome]


def _prepare(folder: Path) -> None:
    """Make ``folder`` an empty demo folder; refuse a folder that holds anything else."""
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).is_file():
        raise ConfigError(f"{folder} is not empty and is not a matsync demo folder; choose another --dir")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by `matsync demo`; the next demo run starts this folder over\n")


def _copy_exports(target: Path) -> list[str]:
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for item in resources.files("sheets_sync").joinpath("demo_assets", "ppak").iterdir():
        if item.is_file():
            (target / item.name).write_bytes(item.read_bytes())
            names.append(item.name)
    return sorted(names)


def _seed_innergy(url: str, key: str) -> int:
    """INNERGY as the shop has it before the first plan, created through its API."""
    from innergy_client import InnergyClient, to_wire

    records = demo_innergy_library(demo_materials())
    with InnergyClient(url, key) as client:
        created = client.create_materials([to_wire(r) for r in records])
    return len(created)


def _fill_workbook(settings: Settings) -> int:
    """The master and the mapping tabs, as an estimator would have typed them."""
    from sheets_sync.connect import open_workbook
    from sheets_sync.master.tabs import MAP_MATERIAL_SKU, MAP_PHASE, MAP_STATUS, MAP_UOM, MASTER, SPECS
    from sheets_sync.workbook import Rewrite

    materials = demo_materials()
    statuses, phases, skus, uoms = demo_mappings()
    tables: dict[str, Sequence[Any]] = {
        MASTER: materials,
        MAP_STATUS: statuses,
        MAP_PHASE: phases,
        MAP_MATERIAL_SKU: skus,
        MAP_UOM: uoms,
    }
    ops = []
    for tab, items in tables.items():
        fields = SPECS[tab].fields  # header -> canonical field, in the contract's column order
        rows = [list(fields), *([getattr(item, field) for field in fields.values()] for item in items)]
        ops.append(Rewrite(tab, rows, SPECS[tab].style()))
    with open_workbook(settings) as workbook:
        workbook.write(ops)
    return len(materials)


def _tick(settings: Settings) -> dict[str, int]:
    """A reviewer's pass: approve the first few rows of every action but conflicts."""
    from sheets_sync.connect import open_workbook

    with open_workbook(settings) as workbook:
        ticks, counted = _reviewer_ticks(workbook.read_tabs([DIFF_INNERGY, DIFF_PPAK]))
        workbook.write(ticks)
    return counted


def _reviewer_ticks(tabs: Mapping[str, Rows]) -> tuple[list[CellUpdate], dict[str, int]]:
    """The Approve ticks of the demo's reviewer, and how many of each action."""
    ticks: list[CellUpdate] = []
    counted: dict[str, int] = {}
    for tab, kind_column in ((DIFF_INNERGY, "Action"), (DIFF_PPAK, "Kind")):
        rows = tabs.get(tab, [])
        if len(rows) < HEADER_ROW:
            continue
        header = [str(c or "").strip() for c in rows[HEADER_ROW - 1]]
        kind_at = header.index(kind_column)
        for number, row in enumerate(rows[HEADER_ROW:], start=HEADER_ROW + 1):
            kind = str(row[kind_at]) if kind_at < len(row) else ""
            if kind in ("", "conflict") or counted.get(kind, 0) >= TICKS_PER_ACTION:
                continue
            counted[kind] = counted.get(kind, 0) + 1
            ticks.append(CellUpdate(tab, number, "Approve", True, header_row=HEADER_ROW))
    return ticks, counted


def _steps(settings: Settings) -> list[Step]:
    from sheets_sync.commands.health import health
    from sheets_sync.commands.init_sheet import init_sheet
    from sheets_sync.commands.plan import plan
    from sheets_sync.commands.ppak_import import ppak_import
    from sheets_sync.commands.push import push

    def ticked() -> Outcome:
        counts = _tick(settings)
        return Outcome({"ticked": counts}, lines=[f"ticked {sum(counts.values())} rows: {counts}"])

    return [
        Step("init-sheet", lambda: init_sheet(settings)),
        Step("ppak-import", lambda: ppak_import(settings)),
        Step("plan", lambda: plan(settings)),
        Step("review", ticked),
        Step("push", lambda: push(settings)),
        Step("health", lambda: health(settings)),
    ]


def run_demo(settings: Settings, directory: Path) -> Outcome:
    """Run the whole cycle in ``directory``; the summary names every file to look at."""
    from innergy_client.sandbox import running_sandbox

    folder = directory.resolve()
    _prepare(folder)
    exports = _copy_exports(folder / "ppak_exports")
    summary: dict[str, Any] = {"command": "demo", "folder": str(folder), "ppak_exports": exports, "steps": {}}
    lines = [f"demo folder: {folder}"]
    with running_sandbox(data=folder / "innergy_sandbox.json") as sandbox:
        demo = settings.model_copy(
            update={
                "workbook": str(folder / WORKBOOK),
                "output_dir": folder / "output",
                "innergy_base_url": sandbox.url,
                "innergy_api_key": SecretStr(sandbox.api_key),
                "ppak_export_dir": folder / "ppak_exports",
            }
        )
        from sheets_sync.commands.init_sheet import init_sheet

        init_sheet(demo)
        summary["materials"] = _fill_workbook(demo)
        summary["innergy_records"] = _seed_innergy(sandbox.url, sandbox.api_key)
        lines.append(
            f"workbook: {summary['materials']} materials; INNERGY sandbox at {sandbox.url}: "
            f"{summary['innergy_records']} records, drifted from the master"
        )
        for step in progress(_steps(demo), "demo"):
            outcome = step.run()
            summary["steps"][step.name] = {**outcome.summary, "exit_code": int(outcome.exit_code)}
            lines.append(f"-- {step.name} (exit {int(outcome.exit_code)})")
            lines.extend(f"   {line}" for line in outcome.render(False).splitlines())
            if outcome.exit_code == ExitCode.FAILED and step.name != "health":
                lines.append(f"demo stopped: {step.name} failed")
                return Outcome(summary, ExitCode.FAILED, lines)
    summary["workbook"] = str(folder / WORKBOOK)
    summary["reports"] = str(folder / "output" / "reports")
    lines += [
        "",
        f"open the workbook:   {summary['workbook']}",
        f"read the reports:    {summary['reports']}",
        f"replay it yourself:  MATERIAL_LIBRARY_MASTER={summary['workbook']} "
        f"MIGRATION_OUTPUT_DIR={folder / 'output'} matsync plan",
    ]
    return Outcome(summary, ExitCode.OK, lines)
