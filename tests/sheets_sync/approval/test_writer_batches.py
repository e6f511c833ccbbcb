"""The writer settles each batch's answers in the transaction that intends the next batch:
a run that dies between an answer and that commit leaves the write open, and the next
push settles it by looking, never by sending it again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from canonical.errors import ExitCode, JournalError
from canonical.models import Material
from innergy_client import InnergyClient
from sheets_sync.commands.push import push
from sheets_sync.store.journal import Intent, Journal
from tests.fakes import push_world
from tests.fakes.push_world import World, part

fake, sandbox, make_world = push_world.fake, push_world.sandbox, push_world.make_world

CREATES, UPDATES = 60, 120


class Died(BaseException):
    """The process gone at this point: nothing after it runs, not even a ``finally``'s journal."""


def posts(world: World) -> Counter[str]:
    """INNERGY material writes received, by path kind (create, or edit of one record id)."""
    return Counter(
        "create" if path.endswith("/create") else path
        for method, path in world.sandbox.requests
        if method == "POST" and path.startswith("/api/materials/")
    )


def ticked_world(make_world: Callable[..., World]) -> tuple[World, list[Material]]:
    existing = [part(n) for n in range(UPDATES)]
    master = [part(n, "7.10") for n in range(UPDATES)] + [part(n) for n in range(UPDATES, UPDATES + CREATES)]
    world = make_world(master, in_innergy=existing)
    world.plan()
    world.tick([m.sku for m in master])
    return world, master


def test_a_run_dead_between_answers_and_their_commit_is_settled_by_looking_never_resent(
    make_world: Callable[..., World], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, master = ticked_world(make_world)
    steps: list[int] = []
    real_step = Journal.step

    def dying_step(self: Journal, run_id: str, intents: Sequence[Intent] = (), **answers: Any) -> list[str]:
        steps.append(sum(len(a) for a in answers.values()))
        # the creates' answers commit; the first edit round's, with the third round's intents, never
        if sum(n > 0 for n in steps) > 1:
            raise Died
        return real_step(self, run_id, intents, **answers)

    monkeypatch.setattr(Journal, "step", dying_step)
    client = InnergyClient(world.sandbox.url, world.sandbox.api_key, batch_size=20, backoff=0.001)
    with client, pytest.raises(Died):
        push(world.settings, client=client)
    monkeypatch.setattr(Journal, "step", real_step)
    open_after_death = world.journal_rows(
        "SELECT COUNT(*) FROM writes WHERE target = 'innergy.material' AND state = 'intended'"
    )[0][0]
    sent_before = posts(world)
    assert open_after_death >= 50, "the first edit round landed, but its answers were never committed"
    # round 1 was sent; of round 2 (queued), only the edits already running when the run died
    assert 50 <= sum(sent_before.values()) - sent_before["create"] <= 2 * 50

    again = push(world.settings)

    assert again.exit_code == ExitCode.OK, again.lines
    assert again.summary["pending_resolved"] >= open_after_death - (
        UPDATES + CREATES - sum(sent_before.values())
    )
    assert world.records() == {m.sku: 1 for m in master}, "every create landed exactly once"
    edits = posts(world) - Counter({"create": posts(world)["create"]})
    assert set(edits.values()) == {1} and len(edits) == UPDATES, "no edit was sent twice"
    assert set(world.results().values()) <= {"applied", "skipped: already applied"}
    assert world.journal_rows("SELECT DISTINCT state FROM writes WHERE target = 'innergy.material'") in (
        [("done",)],
        [("done",), ("failed",)],
        [("failed",), ("done",)],
    )


def test_answers_whose_commit_was_refused_with_the_next_intents_are_still_journalled(
    make_world: Callable[..., World], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, master = ticked_world(make_world)
    real_step = Journal.step
    refused: list[int] = []

    def refusing_step(
        self: Journal, run_id: str, intents: Sequence[Intent] = (), **answers: Any
    ) -> list[str]:
        if intents and intents[0].op == "update" and any(answers.values()) and not refused:
            refused.append(len(intents))  # the third edit round's intents, with the first round's answers
            raise JournalError("refused")
        return real_step(self, run_id, intents, **answers)

    monkeypatch.setattr(Journal, "step", refusing_step)
    with pytest.raises(JournalError, match="refused"):
        push(world.settings)
    monkeypatch.setattr(Journal, "step", real_step)
    states = Counter(state for (state,) in world.journal_rows("SELECT state FROM writes WHERE op = 'update'"))
    assert refused == [UPDATES - 2 * 50] and states["done"] == 50, states

    again = push(world.settings)

    assert again.exit_code == ExitCode.OK, again.lines
    assert world.records() == {m.sku: 1 for m in master}
    edits = posts(world) - Counter({"create": posts(world)["create"]})
    assert set(edits.values()) == {1} and len(edits) == UPDATES, "no edit was sent twice"
