from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deerdesk.api.client import DeerApiClient
from deerdesk.api.retry import RetryPolicy
from deerdesk.core import events as ev
from deerdesk.core.library import Library
from deerdesk.core.store import Store
from deerdesk.core.tracker import Tracker, TrackerOptions
from deerdesk.sim.server import ThreadedSim
from tests.conftest import TEST_KEY

FAST = TrackerOptions(
    poll_first=0.05,
    poll_cap=0.3,
    offline_retry_first=0.05,
    offline_retry_cap=0.3,
    max_concurrent_creates=8,
    max_concurrent_downloads=8,
)


@dataclass
class Engine:
    store: Store
    client: DeerApiClient
    tracker: Tracker
    library: Library
    events: list[ev.TrackerEvent] = field(default_factory=list)

    def of_type(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def engine_for(tmp_path: Path) -> Callable[..., contextlib.AbstractAsyncContextManager[Engine]]:
    """`async with engine_for(sim) as engine:` a tracker over a real store, client and library."""

    @contextlib.asynccontextmanager
    async def make(
        sim: ThreadedSim, key: str = TEST_KEY, options: TrackerOptions = FAST, attempts: int = 8
    ) -> AsyncIterator[Engine]:
        store = Store(tmp_path / "history.sqlite3")
        policy = RetryPolicy(
            max_attempts=attempts, base_delay=0.02, max_delay=0.1, rng=random.Random(5)
        )
        client = DeerApiClient(sim.url, key, retry_policy=policy, timeout=5)
        library = Library(tmp_path / "library")
        tracker = Tracker(store, client, library, options, rng=random.Random(9))
        engine = Engine(store, client, tracker, library)
        tracker.subscribe(engine.events.append)
        try:
            yield engine
        finally:
            await tracker.aclose()
            await client.aclose()
            store.close()

    return make
