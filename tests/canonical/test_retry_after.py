from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from canonical.retry_after import retry_after_seconds


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2.5", 2.5), (" 7 ", 7.0), ("-3", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_seconds_and_past_dates(header, seconds):
    assert retry_after_seconds(header) == seconds


@pytest.mark.parametrize("header", [None, "", "soon", "Wed, 99 Foo 2015"])
def test_absent_or_unreadable_is_none(header):
    assert retry_after_seconds(header) is None


@pytest.mark.parametrize("usegmt", [True, False])
def test_a_future_date_is_the_time_until_it_in_utc(usegmt):
    """``-0000`` (no zone) is read as UTC, not the machine's local time."""
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=120)
    header = format_datetime(when, usegmt=True) if usegmt else format_datetime(when.replace(tzinfo=None))
    assert 110 <= (retry_after_seconds(header) or 0) <= 120
