"""How the reports say a change's flags and ``Δ %``, and what a PPak ``new`` row adds.

The rule of what is flagged is ``reports.review`` (the diff tabs' ``Flags`` column): one
rule, so a row flagged in the tab is flagged in the report. Here each flag is said with
its size, most serious first, every text starting with its kind:

- ``conflict``: the change cannot be applied as planned (its reason is in Changes);
- ``unit trap ×32``: the measured ratio of new to old cost (not a guess at the factor);
- ``price +40 %``: the cost's move;
- ``rename``; ``deactivation``.
"""

from __future__ import annotations

from decimal import Decimal

from canonical.diff import FieldChange, display
from canonical.plan import Change, PPakChange
from reports import review

__all__ = [
    "FLAG_KINDS",
    "PRICE_CHANGE_PERCENT",
    "UNIT_TRAP_RATIO",
    "added_fields",
    "delta_percent",
    "flags",
]

PRICE_CHANGE_PERCENT = review.PRICE_CHANGE * 100
UNIT_TRAP_RATIO = review.TENFOLD
FLAG_KINDS = ("conflict", "unit trap", "price", "rename", "deactivation")
"""Every flag starts with one of these (the order ``flags`` lists them in)."""
_TENTH = Decimal("0.1")


def delta_percent(change: Change) -> Decimal | None:
    """The cost's move in percent of the old cost, to one place (``None`` without both)."""
    moved = review.cost_change(change)
    return (moved * 100).quantize(_TENTH) if moved is not None else None


def _said(kind: str, change: Change) -> str:
    if kind == "unit trap" and (ratio := review.cost_ratio(change)) is not None:
        return f"unit trap ×{ratio:.0f}"
    if kind == "price" and (delta := delta_percent(change)) is not None:
        return f"price {delta:+.0f} %"
    return kind


def flags(change: Change) -> list[str]:
    """The change's flags as the module docstring says them (empty: nothing risky)."""
    found = review.flags(change)
    return [_said(kind, change) for kind in FLAG_KINDS if kind in found]


_ADDED = ("sku", "name", "category", "uom", "cost")


def added_fields(change: PPakChange) -> tuple[FieldChange, ...]:
    """What a tick on a PPak ``new`` row writes into the new master row (SKU, Name,
    Category, UoM, Cost), as ``field: (blank) -> value`` lines, so a reviewer sees what the
    tick does. Other rows add nothing (empty): their ``changes`` are what they do."""
    if change.kind != "new" or change.master_row is None:
        return ()
    row = change.master_row
    return tuple(FieldChange(name, None, display(getattr(row, name)) or None) for name in _ADDED)
