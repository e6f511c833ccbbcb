"""The journal's names for what the tool writes to: one spelling for push, undo and export."""

from __future__ import annotations

from sheets_sync.master.tabs import MASTER

__all__ = ["INNERGY_TARGET", "MASTER_TARGET"]

INNERGY_TARGET = "innergy.material"
MASTER_TARGET = f"sheet.{MASTER}"
