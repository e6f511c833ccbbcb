"""The canonical model: the shop's truth, its normalisers and serialisation. No I/O."""

from canonical.diff import FieldChange, MaterialDiff, PPakDiff, diff_materials, diff_ppak
from canonical.errors import ExitCode, MatsyncError
from canonical.models import (
    Claim,
    InnergyMaterial,
    Library,
    Material,
    PhaseMapping,
    Problem,
    Project,
    ProjectLine,
    SkuMapping,
    StatusMapping,
    UomMapping,
)
from canonical.normalize import BadValue, Money
from canonical.plan import (
    MaterialChange,
    Plan,
    PPakChange,
    build_plan,
    carry_ticks,
    is_tick,
    ticked_change_ids,
)
from canonical.projection import project_material
from canonical.serialize import canonical_json, fingerprint, from_jsonl, to_jsonl

__all__ = [
    "BadValue",
    "Claim",
    "ExitCode",
    "FieldChange",
    "InnergyMaterial",
    "Library",
    "Material",
    "MaterialChange",
    "MaterialDiff",
    "MatsyncError",
    "Money",
    "PPakChange",
    "PPakDiff",
    "PhaseMapping",
    "Plan",
    "Problem",
    "Project",
    "ProjectLine",
    "SkuMapping",
    "StatusMapping",
    "UomMapping",
    "build_plan",
    "canonical_json",
    "carry_ticks",
    "diff_materials",
    "diff_ppak",
    "fingerprint",
    "from_jsonl",
    "is_tick",
    "project_material",
    "ticked_change_ids",
    "to_jsonl",
]
