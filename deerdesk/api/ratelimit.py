"""One rate limiter shared by every call of a connection."""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """A token bucket plus a shared pause that rate-limit answers (1302/1303) extend.

    `rate` is requests per second (None: unlimited). When the service says "too fast",
    `slow_down()` makes every caller wait, and halves the rate until calls succeed again.
    The answers to one burst of requests arrive together: they are one signal, so the rate
    halves once per pause, not once per answer (which would take it to the floor in one go).
    """

    #: requests per second the rate never goes below: the pause alone holds back a stricter limit
    MIN_RATE = 1.0

    def __init__(self, rate: float | None = None, burst: int = 10) -> None:
        self._configured_rate = rate
        self._rate = rate
        self._min_rate = min(self.MIN_RATE, rate) if rate is not None else None
        self._burst = max(1, burst)
        self._tokens = float(self._burst)
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                if self._rate is None:
                    return
                self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)

    @property
    def rate(self) -> float | None:
        return self._rate

    def slow_down(self, seconds: float) -> None:
        now = time.monotonic()
        if self._rate is not None and self._min_rate is not None and now >= self._paused_until:
            self._rate = max(self._rate / 2, self._min_rate)
        self._paused_until = max(self._paused_until, now + seconds)

    def recovered(self) -> None:
        if self._rate is not None and self._configured_rate is not None:
            self._rate = min(self._configured_rate, self._rate * 1.25)
