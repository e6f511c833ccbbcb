"""The state journal: every external write, before and after it happens, in SQLite.

Why it is shaped this way:

- A write is recorded ``intended`` (with the record as it was just before, and exactly
  what will be sent) and committed *before* it is sent; ``done`` / ``failed`` /
  ``unknown`` after. A run that dies in between leaves the write open, and the next run
  finds it in ``pending_writes()`` and settles it (by looking the record up) before
  anything is resent. So a rerun or a crash never duplicates a write.
- Every state change commits at once. WAL mode with ``synchronous=NORMAL`` makes a
  commit cheap and survives the process being killed at any point (only a power loss
  may drop the last commits, never corrupt the file); bulk calls share one transaction,
  and ``step`` settles one batch's answers with the next batch's intents in one.
- A change id applied in one run of a plan is refused by every later run of that plan
  (``applied_changes``, keyed by plan and change id), whatever the caller checked.
- An undo's write names the write it reverts (``reverts``), so the journal knows which
  changes of which plan an undo took back, by which run and when (``reverted_changes``):
  a tick approved the change once, and a reverted change needs a new one.
- Before-images, payloads and answers are kept as exact JSON (Decimal as text), so a run
  can be audited (``history``) and reverted (``undo``). Secrets are refused, not stored.

The schema is versioned with ``PRAGMA user_version``; ``MIGRATIONS[n]`` takes a file
from version n to n + 1.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets as random_tokens
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from pydantic import BaseModel

from canonical.errors import JournalError
from canonical.models import InnergyMaterial
from canonical.serialize import canonical_json, msgspec_alike

__all__ = [
    "ACTOR_ENV",
    "MIGRATIONS",
    "OPEN_STATES",
    "SCHEMA_VERSION",
    "Encoded",
    "Intent",
    "Journal",
    "Reverted",
    "Run",
    "RunDetail",
    "Write",
    "default_actor",
    "new_run_id",
]

ACTOR_ENV = "MATSYNC_ACTOR"
"""Who a run is recorded as (``otto`` for the automation agent); else the OS user."""
OPEN_STATES = ("intended", "sent", "unknown")
"""Write states a later run must settle before it writes anything else."""
SYNC_COMMANDS = ("push", "nightly")
_SECRET_NAMES = frozenset({"api-key", "apikey", "api_key", "x-api-key", "authorization", "private_key"})

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        run_id      TEXT PRIMARY KEY,
        command     TEXT NOT NULL,
        actor       TEXT NOT NULL,
        plan_id     TEXT,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        outcome     TEXT,
        counts      TEXT,
        undo_of     TEXT REFERENCES runs (run_id)
    );
    CREATE INDEX runs_by_start ON runs (started_at);
    CREATE INDEX runs_by_undo_of ON runs (undo_of) WHERE undo_of IS NOT NULL;
    CREATE TABLE writes (
        write_id    INTEGER PRIMARY KEY,
        run_id      TEXT NOT NULL REFERENCES runs (run_id),
        seq         INTEGER NOT NULL,
        target      TEXT NOT NULL,
        op          TEXT NOT NULL,
        key         TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN
                        ('intended', 'sent', 'done', 'failed', 'unknown', 'exported')),
        innergy_id  TEXT,
        before      TEXT,
        payload     TEXT,
        answer      TEXT,
        error       TEXT,
        change_id   TEXT,
        plan_id     TEXT,
        reverts     INTEGER REFERENCES writes (write_id),
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        UNIQUE (run_id, seq)
    );
    CREATE INDEX writes_open ON writes (state) WHERE state IN ('intended', 'sent', 'unknown');
    CREATE INDEX writes_by_reverts ON writes (reverts) WHERE reverts IS NOT NULL;
    CREATE TABLE applied_changes (
        plan_id    TEXT NOT NULL,
        change_id  TEXT NOT NULL,
        run_id     TEXT NOT NULL REFERENCES runs (run_id),
        write_id   INTEGER NOT NULL REFERENCES writes (write_id),
        applied_at TEXT NOT NULL,
        PRIMARY KEY (plan_id, change_id)
    ) WITHOUT ROWID;
    CREATE TABLE id_map (
        target      TEXT NOT NULL,
        external_id TEXT NOT NULL,
        innergy_id  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (target, external_id)
    ) WITHOUT ROWID;
    CREATE TABLE sync_baseline (
        innergy_id TEXT PRIMARY KEY,
        record     TEXT NOT NULL,
        synced_at  TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 2: undo writes made before 2 named what they revert only in their change id
    # (``undo:<write id>``); the link becomes the ``reverts`` column, which undo now sets.
    """
    UPDATE writes SET reverts = CAST(substr(change_id, 6) AS INTEGER)
    WHERE reverts IS NULL AND change_id LIKE 'undo:%'
        AND CAST(substr(change_id, 6) AS INTEGER) IN (SELECT write_id FROM writes);
    CREATE INDEX applied_by_change ON applied_changes (change_id, write_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_CHUNK = 500
"""Ids per ``IN (...)`` query (well under SQLite's limit on bound parameters)."""


def _chunks(ids: Sequence[Any]) -> Iterator[tuple[Sequence[Any], str]]:
    """``ids`` in slices of ``_CHUNK``, each with its ``?, ?, ...`` placeholders."""
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        yield chunk, ", ".join("?" * len(chunk))


WriteId = str | int
"""Write ids are handed out as text (``"17"``); the integer is accepted too."""
_Settled = tuple[int, str, str | None, str | None, str | None]
"""A write's new state: (write id, state, INNERGY id, answer JSON, error)."""
_INTENDED_ROW = "(?, ?, ?, ?, ?, ?, 'intended', ?, ?, ?, ?, ?, ?, ?)"
_ROWS = 64
"""Writes per ``INSERT`` statement: 13 parameters each, under SQLite's oldest limit of 999
bound parameters; one statement is one step, where ``executemany`` steps once per row
(and hands the interpreter lock to the HTTP threads and back each time)."""
_SETTLED_ROWS = 199
"""Writes per settling ``UPDATE`` (5 parameters each, plus the time)."""


def _settled(
    done: Iterable[tuple[WriteId, str | None, Any]] = (),
    failed: Iterable[tuple[WriteId, str]] = (),
    unknown: Iterable[tuple[WriteId, str]] = (),
) -> list[_Settled]:
    """The new states of writes that were sent, as ``_settle_in`` takes them."""
    return [
        *((int(w), "done", innergy_id, _dumps(answer), None) for w, innergy_id, answer in done),
        *((int(w), "failed", None, None, error) for w, error in failed),
        *((int(w), "unknown", None, None, error) for w, error in unknown),
    ]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_run_id(now: datetime | None = None) -> str:
    """Short, sortable by start time, unique: ``20261124T101500Z-ab12``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{random_tokens.token_hex(2)}"


def default_actor(environ: Mapping[str, str] | None = None) -> str:
    """``MATSYNC_ACTOR`` (Otto sets it), else the OS user."""
    environ = os.environ if environ is None else environ
    named = environ.get(ACTOR_ENV, "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return f"uid {os.getuid()}"


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be journalled as JSON")


class Encoded(str):
    """JSON text the caller has already encoded (pydantic's serializer runs in its Rust
    core, several times faster than a dump to dicts and ``json.dumps``): journalled as is."""


_ENCODER = msgspec.json.Encoder(order="sorted")
_ALIKE = frozenset({str, int, bool, type(None), Decimal})
"""Types msgspec writes as ``json.dumps`` with ``_plain`` does (a Decimal as ``str(d)``)."""


def _dumps(value: Any) -> str | None:
    """Exact JSON text: msgspec's where it writes the same bytes as ``json.dumps`` (three
    times faster on the write-back's 30,000 cell payloads), else ``json.dumps``'s."""
    if value is None:
        return None
    if isinstance(value, Encoded):
        return str(value)
    if msgspec_alike(value, _ALIKE, datetimes=False):
        return _ENCODER.encode(value).decode()
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_plain)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@dataclass(frozen=True)
class Intent:
    """One write about to be sent, for ``Journal.intend_many``."""

    target: str
    op: str
    key: str
    before: Any = None
    payload: Any = None
    change_id: str | None = None
    plan_id: str | None = None
    reverts: WriteId | None = None


@dataclass(frozen=True)
class Write:
    """One journalled external write, as ``history`` and ``undo`` read it."""

    write_id: str
    run_id: str
    seq: int
    target: str
    op: str
    key: str
    state: str
    innergy_id: str | None
    before: Any
    payload: Any
    answer: Any
    error: str | None
    change_id: str | None
    plan_id: str | None
    reverts: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Run:
    """One journalled run; ``counts`` as the command reported them."""

    run_id: str
    command: str
    actor: str
    plan_id: str | None
    started_at: str
    finished_at: str | None
    outcome: str | None
    counts: dict[str, Any]
    undo_of: str | None


@dataclass(frozen=True)
class Reverted:
    """A change of a plan that an undo run took back, and when (its revert was done)."""

    plan_id: str
    change_id: str
    undo_run: str
    at: str


@dataclass(frozen=True)
class RunDetail:
    run: Run
    writes: tuple[Write, ...]


_WRITE_COLUMNS = ", ".join(Write.__dataclass_fields__)
_RUN_COLUMNS = ", ".join(Run.__dataclass_fields__)


def _write(row: sqlite3.Row) -> Write:
    values = dict(row)
    for name in ("before", "payload", "answer"):
        values[name] = _loads(values[name])
    values["write_id"] = str(values["write_id"])
    values["reverts"] = None if values["reverts"] is None else str(values["reverts"])
    return Write(**values)


def _run(row: sqlite3.Row) -> Run:
    values = dict(row)
    values["counts"] = _loads(values["counts"]) or {}
    return Run(**values)


class Journal:
    """The journal in one SQLite file; one connection, safe to share between threads."""

    def __init__(self, connection: sqlite3.Connection, path: Path, secrets: Sequence[str] = ()) -> None:
        self._db = connection
        self.path = path
        self._secrets = [s for s in secrets if s and len(s) >= 4]
        self._lock = threading.RLock()

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def open_existing(cls, path: Path) -> Journal | None:
        """The journal for a run that only looks (dry runs, plan's baseline, health): never created."""
        return cls.open(path) if path.is_file() else None

    @classmethod
    def open(cls, path: Path | str, secrets: Sequence[str] | None = None) -> Journal:
        """Open the journal at ``path``, creating or migrating it.

        ``secrets`` are values that must never be stored (default: ``INNERGY_API_KEY``
        from the environment); a write holding one is refused.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if secrets is None:
            secrets = [os.environ.get("INNERGY_API_KEY", "")]
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        connection.row_factory = sqlite3.Row
        try:
            _prepare(connection, path)
        except BaseException:
            connection.close()
            raise
        return cls(connection, path, secrets)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction: committed on success, rolled back on any error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- runs --------------------------------------------------------------------------

    def start_run(
        self,
        command: str,
        actor: str | None = None,
        plan_id: str | None = None,
        undo_of: str | None = None,
    ) -> str:
        """Record a run as started; its id is what every write of the run carries."""
        for _ in range(20):
            run_id = new_run_id()
            try:
                with self._tx() as db:
                    db.execute(
                        "INSERT INTO runs (run_id, command, actor, plan_id, started_at, undo_of)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (run_id, command, actor or default_actor(), plan_id, _now(), undo_of),
                    )
                return run_id
            except sqlite3.IntegrityError as exc:
                if undo_of is not None and not self._query("SELECT 1 FROM runs WHERE run_id = ?", (undo_of,)):
                    raise JournalError(f"cannot undo run {undo_of}: the journal has no such run") from exc
        raise JournalError("could not find a free run id")  # pragma: no cover - 20 collisions in a second

    def finish_run(self, run_id: str, outcome: str, counts: Mapping[str, Any] | None = None) -> None:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, counts = ? WHERE run_id = ?",
                (_now(), outcome, json.dumps(dict(counts or {}), default=_plain), run_id),  # report order
            )
            if cursor.rowcount != 1:
                raise JournalError(f"no run {run_id} in the journal {self.path}")

    def actor(self, run_id: str) -> str:
        return self._one_run(run_id).actor

    def runs(self, limit: int | None = None) -> list[Run]:
        """Runs, newest first."""
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [_run(r) for r in rows]

    def run(self, run_id: str) -> RunDetail | None:
        """One run with every write it made, in the order made (``None``: no such run)."""
        rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,))
        if not rows:
            return None
        return RunDetail(_run(rows[0]), tuple(self.writes(run_id)))

    def _one_run(self, run_id: str) -> Run:
        rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,))
        if not rows:
            raise JournalError(f"no run {run_id} in the journal {self.path}")
        return _run(rows[0])

    def unfinished_runs(self, commands: Sequence[str] = SYNC_COMMANDS) -> list[Run]:
        """Runs of ``commands`` that never recorded their end, oldest first. A run finishes its
        own record however it stops, short of being killed (a second signal, SIGKILL, a
        crash), so under the run lock these are the killed ones."""
        marks = ", ".join("?" for _ in commands)
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE command IN ({marks}) AND finished_at IS NULL"
            " ORDER BY started_at, rowid",
            tuple(commands),
        )
        return [_run(r) for r in rows]

    def last_success(self, commands: Sequence[str] = SYNC_COMMANDS) -> datetime | None:
        """When the newest sync run that neither failed nor was interrupted finished."""
        marks = ", ".join("?" for _ in commands)
        rows = self._query(
            f"SELECT MAX(finished_at) FROM runs WHERE command IN ({marks})"
            " AND finished_at IS NOT NULL AND outcome NOT IN ('failed', 'interrupted')",
            tuple(commands),
        )
        found = rows[0][0]
        return None if found is None else datetime.fromisoformat(found)

    # -- writes ------------------------------------------------------------------------

    def intend(
        self,
        run_id: str,
        target: str,
        op: str,
        key: str,
        before: Any = None,
        payload: Any = None,
        change_id: str | None = None,
        plan_id: str | None = None,
        reverts: WriteId | None = None,
    ) -> str:
        """Record a write about to be sent, committed before it is; its write id."""
        return self.intend_many(
            run_id, [Intent(target, op, key, before, payload, change_id, plan_id, reverts)]
        )[0]

    def intend_many(self, run_id: str, intents: Sequence[Intent]) -> list[str]:
        """Record a batch of writes about to be sent, in one transaction; their ids in order."""
        return self.step(run_id, intents)

    def step(
        self,
        run_id: str,
        intents: Sequence[Intent] = (),
        *,
        done: Iterable[tuple[WriteId, str | None, Any]] = (),
        failed: Iterable[tuple[WriteId, str]] = (),
        unknown: Iterable[tuple[WriteId, str]] = (),
    ) -> list[str]:
        """Settle the answers of writes already sent and record the next batch as intended,
        in one transaction (one commit per batch, not two); the new writes' ids in order.

        Each write is still intended before it is sent and settled only after its answer:
        the caller settles a batch once its answers are in, with the next batch's intents.
        """
        settled = _settled(done, failed, unknown)
        rows = [self._intent_row(i) for i in intents]
        now = _now()
        with self._tx() as db:
            self._settle_in(db, settled, OPEN_STATES, now)
            if not rows:
                return []
            self._refuse_applied(db, run_id, intents)
            last, first_id = db.execute(
                "SELECT (SELECT COALESCE(MAX(seq), 0) FROM writes WHERE run_id = ?),"
                " (SELECT COALESCE(MAX(write_id), 0) + 1 FROM writes)",
                (run_id,),
            ).fetchone()
            values = [(first_id + n, run_id, last + 1 + n, *row, now, now) for n, row in enumerate(rows)]
            try:
                for start in range(0, len(values), _ROWS):
                    chunk = values[start : start + _ROWS]
                    db.execute(
                        "INSERT INTO writes (write_id, run_id, seq, target, op, key, state, before, payload,"
                        " change_id, plan_id, reverts, created_at, updated_at) VALUES "
                        + ", ".join([_INTENDED_ROW] * len(chunk)),
                        [value for row in chunk for value in row],
                    )
            except sqlite3.IntegrityError as exc:
                raise JournalError(f"cannot journal writes for run {run_id}: {exc}") from exc
        return [str(first_id + n) for n in range(len(rows))]

    def _intent_row(self, intent: Intent) -> tuple[Any, ...]:
        texts = [_dumps(intent.before), _dumps(intent.payload)]
        for text in texts:
            self._refuse_secrets(text, intent)
        reverts = None if intent.reverts is None else int(intent.reverts)
        return (intent.target, intent.op, intent.key, *texts, intent.change_id, intent.plan_id, reverts)

    def _refuse_secrets(self, text: str | None, intent: Intent) -> None:
        if text is None:
            return
        where = f"{intent.target} {intent.op} {intent.key}"
        if any(secret in text for secret in self._secrets):
            raise JournalError(f"refused to journal {where}: it holds a secret (the INNERGY key)")
        named = _secret_names(json.loads(text)) if _may_name_a_secret(text) else set()
        if named:
            raise JournalError(f"refused to journal {where}: it holds a credential field {sorted(named)}")

    @staticmethod
    def _refuse_applied(db: sqlite3.Connection, run_id: str, intents: Sequence[Intent]) -> None:
        """One query per plan and ``_CHUNK`` change ids, not one per write."""
        wanted: dict[str, list[str]] = {}
        for intent in intents:
            if intent.change_id is not None and intent.plan_id is not None:
                wanted.setdefault(intent.plan_id, []).append(intent.change_id)
        for plan_id, change_ids in wanted.items():
            for chunk, marks in _chunks(change_ids):
                row = db.execute(
                    "SELECT change_id, run_id FROM applied_changes WHERE plan_id = ? AND run_id != ?"
                    f" AND change_id IN ({marks}) LIMIT 1",
                    (plan_id, run_id, *chunk),
                ).fetchone()
                if row is not None:
                    raise JournalError(
                        f"change {row[0]} of plan {plan_id} was already applied by run {row[1]}; "
                        "it is never applied twice"
                    )

    def mark_sent(self, write_id: WriteId) -> None:
        self._settle([(int(write_id), "sent", None, None, None)], from_states=("intended",))

    def mark_done(self, write_id: WriteId, innergy_id: str | None = None, answer: Any = None) -> None:
        """The write landed; ``answer`` is the record as the other side now holds it."""
        self.mark_done_many([(write_id, innergy_id, answer)])

    def mark_done_many(self, done: Iterable[tuple[WriteId, str | None, Any]]) -> None:
        """Several writes landed, in one transaction (a batch create's answer)."""
        self._settle(_settled(done=done))

    def mark_failed(self, write_id: WriteId, error: str) -> None:
        self.mark_failed_many([(write_id, error)])

    def mark_failed_many(self, failed: Iterable[tuple[WriteId, str]]) -> None:
        """Several writes did not land, in one transaction."""
        self._settle(_settled(failed=failed))

    def mark_unknown(self, write_id: WriteId, error: str) -> None:
        """Sent, but whether it landed is not known (a timeout): the next run looks it up."""
        self.mark_unknown_many([(write_id, error)])

    def mark_unknown_many(self, unknown: Iterable[tuple[WriteId, str]]) -> None:
        """Several writes whose landing is not known, in one transaction."""
        self._settle(_settled(unknown=unknown))

    def mark_exported(self, write_id: WriteId, answer: Any = None) -> None:
        """Written to INNERGY's import file, not applied (``export-import-file``)."""
        self._settle([(int(write_id), "exported", None, _dumps(answer), None)])

    def _settle(
        self,
        changes: Sequence[_Settled],
        from_states: Sequence[str] = OPEN_STATES,
    ) -> None:
        if not changes:
            return
        with self._tx() as db:
            self._settle_in(db, changes, from_states, _now())

    @classmethod
    def _settle_in(
        cls, db: sqlite3.Connection, changes: Sequence[_Settled], from_states: Sequence[str], now: str
    ) -> None:
        """``changes`` within the caller's transaction: each write's new state, and the
        change ids of the done ones into ``applied_changes`` (one statement per ``_CHUNK``).

        Each ``UPDATE`` changes only writes in one of ``from_states`` and returns their ids,
        so one statement both checks and settles a chunk: a write it left alone is missing
        or closed, and the error rolls the transaction back."""
        if not changes:
            return
        twice = sorted(w for w, n in Counter(change[0] for change in changes).items() if n > 1)
        if twice:
            raise JournalError(f"writes {twice} are settled twice in one call")
        open_ = ", ".join(f"'{state}'" for state in from_states)  # our own names, never input
        settled: set[int] = set()
        for start in range(0, len(changes), _SETTLED_ROWS):
            chunk = changes[start : start + _SETTLED_ROWS]
            settled.update(
                row[0]
                for row in db.execute(
                    "WITH s (write_id, state, innergy_id, answer, error) AS (VALUES "
                    + ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk))
                    + ") UPDATE writes SET state = s.state,"
                    " innergy_id = COALESCE(s.innergy_id, writes.innergy_id),"
                    " answer = COALESCE(s.answer, writes.answer), error = s.error, updated_at = ?"
                    f" FROM s WHERE s.write_id = writes.write_id AND writes.state IN ({open_})"
                    " RETURNING write_id",
                    [*(value for change in chunk for value in change), now],
                )
            )
        if len(settled) < len(changes):
            write_id, state = next((c[0], c[1]) for c in changes if c[0] not in settled)
            raise JournalError(cls._not_open(db, write_id, state))
        landed = [c[0] for c in changes if c[1] == "done"]
        for ids, marks in _chunks(landed):
            db.execute(
                "INSERT OR IGNORE INTO applied_changes (plan_id, change_id, run_id, write_id, applied_at)"
                " SELECT plan_id, change_id, run_id, write_id, ? FROM writes"
                f" WHERE write_id IN ({marks}) AND change_id IS NOT NULL AND plan_id IS NOT NULL",
                (now, *ids),
            )

    @staticmethod
    def _not_open(db: sqlite3.Connection, write_id: int, state: str) -> str:
        row = db.execute("SELECT state FROM writes WHERE write_id = ?", (write_id,)).fetchone()
        if row is None:
            return f"no write {write_id} in the journal"
        return f"write {write_id} is already {row[0]}; it cannot become {state}"

    def pending_writes(self, target: str | None = None) -> list[Write]:
        """Writes a run left intended, sent or unknown (a crash, a lost answer), oldest first;
        only those to ``target`` when one is given."""
        marks = ", ".join(f"'{s}'" for s in OPEN_STATES)
        only, args = ("", ()) if target is None else (" AND target = ?", (target,))
        rows = self._query(
            f"SELECT {_WRITE_COLUMNS} FROM writes WHERE state IN ({marks}){only} ORDER BY write_id", args
        )
        return [_write(r) for r in rows]

    def writes(self, run_id: str, newest_first: bool = False) -> list[Write]:
        """A run's writes in the order made (``newest_first`` for undo's walk)."""
        order = "DESC" if newest_first else "ASC"
        rows = self._query(
            f"SELECT {_WRITE_COLUMNS} FROM writes WHERE run_id = ? ORDER BY seq {order}", (run_id,)
        )
        return [_write(r) for r in rows]

    def undone_write_ids(self, run_id: str) -> set[str]:
        """Writes of ``run_id`` that a done write of an undo of it already reverted."""
        rows = self._query(
            "SELECT u.reverts FROM writes AS u JOIN runs AS r ON r.run_id = u.run_id"
            " WHERE r.undo_of = ? AND u.state = 'done' AND u.reverts IS NOT NULL",
            (run_id,),
        )
        return {str(r[0]) for r in rows}

    def reverted_changes(self) -> list[Reverted]:
        """Changes an undo reverted that nothing has applied since, oldest revert first.

        Applied again means: an undo of that undo (the chain of ``reverts`` links has even
        length), or a later push of the same change id, in any plan.
        """
        rows = self._query(_REVERTED)
        return [Reverted(*row) for row in rows]

    def applied_change_ids(self, plan_id: str) -> set[str]:
        """Change ids of ``plan_id`` already applied by some run (never to be applied again)."""
        rows = self._query("SELECT change_id FROM applied_changes WHERE plan_id = ?", (plan_id,))
        return {r[0] for r in rows}

    def unreported_changes(self, plan_id: str) -> dict[str, str]:
        """Change ids of ``plan_id`` applied by a run that never finished, -> that run: it was
        killed before it could write their Results, so the next push writes them."""
        rows = self._query(
            "SELECT a.change_id, a.run_id FROM applied_changes AS a JOIN runs AS r ON r.run_id = a.run_id"
            " WHERE a.plan_id = ? AND r.finished_at IS NULL",
            (plan_id,),
        )
        return {r[0]: r[1] for r in rows}

    def done_creates(self, target: str) -> dict[str, Write]:
        """The last create of each key of ``target`` that is done: what exists, whatever a
        listing says (a create is never repeated on a listing's word alone)."""
        rows = self._query(
            f"SELECT {_WRITE_COLUMNS} FROM writes WHERE target = ? AND op = 'create' AND state = 'done'"
            " ORDER BY write_id",
            (target,),
        )
        return {w.key: w for w in map(_write, rows)}

    # -- id map and sync baseline --------------------------------------------------------

    def set_ids(self, target: str, ids: Mapping[str, str]) -> None:
        """Remember external id -> INNERGY id for ``target`` (one transaction)."""
        now = _now()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO id_map (target, external_id, innergy_id, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (target, external_id) DO UPDATE SET"
                " innergy_id = excluded.innergy_id, updated_at = excluded.updated_at",
                [(target, external, innergy, now) for external, innergy in ids.items()],
            )

    def ids(self, target: str) -> dict[str, str]:
        rows = self._query("SELECT external_id, innergy_id FROM id_map WHERE target = ?", (target,))
        return {r[0]: r[1] for r in rows}

    def innergy_id(self, target: str, external_id: str) -> str | None:
        rows = self._query(
            "SELECT innergy_id FROM id_map WHERE target = ? AND external_id = ?", (target, external_id)
        )
        return rows[0][0] if rows else None

    def set_baseline(self, records: Mapping[str, InnergyMaterial]) -> None:
        """INNERGY's records as of this successful sync, by INNERGY id (one transaction)."""
        now = _now()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO sync_baseline (innergy_id, record, synced_at) VALUES (?, ?, ?)"
                " ON CONFLICT (innergy_id) DO UPDATE SET"
                " record = excluded.record, synced_at = excluded.synced_at",
                [(innergy_id, canonical_json(record), now) for innergy_id, record in records.items()],
            )

    def baseline(self) -> dict[str, InnergyMaterial]:
        """The sync baseline the diff compares INNERGY against to spot edits made there."""
        rows = self._query("SELECT innergy_id, record FROM sync_baseline")
        return {r[0]: InnergyMaterial.model_validate_json(r[1]) for r in rows}


_REVERTED = """
WITH RECURSIVE undone (origin, write_id, run_id, at, depth) AS (
    SELECT u.reverts, u.write_id, u.run_id, u.updated_at, 1
    FROM writes AS u JOIN writes AS w ON w.write_id = u.reverts
    WHERE u.reverts IS NOT NULL AND u.state = 'done'
        AND w.plan_id IS NOT NULL AND w.change_id IS NOT NULL
    UNION ALL
    SELECT d.origin, u.write_id, u.run_id, u.updated_at, d.depth + 1
    FROM undone AS d JOIN writes AS u ON u.reverts = d.write_id
    WHERE u.state = 'done'
)
SELECT w.plan_id, w.change_id, d.run_id, d.at
FROM undone AS d JOIN writes AS w ON w.write_id = d.origin
WHERE d.depth % 2 = 1
    AND NOT EXISTS (SELECT 1 FROM writes AS v WHERE v.reverts = d.write_id AND v.state = 'done')
    AND NOT EXISTS (
        SELECT 1 FROM applied_changes AS a WHERE a.change_id = w.change_id AND a.write_id > d.write_id
    )
ORDER BY d.write_id
"""
"""The last link of each chain of undo writes from a plan's change: an odd one reverted it."""

_QUOTED_SECRET_NAMES = tuple(f'"{name}"' for name in _SECRET_NAMES)


def _may_name_a_secret(text: str) -> bool:
    """Cheap pre-check: a credential key appears quoted in the JSON text (``_dumps`` writes
    keys unescaped), so text without one needs no parse and walk (once per journalled write)."""
    lowered = text.lower()
    return any(name in lowered for name in _QUOTED_SECRET_NAMES)


def _secret_names(value: Any) -> set[str]:
    """Credential-looking field names anywhere in a JSON value."""
    if isinstance(value, dict):
        found = {k for k in value if isinstance(k, str) and k.lower() in _SECRET_NAMES}
        for item in value.values():
            found |= _secret_names(item)
        return found
    if isinstance(value, list):
        return set().union(*(_secret_names(v) for v in value)) if value else set()
    return set()


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    """WAL, foreign keys, and the schema brought up to ``SCHEMA_VERSION``."""
    try:
        connection.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as exc:
        raise JournalError(f"{path} is not a matsync journal (SQLite says: {exc})") from exc
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("BEGIN IMMEDIATE")
    try:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"{path} was written by a newer matsync (journal schema {version}; "
                f"this one knows up to {SCHEMA_VERSION})"
            )
        for number in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
