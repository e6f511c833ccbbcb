"""The state journal against real SQLite files: crash safety, idempotency, audit, baseline."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canonical.errors import JournalError
from canonical.models import InnergyMaterial
from sheets_sync.store.journal import SCHEMA_VERSION, Encoded, Intent, Journal, default_actor, new_run_id

MATERIAL = "innergy.material"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "out" / "state.db"


@pytest.fixture
def journal(db: Path) -> Iterator[Journal]:
    opened = Journal.open(db, secrets=[])
    yield opened
    opened.close()


def test_a_new_journal_is_versioned_in_wal_mode_with_foreign_keys(db: Path) -> None:
    Journal.open(db).close()
    with Journal.open(db) as again:  # reopening migrates nothing twice
        assert again.runs() == []
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "writes", "applied_changes", "id_map", "sync_baseline"} <= tables
    raw.close()


def test_a_write_for_an_unknown_run_is_refused_by_the_foreign_key(journal: Journal) -> None:
    with pytest.raises(JournalError, match="no-such-run"):
        journal.intend("no-such-run", MATERIAL, "create", "SKU-1")
    assert journal.pending_writes() == []


def test_a_journal_from_a_newer_matsync_is_refused(db: Path) -> None:
    Journal.open(db).close()
    raw = sqlite3.connect(db)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(JournalError, match="newer matsync"):
        Journal.open(db)


def test_a_file_that_is_not_a_journal_is_refused_clearly(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is a spreadsheet, honest" * 100)
    with pytest.raises(JournalError, match="not a matsync journal"):
        Journal.open(db)


def test_run_ids_are_short_sortable_and_unique(journal: Journal) -> None:
    ids = [journal.start_run("push", plan_id="p") for _ in range(200)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == len("20261124T101500Z-ab12") for i in ids)
    assert sorted(i[:16] for i in ids) == [i[:16] for i in ids]
    from datetime import UTC, datetime

    assert new_run_id(datetime(2026, 11, 24, 10, 15, tzinfo=UTC)).startswith("20261124T101500Z-")


def test_the_actor_is_matsync_actor_else_the_os_user(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATSYNC_ACTOR", "otto")
    assert journal.actor(journal.start_run("nightly")) == "otto"
    assert journal.actor(journal.start_run("push", actor="dana")) == "dana"
    assert default_actor({}) not in ("", "otto")


def test_pending_writes_of_one_target(journal: Journal) -> None:
    run = journal.start_run("projects-import")
    material = journal.intend(run, MATERIAL, "update", "SKU-1", None, {"Name": "New"}, "c-1", None)
    bom = journal.intend(run, "innergy.bom", "create", "proj-1", None, {"Lines": []}, None, None)
    assert [w.write_id for w in journal.pending_writes()] == sorted([material, bom])
    assert [w.write_id for w in journal.pending_writes("innergy.bom")] == [bom]
    assert [w.write_id for w in journal.pending_writes(MATERIAL)] == [material]
    assert journal.pending_writes("sheet.nothing") == []


def test_a_write_goes_intended_sent_done_and_is_then_settled(journal: Journal) -> None:
    run = journal.start_run("push", plan_id="p1")
    before = {"Id": "m-1", "Name": "Old", "Cost": {"Value": "1.10"}}
    payload = {"Id": "m-1", "Name": "New", "Cost": {"Value": "1.20"}}
    write = journal.intend(run, MATERIAL, "update", "SKU-1", before, payload, "c-1", "p1")
    assert [w.write_id for w in journal.pending_writes()] == [write]
    journal.mark_sent(write)
    assert journal.pending_writes()[0].state == "sent"
    journal.mark_done(write, innergy_id="m-1", answer={**payload, "ModifiedOn": "now"})
    assert journal.pending_writes() == []
    (done,) = journal.writes(run)
    assert (done.state, done.innergy_id, done.before, done.payload) == ("done", "m-1", before, payload)
    assert done.answer["ModifiedOn"] == "now"
    with pytest.raises(JournalError, match="already done"):
        journal.mark_failed(write, "too late")
    with pytest.raises(JournalError, match="no write 999"):
        journal.mark_done("999")


def test_unknown_writes_stay_pending_until_resolved(journal: Journal) -> None:
    run = journal.start_run("push", plan_id="p1")
    lost, failed = (journal.intend(run, MATERIAL, "create", f"SKU-{n}", None, {"n": n}) for n in (1, 2))
    journal.mark_unknown(lost, "timed out")
    journal.mark_failed(failed, "400: Name is required")
    (pending,) = journal.pending_writes()
    assert (pending.write_id, pending.state, pending.error) == (lost, "unknown", "timed out")
    journal.mark_done(lost, innergy_id="m-9")
    assert journal.pending_writes() == []
    assert {w.state for w in journal.writes(run)} == {"done", "failed"}


CRASHING_PUSH = textwrap.dedent(
    """
    import os, signal, sys
    from sheets_sync.store.journal import Journal
    journal = Journal.open(sys.argv[1])
    run = journal.start_run("push", plan_id="p1")
    done = journal.intend(run, "innergy.material", "create", "SKU-1", None, {"N": 1}, "c-1", "p1")
    journal.mark_done(done, innergy_id="m-1", answer={"Id": "m-1"})
    journal.intend(run, "innergy.material", "create", "SKU-2", None, {"ExternalId": "SKU-2"}, "c-2", "p1")
    os.kill(os.getpid(), signal.SIGKILL)  # the create is on the wire; its answer never recorded
    """
)


def test_a_write_intended_by_a_killed_process_is_pending_for_the_next_run(db: Path) -> None:
    killed = subprocess.run([sys.executable, "-c", CRASHING_PUSH, str(db)], capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with Journal.open(db) as journal:
        (pending,) = journal.pending_writes()
        assert (pending.key, pending.state, pending.payload) == ("SKU-2", "intended", {"ExternalId": "SKU-2"})
        assert journal.applied_change_ids("p1") == {"c-1"}
        (crashed,) = journal.runs()
        assert crashed.finished_at is None and crashed.outcome is None


def test_a_change_applied_by_one_run_is_never_applied_by_another(journal: Journal) -> None:
    first = journal.start_run("push", plan_id="p1")
    write = journal.intend(first, MATERIAL, "create", "SKU-1", None, {}, "c-1", "p1")
    retry = journal.intend(first, MATERIAL, "create", "SKU-1", None, {}, "c-1", "p1")
    journal.mark_failed(write, "500")
    journal.mark_done(retry, innergy_id="m-1")
    assert journal.applied_change_ids("p1") == {"c-1"}
    assert journal.applied_change_ids("p2") == set()
    second = journal.start_run("push", plan_id="p1")
    with pytest.raises(JournalError, match=f"already applied by run {first}"):
        journal.intend_many(
            second,
            [
                Intent(MATERIAL, "create", "SKU-2", change_id="c-2", plan_id="p1"),
                Intent(MATERIAL, "create", "SKU-1", change_id="c-1", plan_id="p1"),
            ],
        )
    assert journal.writes(second) == []  # the whole batch was refused, nothing half-written
    journal.intend(second, MATERIAL, "create", "SKU-1", None, {}, "c-1", "p2")  # another plan may


def test_an_exported_change_is_not_an_applied_one(journal: Journal) -> None:
    run = journal.start_run("export-import-file", plan_id="p1")
    write = journal.intend(run, MATERIAL, "export", "SKU-1", None, {"sku": "SKU-1"}, "c-1", "p1")
    journal.mark_exported(write, answer={"file": "import.xlsx"})
    assert journal.applied_change_ids("p1") == set()
    assert journal.pending_writes() == []
    assert journal.writes(run)[0].state == "exported"


def test_a_batch_is_intended_and_done_in_order(journal: Journal) -> None:
    run = journal.start_run("push", plan_id="p1")
    ids = journal.intend_many(
        run,
        [
            Intent(MATERIAL, "create", f"SKU-{n}", payload={"n": n}, change_id=f"c-{n}", plan_id="p1")
            for n in range(50)
        ],
    )
    later = journal.intend(run, MATERIAL, "update", "SKU-X")
    assert len(set(ids)) == 50 and later not in ids
    journal.mark_done_many((w, f"m-{n}", {"Id": f"m-{n}"}) for n, w in enumerate(ids))
    writes = journal.writes(run)
    assert [w.seq for w in writes] == list(range(1, 52))
    assert [w.key for w in writes[:50]] == [f"SKU-{n}" for n in range(50)]
    assert [w.innergy_id for w in writes[:50]] == [f"m-{n}" for n in range(50)]
    assert [w.key for w in journal.writes(run, newest_first=True)][:2] == ["SKU-X", "SKU-49"]
    assert journal.applied_change_ids("p1") == {f"c-{n}" for n in range(50)}


def test_a_batch_settled_part_done_part_failed_applies_only_what_landed(journal: Journal) -> None:
    run = journal.start_run("push", plan_id="p1")
    ids = journal.intend_many(
        run, [Intent(MATERIAL, "update", f"SKU-{n}", change_id=f"c-{n}", plan_id="p1") for n in range(4)]
    )
    journal.mark_done_many((w, f"m-{n}", None) for n, w in enumerate(ids[:2]))
    journal.mark_failed_many([(ids[2], "500"), (ids[3], "400: bad cost")])
    assert [(w.state, w.error) for w in journal.writes(run)] == [
        ("done", None), ("done", None), ("failed", "500"), ("failed", "400: bad cost"),
    ]  # fmt: skip
    assert journal.applied_change_ids("p1") == {"c-0", "c-1"}
    assert journal.pending_writes() == []
    with pytest.raises(JournalError, match="already failed"):
        journal.mark_failed_many([(ids[3], "again")])


def test_batches_larger_than_one_query_are_checked_whole(journal: Journal) -> None:
    first = journal.start_run("push", plan_id="p1")
    intents = [Intent(MATERIAL, "create", f"SKU-{n}", change_id=f"c-{n}", plan_id="p1") for n in range(1200)]
    ids = journal.intend_many(first, intents)
    journal.mark_done_many((w, None, None) for w in ids[1100:1101])
    second = journal.start_run("push", plan_id="p1")
    with pytest.raises(JournalError, match="change c-1100 of plan p1 was already applied"):
        journal.intend_many(second, intents)
    journal.mark_done_many((w, None, None) for w in ids[:1100])
    with pytest.raises(JournalError, match=f"write {ids[5]} is already done; it cannot become failed"):
        journal.mark_failed_many([(ids[1101], "x"), (ids[5], "x")])
    with pytest.raises(JournalError, match="settled twice"):
        journal.mark_failed_many([(ids[1101], "x"), (ids[1101], "y")])
    assert journal.writes(first)[1101].state == "intended"  # a refused call changes nothing
    assert len(journal.applied_change_ids("p1")) == 1101


def test_a_step_settles_answers_and_intends_the_next_batch_in_one_transaction(journal: Journal) -> None:
    run = journal.start_run("push", plan_id="p1")
    first = journal.step(
        run, [Intent(MATERIAL, "update", f"SKU-{n}", change_id=f"c-{n}", plan_id="p1") for n in range(3)]
    )
    nxt = journal.step(
        run,
        [
            Intent(
                MATERIAL,
                "update",
                "SKU-3",
                payload=Encoded('{"Cost":{"Value":"1.50"}}'),
                change_id="c-3",
                plan_id="p1",
            )
        ],
        done=[(first[0], "m-0", Encoded('{"Id":"m-0"}'))],
        failed=[(first[1], "400: bad cost")],
        unknown=[(first[2], "timed out")],
    )
    states = {w.write_id: (w.state, w.answer, w.payload) for w in journal.writes(run)}
    assert states == {
        first[0]: ("done", {"Id": "m-0"}, None),
        first[1]: ("failed", None, None),
        first[2]: ("unknown", None, None),
        nxt[0]: ("intended", None, {"Cost": {"Value": "1.50"}}),
    }
    assert journal.applied_change_ids("p1") == {"c-0"}
    # a refused intent takes the answers of its step back with it: nothing half-recorded
    with pytest.raises(JournalError, match="c-0 of plan p1 was already applied"):
        journal.step(
            journal.start_run("push", plan_id="p1"),
            [Intent(MATERIAL, "update", "SKU-0", change_id="c-0", plan_id="p1")],
            done=[(nxt[0], "m-3", None)],
        )
    assert journal.writes(run)[-1].state == "intended"


def test_a_credential_key_in_any_case_is_refused_however_deep(db: Path) -> None:
    with Journal.open(db, secrets=[]) as journal:
        run = journal.start_run("push")
        for payload in ({"a": [{"b": {"X-API-KEY": "v"}}]}, {"Private_Key": "v"}, [{"ApiKey": 1}]):
            with pytest.raises(JournalError, match="credential field"):
                journal.intend(run, MATERIAL, "create", "SKU-1", None, payload)
        journal.intend(run, MATERIAL, "create", "SKU-1", None, {"Notes": "the api-key field is elsewhere"})


def test_history_lists_runs_newest_first_with_counts_and_one_run_in_detail(journal: Journal) -> None:
    started = []
    for n, command in enumerate(["push", "nightly", "undo"]):
        run = journal.start_run(command, plan_id=f"p{n}")
        journal.intend(run, MATERIAL, "update", f"SKU-{n}", {"Name": "a"}, {"Name": "b"})
        journal.finish_run(run, "ok", {"updated": n})
        started.append(run)
    runs = journal.runs()
    assert [r.run_id for r in runs] == started[::-1]
    assert [r.counts for r in runs] == [{"updated": 2}, {"updated": 1}, {"updated": 0}]
    assert [r.run_id for r in journal.runs(limit=1)] == [started[-1]]
    detail = journal.run(started[0])
    assert detail is not None and detail.run.command == "push"
    assert [(w.before, w.payload) for w in detail.writes] == [({"Name": "a"}, {"Name": "b"})]
    assert journal.run("nope") is None
    with pytest.raises(JournalError, match="no run nope"):
        journal.finish_run("nope", "ok")


def test_undo_runs_link_to_their_run_and_what_they_reverted(journal: Journal) -> None:
    push = journal.start_run("push", plan_id="p1")
    writes = [journal.intend(push, MATERIAL, "update", f"SKU-{n}") for n in range(3)]
    for write in writes:
        journal.mark_done(write)
    undo = journal.start_run("undo", undo_of=push)
    reverted = journal.intend(undo, MATERIAL, "update", "SKU-2", reverts=writes[2])
    journal.intend(undo, MATERIAL, "update", "SKU-1", reverts=writes[1])  # crashed before done
    journal.mark_done(reverted)
    assert journal.undone_write_ids(push) == {writes[2]}
    assert journal.run(undo).run.undo_of == push  # type: ignore[union-attr]
    assert journal.writes(undo)[0].reverts == writes[2]
    with pytest.raises(JournalError, match="no such run"):
        journal.start_run("undo", undo_of="20000101T000000Z-0000")


def test_last_success_is_the_newest_sync_run_that_did_not_fail(journal: Journal) -> None:
    assert journal.last_success() is None
    ok = journal.start_run("push")
    journal.finish_run(ok, "ok")
    finished = journal.run(ok).run.finished_at  # type: ignore[union-attr]
    journal.finish_run(journal.start_run("nightly"), "failed")
    journal.finish_run(journal.start_run("projects-import"), "ok")
    assert journal.last_success() is not None
    assert journal.last_success().isoformat() == finished  # type: ignore[union-attr]


def test_baseline_round_trips_with_money_as_exact_text(journal: Journal, db: Path) -> None:
    records = {
        "m-1": InnergyMaterial(
            innergy_id="m-1",
            external_id="PLY-1",
            name='Birch ½" ply',
            cost=Decimal("12.3400"),
            margin=Decimal("0.35"),
        ),
        "m-2": InnergyMaterial(
            innergy_id="m-2", name='=HYPERLINK("x")', cost=Decimal("0.1") + Decimal("0.2")
        ),
    }
    journal.set_baseline(records)
    back = journal.baseline()
    assert back == records
    assert str(back["m-1"].cost) == "12.3400" and str(back["m-2"].cost) == "0.3"
    raw = (
        sqlite3.connect(db).execute("SELECT record FROM sync_baseline WHERE innergy_id = 'm-1'").fetchone()[0]
    )
    assert '"cost":"12.3400"' in raw
    journal.set_baseline({"m-1": records["m-1"].model_copy(update={"cost": Decimal("13")})})
    assert journal.baseline()["m-1"].cost == Decimal("13") and len(journal.baseline()) == 2


def test_the_id_map_is_kept_per_target(journal: Journal) -> None:
    journal.set_ids(MATERIAL, {"SKU-1": "m-1", "SKU-2": "m-2"})
    journal.set_ids("innergy.opportunity", {"SKU-1": "o-1"})
    journal.set_ids(MATERIAL, {"SKU-2": "m-22"})
    assert journal.ids(MATERIAL) == {"SKU-1": "m-1", "SKU-2": "m-22"}
    assert journal.innergy_id("innergy.opportunity", "SKU-1") == "o-1"
    assert journal.innergy_id("innergy.opportunity", "SKU-2") is None


def test_secrets_are_refused_and_never_stored(db: Path) -> None:
    key = "sk-live-7f3a9c2e"
    with Journal.open(db, secrets=[key]) as journal:
        run = journal.start_run("push")
        with pytest.raises(JournalError) as leaked:
            journal.intend(run, MATERIAL, "create", "SKU-1", None, {"Name": f"pasted {key} here"})
        assert key not in str(leaked.value)
        with pytest.raises(JournalError, match="credential field"):
            journal.intend(run, MATERIAL, "create", "SKU-1", None, {"headers": {"Api-Key": "x" * 8}})
        with pytest.raises(JournalError, match="credential field"):
            journal.intend(run, MATERIAL, "update", "SKU-1", [{"authorization": "Bearer y"}], {})
        journal.intend(run, MATERIAL, "create", "SKU-1", None, {"Name": "fine"})
    stored = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith("state.db"))
    assert key.encode() not in stored and b"Bearer" not in stored and b"fine" in stored


def test_the_innergy_key_in_the_environment_is_guarded_by_default(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INNERGY_API_KEY", "env-key-123456")
    with Journal.open(db) as journal, pytest.raises(JournalError, match="secret"):
        journal.intend(journal.start_run("push"), MATERIAL, "create", "S", None, {"Notes": "env-key-123456"})


def _write_many(db: Path, worker: int, count: int) -> str:
    with Journal.open(db, secrets=[]) as journal:
        run = journal.start_run("push", plan_id=f"p{worker}")
        for n in range(count):
            write = journal.intend(
                run, MATERIAL, "create", f"W{worker}-{n}", None, {"n": n}, f"c{n}", f"p{worker}"
            )
            journal.mark_done(write, innergy_id=f"m-{worker}-{n}")
        journal.finish_run(run, "ok", {"created": count})
        return run


def test_concurrent_writers_do_not_corrupt_the_journal(db: Path) -> None:
    Journal.open(db).close()
    with ProcessPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(_write_many, [db] * 4, range(4), [150] * 4))
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    raw.close()
    with Journal.open(db) as journal:
        assert {r.run_id for r in journal.runs()} == set(runs)
        for worker, run in enumerate(runs):
            writes = journal.writes(run)
            assert [w.seq for w in writes] == list(range(1, 151))
            assert {w.state for w in writes} == {"done"}
            assert len(journal.applied_change_ids(f"p{worker}")) == 150
        assert journal.pending_writes() == []


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.decimals(allow_nan=True)
    | st.floats(allow_nan=False) | st.datetimes(timezones=st.just(UTC)),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=_JSON_VALUES, payload=st.dictionaries(st.text(max_size=6), _JSON_VALUES, max_size=4))
def test_stored_json_is_the_standard_encoders_text_whichever_encoder_wrote_it(
    journal: Journal, db: Path, before: object, payload: dict[str, object]
) -> None:
    """msgspec writes the values it writes alike (the write-back's cells); floats, datetimes
    (``+00:00``, never ``Z``) and the rest keep ``json.dumps``'s text, byte for byte."""
    run = journal.start_run("push")
    (write,) = journal.intend_many(run, [Intent(MATERIAL, "update", "SKU-1", before, payload)])
    stored = sqlite3.connect(db).execute("SELECT before, payload FROM writes WHERE write_id = ?", (write,))

    assert stored.fetchone() == (_standard(before), _standard(payload))


def _standard(value: object) -> str | None:
    """The journal's JSON as ``json.dumps`` writes it (Decimals as text, datetimes ISO)."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_as_text)


def _as_text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
