"""A material create the journal holds is never repeated on INNERGY's listing's word alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from canonical.errors import ExitCode
from innergy_client import wire
from sheets_sync.approval.decide import Innergy
from sheets_sync.approval.settle import resolve_pending
from sheets_sync.approval.targets import INNERGY_TARGET
from sheets_sync.commands.push import push
from sheets_sync.master.tabs import MASTER
from sheets_sync.store.journal import Journal
from sheets_sync.workbook import CellUpdate
from tests.fakes import push_world
from tests.fakes.push_world import World, part

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world


def test_a_created_record_the_listing_no_longer_shows_is_not_created_again(
    make_world: Callable[..., World],
) -> None:
    world = make_world([part(1)])
    world.plan()
    world.tick(["P-0001"])
    assert push(world.settings).summary["created"] == 1
    [made] = world.sandbox.materials
    renamed = {**{k: v for k, v in made.items() if k not in wire.READ_ONLY_MATERIAL_FIELDS}}
    renamed |= {"MaterialName": "Part 1 (old)", "ExternalId": "OLD-1"}  # someone re-keyed it in INNERGY
    httpx.post(
        f"{world.sandbox.url}/api/materials/{made['Id']}/edit",
        json=renamed,
        headers={"Api-Key": world.sandbox.api_key},
    ).raise_for_status()
    world.write([CellUpdate(MASTER, 2, "INNERGY ID", None)])  # and the master row lost its link
    world.plan()
    world.tick(["P-0001"])

    dry = push(world.settings, dry_run=True)
    again = push(world.settings)

    assert dry.summary["results"] == again.summary["results"], "the dry run says what the push does"
    assert again.exit_code == ExitCode.OK, again.lines
    assert again.summary["created"] == 0 and len(world.sandbox.materials) == 1
    result = world.results()["P-0001"]
    assert result.startswith("skipped:") and made["Id"] in result and "not created again" in result


def _material(record_id: str, name: str, external_id: str | None) -> wire.Material:
    return wire.Material.model_validate({"Id": record_id, "MaterialName": name, "ExternalId": external_id})


def test_an_open_create_is_settled_by_its_name_where_innergy_shows_no_external_id(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "state.db") as journal:
        run = journal.start_run("push")
        landed = journal.intend(
            run, INNERGY_TARGET, "create", "P-1", payload={"MaterialName": "Part 1", "ExternalId": "P-1"}
        )
        other = journal.intend(
            run, INNERGY_TARGET, "create", "P-2", payload={"MaterialName": "Part 2", "ExternalId": "P-2"}
        )
        innergy = Innergy((_material("m-1", "part 1", None), _material("m-2", "Part 2", "X-9")))

        assert resolve_pending(journal, innergy) == 2

        writes = {w.write_id: w for w in journal.writes(run)}
    assert (writes[landed].state, writes[landed].innergy_id) == ("done", "m-1")
    assert writes[other].state == "failed", "a record of that name with another external id is not ours"
