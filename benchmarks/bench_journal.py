"""The state journal at 10,000 writes per run: intended, then done, each committed.

Measured in the same run against a baseline: the naive journal a first version would
write, one INSERT and one UPDATE per write, each committed, with SQLite's defaults
(rollback journal, ``synchronous=FULL``). The baseline is fsync-bound and linear in the
writes (about 60 a second on an ordinary disk), so by default it runs 1,000 writes and
the ratio compares writes per second; ``--baseline-writes 10000`` runs it in full.
The journal is timed twice: one write at a time (every state change its own commit, as
an edit is journalled) and in batches of 100 (as batch creates are). Then the queries a
run makes over that history.

    python benchmarks/bench_journal.py [--writes N] [--baseline-writes N] [--dir PATH]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _table import Row, compare, print_table

from sheets_sync.store.journal import Intent, Journal

BATCH = 100
WRITES, BASELINE_WRITES = 10_000, 1_000
QUICK_WRITES, QUICK_BASELINE_WRITES = 1_000, 100
BEFORE = {"Id": "m-0", "Name": "Birch ply 3/4", "Cost": {"Value": "41.5000"}, "Status": "Active"}


def payload(n: int) -> dict[str, object]:
    return {**BEFORE, "Id": f"m-{n}", "ExternalId": f"SKU-{n:06d}", "Cost": {"Value": f"{40 + n % 97}.2500"}}


def journal_one_by_one(path: Path, writes: int) -> Journal:
    journal = Journal.open(path, secrets=[])
    run = journal.start_run("push", actor="bench", plan_id="plan-1")
    for n in range(writes):
        write = journal.intend(
            run, "innergy.material", "update", f"SKU-{n:06d}", BEFORE, payload(n), f"c{n}", "plan-1"
        )
        journal.mark_done(write, innergy_id=f"m-{n}", answer=payload(n))
    journal.finish_run(run, "ok", {"updated": writes})
    return journal


def journal_batched(path: Path, writes: int) -> Journal:
    journal = Journal.open(path, secrets=[])
    run = journal.start_run("push", actor="bench", plan_id="plan-1")
    for start in range(0, writes, BATCH):
        numbers = range(start, min(start + BATCH, writes))
        intents = [
            Intent("innergy.material", "create", f"SKU-{n:06d}", None, payload(n), f"c{n}", "plan-1")
            for n in numbers
        ]
        ids = journal.intend_many(run, intents)
        journal.mark_done_many((w, f"m-{n}", payload(n)) for w, n in zip(ids, numbers, strict=True))
    journal.finish_run(run, "ok", {"created": writes})
    return journal


def naive(path: Path, writes: int) -> None:
    """Commit per statement, SQLite defaults, no WAL: the baseline."""
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE writes (id INTEGER PRIMARY KEY, run_id TEXT, key TEXT, state TEXT, before TEXT,"
        " payload TEXT, answer TEXT, change_id TEXT, plan_id TEXT, innergy_id TEXT)"
    )
    db.commit()
    for n in range(writes):
        body = json.dumps(payload(n))
        cursor = db.execute(
            "INSERT INTO writes (run_id, key, state, before, payload, change_id, plan_id)"
            " VALUES ('r', ?, 'intended', ?, ?, ?, 'plan-1')",
            (f"SKU-{n:06d}", json.dumps(BEFORE), body, f"c{n}"),
        )
        db.commit()
        db.execute(
            "UPDATE writes SET state = 'done', answer = ?, innergy_id = ? WHERE id = ?",
            (body, f"m-{n}", cursor.lastrowid),
        )
        db.commit()
    db.close()


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def run(
    quick: bool = False,
    *,
    writes: int | None = None,
    baseline_writes: int | None = None,
    folder: Path | None = None,
) -> list[Row]:
    """The journal one by one and in batches, the naive journal on ``baseline_writes``, then queries."""
    n = writes or (QUICK_WRITES if quick else WRITES)
    baseline_n = min(baseline_writes or (QUICK_BASELINE_WRITES if quick else BASELINE_WRITES), n)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        base = Path(tmp)
        baseline, _ = timed(lambda: naive(base / "naive.db", baseline_n))
        one, journal = timed(lambda: journal_one_by_one(base / "one.db", n))
        batched, batch_journal = timed(lambda: journal_batched(base / "batched.db", n))
        assert isinstance(journal, Journal) and isinstance(batch_journal, Journal)
        run_id = journal.runs()[0].run_id
        pending, _ = timed(journal.pending_writes)
        applied, found = timed(lambda: journal.applied_change_ids("plan-1"))
        detail, _ = timed(lambda: journal.run(run_id))
        assert found == {f"c{i}" for i in range(n)}
        assert len(batch_journal.applied_change_ids("plan-1")) == n
        journal.close()
        batch_journal.close()
        size_mb = (base / "one.db").stat().st_size / 1e6
    naive_rate = baseline_n / baseline
    size = f"{n:,} writes (intended + done); baseline {baseline_n:,}"
    vs = "vs naive (commit per statement, no WAL)"
    return [
        Row("wall time (s), one by one / in batches", f"{one:.2f} / {batched:.2f}", baseline, size=size),
        compare(
            f"writes/s, one commit per state change {vs}", n / one, naive_rate, size, higher_is_better=True
        ),
        compare(f"writes/s, batches of {BATCH} {vs}", n / batched, naive_rate, size, higher_is_better=True),
        Row("pending_writes() over the run (ms)", pending * 1000, size=size),
        Row("applied_change_ids() over the run (ms)", applied * 1000, size=size),
        Row("run() with every write, for history/undo (ms)", detail * 1000, size=size),
        Row("state.db size (MB)", size_mb, size=size),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=WRITES)
    parser.add_argument("--baseline-writes", type=int, default=BASELINE_WRITES)
    parser.add_argument(
        "--dir", type=Path, default=None, help="Where the databases go (default: a temp dir)."
    )
    args = parser.parse_args()
    print_table(run(writes=args.writes, baseline_writes=args.baseline_writes, folder=args.dir))


if __name__ == "__main__":
    main()
