"""Why a batch is not patched, so the fallback to openpyxl can say what sent it there."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Unpatchable"]


@dataclass(frozen=True)
class Unpatchable:
    """A batch (or a part of the workbook) the patcher does not take; openpyxl writes it."""

    reason: str
