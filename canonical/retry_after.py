"""When to try an HTTP call again, for both clients (Google Sheets and INNERGY).

``RETRY_STATUSES`` are the answers worth another try; ``Retry-After`` says how long to wait.

RFC 9110 allows delta-seconds or an HTTP date. A date without a zone (``-0000``) is UTC,
not the machine's local time; a date in the past means "now".
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["RETRY_STATUSES", "retry_after_seconds"]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Request timeout, rate limit, and the server errors that pass: both clients retry these
(the INNERGY client looks a create up before sending it again)."""


def retry_after_seconds(header: str | None) -> float | None:
    """The wait a ``Retry-After`` value asks for; ``None`` when absent or unreadable."""
    if not header:
        return None
    text = header.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
