"""Fixtures for the window: a qasync loop inside pytest-qt's Qt loop, and a wired window."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync

from deerdesk.api.retry import RetryPolicy
from deerdesk.core.config import Settings
from deerdesk.core.keystore import KeyManager, MemoryKeyStore
from deerdesk.core.library import Library
from deerdesk.core.session import Session
from deerdesk.core.store import Store
from deerdesk.sim.server import ThreadedSim
from deerdesk.ui.main_window import MainWindow, WindowOptions
from tests.conftest import TEST_KEY


@pytest.fixture
def qloop(qapp) -> Iterator[qasync.QEventLoop]:
    """An asyncio loop that runs whenever pytest-qt spins Qt's (waitUntil, waitSignal)."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    executor = qasync.QThreadExecutor(4)  # for asyncio.to_thread; joined at the end
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    yield loop
    executor.shutdown(wait=True)
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def run_async(qtbot, qloop) -> Callable[..., Any]:
    """Runs a coroutine on the qasync loop and returns its result, waiting on Qt's loop."""

    def run(coro: Coroutine[Any, Any, Any], timeout: float = 10.0) -> Any:
        task = qloop.create_task(coro)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    return run


def window_settings(sim: ThreadedSim | None, data_dir: Path, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "base_url": sim.url if sim else "http://127.0.0.1:9",
        "data_dir": data_dir,
        "poll_first_seconds": 0.05,
        "poll_cap_seconds": 0.3,
        "requests_per_second": 1000.0,
    }
    fields.update(overrides)
    return Settings(**fields)


class WindowFactory:
    """Builds windows over a real store, client and simulator; closes them all at the end."""

    def __init__(self, qtbot, run_async, tmp_path: Path) -> None:
        self.qtbot = qtbot
        self.run_async = run_async
        self.tmp_path = tmp_path
        self.open: list[MainWindow] = []

    def __call__(
        self,
        sim: ThreadedSim | None,
        *,
        key: str | None = TEST_KEY,
        data_dir: Path | None = None,
        demo: bool = False,
        connect: bool = True,
        **settings_overrides: Any,
    ) -> MainWindow:
        data_dir = data_dir or self.tmp_path / "data"
        settings = window_settings(sim, data_dir, **settings_overrides)
        store = Store(settings.database)
        policy = RetryPolicy(max_attempts=8, base_delay=0.02, max_delay=0.1, rng=random.Random(3))
        session = Session(store, Library(settings.library), retry_policy=policy)
        keys = KeyManager(MemoryKeyStore(), settings.profile)
        options = WindowOptions(demo=demo, settings_path=self.tmp_path / "config.toml", tray=False)
        window = MainWindow(settings, session, keys, options)
        self.qtbot.addWidget(window)
        window.show()
        self.open.append(window)
        if connect:
            if key is not None and not demo:
                self.run_async(keys.store(key))
            self.run_async(window.start(key if demo else None))
        return window

    def close(self, window: MainWindow) -> None:
        if window in self.open:
            self.open.remove(window)
            window.close()
            self.run_async(window.shutdown())
            window.session.store.close()

    def close_all(self) -> None:
        for window in list(self.open):
            self.close(window)


@pytest.fixture
def make_window(qtbot, run_async, tmp_path: Path) -> Iterator[WindowFactory]:
    factory = WindowFactory(qtbot, run_async, tmp_path)
    yield factory
    factory.close_all()
