"""Canonical files are byte-identical for the same input; fingerprints follow content."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from canonical import Material, Project, fingerprint, from_jsonl, to_jsonl


def material(**changes: object) -> Material:
    base = {
        "sku": "PLY-34",
        "name": 'Ply ¾" – “WO”',
        "category": "Sheet Goods",
        "uom": "SHT",
        "cost": "142.85",
    }
    return Material.model_validate({**base, **changes})


def test_jsonl_is_stable_and_round_trips() -> None:
    records = [material(), material(sku="B", margin="0.2593")]
    text = to_jsonl(records)
    assert text == to_jsonl([Material.model_validate(r.model_dump()) for r in records])
    assert text.count("\n") == 2
    assert "“WO”" in text  # literal, not escaped
    assert from_jsonl(text, Material) == records
    assert from_jsonl(text, Material)[0].cost == Decimal("142.85")


def test_keys_are_sorted() -> None:
    line = to_jsonl([Project(ppak_id="23014", name="x", bid_date=date(2023, 3, 14))]).strip()
    keys = [part.split('":')[0].strip('{"') for part in line.split(',"')]
    assert keys == sorted(keys)


def test_fingerprint_follows_content() -> None:
    assert fingerprint(material()) == fingerprint(material())
    assert fingerprint(material()) != fingerprint(material(cost="142.86"))
    assert fingerprint(None) == "-"


def test_change_order_external_id() -> None:
    assert Project(ppak_id="22987", name="x").external_id == "22987"
    assert Project(ppak_id="22987", name="x", change_order="CO#1").external_id == "22987-CO#1"
