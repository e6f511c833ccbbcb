"""The state journal: every external write, recorded before it is sent and after it lands.

One SQLite file (``MIGRATION_OUTPUT_DIR/state.db``, WAL mode) holds:

- ``runs``: one row per journalled command run (push, nightly, projects-import, undo ...);
- ``writes``: every write a run makes, with its before-image, the payload sent, INNERGY's
  answer and a state that moves ``intended`` -> ``done`` | ``failed`` | ``unknown`` |
  ``exported``. A write is committed as ``intended`` before it is sent, so a crash leaves
  a trace the next run resolves (look the record up) instead of resending blindly;
- ``id_map``: external id -> INNERGY id, per target;
- ``sync_baseline``: INNERGY's records as they were after the last successful sync, which
  the diff uses to tell an INNERGY edit from a master edit, and health uses for drift.

Every state change commits at once. No secret is ever stored: payloads are wire bodies,
never headers.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from canonical.models import InnergyMaterial
from canonical.serialize import canonical_json

__all__ = ["ACTOR_VAR", "Journal", "Run", "Write", "new_run_id"]

ACTOR_VAR = "MATSYNC_ACTOR"
"""Who runs matsync, as the journal records it (Otto sets ``otto``); default: the OS user."""

OPEN_STATES = ("intended", "unknown")
SCHEMA = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    command TEXT NOT NULL,
    actor TEXT NOT NULL,
    plan_id TEXT,
    undo_of TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    counts TEXT
);
CREATE TABLE writes (
    write_id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    target TEXT NOT NULL,
    op TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'intended',
    innergy_id TEXT,
    change_id TEXT,
    plan_id TEXT,
    before TEXT,
    payload TEXT,
    answer TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX writes_run ON writes(run_id, write_id);
CREATE INDEX writes_state ON writes(state);
CREATE INDEX writes_change ON writes(plan_id, change_id, state);
CREATE TABLE id_map (
    target TEXT NOT NULL,
    external_id TEXT NOT NULL,
    innergy_id TEXT NOT NULL,
    PRIMARY KEY (target, external_id)
);
CREATE TABLE sync_baseline (
    innergy_id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    synced_at TEXT NOT NULL
);
"""
SCHEMA_VERSION = 1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_run_id(now: datetime | None = None) -> str:
    """Short, sortable, unique: ``20261124T101500Z-ab12cd``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@dataclass(frozen=True)
class Write:
    """One journalled write, as undo and history read it."""

    write_id: str
    run_id: str
    seq: int
    target: str
    op: str
    key: str
    state: str
    innergy_id: str | None
    change_id: str | None
    plan_id: str | None
    before: Any
    payload: Any
    answer: Any
    error: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Run:
    run_id: str
    command: str
    actor: str
    plan_id: str | None
    undo_of: str | None
    started_at: str
    finished_at: str | None
    outcome: str | None
    counts: Mapping[str, int]
    writes: tuple[Write, ...] = ()


class Journal:
    """The journal of one output folder; open with ``Journal.open(path)``."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = connection

    @classmethod
    def open(cls, path: Path | str) -> Journal:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        with db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                db.executescript(f"BEGIN; {SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
        return cls(db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- runs -----------------------------------------------------------------------------

    def start_run(self, command: str, plan_id: str | None = None, undo_of: str | None = None) -> str:
        run_id = new_run_id()
        actor = os.environ.get(ACTOR_VAR) or getpass.getuser()
        self.db.execute(
            "INSERT INTO runs (run_id, command, actor, plan_id, undo_of, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, command, actor, plan_id, undo_of, _now()),
        )
        return run_id

    def actor(self, run_id: str) -> str:
        row = self.db.execute("SELECT actor FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return str(row["actor"]) if row else ""

    def finish_run(self, run_id: str, outcome: str, counts: Mapping[str, int] | None = None) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, outcome = ?, counts = ? WHERE run_id = ?",
            (_now(), outcome, _dump(dict(counts or {})), run_id),
        )

    def runs(self) -> list[Run]:
        """Every run, newest first."""
        rows = self.db.execute("SELECT * FROM runs ORDER BY started_at DESC, run_id DESC").fetchall()
        return [self._run(row) for row in rows]

    def run(self, run_id: str) -> Run | None:
        """One run with its writes, in the order they were made."""
        row = self.db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        writes = self.db.execute("SELECT * FROM writes WHERE run_id = ? ORDER BY write_id", (run_id,))
        return self._run(row, tuple(self._write(w) for w in writes))

    def last_success(self, commands: Iterable[str] = ("push", "nightly")) -> datetime | None:
        """When the last material sync that applied without failure finished."""
        names = tuple(commands)
        marks = ",".join("?" * len(names))
        row = self.db.execute(
            f"SELECT MAX(finished_at) FROM runs WHERE command IN ({marks})"
            " AND outcome IN ('ok', 'applied', 'done')",
            names,
        ).fetchone()
        return datetime.fromisoformat(row[0].replace("Z", "+00:00")) if row and row[0] else None

    # -- writes ---------------------------------------------------------------------------

    def intend(
        self,
        run_id: str,
        *,
        target: str,
        op: str,
        key: str,
        before: Any = None,
        payload: Any = None,
        change_id: str | None = None,
        plan_id: str | None = None,
        innergy_id: str | None = None,
    ) -> str:
        """Record a write about to be sent; committed before the caller sends it."""
        now = _now()
        cursor = self.db.execute(
            "INSERT INTO writes (run_id, target, op, key, innergy_id, change_id, plan_id, before, payload,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                target,
                op,
                key,
                innergy_id,
                change_id,
                plan_id,
                _dump(before),
                _dump(payload),
                now,
                now,
            ),
        )
        return str(cursor.lastrowid)

    def _mark(self, write_id: str, state: str, **values: Any) -> None:
        columns = ", ".join(f"{name} = ?" for name in values)
        sets = f"state = ?, updated_at = ?{', ' if columns else ''}{columns}"
        self.db.execute(
            f"UPDATE writes SET {sets} WHERE write_id = ?",
            (state, _now(), *values.values(), int(write_id)),
        )

    def mark_done(self, write_id: str, *, innergy_id: str | None, answer: Any = None) -> None:
        if innergy_id is None:
            self._mark(write_id, "done", answer=_dump(answer))
        else:
            self._mark(write_id, "done", innergy_id=innergy_id, answer=_dump(answer))

    def mark_failed(self, write_id: str, error: str) -> None:
        self._mark(write_id, "failed", error=error)

    def mark_unknown(self, write_id: str, error: str) -> None:
        """Sent, but whether it landed is not known (a timeout, a 503): resolved next run."""
        self._mark(write_id, "unknown", error=error)

    def mark_exported(self, write_id: str, answer: Any = None) -> None:
        """Written to INNERGY's import file, not applied: never counts as applied."""
        self._mark(write_id, "exported", answer=_dump(answer))

    def pending_writes(self) -> list[Write]:
        """Writes a crashed or interrupted run left open, oldest first."""
        marks = ",".join("?" * len(OPEN_STATES))
        rows = self.db.execute(
            f"SELECT * FROM writes WHERE state IN ({marks}) ORDER BY write_id", OPEN_STATES
        )
        return [self._write(row) for row in rows]

    def applied_change_ids(self, plan_id: str) -> set[str]:
        rows = self.db.execute(
            "SELECT DISTINCT change_id FROM writes"
            " WHERE plan_id = ? AND state = 'done' AND change_id IS NOT NULL",
            (plan_id,),
        )
        return {row[0] for row in rows}

    # -- id map and sync baseline --------------------------------------------------------

    def set_ids(self, target: str, ids: Mapping[str, str]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO id_map (target, external_id, innergy_id) VALUES (?, ?, ?)",
                [(target, external, innergy) for external, innergy in ids.items()],
            )

    def ids(self, target: str) -> dict[str, str]:
        rows = self.db.execute("SELECT external_id, innergy_id FROM id_map WHERE target = ?", (target,))
        return {row[0]: row[1] for row in rows}

    def set_baseline(self, records: Mapping[str, InnergyMaterial]) -> None:
        now = _now()
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO sync_baseline (innergy_id, record, synced_at) VALUES (?, ?, ?)",
                [(innergy_id, canonical_json(record), now) for innergy_id, record in records.items()],
            )

    def baseline(self) -> dict[str, InnergyMaterial]:
        rows = self.db.execute("SELECT innergy_id, record FROM sync_baseline")
        return {row[0]: InnergyMaterial.model_validate_json(row[1]) for row in rows}

    # -- rows -----------------------------------------------------------------------------

    @staticmethod
    def _write(row: sqlite3.Row) -> Write:
        return Write(
            write_id=str(row["write_id"]),
            run_id=row["run_id"],
            seq=int(row["write_id"]),
            target=row["target"],
            op=row["op"],
            key=row["key"],
            state=row["state"],
            innergy_id=row["innergy_id"],
            change_id=row["change_id"],
            plan_id=row["plan_id"],
            before=_load(row["before"]),
            payload=_load(row["payload"]),
            answer=_load(row["answer"]),
            error=row["error"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    @staticmethod
    def _run(row: sqlite3.Row, writes: tuple[Write, ...] = ()) -> Run:
        return Run(
            run_id=row["run_id"],
            command=row["command"],
            actor=row["actor"],
            plan_id=row["plan_id"],
            undo_of=row["undo_of"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            outcome=row["outcome"],
            counts=_load(row["counts"]) or {},
            writes=writes,
        )
