"""A fresh INNERGY sandbox per test, on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from innergy_client import InnergyClient
from innergy_client.sandbox import Sandbox, running_sandbox
from innergy_client.wire import MaterialWrite, Money


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(seed=7) as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[InnergyClient]:
    with InnergyClient(sandbox.url, sandbox.api_key, backoff=0.001, timeout=5) as made:
        yield made


def material(n: int, **fields: object) -> MaterialWrite:
    """A valid material body, unique by ``n``."""
    values: dict[str, object] = {
        "material_name": f"Maple Ply 3/4 #{n}",
        "external_id": f"SKU-{n:04}",
        "budget_group": "Sheet Goods",
        "uom_group": "SF",
        "default_common_uom": "4'x8'",
        "cost": Money(value=Decimal("2.1875"), original_value=Decimal("2.1875")),
        "margin": Decimal("0.35"),
    }
    values.update(fields)
    return MaterialWrite.model_validate(values)
