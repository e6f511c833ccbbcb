"""A bounded retry for Google Sheets calls (``canonical.retry_after.RETRY_STATUSES``),
honouring ``Retry-After``.

gspread's own ``BackOffHTTPClient`` retries without bound; a nightly run must instead
give up after a known number of attempts and a known time, and say so clearly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try, and how long to wait in between (full jitter, capped)."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 32.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based).

        The server's ``Retry-After`` wins (with up to 10 % jitter so that parallel
        clients do not return in step), capped at ``max_delay``.
        """
        if retry_after is not None:
            return min(self.max_delay, retry_after * (1 + random.uniform(0, 0.1)))
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)
