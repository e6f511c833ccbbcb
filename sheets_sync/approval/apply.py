"""One path for a push and its dry run: decide the writes once, then send them or predict them.

``prepare`` turns the decisions into the writes (pure); ``send`` carries the INNERGY
side out through the journalled ``Writer`` and ``predict`` says what it would answer;
``push_writes`` builds the workbook side from either answer the same way. A dry run
therefore shows what a push writes, by construction rather than by a second derivation
(sqlite-utils' ``transform`` / ``transform_sql`` split).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from canonical.plan import MaterialChange, Plan, PPakChange
from innergy_client import InnergyClient, wire
from innergy_client.mapping import to_canonical
from sheets_sync.approval.decide import ALREADY, APPLIED, WOULD_APPLY, Decision, Innergy, Known, decide
from sheets_sync.approval.diff_tabs import Sheet
from sheets_sync.approval.report import Report
from sheets_sync.approval.targets import INNERGY_TARGET
from sheets_sync.approval.write_back import (
    SheetWrite,
    WriteBack,
    link_ids,
    lost_write_back,
    master_cells,
    ppak_sheet_write,
    results_cells,
)
from sheets_sync.approval.writer import Applied, Writer, create_body, edit_body_for
from sheets_sync.interrupt import Stop
from sheets_sync.store.journal import Journal

__all__ = ["NEW_ID", "Writes", "predict", "prepare", "push_writes", "send"]

NEW_ID = "(new INNERGY id)"
"""What a dry run shows for the INNERGY ID a create will be given."""
NOT_FOUND = "failed: the INNERGY record to edit was not found"


@dataclass(frozen=True)
class Writes:
    """What a push writes to INNERGY, decided from one read of the workbook and of INNERGY
    (nothing, without a plan or INNERGY to read)."""

    decisions: tuple[Decision, ...] = ()
    creates: tuple[MaterialChange, ...] = ()
    edits: tuple[tuple[MaterialChange, wire.Material], ...] = ()
    """Each edit with INNERGY's current record (edits replace the whole record)."""
    refused: tuple[tuple[MaterialChange, str], ...] = ()
    """Approved rows that cannot be sent, with the Result that says why."""
    ppak: tuple[Decision, ...] = ()
    """Approved DIFF_PPAK rows: master writes only."""

    def innergy_requests(self) -> list[dict[str, Any]]:
        """The bodies that would be sent, in INNERGY's names (what a dry run shows)."""
        creates = [
            {"op": "create", "sku": c.sku, "body": wire.json_body(create_body(c))} for c in self.creates
        ]
        edits = [
            {"op": c.action, "sku": c.sku, "innergy_id": current.id,
             "body": wire.json_body(edit_body_for(c, current))}
            for c, current in self.edits
        ]  # fmt: skip
        return creates + edits


def prepare(innergy: Innergy, decisions: Sequence[Decision]) -> Writes:
    """Sort the applicable decisions into creates, edits (with their record) and refusals."""
    creates, edits, refused = [], [], []
    for decision in decisions:
        change = decision.change
        if decision.verdict is not None or not isinstance(change, MaterialChange):
            continue
        if change.payload is None:
            refused.append((change, "failed: the plan holds no values for this change"))
        elif change.action == "create":
            creates.append(change)
        elif (current := innergy.record_for(change)) is None:
            refused.append((change, NOT_FOUND))
        else:
            edits.append((change, current))
    ppak = [d for d in decisions if d.verdict is None and isinstance(d.change, PPakChange)]
    return Writes(tuple(decisions), tuple(creates), tuple(edits), tuple(refused), tuple(ppak))


def send(
    writes: Writes,
    client: InnergyClient,
    journal: Journal,
    run_id: str,
    plan_id: str,
    stop: Stop | None = None,
) -> Applied:
    """The INNERGY writes, journalled; what they answered becomes the sync baseline. Once
    ``stop`` is requested no further write is sent."""
    writer = Writer(client, journal, run_id, plan_id, stop)
    writer.create(writes.creates)
    writer.edit(writes.edits)
    out = _settled(writer.out, writes, APPLIED)
    if out.records:
        answers = list(out.records.values())
        journal.set_baseline({a.id: to_canonical(a) for a in answers})
        journal.set_ids(INNERGY_TARGET, {a.external_id: a.id for a in answers if a.external_id})
    return out


def predict(writes: Writes) -> Applied:
    """What ``send`` would answer if INNERGY took every write: nothing is sent."""
    out = Applied()
    for change in writes.creates:
        out.results[change.change_id], out.ids[change.change_id] = WOULD_APPLY, NEW_ID
    for change, current in writes.edits:
        out.results[change.change_id], out.ids[change.change_id] = WOULD_APPLY, current.id
    return _settled(out, writes, WOULD_APPLY)


def _settled(out: Applied, writes: Writes, ppak_result: str) -> Applied:
    for change, result in writes.refused:
        out.results[change.change_id] = result
    for decision in writes.ppak:
        out.results[decision.ticked.change_id] = ppak_result
    return out


def push_writes(
    sheet: Sheet,
    plan: Plan | None,
    innergy: Innergy | None,
    known: Known,
    carry_out: Callable[[Writes], Applied],
    synced: str,
) -> tuple[Report, WriteBack, Writes]:
    """Decide, carry the INNERGY writes out (``send`` or ``predict``), and build the workbook
    write from their answers: master cells, PPak rows, links, a Result per ticked row."""
    report, back, writes = Report(), WriteBack(), Writes()
    if plan is not None and innergy is not None:
        writes = prepare(innergy, decide(sheet.ticked, plan, sheet.library, innergy, known))
        applied = carry_out(writes)
        _record(report, back, sheet, innergy, writes, applied, synced, plan.plan_id, known.unreported)
    if innergy is not None:
        links = link_ids(back, sheet, innergy, sheet.plan_id)
        back.journalled.extend(links)
        report.counts["linked"] = len(links)
    results_cells(report.results, sheet, back)
    return report, back, writes


def _record(
    report: Report,
    back: WriteBack,
    sheet: Sheet,
    innergy: Innergy,
    writes: Writes,
    applied: Applied,
    synced: str,
    plan_id: str,
    unreported: Mapping[str, str],
) -> None:
    """Results and master writes per decision; the master's cells before the PPak rows.

    A change a killed run applied (``unreported``) gets the Result and master cells that
    run never wrote."""
    sheet_writes: list[SheetWrite] = []
    for decision in writes.decisions:
        change = decision.change
        innergy_id: str | None = None
        if decision.verdict is None and isinstance(change, MaterialChange):
            report.record(decision.ticked, applied.results[change.change_id], change)
            innergy_id = applied.ids.get(change.change_id)
        elif decision.verdict == ALREADY and decision.ticked.change_id in unreported:
            report.record_recovered(decision.ticked)
            if isinstance(change, MaterialChange):
                record = innergy.record_for(change)
                innergy_id = record.id if record is not None else None
        elif decision.verdict is not None:
            report.record(decision.ticked, decision.verdict, change)
            if decision.verdict == ALREADY and isinstance(change, MaterialChange):
                record = lost_write_back(sheet, innergy, change)
                innergy_id = record.id if record is not None else None
        if innergy_id is not None and isinstance(change, MaterialChange):
            sheet_writes.extend(master_cells(back, sheet, change.sku, innergy_id, synced, plan_id))
    for decision in writes.ppak:
        assert isinstance(decision.change, PPakChange)
        problems, write = ppak_sheet_write(decision.change, sheet, back)
        report.problems.extend(problems)
        sheet_writes.append(write)
        report.record(decision.ticked, applied.results[decision.ticked.change_id], decision.change)
    back.journalled.extend(sheet_writes)
