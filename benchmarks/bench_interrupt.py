"""SIGINT into ``python -m sheets_sync push`` at its first INNERGY write: how soon it exits.

A push of ``--updates`` ticked edits runs as a real process against the sandbox, which
holds every call ``--latency`` seconds (edits go three at a time). Measured from the
moment the sandbox sees the first edit:

- baseline: the push left alone, until it exits (before signals were handled, a Ctrl-C
  bought no less: every queued edit was still sent);
- ours: a SIGINT then, until the process has exited with its results, journal and
  SYNC_LOG row written (130);
- a second SIGINT as soon as the first is acknowledged, until exit, against the first alone.

Prints one table (``run(quick)`` gives its rows).

    python benchmarks/bench_interrupt.py [--updates 60] [--latency 0.25]
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _table import Row, compare, print_table  # noqa: E402

from innergy_client.sandbox import running_sandbox  # noqa: E402
from tests.fakes.matsync_process import Matsync, env_of, posts  # noqa: E402
from tests.fakes.push_world import ticked_xlsx_world  # noqa: E402

UPDATES, QUICK_UPDATES = 60, 15
LATENCY, QUICK_LATENCY = 0.25, 0.1


def measure(updates: int, latency: float, signals: int) -> tuple[float, int]:
    """Seconds from the first edit (and ``signals`` SIGINTs then) to the exit; edits sent."""
    with tempfile.TemporaryDirectory() as tmp, running_sandbox() as sandbox:
        world = ticked_xlsx_world(Path(tmp), sandbox, 0, updates)
        sandbox.faults.latency = latency
        run = Matsync(["push"], env_of(world), Path(tmp))
        run.wait_until(lambda: posts(sandbox, "/edit") > 0, "the first edit", timeout=300)
        start = time.perf_counter()
        for n in range(signals):
            if n:
                run.wait_until(lambda: run.said("no new write starts"), "the first SIGINT handled")
            run.signal(signal.SIGINT)
        code, _ = run.finish(timeout=600)
        seconds = time.perf_counter() - start
        assert code == (130 if signals else 0), "".join(run.stderr)[-2000:]
        return seconds, posts(sandbox, "/edit")


def run(quick: bool = False, *, updates: int | None = None, latency: float | None = None) -> list[Row]:
    n = updates or (QUICK_UPDATES if quick else UPDATES)
    wait = latency or (QUICK_LATENCY if quick else LATENCY)
    size = f"{n} ticked edits, {wait:g} s a call"
    alone, _ = measure(n, wait, 0)
    stopped, sent = measure(n, wait, 1)
    hard, _ = measure(n, wait, 2)
    return [
        compare("SIGINT at the first edit -> exit (s)", stopped, alone, size),
        compare("edits sent (of all ticked)", sent, n, size),
        compare("second SIGINT -> exit (s, from the first)", hard, stopped, size),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=UPDATES)
    parser.add_argument("--latency", type=float, default=LATENCY)
    args = parser.parse_args()
    print_table(run(updates=args.updates, latency=args.latency))


if __name__ == "__main__":
    main()
