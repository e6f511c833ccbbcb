"""A record that a master row left out for a problem claims (``Library.claims``) is held:
no deactivate, update or conflict is planned for it, and it is not counted unmanaged."""

from __future__ import annotations

from canonical import Claim, InnergyMaterial, Library, Material, UomMapping
from canonical.diff import MaterialDiff, diff_materials

EA = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="Each", innergy_common_uom="EA")


def mat(sku: str, cost: str = "10", **more: object) -> Material:
    return Material.model_validate(
        {"sku": sku, "name": f"Item {sku}", "category": "Hardware", "uom": "EA", "cost": cost} | more
    )


def rec(sku: str | None, innergy_id: str, cost: str = "10", name: str | None = None) -> InnergyMaterial:
    return InnergyMaterial.model_validate(
        {
            "innergy_id": innergy_id,
            "external_id": sku,
            "name": name or f"Item {sku}",
            "category": "Hardware",
            "uom_group": "Each",
            "common_uom": "EA",
            "cost": cost,
        }
    )


def diff(rows: list[Material], claims: list[Claim], records: list[InnergyMaterial]) -> MaterialDiff:
    return diff_materials(Library(materials=tuple(rows), uoms=(EA,), claims=tuple(claims)), records)


def actions(result: MaterialDiff) -> dict[str, str]:
    return {change.sku: change.action for change in result.changes}


KEEP = mat("KEEP")
RECORDS = [rec("KEEP", "id-keep"), rec("BAD-1", "id-bad", cost="99")]


def test_without_a_claim_the_record_of_a_dropped_row_is_deactivated() -> None:
    """The control: what the claim prevents."""
    assert actions(diff([KEEP], [], RECORDS)) == {"BAD-1": "deactivate"}


def test_a_claimed_sku_holds_its_record_whatever_the_case_and_spaces() -> None:
    result = diff([KEEP], [Claim(sku=" bad-1 ")], RECORDS)
    assert result.changes == ()
    assert result.unmanaged == ()
    assert result.unchanged == 1


def test_a_claimed_innergy_id_holds_its_record_under_another_sku() -> None:
    """The row's SKU was renamed (and the row broke): INNERGY still knows the old SKU."""
    assert diff([KEEP], [Claim(sku="BAD-1-NEW", innergy_id="id-bad")], RECORDS).changes == ()
    assert actions(diff([KEEP], [Claim(sku="BAD-1-NEW")], RECORDS)) == {"BAD-1": "deactivate"}


def test_a_claimed_hand_entered_record_is_neither_unmanaged_nor_adopted() -> None:
    hand = rec(None, "id-hand", name="Item NEW")
    assert diff([mat("NEW")], [], [hand]).changes[0].action == "update"  # adopted by name
    assert diff([], [], [hand]).unmanaged == (hand,)
    held = diff([mat("NEW")], [Claim(innergy_id="id-hand")], [hand])
    (change,) = held.changes  # not adopted; and a create would clash with its name
    assert (change.action, change.record) == ("conflict", None)
    assert change.reason is not None and "already used in INNERGY by a hand-entered record" in change.reason
    assert held.unmanaged == ()


def test_records_sharing_a_claimed_external_id_get_no_conflict() -> None:
    twins = [rec("BAD-1", "id-a"), rec("BAD-1", "id-b")]
    assert actions(diff([], [], twins)) == {"BAD-1": "conflict"}
    assert diff([], [Claim(sku="BAD-1")], twins).changes == ()


def test_a_valid_row_whose_record_another_row_holds_by_id_is_a_conflict_not_a_create() -> None:
    """Creating it would give INNERGY a second record with this external id."""
    result = diff([mat("BAD-1", cost="12")], [Claim(sku="OTHER", innergy_id="id-bad")], RECORDS[1:])
    (change,) = result.changes
    assert (change.action, change.sku) == ("conflict", "BAD-1")
    assert change.reason is not None and "claimed by another master row with a problem" in change.reason
