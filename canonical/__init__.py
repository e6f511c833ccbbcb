"""The canonical model: the shop's truth, its normalisers and serialisation. No I/O."""

from canonical.errors import ExitCode, MatsyncError
from canonical.models import (
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
from canonical.serialize import canonical_json, fingerprint, from_jsonl, to_jsonl

__all__ = [
    "BadValue",
    "ExitCode",
    "InnergyMaterial",
    "Library",
    "Material",
    "MatsyncError",
    "Money",
    "PhaseMapping",
    "Problem",
    "Project",
    "ProjectLine",
    "SkuMapping",
    "StatusMapping",
    "UomMapping",
    "canonical_json",
    "fingerprint",
    "from_jsonl",
    "to_jsonl",
]
