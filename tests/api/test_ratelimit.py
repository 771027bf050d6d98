"""The shared rate limiter: one slow-down per burst of rate-limit answers, a floor, recovery."""

from __future__ import annotations

import asyncio
import time

from deerdesk.api import errors
from deerdesk.api.ratelimit import RateLimiter


def test_a_burst_of_rate_limit_answers_halves_the_rate_once_then_it_recovers(
    make_sim, client_for, run
):
    sim = make_sim(faults=("rate_limit_1302_retry_after",), fault_rate=1.0, retry_after_seconds=0.1)

    async def go():
        async with client_for(sim, rate_limiter=RateLimiter(64.0), max_attempts=2) as client:
            burst = [client.list_tasks() for _ in range(8)]
            answers = await asyncio.gather(*burst, return_exceptions=True)
            after_burst = client.rate_limiter.rate
            sim.config.fault_rate = 0.0
            for _ in range(4):
                await client.list_tasks()
            return answers, after_burst, client.rate_limiter.rate

    answers, after_burst, recovered = run(go())
    assert all(isinstance(answer, errors.RateLimitError) for answer in answers)
    assert sim.stats()["requests"]["list"] == 8 * 2 + 4
    # eight answers to one burst are one signal: halved once, not 64 / 2**8
    assert after_burst == 32.0
    assert recovered == 64.0  # 32 * 1.25**4 is capped at the configured rate


def test_a_new_rate_limit_after_the_pause_halves_again_down_to_the_floor():
    async def go():
        limiter = RateLimiter(64.0)
        limiter.slow_down(0.05)
        limiter.slow_down(0.05)  # inside the same pause
        during_pause = limiter.rate
        started = time.monotonic()
        await limiter.acquire()  # waits the pause out
        waited = time.monotonic() - started
        limiter.slow_down(0.0)
        after_pause = limiter.rate
        for _ in range(10):
            limiter.slow_down(0.0)
        return during_pause, waited, after_pause, limiter.rate

    during_pause, waited, after_pause, floor = asyncio.run(go())
    assert during_pause == 32.0
    assert waited >= 0.04
    assert after_pause == 16.0
    assert floor == RateLimiter.MIN_RATE


def test_an_unlimited_limiter_still_pauses():
    async def go():
        limiter = RateLimiter(None)
        limiter.slow_down(0.05)
        paused = limiter.paused_for
        await limiter.acquire()
        return paused, limiter.paused_for, limiter.rate

    paused, after, rate = asyncio.run(go())
    assert 0.0 < paused <= 0.05
    assert after == 0.0
    assert rate is None
