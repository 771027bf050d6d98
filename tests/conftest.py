"""Shared fixtures: a real simulator over loopback HTTP for every test that needs a service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from deerdesk.sim.config import DEMO_KEY, SimConfig
from deerdesk.sim.server import ThreadedSim

TEST_KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture
def make_sim() -> Iterator[Callable[..., ThreadedSim]]:
    """Starts simulators with the given SimConfig fields; stops them after the test."""
    started: list[ThreadedSim] = []

    def make(**overrides: Any) -> ThreadedSim:
        fields: dict[str, Any] = {
            "keys": {TEST_KEY: "ok", DEMO_KEY: "ok"},
            "processing_seconds": 0.2,
            "retry_after_seconds": 0.05,
            "slow_seconds": 0.3,
        }
        fields.update(overrides)
        sim = ThreadedSim(SimConfig(**fields)).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: Callable[..., ThreadedSim]) -> ThreadedSim:
    return make_sim()


@pytest.fixture
def run() -> Callable[[Any], Any]:
    """Runs a coroutine to completion in a fresh event loop (the tests' own, not the sim's)."""
    return asyncio.run
