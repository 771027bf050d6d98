"""When and how long to wait before trying a failed call again."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from deerdesk.api.errors import ApiError


def is_retryable(error: BaseException) -> bool:
    """Only what can succeed later: rate limits, server trouble, timeouts and dropped links."""
    return isinstance(error, ApiError) and error.retryable


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds form; HTTP dates are rare here)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        from datetime import UTC, datetime

        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds)


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter and a cap; `Retry-After` wins when the server sets it.

    `rng` is injectable so that tests and the simulator's seeded runs are reproducible.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, error: BaseException | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
        if isinstance(error, ApiError) and error.retry_after is not None:
            return min(error.retry_after, self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        # "Full jitter", but never less than a tenth of the step, so retries are not instant.
        return ceiling * (0.1 + 0.9 * self.rng.random())

    def should_retry(self, attempt: int, error: BaseException) -> bool:
        return attempt < self.max_attempts and is_retryable(error)
