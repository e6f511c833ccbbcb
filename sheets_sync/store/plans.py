"""Plan files (``plans/<id>.json``, the plan the diff tabs were written from) and PPak's
library, the input of a plan that the output folder holds (``plan`` diffs it, ``push``
derives the plan's changes again from it)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from canonical.errors import PlanError
from canonical.models import Material
from canonical.plan import Plan
from canonical.serialize import from_jsonl
from sheets_sync.store.files import write_text
from sheets_sync.store.paths import Outputs

__all__ = ["load_plan", "read_ppak_input", "read_ppak_library", "save_plan"]


def save_plan(outputs: Outputs, plan: Plan) -> Path:
    return write_text(outputs.plan(plan.plan_id), plan.to_json())


def load_plan(outputs: Outputs, plan_id: str | None) -> Plan:
    """The plan named in the diff tabs' B1; a missing or ambiguous id says to plan again."""
    if not plan_id:
        raise PlanError(
            "the diff tabs hold no single plan id in B1 (or two different ones)", hint="run `matsync plan`"
        )
    path = outputs.plan(plan_id)
    if not path.is_file():
        raise PlanError(
            f"plan {plan_id} named in the diff tabs is not in {path.parent}", hint="run `matsync plan`"
        )
    return Plan.from_json(path.read_text(encoding="utf-8"))


def read_ppak_library(outputs: Outputs) -> list[Material]:
    """PPak's library as ``ppak-import`` left it (none when it has not run)."""
    return read_ppak_input(outputs)[0]


def read_ppak_input(outputs: Outputs) -> tuple[list[Material], str | None]:
    """PPak's library and the sha256 of its file (the plan's input fingerprint); ``None``
    when ``ppak-import`` has not run (the plan then fingerprints the empty input itself)."""
    path = outputs.canonical("ppak_materials.jsonl")
    if not path.is_file():
        return [], None
    data = path.read_bytes()
    return from_jsonl(data.decode("utf-8"), Material), hashlib.sha256(data).hexdigest()[:16]
