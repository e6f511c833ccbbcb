"""``parse_datetime`` (Last Synced): the forms Google and Excel show in a date cell."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from canonical.normalize import BadValue, parse_datetime

AT_1405 = datetime(2025, 11, 3, 14, 5)
MIDNIGHT = datetime(2025, 11, 3)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11/3/2025", MIDNIGHT),  # Google / Excel, en-US date
        ("11/03/2025", MIDNIGHT),
        ("11/3/25", MIDNIGHT),
        ("11/3/2025 14:05:00", AT_1405),  # Google's FORMATTED_STRING of a date-time cell
        ("11/3/2025 14:05", AT_1405),
        ("11/3/2025 2:05 PM", AT_1405),
        ("11/3/2025 12:30 am", datetime(2025, 11, 3, 0, 30)),
        ("2025-11-03", MIDNIGHT),  # the .xlsx backend's text of a date cell
        ("2025-11-03 14:05", AT_1405),
        ("2025-11-03 14:05:00", AT_1405),  # the .xlsx backend's text of a date-time cell
        ("2025-11-03T14:05:00", AT_1405),
        ("2025-11-03T14:05:00Z", AT_1405.replace(tzinfo=UTC)),  # what push writes
        ("2025-11-03T14:05:00-05:00", AT_1405.replace(tzinfo=timezone(timedelta(hours=-5)))),
        ("3-Nov-2025", MIDNIGHT),  # Excel's d-mmm-yyyy
        ("03-NOV-25", MIDNIGHT),
        ("3-Nov-2025 14:05", AT_1405),
        ("  11/3/2025  ", MIDNIGHT),
        (AT_1405, AT_1405),
        (date(2025, 11, 3), MIDNIGHT),
    ],
)
def test_each_form_reads_as_the_date_it_shows(raw: object, expected: datetime) -> None:
    assert parse_datetime(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_is_none(raw: object) -> None:
    assert parse_datetime(raw) is None


@pytest.mark.parametrize(
    "raw",
    ["last tuesday", "13/45/2025", "2/30/2025", "3-Foo-2025", "11/3/2025 25:00", "11/3/2025 13:05 PM", 45964],
)
def test_what_is_not_a_date_is_a_bad_value_saying_which_forms_are(raw: object) -> None:
    with pytest.raises(BadValue, match=r"is not a date and time .*11/3/2025 14:05:00"):
        parse_datetime(raw)


def test_a_sheet_error_is_named() -> None:
    with pytest.raises(BadValue, match="#REF!"):
        parse_datetime("#REF!")
