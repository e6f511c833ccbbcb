"""pull: master + mapping tabs -> a validated Library, problems in ISSUES, materials.jsonl."""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from canonical.errors import MissingTab
from canonical.models import Material
from canonical.serialize import from_jsonl
from sheets_sync.commands.init_sheet import init_sheet
from sheets_sync.commands.pull import pull
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.master.reader import parse_library
from sheets_sync.master.tabs import MASTER, MASTER_FIELDS
from sheets_sync.workbook import Rewrite
from tests.fakes.master_tab import master_tab

HEADER = list(MASTER_FIELDS)
UOM = [
    ["Source UoM", "Canonical UoM", "INNERGY UoM Group", "INNERGY Common UoM", "Base Units per UoM"],
    ["SHT", "SHT", "SF", "Sheet", "32"],
    ["ea", "EA", "Each", "Each", ""],
]


def row(**cells: object) -> list[object]:
    return [cells.get(h, "") for h in HEADER]


def library_tabs(
    master_rows: list[list[object]], **extra: list[list[object]]
) -> dict[str, list[list[object]]]:
    return {
        MASTER: [HEADER, *master_rows],
        "MAP_UOM": UOM,
        "MAP_STATUS": extra.get("status", [["PPak Status", "Canonical Status", "INNERGY Status"]]),
        "MAP_PHASE": [["PPak Phase", "Canonical Phase", "INNERGY Workflow Step"]],
        "MAP_MATERIAL_SKU": extra.get("skus", [["PPak SKU", "Canonical SKU", "Notes"]]),
    }


def good(sku: str, **more: object) -> list[object]:
    cells = {"SKU": sku, "Name": f"Name {sku}", "Category": "Sheet Goods", "UoM": "SHT", "Cost": "$64.00"}
    return row(**{**cells, **more})


def test_a_valid_master_becomes_materials():
    tabs = library_tabs(
        [
            good("PLY-1", **{"Margin %": "35%", "Waste %": "5", "Active": "", "Taxable": True}),
            good("PLY-2", **{"Margin %": "0.35", "Active": False, "Notes": "(clear)", "Vendor": "=Acme"}),
        ],
        skus=[["PPak SKU", "Canonical SKU", "Notes"], ["OLD-1", "ply-1", ""]],
    )
    tabs[MASTER][0] = [f"  {h.upper()} " for h in HEADER] + ["My own column"]
    library, problems, rows = parse_library(tabs)
    assert problems == []
    first, second = library.materials
    assert (first.margin, first.waste, first.active, first.taxable) == (
        Decimal("0.35"),
        Decimal("0.05"),
        True,
        True,
    )
    assert first.ppak_skus == ("OLD-1",)
    assert (second.margin, second.active, second.cleared, second.vendor) == (
        Decimal("0.35"),
        False,
        ("notes",),
        "=Acme",
    )
    assert rows == {"ply-1": 2, "ply-2": 3}


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"Name": ""}, "Name", "Name is required"),
        ({"Cost": "12,34.5"}, "Cost", "thousands separators"),
        ({"Cost": "-3"}, "Cost", "negative"),
        ({"Cost": "#REF!"}, "Cost", "sheet error #REF!"),
        ({"Name": "#N/A"}, "Name", "sheet error #N/A"),
        ({"UoM": "furlong"}, "UoM", "not in MAP_UOM"),
        ({"Margin %": "lots"}, "Margin %", "not a number"),
        ({"Active": "maybe"}, "Active", "yes/no"),
        ({"Category": "(clear)"}, "Category", "cannot be cleared"),
    ],
)
def test_a_bad_row_is_left_out_with_a_precise_problem(cells, column, message):
    library, problems, rows = parse_library(library_tabs([good("OK-1"), good("BAD-1", **cells)]))
    assert [m.sku for m in library.materials] == ["OK-1"]
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.source, problem.row, problem.column, problem.severity) == (MASTER, 3, column, "error")
    assert message in problem.message
    assert rows["bad-1"] == 3, "a blocked row keeps its row number, so plan can tell it from a deletion"


NOT_FINITE = [
    float("nan"),
    -float("nan"),
    float("inf"),
    float("-inf"),
    Decimal("NaN"),
    Decimal("-sNaN"),
    Decimal("-Infinity"),
]
"""Numbers no sheet cell holds, but a file reader (calamine, pandas) or a float cell can hand us."""


@pytest.mark.parametrize("value", NOT_FINITE, ids=repr)
@pytest.mark.parametrize(
    "column", ["Cost", "Name", "Category", "UoM", "Margin %", "Thickness (in)", "Taxable", "Last Synced"]
)
def test_a_number_that_is_not_finite_is_a_problem_in_any_column(column, value):
    library, problems, rows = parse_library(library_tabs([good("OK-1"), good("BAD-1", **{column: value})]))
    assert [m.sku for m in library.materials] == ["OK-1"], "never dropped to blank, never read as a value"
    assert [(p.source, p.row, p.column, p.value, p.severity) for p in problems] == [
        (MASTER, 3, column, str(value), "error")
    ]
    assert "not a finite number" in problems[0].message
    assert rows["bad-1"] == 3


@pytest.mark.parametrize("value", NOT_FINITE, ids=repr)
def test_a_sku_or_mapping_cell_that_is_not_finite_is_a_problem(value):
    uom = [*UOM, ["LF", value, "", "", ""]]
    tabs = library_tabs([good("OK-1"), good("x", SKU=value)])
    tabs["MAP_UOM"] = uom
    library, problems, _ = parse_library(tabs)
    assert [m.sku for m in library.materials] == ["OK-1"]
    assert [(p.source, p.row, p.column, p.value) for p in problems] == [
        ("MAP_UOM", 4, "Canonical UoM", str(value)),
        (MASTER, 3, "SKU", str(value)),
    ]


def test_duplicate_skus_differing_in_case_or_spaces_are_all_left_out():
    library, problems, _ = parse_library(library_tabs([good("PLY 1"), good("ply1"), good("OTHER")]))
    assert [m.sku for m in library.materials] == ["OTHER"]
    assert {(p.row, p.column) for p in problems} == {(2, "SKU"), (3, "SKU")}
    assert all("rows 2, 3" in p.message for p in problems)


def test_a_status_mapped_to_two_canonical_statuses_is_an_error():
    status = [
        ["PPak Status", "Canonical Status", "INNERGY Status"],
        ["Bid", "bidding", ""],
        ["BID ", "won", ""],
        ["Lost", "lost", ""],
    ]
    library, problems, _ = parse_library(library_tabs([], status=status))
    assert [s.ppak_status for s in library.statuses] == ["Lost"]
    assert {(p.source, p.row) for p in problems} == {("MAP_STATUS", 2), ("MAP_STATUS", 3)}
    assert "bidding and won" in problems[0].message


def test_pull_writes_jsonl_and_issues_keeping_other_commands_rows(make_google_sheet):
    tabs = library_tabs([good("A-1"), good("B-1", Cost="oops")])
    tabs["ISSUES"] = [
        ["Severity", "Tab or File", "Row", "Column", "Value", "Message"],
        ["error", "PPak_Materials.csv", 4, "Price", "x", "from ppak-import"],
        ["error", MASTER, 9, "SKU", "", "stale pull row"],
    ]
    sheet = make_google_sheet(tabs)
    outcome = pull(sheet.settings)
    assert outcome.summary["materials"] == 1 and outcome.summary["problems"] == 1
    assert outcome.summary["issues"][0] | {"message": ""} == {
        "severity": "error", "tab": MASTER, "row": 3, "column": "Cost", "value": "oops", "message": "",
    }  # fmt: skip
    issues = sheet.values("ISSUES")
    assert [r[1] for r in issues[1:]] == ["PPak_Materials.csv", MASTER]
    assert issues[2][2] == 3
    assert issues[1][2] == 4, "a kept row's number stays a number, as the new rows' are"
    written = from_jsonl((sheet.settings.output_dir / "canonical/materials.jsonl").read_text(), Material)
    assert [m.sku for m in written] == ["A-1"]
    json.dumps(outcome.summary)


def test_pull_names_init_sheet_when_tabs_are_missing(google_sheet):
    with pytest.raises(MissingTab, match="init-sheet"):
        pull(google_sheet.settings)


def test_pull_leaves_the_cyclic_collector_on_after_it_ends_or_fails(make_google_sheet, google_sheet):
    """pull pauses the collector while it runs (a benchmark shows the time): never after."""
    assert gc.isenabled()
    pull(make_google_sheet(library_tabs([good("A-1")])).settings)
    assert gc.isenabled()
    with pytest.raises(MissingTab):
        pull(google_sheet.settings)
    assert gc.isenabled()


def test_request_counts_do_not_grow_with_rows(make_google_sheet):
    counts = []
    for size in (100, 20_000):
        sheet = make_google_sheet(
            library_tabs([good(f"SKU-{i}", Cost="oops" if i % 50 == 0 else "1") for i in range(size)])
        )
        pull(sheet.settings)
        pulled = dict(sheet.server.counts)
        sheet.server.reset_counts()
        init_sheet(sheet.settings)
        counts.append((pulled, dict(sheet.server.counts)))
    assert counts[0] == counts[1]
    assert counts[0][0] == {"get": 1, "values.batchGet": 1, "batchUpdate": 1, "values.batchUpdate": 1}


def test_pull_through_xlsx(tmp_path):
    path = tmp_path / "w.xlsx"
    settings = Settings(workbook=str(path), output_dir=tmp_path / "out")
    init_sheet(settings)
    tabs = library_tabs([good("A-1"), good("A-1 ")])
    open_workbook(settings).write([Rewrite(name, rows) for name, rows in tabs.items()])
    outcome = pull(settings)
    assert outcome.summary["materials"] == 0 and outcome.summary["problems"] == 2
    issues = open_workbook(settings).read_tabs(["ISSUES"])["ISSUES"]
    assert [r[2] for r in issues[1:]] == ["2", "3"]


@pytest.mark.parametrize("checkboxes", [True, False])
def test_the_shared_master_tab_builder_reads_back_as_its_materials(checkboxes):
    """tests/fakes/master_tab types a master the tests of plan, push and undo all start from."""
    full = Material(
        sku="P-1", name="Oak", description="Edge", category="Sheet Goods", subcategory="Ply", uom="ea",
        purchase_uom="SHT", purchase_conversion=Decimal("32"), thickness_in=Decimal("0.75"),
        width_in=Decimal("48"), length_in=Decimal("96"), species_color="White Oak", grade="A",
        core="MDF", manufacturer="Acme", manufacturer_sku="AC-1", vendor="V", vendor_sku="V-1",
        cost=Decimal("64.25"), margin=Decimal("0.35"), waste=Decimal("0.05"), lead_time="2 weeks",
        gl_account="5000", taxable=False, active=False, innergy_id="id-1", notes="stock",
    )  # fmt: skip
    bare = Material(sku="P-2", name="Pine", category="Sheet Goods", uom="ea", cost=Decimal("1"))
    master = master_tab([full, bare], checkboxes=checkboxes, typed={"Last Synced": "2024-01-02T03:04:05Z"})
    assert {type(c) for c in master[2] if c is not None} == ({str, bool} if checkboxes else {str})
    library, problems, _ = parse_library({**library_tabs([]), MASTER: master})
    assert problems == []
    synced = {"last_synced": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)}
    assert [m.model_dump() for m in library.materials] == [
        m.model_copy(update=synced).model_dump() for m in (full, bare)
    ]
    with pytest.raises(KeyError, match="Last synced"):
        master_tab([bare], typed={"Last synced": "x"})
