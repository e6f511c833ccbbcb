"""The plan's fast path and the model path make the same plan, change for change.

The fast path reads INNERGY's listing through ``wire.ListedMaterial`` into records built
by ``from_valid`` (``InnergyClient.read_library``); the model path validates every record
with the wire model and converts it (``wire.Material`` + ``to_canonical``), as push still
does. Both run over generated worlds (``tests.fakes.plan_worlds``: renames, records entered
by hand, shared external ids, stolen INNERGY IDs, bad cells, ``(clear)``, PPak codes,
baselines, lost blocks) and must give the same plan: every change with its id, action,
lines, payload, record and fingerprints, the same problems, or the same refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings

from canonical.errors import MassDeactivation, MatsyncError
from canonical.models import InnergyMaterial
from canonical.plan import Plan, build_plan
from canonical.serialize import canonical_json
from innergy_client import to_canonical, wire
from innergy_client.client import _canonical
from sheets_sync.master.reader import parse_library
from tests.fakes.plan_worlds import PlanWorld, plan_worlds

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def by_the_model_path(listing: list[dict[str, Any]]) -> list[InnergyMaterial]:
    return [to_canonical(wire.Material.model_validate(record)) for record in listing]


def plan_of(world: PlanWorld, records: list[InnergyMaterial]) -> Plan | str:
    library, _, _ = parse_library(world.tabs)
    try:
        return build_plan(library, records, ppak=world.ppak, baseline=world.baseline, now=NOW)
    except MassDeactivation as refused:
        return str(refused)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_worlds())
def test_both_paths_make_the_same_plan(world: PlanWorld) -> None:
    try:
        parse_library(world.tabs)
    except MatsyncError:  # a master the plan refuses before INNERGY is read: no plan on either path
        return
    fast = plan_of(world, _canonical(list(world.listing)))
    model = plan_of(world, by_the_model_path(world.listing))
    if isinstance(model, str):
        assert fast == model
        return
    assert isinstance(fast, Plan)
    assert canonical_json(fast) == canonical_json(model)
    assert [c.change_id for c in fast.changes] == [c.change_id for c in model.changes]
    assert fast == model
