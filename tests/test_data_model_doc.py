"""DATA_MODEL.md names every field of every canonical model."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

import canonical

DOC = (Path(__file__).resolve().parents[1] / "DATA_MODEL.md").read_text(encoding="utf-8")
MODELS = [
    canonical.Material,
    canonical.InnergyMaterial,
    canonical.Project,
    canonical.ProjectLine,
    canonical.StatusMapping,
    canonical.PhaseMapping,
    canonical.SkuMapping,
    canonical.UomMapping,
    canonical.Problem,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_documented(model: type[BaseModel]) -> None:
    missing = [name for name in model.model_fields if f"`{name}`" not in DOC]
    assert missing == []
