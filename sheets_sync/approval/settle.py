"""Settling the writes an interrupted run left open, from what is there now; never by resending.

A write journalled as intended (or unknown) may or may not have landed. INNERGY writes
are settled from INNERGY's records, master writes from the master's cells: done when the
thing holds what was written, failed otherwise (so the ticked row is applied again).
Push and undo share the cell rule, so they never disagree on what landed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from canonical.normalize import is_blank, sku_key
from innergy_client import wire
from sheets_sync.approval.decide import Innergy
from sheets_sync.approval.targets import INNERGY_TARGET, MASTER_TARGET
from sheets_sync.approval.writer import wire_json
from sheets_sync.store.journal import Journal, Write
from sheets_sync.workbook.base import Rows, column_index, header_key

__all__ = [
    "MasterCells",
    "cells_landed",
    "read_master_cells",
    "resolve_pending",
    "same_cells",
    "settle_master_writes",
    "shown",
    "written_cells",
]

MasterCells = Mapping[str, tuple[int, Mapping[str, Any]]]
"""The master as read: sku_key -> (sheet row, cells by ``header_key``)."""


def read_master_cells(rows: Rows) -> dict[str, tuple[int, dict[str, Any]]]:
    """The master tab as read, as ``MasterCells`` (the first row of a repeated SKU)."""
    if not rows:
        return {}
    header = [header_key(title) for title in rows[0]]
    sku = column_index(rows[0], "SKU")
    if sku is None:
        return {}
    master: dict[str, tuple[int, dict[str, Any]]] = {}
    for number, row in enumerate(rows[1:], start=2):
        value = row[sku] if sku < len(row) else None
        if not is_blank(value):
            master.setdefault(sku_key(str(value)), (number, dict(zip(header, row, strict=False))))
    return master


def shown(value: Any) -> str:
    """A cell as compared: blank and white space alike."""
    return "" if is_blank(value) else str(value).strip()


def same_cells(now: Mapping[str, Any], then: Mapping[str, Any]) -> bool:
    return all(shown(now.get(header_key(column))) == shown(value) for column, value in then.items())


def written_cells(write: Write) -> dict[str, Any]:
    """The cells a master write sets: ``after`` of a cell write, ``added`` of a new row."""
    payload = write.payload if isinstance(write.payload, Mapping) else {}
    return dict(payload.get("after") or payload.get("added") or {})


def cells_landed(write: Write, master: MasterCells) -> bool:
    """The master row of a write holds the cells it wrote: how an open write of a crashed
    run is settled without writing again."""
    found = master.get(sku_key(write.key))
    return found is not None and same_cells(found[1], written_cells(write))


def settle_master_writes(journal: Journal, master: Rows) -> int:
    """Master writes an earlier run left open (its workbook write failed or it was killed):
    done when the master row holds what was written, else failed (so the ticked row is
    applied again). ``master`` is the tab as read."""
    open_writes = journal.pending_writes(MASTER_TARGET)
    if not open_writes:
        return 0
    cells = read_master_cells(master)
    for write in open_writes:
        if cells_landed(write, cells):
            journal.mark_done(write.write_id, answer=written_cells(write))
        else:
            journal.mark_failed(write.write_id, "not in the master after an interrupted run")
    return len(open_writes)


def resolve_pending(journal: Journal, innergy: Innergy) -> int:
    """Settle the writes a crashed run left open, from INNERGY's records; never resend.

    A create that landed is found by its external id, or else by its name (unique in
    INNERGY) on a record without another external id; an edit landed when INNERGY's
    record now carries the payload's values. What did not land is marked failed, so its
    change is not ``applied`` and the ticked row is applied again by this run.
    """
    settled = 0
    pending = journal.pending_writes(INNERGY_TARGET)
    named: dict[str, wire.Material] = {}
    if any(w.op == "create" for w in pending):
        named = {r.material_name.casefold(): r for r in innergy.records}
    for write in pending:
        payload = write.payload or {}
        if write.op == "create":
            key = sku_key(str(payload.get("ExternalId") or write.key))
            found = named.get(str(payload.get("MaterialName") or "").casefold())
            record = innergy.by_key.get(key) or (
                found if found is not None and sku_key(found.external_id or key) == key else None
            )
        else:
            current = innergy.by_id.get(str(write.innergy_id or (write.before or {}).get("Id")))
            landed = current is not None and all(wire_json(current).get(k) == v for k, v in payload.items())  # type: ignore[union-attr]
            record = current if landed else None
        if record is not None:
            journal.mark_done(write.write_id, innergy_id=record.id, answer=wire_json(record))
        else:
            journal.mark_failed(write.write_id, "not found in INNERGY after an interrupted run")
        settled += 1
    return settled
