"""The plan rendered: DIFF tab rows in the contract layout, Markdown, escaped HTML, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from canonical import InnergyMaterial, Library, Material, UomMapping
from canonical.plan import Plan, build_plan
from reports.flags import flags
from reports.plan import (
    DIFF_INNERGY_HEADER,
    DIFF_PPAK_HEADER,
    HEADER_ROW,
    diff_innergy_rows,
    diff_ppak_rows,
    plan_html,
    plan_json,
    plan_markdown,
)

EA = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="Each", innergy_common_uom="EA")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def plan_with(names: list[str]) -> Plan:
    rows = tuple(
        Material(sku=f"S{i}", name=name, category="Hardware", uom="EA", cost=10, notes=name)
        for i, name in enumerate(names)
    )
    innergy = [InnergyMaterial(innergy_id="g1", external_id="GONE", name="Gone")]
    ppak = [Material(sku="P1", name=names[0], category="Hardware", uom="EA", cost=3, ppak_skus=("P1",))]
    return build_plan(Library(materials=rows, uoms=(EA,)), innergy, ppak=ppak, now=NOW)


def test_diff_innergy_layout() -> None:
    plan = plan_with(["Hinge", "Screw"])
    rows = diff_innergy_rows(plan, approved={plan.changes[0].change_id})
    assert rows[0][:2] == ["Plan ID", plan.plan_id]
    assert rows[1][:2] == ["create", 2]
    assert rows[HEADER_ROW - 1][: len(DIFF_INNERGY_HEADER)] == list(DIFF_INNERGY_HEADER)
    body = rows[HEADER_ROW:]
    assert [r[2] for r in body] == ["create", "create", "deactivate"]
    assert [r[0] for r in body] == [True, False, False]
    assert "cost: (blank) -> 10.0000 per EA" in body[0][5].split("\n")
    assert body[2][5] == "active: yes -> no"
    assert len({len(r) for r in rows}) == 1


def test_diff_ppak_layout() -> None:
    plan = plan_with(["Hinge"])
    rows = diff_ppak_rows(plan)
    assert rows[HEADER_ROW - 1][: len(DIFF_PPAK_HEADER)] == list(DIFF_PPAK_HEADER)
    assert rows[HEADER_ROW][2:6] == ["new", "P1", "", "Hinge"]


PAGE_TAGS = {
    *("html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "code", "span", "div"),
    *("table", "thead", "tbody", "tr", "th", "td", "ul", "li", "figure", "figcaption", "svg", "rect", "text"),
}
"""What a plan page is made of: text, tables and inline SVG; no script, image, link or form."""


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_naughty_strings_stay_literal(naughty_strings: list[str]) -> None:
    names = [s.strip() for s in naughty_strings if s.strip()][:400]
    names = list(dict.fromkeys(names))
    plan = plan_with(names)
    rows = diff_innergy_rows(plan)
    shown = {r[4] for r in rows[HEADER_ROW:]}
    assert set(names) <= shown  # exactly as typed, "=cmd|..." included: the writer sends RAW
    page = plan_html(plan)
    parser = _Text()
    parser.feed(page)
    assert set(parser.tags) <= PAGE_TAGS
    text = "".join(parser.text)
    assert all(name in text for name in names if "\r" not in name)
    markdown = plan_markdown(plan)
    innergy_part = markdown.split("## INNERGY")[1].split("## PPak")[0]
    table = [line for line in innergy_part.split("\n") if line.startswith("| C") and "Change ID" not in line]
    assert table
    for line in table:  # one Markdown row per change: seven cells, every user pipe escaped
        assert line.replace("\\\\", "").replace("\\|", "").count("|") == 8, line
    summary = json.loads(plan_json(plan))
    assert {c["name"] for c in summary["changes"]} >= set(names)


@pytest.mark.parametrize("render", [plan_markdown, plan_html, plan_json])
def test_renderings_are_stable(render) -> None:
    assert render(plan_with(["Hinge"])) == render(plan_with(["Hinge"]))


def test_json_counts_every_action() -> None:
    summary = json.loads(plan_json(plan_with(["Hinge"])))
    assert summary["counts"] == {
        "create": 1,
        "update": 0,
        "deactivate": 1,
        "reactivate": 0,
        "conflict": 0,
        "ppak_new": 1,
        "ppak_differs": 0,
    }


def test_json_gives_each_change_the_flags_and_delta_the_tabs_show() -> None:
    from tests.reports.review_plan import PRICED, RENAMED, TRAPPED, review_plan

    plan = review_plan()
    summary = json.loads(plan_json(plan))
    by_sku = {c["sku"]: c for c in summary["changes"]}
    (trapped,) = [p for p in summary["ppak_changes"] if p["ppak_sku"] == TRAPPED]

    assert (by_sku[PRICED]["flags"], by_sku[PRICED]["delta_percent"]) == (["price +40 %"], "40.0")
    assert (by_sku[RENAMED]["flags"], by_sku[RENAMED]["delta_percent"]) == (["rename"], None)
    assert trapped["flags"][0] == "unit trap ×32" and trapped["delta_percent"] == "3100.0"
    shown = [c["flags"] for c in summary["changes"] + summary["ppak_changes"]]
    assert shown == [flags(c) for c in (*plan.changes, *plan.ppak_changes)]
