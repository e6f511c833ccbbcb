"""init-sheet: create or repair every contract tab; idempotent; never moves user data."""

from __future__ import annotations

from openpyxl import load_workbook

from sheets_sync.commands.init_sheet import init_sheet
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.master.tabs import ALL_TABS, MASTER, MASTER_FIELDS


def test_creates_every_tab_with_headers_and_formatting(google_sheet):
    outcome = init_sheet(google_sheet.settings)
    assert set(outcome.summary["created"]) == set(ALL_TABS)
    assert google_sheet.values(MASTER) == [list(MASTER_FIELDS)]
    assert google_sheet.values("DIFF_INNERGY")[0] == ["Plan ID"]
    assert google_sheet.values("DIFF_INNERGY")[2][0] == "Approve"
    master = google_sheet.sheet(MASTER)
    headers = list(MASTER_FIELDS)
    assert master.frozen_rows == 1
    for column in ("Active", "Taxable"):
        assert master.validation_at(2, headers.index(column) + 1) == {"condition": {"type": "BOOLEAN"}}
    uom = master.validation_at(5, headers.index("UoM") + 1)
    assert uom["condition"] == {
        "type": "ONE_OF_RANGE",
        "values": [{"userEnteredValue": "='MAP_UOM'!$B$2:$B"}],
    }
    assert {p["description"] for p in master.protected} == {
        "matsync: written by the tool (INNERGY ID)", "matsync: written by the tool (Last Synced)",
    }  # fmt: skip
    assert google_sheet.sheet("DIFF_PPAK").frozen_rows == 3
    assert google_sheet.sheet("DIFF_PPAK").validation_at(4, 1) == {"condition": {"type": "BOOLEAN"}}


def test_repair_appends_missing_columns_at_the_right_and_keeps_user_data(make_google_sheet):
    user = [["Notes", "My formula", "sku", " NAME "], ["n1", "=A2", "S-1", "Oak"], ["", "", "S-2", "Ash"]]
    sheet = make_google_sheet({MASTER: user, "Mine": [["x"]]})
    outcome = init_sheet(sheet.settings)
    assert "Category" in outcome.summary["repaired"][MASTER]
    values = sheet.values(MASTER)
    assert values[0][:4] == user[0]
    assert values[1:] == [user[1], [None, None, "S-2", "Ash"]]
    assert len(values[0]) == 4 + len(MASTER_FIELDS) - 3
    assert sheet.values("Mine") == [["x"]]
    sheet.server.reset_counts()
    again = init_sheet(sheet.settings)
    assert again.summary["created"] == [] and again.summary["repaired"] == {}
    assert sheet.values(MASTER) == values
    assert len(sheet.sheet(MASTER).protected) == 2
    assert "values.batchUpdate" not in sheet.server.counts


def test_category_drop_down_lists_the_masters_categories(make_google_sheet):
    master = [
        list(MASTER_FIELDS),
        ["A", "n", "", "Sheet Goods"],
        ["B", "n", "", "Hardware"],
        ["C", "n", "", "hardware"],
    ]
    sheet = make_google_sheet({MASTER: master})
    init_sheet(sheet.settings)
    rule = sheet.sheet(MASTER).validation_at(2, 4)
    assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == [
        "Hardware",
        "hardware",
        "Sheet Goods",
    ]
    assert rule["strict"] is False


def test_creates_a_missing_xlsx_and_repairs_it_idempotently(tmp_path):
    path = tmp_path / "new" / "library.xlsx"
    settings = Settings(workbook=str(path))
    init_sheet(settings)
    first = open_workbook(settings).read_tabs(ALL_TABS)
    assert set(first) == set(ALL_TABS)
    assert init_sheet(settings).summary["created"] == []
    assert open_workbook(settings).read_tabs(ALL_TABS) == first
    book = load_workbook(path)
    assert book.sheetnames == list(ALL_TABS)
    assert book[MASTER].freeze_panes == "A2"
    assert book[MASTER]["A1"].font.bold
    rules = book[MASTER].data_validations.dataValidation
    assert sorted(rule.type for rule in rules) == ["custom", "custom", "list", "list", "list", "list"]
