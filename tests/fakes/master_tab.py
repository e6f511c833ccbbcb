"""The master tab as a person types it, from ``Material`` models: one builder for the tests.

Every value is typed as its text (``Decimal('4.25')`` -> ``"4.25"``) and ``None`` is a blank
cell. The builders this replaces differed only in the booleans (Active, Taxable): a ticked
checkbox is read as ``True``/``False``, a typed one as the text ``"True"``/``"False"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from canonical.models import Material
from sheets_sync.master.tabs import MASTER_FIELDS

__all__ = ["master_tab"]


def master_tab(
    materials: Sequence[Material], *, checkboxes: bool = True, typed: Mapping[str, Any] | None = None
) -> list[list[Any]]:
    """The header row, then one row per material in the contract's column order.

    ``checkboxes``: booleans stay ``True``/``False`` (else their text). ``typed``: header ->
    the cell exactly as typed on every row, where the model's own text is not the point
    (e.g. Last Synced in the form push writes it).
    """
    typed = dict(typed or {})
    if not typed.keys() <= MASTER_FIELDS.keys():
        raise KeyError(f"not master headers: {sorted(typed.keys() - MASTER_FIELDS.keys())}")
    rows: list[list[Any]] = [list(MASTER_FIELDS)]
    for material in materials:
        values = material.model_dump()
        rows.append(
            [typed.get(header, _cell(values[field], checkboxes)) for header, field in MASTER_FIELDS.items()]
        )
    return rows


def _cell(value: Any, checkboxes: bool) -> Any:
    if value is None or (checkboxes and isinstance(value, bool)):
        return value
    return str(value)
