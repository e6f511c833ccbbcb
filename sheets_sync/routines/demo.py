"""``matsync demo``: the whole cycle on embedded defaults, in one folder, in seconds.

A local workbook built from sample data, the INNERGY sandbox on a free loopback port
seeded with a library that has drifted from the master, and the sample PPak exports; then
init-sheet -> ppak-import -> plan -> (a reviewer's ticks) -> push -> health, each through
the same library functions the commands use.

The demo never deletes or overwrites a file it did not make: it keeps a manifest of the
files it made (with their hashes) beside them, and a second run removes only those that
are unchanged. A file a person edited (the workbook, the journal after replaying a
command) or one of theirs in the way stops the run before anything is removed; their own
files beside the demo's (a ``.env``, notes) are left alone.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import socket
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from canonical.errors import ConfigError, ExitCode
from reports.plan import DIFF_INNERGY, DIFF_PPAK, HEADER_ROW
from sheets_sync.config import Settings
from sheets_sync.console import Outcome, progress
from sheets_sync.routines.demo_data import demo_innergy_library, demo_materials, demo_tabs
from sheets_sync.workbook.base import CellUpdate, Rows

__all__ = ["TICKS_PER_ACTION", "run_demo"]

MARKER = ".matsync-demo"
"""The manifest: the files the last demo run made in the folder, with their sha256."""
WORKBOOK = "matsync-demo.xlsx"
OWN = (WORKBOOK, "output", "ppak_exports", "innergy_sandbox.json")
"""The names a demo run writes under; anything else in the folder is someone else's."""
TICKS_PER_ACTION = 2
"""How many rows of each action the demo's reviewer approves."""


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[], Outcome]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ours(folder: Path) -> list[Path]:
    """Every file under the names a demo run writes."""
    found = []
    for name in OWN:
        path = folder / name
        if path.is_dir():
            found += [p for p in path.rglob("*") if p.is_file()]
        elif path.is_file():
            found.append(path)
    return found


def _manifest(folder: Path) -> dict[str, str]:
    try:
        made = json.loads((folder / MARKER).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in made.items()} if isinstance(made, dict) else {}


def _prepare(folder: Path) -> None:
    """Clear what the last demo run made in ``folder``, unchanged; refuse (removing nothing)
    when a file it made was changed since, or a file it did not make is in the way."""
    made = _manifest(folder)
    changed, foreign = [], []
    for path in _ours(folder):
        name = path.relative_to(folder).as_posix()
        if name not in made:
            foreign.append(name)
        elif _digest(path) != made[name]:
            changed.append(name)
    if changed or foreign:
        shown = [
            *(f"{n} (changed since the demo made it)" for n in changed),
            *(f"{n} (not made by the demo)" for n in foreign),
        ]
        raise ConfigError(
            f"{folder} holds files the demo would overwrite: {'; '.join(shown[:5])}"
            + (f"; and {len(shown) - 5} more" if len(shown) > 5 else "")
            + ". Nothing was removed.",
            hint="move them away, or run the demo in another folder with --dir",
        )
    for name in made:
        (folder / name).unlink(missing_ok=True)
    for name in OWN:  # the folders the demo made, now empty
        for path in sorted((folder / name).rglob("*"), reverse=True) if (folder / name).is_dir() else []:
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        if (folder / name).is_dir() and not any((folder / name).iterdir()):
            (folder / name).rmdir()
    folder.mkdir(parents=True, exist_ok=True)


@contextmanager
def _recorded(folder: Path) -> Iterator[None]:
    """Write the manifest of what the run made, however it ends."""
    try:
        yield
    finally:
        files = {p.relative_to(folder).as_posix(): _digest(p) for p in _ours(folder)}
        note = "made by `matsync demo`: the files it made; the next demo run removes only those unchanged"
        (folder / MARKER).write_text(json.dumps({"note": note, "files": files}, indent=1) + "\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def replay_lines(folder: Path, api_key: str) -> list[str]:
    """How to run a step again by hand, as lines that run as printed (POSIX shell)."""
    port = _free_port()
    matsync = f"{shlex.quote(sys.executable)} -m sheets_sync"
    env = (
        f"MATERIAL_LIBRARY_MASTER={shlex.quote(str(folder / WORKBOOK))} "
        f"MIGRATION_OUTPUT_DIR={shlex.quote(str(folder / 'output'))} "
        f"PPAK_EXPORT_DIR={shlex.quote(str(folder / 'ppak_exports'))} "
        f"INNERGY_BASE_URL=http://127.0.0.1:{port} INNERGY_API_KEY={shlex.quote(api_key)}"
    )
    return [
        "replay a step yourself: start the demo's INNERGY sandbox in one terminal (Ctrl-C stops it),",
        f"  {matsync} sandbox --port {port} --api-key {shlex.quote(api_key)} "
        f"--data {shlex.quote(str(folder / 'innergy_sandbox.json'))}",
        "then run any command in another, e.g.",
        f"  {env} {matsync} plan",
    ]


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
    from sheets_sync.master.tabs import MASTER, SPECS
    from sheets_sync.workbook import Rewrite

    tabs = demo_tabs()
    with open_workbook(settings) as workbook:
        workbook.write([Rewrite(tab, rows, SPECS[tab].style()) for tab, rows in tabs.items()])
    return len(tabs[MASTER]) - 1


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

    folder = directory.resolve()
    _prepare(folder)
    with _recorded(folder):
        return _run(settings, folder)


def _run(settings: Settings, folder: Path) -> Outcome:
    from innergy_client.sandbox import running_sandbox

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
        *replay_lines(folder, sandbox.api_key),
    ]
    return Outcome(summary, ExitCode.OK, lines)
