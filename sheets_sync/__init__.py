"""Workbook backends, plan / push / nightly orchestration, the journal and the CLI."""

from sheets_sync.config import Settings, load_settings

__all__ = ["Settings", "load_settings"]
