"""The journal's names for what the tool writes to: one spelling for every command and health."""

from __future__ import annotations

from sheets_sync.master.tabs import MASTER

__all__ = ["BOM_TARGET", "INNERGY_TARGET", "MASTER_TARGET", "OPPORTUNITY_TARGET", "PROJECT_TARGET"]

INNERGY_TARGET = "innergy.material"
MASTER_TARGET = f"sheet.{MASTER}"
OPPORTUNITY_TARGET = "innergy.opportunity"
BOM_TARGET = "innergy.bom"
PROJECT_TARGET = "innergy.project"
