"""The bulk path and today's model path read the same inputs into the same plan.

The bulk path: the master parsed column by column into ``Material``s built without
validating again (``parse_library``), INNERGY's listing typed by msgspec into records
built the same way (``client._canonical``). The model path validates every master row's
``Material`` (``reference_parse_library``) and every INNERGY record twice, by the wire
model and then as ``InnergyMaterial``. Over generated worlds (``tests.fakes.plan_worlds``:
renames, records entered by hand, shared external ids, an INNERGY ID claimed twice, name
clashes, bad cells such as ``$1,39.50``, ``#REF!`` or a date in Cost, ``(clear)``, PPak
rows, claims of rows left out, mass deactivation) both must give the same library (rows,
claims, problems, ``materials.jsonl``) and the same plan, change for change, or the
same refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canonical.errors import MassDeactivation, MatsyncError
from canonical.models import InnergyMaterial, Library
from canonical.plan import Plan, build_plan
from canonical.serialize import canonical_json, jsonl_chunks
from innergy_client import to_canonical, wire
from innergy_client.client import _canonical
from sheets_sync.master.reader import parse_library, reference_parse_library
from sheets_sync.master.tabs import MASTER, MASTER_FIELDS
from tests.fakes.plan_worlds import PlanWorld, plan_worlds

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


COST, PURCHASE = map(list(MASTER_FIELDS).index, ("Cost", "Purchase UoM"))
PER_UNIT = ("$9.75/EA", "12 / sht", "3/BF", "1,204.00/EA")
PURCHASE_UNITS = (None, "EA", "box", "XX", "#N/A")


@st.composite
def worlds(draw: st.DrawFn) -> PlanWorld:
    """``plan_worlds`` with the cells the bulk path checks once per distinct value in some
    rows too: a cost per a unit (the row's or another), a Purchase UoM known or not."""
    world = draw(plan_worlds())
    for row in world.tabs[MASTER][1:]:
        if draw(st.integers(0, 5)) == 0:
            row[COST] = draw(st.sampled_from(PER_UNIT))
        if draw(st.integers(0, 5)) == 0:
            row[PURCHASE] = draw(st.sampled_from(PURCHASE_UNITS))
    return world


def by_the_model_path(listing: list[dict[str, Any]]) -> list[InnergyMaterial]:
    """Each record validated by the wire model, then as a canonical record."""
    return [
        InnergyMaterial.model_validate(dict(to_canonical(wire.Material.model_validate(record))))
        for record in listing
    ]


def plan_of(world: PlanWorld, library: Library, records: list[InnergyMaterial]) -> Plan | str:
    try:
        return build_plan(library, records, ppak=world.ppak, baseline=world.baseline, now=NOW)
    except MassDeactivation as refused:
        return str(refused)


def read(parse: Any, world: PlanWorld) -> Any:
    try:
        return parse(world.tabs)
    except MatsyncError as refused:  # a master the plan refuses before INNERGY is read
        return str(refused)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_both_paths_read_the_same_library_and_make_the_same_plan(world: PlanWorld) -> None:
    bulk, model = read(parse_library, world), read(reference_parse_library, world)
    if isinstance(model, str):
        assert bulk == model
        return
    (library, problems, rows), (reference, reference_problems, reference_rows) = bulk, model
    assert library == reference
    assert [m.model_fields_set for m in library.materials] == [
        m.model_fields_set for m in reference.materials
    ]
    assert b"".join(jsonl_chunks(library.materials)) == b"".join(jsonl_chunks(reference.materials))
    assert problems == reference_problems
    assert rows == reference_rows

    fast = plan_of(world, library, _canonical(list(world.listing)))
    slow = plan_of(world, reference, by_the_model_path(world.listing))
    if isinstance(slow, str):
        assert fast == slow
        return
    assert isinstance(fast, Plan)
    assert [(c.change_id, c.action, c.sku) for c in fast.changes] == [
        (c.change_id, c.action, c.sku) for c in slow.changes
    ]
    for mine, theirs in zip(fast.changes, slow.changes, strict=True):
        assert mine.changes == theirs.changes
        assert (mine.master_fingerprint, mine.innergy_fingerprint) == (
            theirs.master_fingerprint,
            theirs.innergy_fingerprint,
        )
        assert canonical_json(mine.payload or {}) == canonical_json(theirs.payload or {})
    assert fast.problems == slow.problems
    assert canonical_json(fast) == canonical_json(slow)
    assert fast == slow
