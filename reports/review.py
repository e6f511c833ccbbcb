"""What a reviewer should look at twice: how much a cost moves, and flags on risky changes.

Pure functions of a plan's changes, shared by the diff tabs and the reports, so that a
flag reads the same everywhere. A cost's move is a fraction (0.4 = +40 %), computed from
its ``cost`` line (both values are per the same unit, so the fraction is the same per
the estimator's unit as per INNERGY's). Flags are fixed words, so a filter or a sort on
them groups alike rows:

- ``unit trap``: the new cost is about a unit factor away from the old one (12 in a foot,
  32 SF in a 4'x8' sheet, 25.4 mm in an inch, 144 square inches in a square foot, 3 feet
  in a yard, 9 SF in a square yard, or the row's own Base Units per UoM), or ten times or
  more: a price per one unit typed where another was meant;
- ``price``: the cost moves by ``PRICE_CHANGE`` (25 %) or more either way;
- ``deactivation``, ``rename`` (a name that was set is changed), ``conflict``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from canonical.plan import Change, MaterialChange

__all__ = [
    "FACTOR_TOLERANCE",
    "FLAGS",
    "PRICE_CHANGE",
    "TENFOLD",
    "UNIT_FACTORS",
    "cost_change",
    "cost_ratio",
    "flags",
]

PRICE_CHANGE = Decimal("0.25")
UNIT_FACTORS = tuple(map(Decimal, ("3", "9", "12", "25.4", "32", "144")))
FACTOR_TOLERANCE = Decimal("0.05")
"""How near (as a fraction) a cost ratio must come to a unit factor to be a unit trap."""
TENFOLD = Decimal(10)
"""A cost this many times apart, or more, is a unit trap whatever the factor."""
FLAGS = ("unit trap", "price", "deactivation", "rename", "conflict")
"""Every flag, in the order a row shows them."""
_FOUR_PLACES = Decimal("0.0001")
_REMEMBERED = 20_000
"""Changes whose flags are remembered: a plan's, and more (all are let go of past it)."""
_remembered: dict[int, tuple[Change, tuple[str, ...]]] = {}
"""id(change) -> (the change, its flags): held by identity, as hashing a frozen change
walks every field (0.1 s a plan of 2,500 changes); holding the change keeps its id its own."""


def _amount(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None


def _costs(change: Change) -> tuple[Decimal, Decimal] | None:
    """The old and new cost of a change whose cost line has both, the old one above zero."""
    for line in change.changes:
        if line.field == "cost":
            old, new = _amount(line.old), _amount(line.new)
            return (old, new) if old is not None and new is not None and old > 0 else None
    return None


def _move(costs: tuple[Decimal, Decimal] | None) -> Decimal | None:
    if costs is None:
        return None
    old, new = costs
    return ((new - old) / old).quantize(_FOUR_PLACES)


def _ratio(costs: tuple[Decimal, Decimal] | None) -> Decimal | None:
    if costs is None or costs[1] <= 0:
        return None
    return max(costs[1] / costs[0], costs[0] / costs[1])


def cost_change(change: Change) -> Decimal | None:
    """The cost's move as a fraction to 4 places (``None`` without an old and a new cost)."""
    return _move(_costs(change))


def cost_ratio(change: Change) -> Decimal | None:
    """How many times apart the old and new cost are (>= 1; ``None`` without both above zero)."""
    return _ratio(_costs(change))


def _unit_trap(change: Change, ratio: Decimal | None) -> bool:
    if ratio is None:
        return False
    factors = UNIT_FACTORS
    if change.unit is not None and change.unit.per_uom > 1:
        factors = (*factors, change.unit.per_uom)
    return ratio >= TENFOLD or any(abs(ratio / f - 1) <= FACTOR_TOLERANCE for f in factors)


def flags(change: Change) -> tuple[str, ...]:
    """The change's flags, in the order of ``FLAGS``. Remembered per change (a change is
    frozen): the diff tabs and the three reports each ask several times for every change,
    8 asks a change in a plan."""
    known = _remembered.get(id(change))
    if known is not None and known[0] is change:
        return known[1]
    if len(_remembered) >= _REMEMBERED:
        _remembered.clear()
    found = _flags(change)
    _remembered[id(change)] = (change, found)
    return found


def _flags(change: Change) -> tuple[str, ...]:
    found = set()
    costs = _costs(change)
    if _unit_trap(change, _ratio(costs)):
        found.add("unit trap")
    moved = _move(costs)
    if moved is not None and abs(moved) >= PRICE_CHANGE:
        found.add("price")
    if isinstance(change, MaterialChange):
        if change.action in ("deactivate", "conflict"):
            found.add("deactivation" if change.action == "deactivate" else "conflict")
        if any(line.field == "name" and line.old is not None for line in change.changes):
            found.add("rename")
    return tuple(flag for flag in FLAGS if flag in found)
