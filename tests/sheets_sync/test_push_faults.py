"""Push under INNERGY's faults: lost answers, 429/500 storms, a crash between writes."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from canonical.models import Library, Material, UomMapping
from canonical.plan import build_plan
from innergy_client import InnergyClient, to_canonical
from innergy_client.sandbox import running_sandbox
from reports.plan import diff_innergy_rows
from sheets_sync.push import (
    DIFF_INNERGY,
    Innergy,
    Sheet,
    decide,
    execute,
    open_journal,
    read_diff_tab,
    resolve_pending,
)

UOM = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="EA", innergy_common_uom="EA")


def library(count: int) -> Library:
    materials = tuple(
        Material(sku=f"F-{i:04}", name=f"Fault part {i}", category="Hardware", uom="EA", cost=Decimal("1.25"))
        for i in range(count)
    )
    return Library(materials=materials, uoms=(UOM,))


def push_once(lib: Library, client: InnergyClient, output: Path, plan: Any) -> dict[str, int]:
    """One push of every change of ``plan`` (all ticked), journalled in ``output``."""
    sheet = Sheet(lib, {m.key: i + 2 for i, m in enumerate(lib.materials)}, {})
    ticks = read_diff_tab(DIFF_INNERGY, diff_innergy_rows(plan, [c.change_id for c in plan.changes])).ticked
    journal = open_journal(output)
    run_id = journal.start_run("push", plan_id=plan.plan_id)
    innergy = Innergy(tuple(client.list_materials()))
    resolve_pending(journal, innergy)
    decisions = decide(ticks, plan, lib, innergy, set(journal.applied_change_ids(plan.plan_id)))
    report, _ = execute(sheet, plan, innergy, decisions, client=client, journal=journal, run_id=run_id)
    journal.finish_run(run_id, outcome=report.outcome, counts=report.counts)
    return report.counts


def test_a_503_after_a_committed_create_then_push_again_gives_exactly_one_record(tmp_path: Path) -> None:
    lib = library(3)
    with running_sandbox(commit_then_503_next=1) as sandbox:
        client = InnergyClient(sandbox.url, sandbox.api_key, backoff=0.01, retries=2)
        plan = build_plan(lib, [])
        first = push_once(lib, client, tmp_path, plan)
        second = push_once(lib, client, tmp_path, plan)
        skus = Counter(r["ExternalId"] for r in sandbox.materials)
    assert first["created"] == 3 and first["failed"] == 0
    assert second["skipped"] == 3 and second["created"] == 0
    assert skus == Counter({"F-0000": 1, "F-0001": 1, "F-0002": 1})


def test_thirty_percent_429_and_500_every_ticked_row_applied_exactly_once(tmp_path: Path) -> None:
    lib = library(60)
    with running_sandbox() as sandbox:
        setup = InnergyClient(sandbox.url, sandbox.api_key)
        setup.create_materials([])
        half = build_plan(Library(materials=lib.materials[:30], uoms=lib.uoms), [])
        push_once(Library(materials=lib.materials[:30], uoms=lib.uoms), setup, tmp_path / "setup", half)
        edited = Library(
            materials=tuple(m.model_copy(update={"cost": Decimal("2")}) for m in lib.materials), uoms=lib.uoms
        )
        plan = build_plan(edited, [to_canonical(r) for r in setup.list_materials()])
        sandbox.faults.update({"failure_rate": 0.15, "rate_limit_rate": 0.15, "retry_after": 0.0})
        client = InnergyClient(sandbox.url, sandbox.api_key, backoff=0.0, retries=12, batch_size=10)
        counts = push_once(edited, client, tmp_path, plan)
        again = push_once(edited, client, tmp_path, plan)
        sandbox.faults.update({"failure_rate": 0.0, "rate_limit_rate": 0.0})
        records = sandbox.materials
    assert counts["created"] == 30 and counts["updated"] == 30 and counts["failed"] == 0
    assert again["skipped"] == 60
    assert Counter(r["ExternalId"] for r in records) == Counter({m.sku: 1 for m in lib.materials})
    assert {Decimal(str(r["Cost"]["Value"])) for r in records} == {Decimal("2")}
