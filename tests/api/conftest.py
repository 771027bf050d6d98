from __future__ import annotations

from collections.abc import Callable

import pytest

from deerdesk.api.client import DeerApiClient
from deerdesk.api.ratelimit import RateLimiter
from deerdesk.api.retry import RetryPolicy
from deerdesk.sim.server import ThreadedSim
from tests.conftest import TEST_KEY


@pytest.fixture
def client_for() -> Callable[..., DeerApiClient]:
    """A client against a simulator with fast, seeded retries (build inside the test's loop)."""

    def make(
        sim: ThreadedSim,
        key: str = TEST_KEY,
        rate_limiter: RateLimiter | None = None,
        **policy: float,
    ) -> DeerApiClient:
        import random

        settings = {"base_delay": 0.01, "max_delay": 0.05, "max_attempts": 6, **policy}
        retry = RetryPolicy(rng=random.Random(1), **settings)  # type: ignore[arg-type]
        return DeerApiClient(sim.url, key, retry_policy=retry, rate_limiter=rate_limiter, timeout=5)

    return make
