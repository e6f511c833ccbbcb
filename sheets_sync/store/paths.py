"""MIGRATION_OUTPUT_DIR: every file the tool keeps there, named in one place.

The folder is the tool's memory between runs (the journal, plans, canonical files,
reports); commands ask for a path here rather than spelling folder and file names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["JOURNAL_FILE", "LOCK_FILE", "Outputs"]

JOURNAL_FILE = "state.db"
LOCK_FILE = "matsync.lock"


@dataclass(frozen=True)
class Outputs:
    """The layout of one output folder."""

    root: Path

    @property
    def journal(self) -> Path:
        """The SQLite journal: every write, before and after."""
        return self.root / JOURNAL_FILE

    @property
    def lock(self) -> Path:
        return self.root / LOCK_FILE

    @property
    def plans(self) -> Path:
        return self.root / "plans"

    def plan(self, plan_id: str) -> Path:
        """The plan the diff tabs were written from."""
        return self.plans / f"{plan_id}.json"

    def canonical(self, name: str) -> Path:
        """A canonical JSON Lines file (``materials.jsonl``, ``projects.jsonl``, ...)."""
        return self.root / "canonical" / name

    def report(self, name: str) -> Path:
        return self.root / "reports" / name
