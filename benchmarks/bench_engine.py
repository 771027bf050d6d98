"""The task engine: 500 tasks through the tracker, and a 100 000-task history store.

- HTTP requests per task against the minimum (create + one read + one download per format),
  and wall time against the simulator's own floor (its processing time plus one poll cap);
- store: first page, search and state filter, each against a bare SQLite query of the same
  rows, and the database size.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from deerdesk.api.client import DeerApiClient
from deerdesk.core.library import Library
from deerdesk.core.states import LocalState
from deerdesk.core.store import NewTask, Store
from deerdesk.core.tracker import Tracker, TrackerOptions
from deerdesk.sim.config import DEMO_KEY, SimConfig
from deerdesk.sim.server import ThreadedSim

TASKS = 500
PROCESSING = 2.0
WORDS = ("rain", "wind", "siren", "thunder", "bird", "steps", "engine", "bell", "ocean")


async def tracker_run(sim: ThreadedSim, folder: Path) -> float:
    store = Store(folder / "h.sqlite3")
    options = TrackerOptions(
        formats=("wav", "mp3"),
        poll_first=PROCESSING,
        poll_cap=1.0,
        max_concurrent_creates=16,
        max_concurrent_downloads=16,
    )
    async with DeerApiClient(sim.url, DEMO_KEY, max_connections=40) as client:
        tracker = Tracker(store, client, Library(folder / "lib"), options)
        started = time.perf_counter()
        ids = [tracker.submit(f"{WORDS[i % len(WORDS)]} {i}", 3)[0].id for i in range(TASKS)]
        done = await tracker.wait_for(ids)
        elapsed = time.perf_counter() - started
        await tracker.aclose()
    ok = sum(r.state is LocalState.SUCCEED and len(r.files) == 2 for r in done)
    store.close()
    assert ok == TASKS, f"only {ok} of {TASKS} complete"
    return elapsed


def run_tracker() -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        ThreadedSim(SimConfig(processing_seconds=PROCESSING)) as sim,
    ):
        elapsed = asyncio.run(tracker_run(sim, Path(folder)))
        stats = sim.stats()
    per_task = stats["requests_total"] / TASKS
    minimum = 1 + 1 + 2
    floor = PROCESSING + 1.0
    print(
        f"   {TASKS} tasks: {per_task:.2f} requests/task vs minimum {minimum} "
        f"= {per_task / minimum:.2f}x (target <= 1.5x)"
    )
    print(
        f"   wall time {elapsed:.1f} s vs the simulator's floor {floor:.1f} s "
        f"(processing + one poll cap) = {elapsed / floor:.1f}x"
    )


def timed(fn, repeat: int = 20) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def run_store(count: int = 100_000) -> None:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "h.sqlite3"
        store = Store(path)
        batch = []
        for i in range(count):
            prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8))) + f" {i}"
            batch.append(
                NewTask(prompt=prompt, duration_tenths=30 + i % 71, external_task_id=f"e{i}")
            )
            if len(batch) == 5000:
                store.add_tasks(batch)
                batch = []
        store._db.execute("UPDATE tasks SET state = 'failed' WHERE id % 10 = 0")
        bare = sqlite3.connect(path)
        cases = [
            (
                "first page",
                lambda: store.page(limit=100),
                lambda: bare.execute("SELECT * FROM tasks ORDER BY id DESC LIMIT 100").fetchall(),
            ),
            (
                "search 'thunder bell'",
                lambda: store.page(limit=100, search="thunder bell"),
                lambda: bare.execute(
                    "SELECT * FROM tasks WHERE id IN (SELECT rowid FROM prompts "
                    "WHERE prompts MATCH '\"thunder bell\"') ORDER BY id DESC LIMIT 100"
                ).fetchall(),
            ),
            (
                "state = failed",
                lambda: store.page(limit=100, states=[LocalState.FAILED]),
                lambda: bare.execute(
                    "SELECT * FROM tasks WHERE state = 'failed' ORDER BY id DESC LIMIT 100"
                ).fetchall(),
            ),
        ]
        for name, ours, baseline in cases:
            a, b = timed(ours), timed(baseline)
            print(
                f"   {name}: {a * 1000:.2f} ms vs bare SQLite {b * 1000:.2f} ms "
                f"= {a / b:.2f}x (target <= 2x)"
            )
        store.close()
        bare.close()
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
        print(f"   database with {count} tasks: {size / 1e6:.1f} MB ({size / count:.0f} B/task)")


def run() -> None:
    run_tracker()
    run_store()
