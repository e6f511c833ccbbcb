"""The one shape every benchmark returns, and the one table that prints it.

Each ``bench_*.py`` exposes ``run(quick: bool) -> list[Row]``; its ``main()`` prints
those rows with :func:`print_table`, and ``run_all.py`` prints every benchmark's rows in
one table through the same function, so no script carries its own table code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Row", "compare", "median_run", "print_table", "walls_shown"]

Value = float | int | str | None


@dataclass(frozen=True)
class Row:
    """One figure: ours (``value``), the same-run ``baseline``, and how many times better."""

    figure: str
    value: Value
    baseline: Value = None
    ratio: float | None = None
    size: str = ""
    goal: str = ""
    met: bool | None = None
    bench: str = ""

    def with_goal(self, goal: str, met: bool, applies: bool = True) -> Row:
        """This row judged against an issue's goal, when ``applies`` (the goal's data size was run)."""
        return dataclasses.replace(self, goal=goal, met=met) if applies else self

    def to_json(self) -> dict[str, Value | bool]:
        return dataclasses.asdict(self)


def compare(figure: str, value: float, baseline: float, size: str, *, higher_is_better: bool = False) -> Row:
    """A row whose ratio says how many times better ours is: baseline/ours for times and
    counts, ours/baseline for rates (``higher_is_better``)."""
    if higher_is_better:
        ratio = value / baseline if baseline else None
    else:
        ratio = baseline / value if value else None
    return Row(figure, value, baseline, ratio, size)


def median_run(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Of runs measured as ``{"wall": s, "peak_mb": MB, ...}``, the one of median wall time
    (one run on a shared 2-core machine swings by 0.2 s, now and then by a second), with
    the largest peak memory of all and every run's wall time (``walls``)."""
    middle = sorted(runs, key=lambda run: run["wall"])[len(runs) // 2]
    return {**middle, "peak_mb": max(run["peak_mb"] for run in runs), "walls": [run["wall"] for run in runs]}


def walls_shown(walls: Sequence[float]) -> str:
    """Each run's wall time (a ``median_run``'s ``walls``) as a figure names them: ``1.75, 1.82, 1.78``."""
    return ", ".join(f"{wall:.2f}" for wall in walls)


def _format(value: Value) -> str:
    """Numbers to a width a person reads at a glance: 0.123, 4.56, 12.3, 1,234."""
    if value is None:
        return ""
    if isinstance(value, (bool, str)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _cells(row: Row, with_bench: bool) -> list[str]:
    ratio = "" if row.ratio is None else f"{row.ratio:,.1f}x"
    met = "" if row.met is None else ("met" if row.met else "MISSED")
    goal = f"{row.goal} ({met})" if row.goal and met else row.goal
    cells = [row.figure, _format(row.value), _format(row.baseline), ratio, goal, row.size]
    return [row.bench, *cells] if with_bench else cells


def print_table(rows: Sequence[Row], title: str | None = None) -> None:
    """Print rows as ``[benchmark |] figure | value | baseline | ratio | goal | data size``."""
    with_bench = any(row.bench for row in rows)
    header = ["figure", "value", "baseline", "ratio", "goal", "data size"]
    table = [["benchmark", *header] if with_bench else header, *(_cells(row, with_bench) for row in rows)]
    width = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    if title:
        print(title)
    for n, line in enumerate(table):
        print(" | ".join(cell.ljust(w) for cell, w in zip(line, width, strict=True)).rstrip())
        if n == 0:
            print("-+-".join("-" * w for w in width))
