"""What a reviewer should look at twice (a change's ``Δ %`` and flags), and what a PPak
``new`` row adds to the master when ticked.

One rule for every place a change is shown (the DIFF_INNERGY / DIFF_PPAK ``Δ %``, ``Flags``
and ``Changes`` columns, the plan's HTML and Markdown reports), so a row flagged in the tab
is flagged in the report. Pure functions of a ``canonical.plan`` change; no I/O.

Flags, most serious first (the order ``flags`` lists them in), each a short text starting
with its kind (a filter on the tab's ``Flags`` column finds a kind by its first words):

- ``conflict``: the change cannot be applied as planned (its reason is in Changes).
- ``unit trap ×25``: the new cost is more than ``UNIT_TRAP_RATIO`` times the old, or less
  than its 1/10th. That is what a price entered per another unit looks like: the factors
  behind it (12 inches a foot, 25.4 mm an inch, 32 square feet a 4'x8' sheet, 144 square
  inches a square foot) are all above 10, so one ratio catches them all. The number is the
  measured ratio, not a guess at which factor it is.
- ``price +40 %``: the cost moves by more than ``PRICE_CHANGE_PERCENT`` % either way.
- ``rename``: the name, or the SKU INNERGY knows the record by (its external id), changes
  from one non-blank value to another (linking a hand-entered record is not a rename).
- ``deactivate``: push would make the INNERGY record inactive.

Costs are the amounts the change's ``cost`` line starts each side with (old and new in one
unit, whichever unit the line speaks: ``114.28 -> 121.50 per SHT`` and ``3.5712 -> 3.7969``
per SF give the same ratio and percentage).
"""

from __future__ import annotations

import re
from decimal import Decimal

from canonical.diff import FieldChange, display
from canonical.plan import Change, MaterialChange, PPakChange

__all__ = [
    "FLAG_KINDS",
    "PRICE_CHANGE_PERCENT",
    "UNIT_TRAP_RATIO",
    "added_fields",
    "delta_percent",
    "flags",
]

PRICE_CHANGE_PERCENT = Decimal(25)
UNIT_TRAP_RATIO = Decimal(10)
FLAG_KINDS = ("conflict", "unit trap", "price", "rename", "deactivate")
"""Every flag starts with one of these (the order ``flags`` lists them in)."""
_RENAMED = ("name", "external_id")
_TENTH = Decimal("0.1")
_AMOUNT = re.compile(r"\s*\$?\s*(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+)(?![\d,.]*\d)")


def _amount(text: str | None) -> Decimal | None:
    """The amount a cost value starts with (``121.50`` of ``121.50 per SHT``, ``$1,204.00``);
    ``None`` for blank, ``(clear)`` or text that starts with no number."""
    found = _AMOUNT.match(text or "")
    return Decimal(found[1].replace(",", "")) if found else None


def _costs(change: Change) -> tuple[Decimal, Decimal] | None:
    """(old, new) of the change's cost line when both are amounts and the old is above zero."""
    line: FieldChange | None = next((f for f in change.changes if f.field == "cost"), None)
    if line is None:
        return None
    old, new = _amount(line.old), _amount(line.new)
    if old is None or new is None or old <= 0 or new < 0:
        return None
    return old, new


def delta_percent(change: Change) -> Decimal | None:
    """The cost's change in percent of the old cost, to one place (``None``: no cost change,
    or one from or to a blank, where a percentage means nothing)."""
    costs = _costs(change)
    if costs is None:
        return None
    old, new = costs
    return ((new - old) * 100 / old).quantize(_TENTH)


def _ratio(old: Decimal, new: Decimal) -> Decimal | None:
    """How many times apart two costs are (always >= 1); ``None`` when one is zero."""
    if new == 0:
        return None
    return max(new / old, old / new)


def flags(change: Change) -> list[str]:
    """The change's flags, as the module docstring lists them (empty: nothing risky)."""
    action = change.action if isinstance(change, MaterialChange) else None
    found = ["conflict"] if action == "conflict" else []
    costs = _costs(change)
    if costs is not None:
        ratio = _ratio(*costs)
        if ratio is not None and ratio > UNIT_TRAP_RATIO:
            found.append(f"unit trap ×{ratio:.0f}")
        delta = delta_percent(change)
        if delta is not None and abs(delta) > PRICE_CHANGE_PERCENT:
            found.append(f"price {delta:+.0f} %")
    if any(f.field in _RENAMED and f.old is not None and f.new is not None for f in change.changes):
        found.append("rename")
    if action == "deactivate":
        found.append("deactivate")
    return found


_ADDED = ("sku", "name", "category", "uom", "cost")


def added_fields(change: PPakChange) -> tuple[FieldChange, ...]:
    """What a tick on a PPak ``new`` row writes into the new master row (SKU, Name,
    Category, UoM, Cost), as ``field: (blank) -> value`` lines, so a reviewer sees what the
    tick does. Other rows add nothing (empty): their ``changes`` are what they do."""
    if change.kind != "new" or change.master_row is None:
        return ()
    row = change.master_row
    return tuple(FieldChange(name, None, display(getattr(row, name)) or None) for name in _ADDED)
