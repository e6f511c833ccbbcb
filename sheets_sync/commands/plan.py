"""``matsync plan``: pull the sheet, read INNERGY, diff, write the diff tabs and the plan file.

The order of the steps is the safety argument:

1. ONE workbook read: master, mapping tabs, the current DIFF tabs (for the ticks) and
   ISSUES (so that only this command's problems are replaced in it). A master that cannot
   say which materials exist (missing, empty, a required column missing, a header twice)
   stops the plan here, before anything is written.
2. INNERGY's library (the API through the client, or an exported file), PPak's
   canonical library if ``ppak-import`` wrote one, the journal's sync baseline if a
   journal exists (it is never created here).
3. The plan (``canonical.build_plan``), refused when it would deactivate en masse without
   ``--allow-mass-deactivate``; ticks of the old DIFF tabs are kept on changes whose id
   is the same, i.e. changes that are still identical, unless the journal says the change
   was applied or reverted under the plan that tab showed: a tick approves one change of
   one plan, once. A change an undo reverted is shown unticked, saying so.
4. Files first (``plans/<id>.json`` before anything names the id), then ONE workbook
   write: DIFF_INNERGY, DIFF_PPAK and ISSUES rewritten with their formatting.

So the number of Sheets API calls does not depend on the number of rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from canonical.errors import ExitCode
from canonical.gc_pause import paused_gc
from canonical.models import InnergyMaterial, Material, Problem
from canonical.plan import Plan, build_plan, tab_plan_id, ticked_change_ids
from innergy_client import InnergyClient
from innergy_client.workers import in_background, result
from reports.plan import (
    DIFF_INNERGY,
    DIFF_PPAK,
    HEADER_ROW,
    diff_innergy_rows,
    diff_ppak_rows,
    plan_html,
    plan_json,
    plan_markdown,
)
from sheets_sync.config import Settings
from sheets_sync.console import Outcome
from sheets_sync.store.files import write_jsonl, write_text
from sheets_sync.store.paths import Outputs
from sheets_sync.store.plans import read_ppak_input, save_plan
from sheets_sync.workbook.base import Workbook

__all__ = [
    "ACTION_COLORS",
    "InnergyRead",
    "InnergyReader",
    "PlanRun",
    "api_reader",
    "cells_fingerprint",
    "file_reader",
    "plan",
    "run_plan",
    "summary",
]

InnergyRead = tuple[Sequence[InnergyMaterial], Sequence[Problem], str]
"""INNERGY's material library as read: the records, the problems found reading them, and
the fingerprint of what was read (the sha256 of its bytes)."""
InnergyReader = Callable[[], InnergyRead]
"""Reads INNERGY's material library (``InnergyRead``)."""

ACTION_COLORS: Mapping[str, str] = {
    "create": "#E6F4EA",
    "update": "#FEF7E0",
    "deactivate": "#FCE8E6",
    "reactivate": "#E8F0FE",
    "conflict": "#F3E8FD",
    "new": "#E6F4EA",
    "differs": "#FEF7E0",
}
"""Row background per action (DIFF_INNERGY) and per kind (DIFF_PPAK); the HTML report's colours."""


@dataclass(frozen=True)
class PlanRun:
    """What one plan did: the plan, the problems listed in ISSUES, ticks kept, files written."""

    plan: Plan
    problems: tuple[Problem, ...]
    ticks_kept: int
    files: Mapping[str, Path]

    @property
    def awaiting(self) -> int:
        """Changes a person has to review."""
        return len(self.plan.changes) + len(self.plan.ppak_changes)


def api_reader(client: InnergyClient) -> InnergyReader:
    """INNERGY's library through an ``InnergyClient`` (one paged listing, read as canonical
    records without the wire model: ``InnergyClient.read_library``)."""

    def read() -> tuple[Sequence[InnergyMaterial], list[Problem], str]:
        records, digest = client.read_library()
        return records, [], digest

    return read


def file_reader(path: Path) -> InnergyReader:
    """INNERGY's library from an exported .xlsx or .csv (``--innergy-source``)."""
    from innergy_client import read_library_file

    def read() -> tuple[list[InnergyMaterial], list[Problem], str]:
        records, problems = read_library_file(path)
        return records, problems, hashlib.sha256(path.read_bytes()).hexdigest()[:16]

    return read


def cells_fingerprint(tabs: Mapping[str, Sequence[Sequence[Any]] | None], names: Sequence[str]) -> str:
    """The sha256 of the cells of the tabs ``names`` as read (the master's input fingerprint)."""
    import msgspec

    digest = hashlib.sha256()
    for name in names:
        digest.update(msgspec.json.encode([name, tabs.get(name)], enc_hook=repr))
    return digest.hexdigest()[:16]


def write_files(plan: Plan, materials: Sequence[Material], output_dir: Path) -> dict[str, Path]:
    """The plan file, its three reports and the master as pulled."""
    out = Outputs(output_dir)
    return {
        "plan": save_plan(out, plan),
        "report_md": write_text(out.report(f"plan_{plan.plan_id}.md"), plan_markdown(plan)),
        "report_html": write_text(out.report(f"plan_{plan.plan_id}.html"), plan_html(plan)),
        "report_json": write_text(out.report(f"plan_{plan.plan_id}.json"), plan_json(plan)),
        "materials": write_jsonl(out.canonical("materials.jsonl"), materials),
    }


def _diff_tab(tab: str, rows: list[list[Any]], kinds: Sequence[str]) -> Any:
    """A whole-tab rewrite with its look (``TabSpec.tool_tab``): rows coloured by action, and
    the action names above the header in their colours, the legend."""
    from sheets_sync.master.tabs import SPECS
    from sheets_sync.workbook import Rewrite

    colors = {HEADER_ROW + 1 + i: ACTION_COLORS[kind] for i, kind in enumerate(kinds)}
    legend = {
        (HEADER_ROW - 1, col): ACTION_COLORS[name]
        for col, name in enumerate(rows[HEADER_ROW - 2], start=1)
        if isinstance(name, str) and name in ACTION_COLORS
    }
    return Rewrite(tab, rows, SPECS[tab].style(row_colors=colors, cell_colors=legend))


def read_baseline(output_dir: Path) -> Mapping[str, InnergyMaterial]:
    """INNERGY's records as of the last sync, by INNERGY id; empty when no journal exists yet."""
    from sheets_sync.store.journal import Journal

    journal = Journal.open_existing(Outputs(output_dir).journal)
    if journal is None:
        return {}
    with journal:
        return journal.baseline()


def kept_ticks(
    old_tabs: Sequence[Sequence[Sequence[Any]]], output_dir: Path
) -> tuple[set[str], dict[str, str]]:
    """The ticks of the old DIFF tabs a re-plan keeps, and a Result per change an undo reverted.

    A tick is dropped when its change was applied or reverted under the plan its tab
    showed (B1); no journal yet, nothing was. The note stays on a reverted change, unticked,
    until it is applied again.
    """
    from sheets_sync.approval.decide import REVERTED_NOTE
    from sheets_sync.store.journal import Journal

    journal = Journal.open_existing(Outputs(output_dir).journal)
    if journal is None:
        return set().union(*(ticked_change_ids(rows) for rows in old_tabs)), {}
    ticked: set[str] = set()
    with journal:
        reverted = journal.reverted_changes()
        for rows in old_tabs:
            plan_id = tab_plan_id(rows)
            spent = journal.applied_change_ids(plan_id) if plan_id else set()
            spent |= {r.change_id for r in reverted if r.plan_id == plan_id}
            ticked |= ticked_change_ids(rows, spent)
    notes = {r.change_id: REVERTED_NOTE.format(run=r.undo_run) for r in reverted if r.change_id not in ticked}
    return ticked, notes


def run_plan(
    workbook: Workbook,
    innergy: InnergyReader | Future[InnergyRead],
    output_dir: Path,
    *,
    now: datetime | None = None,
    allow_mass_deactivate: bool = False,
) -> PlanRun:
    """The plan over an open workbook and an INNERGY reader (or its read, already under
    way): one read, files, one write.

    INNERGY is read while the workbook is (both are reads: a master that stops the plan
    leaves nothing half-done), which takes the shorter of the two off the plan's time.
    The cyclic collector is paused throughout: a plan's records and changes are alive
    until it ends, none in a cycle, and its full passes over them freed nothing."""
    with paused_gc():
        return _run_plan(workbook, innergy, output_dir, now=now, allow_mass_deactivate=allow_mass_deactivate)


def _run_plan(
    workbook: Workbook,
    innergy: InnergyReader | Future[InnergyRead],
    output_dir: Path,
    *,
    now: datetime | None,
    allow_mass_deactivate: bool,
) -> PlanRun:
    from sheets_sync.master.issues import issues_rewrite
    from sheets_sync.master.reader import LIBRARY_TABS, read_library, require_master_rows
    from sheets_sync.master.tabs import ISSUES

    # a read only; both reads wait on I/O or release the GIL (a caller may have started it)
    listing = innergy if isinstance(innergy, Future) else in_background(innergy)
    tabs = dict(workbook.read_tabs([*LIBRARY_TABS, DIFF_INNERGY, DIFF_PPAK, ISSUES]))
    library, pulled, _rows = read_library(workbook, tabs)
    require_master_rows(library)
    master = cells_fingerprint(tabs, LIBRARY_TABS)
    for name in LIBRARY_TABS:  # parsed: their cells are let go of before INNERGY's records are held
        tabs.pop(name, None)
    records, read_problems, innergy_fingerprint = result(listing)
    ppak, ppak_fingerprint = read_ppak_input(Outputs(output_dir))
    inputs = {"master": master, "innergy": innergy_fingerprint}
    built = build_plan(
        library,
        records,
        ppak=ppak,
        baseline=read_baseline(output_dir),
        now=now,
        allow_mass_deactivate=allow_mass_deactivate,
        inputs=inputs if ppak_fingerprint is None else {**inputs, "ppak": ppak_fingerprint},
    )
    ticked, notes = kept_ticks([tabs.get(DIFF_INNERGY) or [], tabs.get(DIFF_PPAK) or []], output_dir)
    problems = (*pulled, *read_problems, *built.problems)
    files = write_files(built, library.materials, output_dir)
    limit, plan_file = workbook.max_cell_chars, files["plan"].relative_to(output_dir).as_posix()
    innergy_rows = diff_innergy_rows(built, ticked, notes, limit=limit, plan_file=plan_file)
    ppak_rows = diff_ppak_rows(built, ticked, notes, limit=limit, plan_file=plan_file)
    ops = [
        _diff_tab(DIFF_INNERGY, innergy_rows, [c.action for c in built.changes]),
        _diff_tab(DIFF_PPAK, ppak_rows, [p.kind for p in built.ppak_changes]),
    ]
    sources = {*LIBRARY_TABS, *(p.source for p in read_problems)}
    issues = issues_rewrite(tabs.get(ISSUES), problems, sources, limit)
    workbook.write([*ops, issues] if issues is not None else ops)
    ids = [c.change_id for c in built.changes] + [p.change_id for p in built.ppak_changes]
    kept = len(ticked.intersection(ids))
    return PlanRun(built, problems, kept, files)


def summary(run: PlanRun) -> Outcome:
    """The Outcome of a plan: exit 3 when changes await approval, 0 when there are none."""
    built = run.plan
    counts = built.counts()
    exit_code = ExitCode.NEEDS_PERSON if run.awaiting else ExitCode.OK
    result = {
        "command": "plan",
        "plan_id": built.plan_id,
        "counts": counts,
        "changes": run.awaiting,
        "unchanged": built.unchanged,
        "unmanaged": len(built.unmanaged),
        "ticks_kept": run.ticks_kept,
        "awaiting_review": bool(run.awaiting),
        "files": {name: str(path) for name, path in run.files.items()},
        "problems": len(run.problems),
        "problem_list": [p.model_dump(mode="json") for p in run.problems],
    }
    shown = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    lines = [
        f"plan {built.plan_id}: {shown or 'no changes'}; {built.unchanged} unchanged; "
        f"{run.ticks_kept} approvals kept; {len(run.problems)} problems (see ISSUES)",
        f"plan file: {run.files['plan']}",
        f"report: {run.files['report_html']}",
    ]
    if run.awaiting:
        lines.append("review DIFF_INNERGY / DIFF_PPAK, tick Approve, then run `matsync push`")
    return Outcome(result, exit_code, lines)


def plan(
    settings: Settings, innergy_source: Path | None = None, *, allow_mass_deactivate: bool = False
) -> Outcome:
    """``matsync plan``: INNERGY from the API (INNERGY_BASE_URL / INNERGY_API_KEY) or a file."""
    settings.workbook_ref()
    from sheets_sync.connect import innergy_client, open_workbook, workbook_needs_login
    from sheets_sync.store.lock import run_lock

    out, allow = settings.output_dir, allow_mass_deactivate

    def planned() -> PlanRun:  # the workbook's cells are let go of before the collector resumes
        if innergy_source is not None:
            with open_workbook(settings) as workbook:
                return run_plan(workbook, file_reader(innergy_source), out, allow_mass_deactivate=allow)
        with innergy_client(settings) as client:
            # INNERGY answers while the workbook opens, unless a person (or a missing
            # credential) must be dealt with first: then INNERGY is asked only after
            reader = api_reader(client)
            listing = reader if workbook_needs_login(settings) else in_background(reader)
            with open_workbook(settings) as workbook:
                return run_plan(workbook, listing, out, allow_mass_deactivate=allow)

    with run_lock(settings.output_dir, "plan"), paused_gc():
        return summary(planned())
