"""A push, and its undo, keep every field of an INNERGY material, those matsync does not model too.

INNERGY edits replace the whole record and the sandbox, as INNERGY, clears what a body
leaves out. Records carry the import sheet's other fields (MRPType, GL accounts, Stock,
GrainDirection, the approval flags), each record its own values; a cost update, a
deactivation and a reactivation are pushed, then undone, and every one of those fields
is compared exactly (value and JSON type) after each step.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from canonical.errors import ExitCode
from canonical.models import Material
from canonical.projection import project_material
from innergy_client import InnergyClient, to_wire, wire
from innergy_client.sandbox import SHEET_ONLY_FIELDS, Sandbox
from sheets_sync.commands.push import push
from sheets_sync.commands.undo import undo
from sheets_sync.master.reader import parse_library
from tests.fakes import push_world
from tests.fakes.push_world import World, part, tabs_for

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world


def sheet_fields(n: int) -> dict[str, Any]:
    """The fields matsync does not model, different on every record."""
    return {
        "MRPType": "Purchased" if n % 2 else "Manufactured",
        "ExpenseOrCostOfGoodsSoldGLAccount": f"5010-{n}",
        "InventoryGLAccount": f"1400-{n}",
        "AccountsPayableGLAccount": "2000",
        "Stock": 12.5 + n,
        "GrainDirection": ["Length", "Width", "None"][n % 3],
        "ExternalApproval": n % 2 == 0,
        "ExpenseUponReceipt": n % 2 == 1,
    }


def seed(sandbox: Sandbox, records: list[tuple[Material, str]]) -> None:
    """INNERGY's records, each with its sheet fields, created over HTTP through the client."""
    uom = parse_library(tabs_for([m for m, _ in records]))[0].uoms[0]
    bodies = [
        wire.MaterialWrite.model_validate(
            {**wire.json_body(to_wire(project_material(m, uom))), "Status": status, **sheet_fields(n)}
        )
        for n, (m, status) in enumerate(records)
    ]
    with InnergyClient(sandbox.url, sandbox.api_key, backoff=0.001) as client:
        client.create_materials(bodies)


def library(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    return {str(r["ExternalId"]): r for r in sandbox.materials}


def records(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """Every record as INNERGY holds it, but for the time of its last edit."""
    return {sku: {k: v for k, v in r.items() if k != "ModifiedOn"} for sku, r in library(sandbox).items()}


def assert_sheet_fields_kept(sandbox: Sandbox) -> None:
    for n, sku in enumerate(("P-0000", "P-0001", "P-0002")):
        kept = {name: library(sandbox)[sku].get(name) for name in SHEET_ONLY_FIELDS}
        assert json.dumps(kept, sort_keys=True) == json.dumps(sheet_fields(n), sort_keys=True), sku


def test_cost_update_deactivation_reactivation_and_their_undo_keep_every_field(
    make_world: Callable[..., World],
) -> None:
    master = [part(0, "9.50"), part(1).model_copy(update={"active": False}), part(2)]
    world = make_world(master)
    seed(world.sandbox, [(part(0), "Active"), (part(1), "Active"), (part(2), "Inactive")])
    assert_sheet_fields_kept(world.sandbox)
    before = records(world.sandbox)
    world.plan()
    world.tick(["P-0000", "P-0001", "P-0002"])

    pushed = push(world.settings)

    assert pushed.exit_code == ExitCode.OK, pushed.lines
    counts = {k: pushed.summary[k] for k in ("updated", "deactivated", "reactivated", "applied")}
    assert counts == {"updated": 1, "deactivated": 1, "reactivated": 1, "applied": 3}
    now = library(world.sandbox)
    assert Decimal(str(now["P-0000"]["Cost"]["Value"])) == Decimal("9.5")
    assert (now["P-0001"]["Status"], now["P-0002"]["Status"]) == ("Inactive", "Active")
    assert_sheet_fields_kept(world.sandbox)

    undone = undo(world.settings, str(pushed.summary["run_id"]))

    assert undone.exit_code == ExitCode.OK, undone.lines
    assert undone.summary["counts"]["conflicts"] == 0
    assert_sheet_fields_kept(world.sandbox)
    assert records(world.sandbox) == before
