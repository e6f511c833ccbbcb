"""The fake Sheets API refuses a batchUpdate request as Google does when it does not fit
Google's schema (its discovery document), and keeps the dimension sizes it is sent."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.fakes.sheets_fixtures import GoogleSheet


def _send(sheet: GoogleSheet, *requests_: dict[str, Any]) -> requests.Response:
    url = f"{sheet.server.url}/v4/spreadsheets/{sheet.key}:batchUpdate"
    return requests.post(url, json={"requests": list(requests_)}, timeout=10)


def _width(start: int, end: int, pixels: Any) -> dict[str, Any]:
    span = {"sheetId": 0, "dimension": "COLUMNS", "startIndex": start, "endIndex": end}
    return {
        "updateDimensionProperties": {
            "range": span,
            "properties": {"pixelSize": pixels},
            "fields": "pixelSize",
        }
    }


def test_dimension_sizes_are_kept_per_column_and_row(google_sheet: GoogleSheet) -> None:
    rows = {"sheetId": 0, "dimension": "ROWS", "startIndex": 3, "endIndex": 4}
    answer = _send(
        google_sheet,
        _width(1, 3, 140),
        {
            "updateDimensionProperties": {
                "range": rows,
                "properties": {"pixelSize": 72},
                "fields": "pixelSize",
            }
        },
    )
    assert answer.status_code == 200, answer.text
    sheet = google_sheet.sheet("Sheet1")
    assert [sheet.width(c) for c in (1, 2, 3, 4)] == [100, 140, 140, 100]
    assert [sheet.height(r) for r in (3, 4, 5)] == [21, 72, 21]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            {
                "repeatCell": {
                    "range": {"sheetId": 0},
                    "cell": {"userEnteredFormat": {"wrap": True}},
                    "fields": "*",
                }
            },
            "Unknown name \"wrap\" at 'requests[1].repeatCell.cell.userEnteredFormat'",
        ),
        (
            {
                "repeatCell": {
                    "range": {"sheetId": 0},
                    "cell": {"userEnteredFormat": {"wrapStrategy": "WRAPPED"}},
                    "fields": "userEnteredFormat.wrapStrategy",
                }
            },
            "Invalid value at 'requests[1].repeatCell.cell.userEnteredFormat.wrapStrategy'",
        ),
        (
            _width(0, 1, "120"),
            "Invalid value at 'requests[1].updateDimensionProperties.properties.pixelSize'",
        ),
        ({"autoResizeDimensions": {}}, 'Unknown name "autoResizeDimensions"'),
    ],
)
def test_a_request_google_would_refuse_fails_the_whole_batch(
    google_sheet: GoogleSheet, request_: dict[str, Any], message: str
) -> None:
    answer = _send(google_sheet, _width(0, 1, 150), request_)
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert message in answer.json()["error"]["message"]
    assert google_sheet.sheet("Sheet1").width(1) == 100, "nothing of the batch was applied"
