"""Client overhead against the simulator, and the simulator's own throughput.

- requests per completed task (create + polls + downloads), against the minimum of
  create + one read + downloads;
- time from the simulator marking a task succeeded to its files on disk, as a ratio of the
  poll interval (1.0 means "one poll interval late", the best a poller can do on average
  is about 0.5);
- simulator creates per second on loopback, against bare HTTP round trips to the same
  server (its own floor), so that later benchmarks know it is not the bottleneck.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from deerdesk.api.client import DeerApiClient
from deerdesk.api.models import CreateTaskRequest
from deerdesk.sim.config import DEMO_KEY, SimConfig
from deerdesk.sim.server import ThreadedSim

TASKS = 40
POLL_INTERVAL = 0.25
PROCESSING = 1.0


async def follow(client: DeerApiClient, index: int, folder: Path) -> float:
    task = await client.create_task(CreateTaskRequest.build(f"rain take {index}", 3))
    while not task.status.is_final:
        await asyncio.sleep(POLL_INTERVAL)
        task = await client.get_task(task.task_id)
    audio = task.audios[0]
    await asyncio.gather(
        client.download(audio.url_wav, folder / f"{index}.wav"),
        client.download(audio.url_mp3, folder / f"{index}.mp3"),
    )
    on_disk = time.time()
    succeeded_at = (task.updated_at_ms or 0) / 1000
    return on_disk - succeeded_at


async def overhead(sim: ThreadedSim) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with DeerApiClient(sim.url, DEMO_KEY) as client:
            lags = await asyncio.gather(*(follow(client, i, Path(folder)) for i in range(TASKS)))
    stats = sim.stats()
    per_task = stats["requests_total"] / TASKS
    minimum = 1 + 1 + 2
    print(
        f"   requests per task: {per_task:.2f} (minimum {minimum}; ratio {per_task / minimum:.2f}x)"
    )
    p50 = statistics.median(lags)
    print(
        f"   succeed -> files on disk: p50 {p50 * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms "
        f"= {p50 / POLL_INTERVAL:.2f}x / {max(lags) / POLL_INTERVAL:.2f}x the poll interval "
        f"({POLL_INTERVAL * 1000:.0f} ms)"
    )


async def throughput(sim: ThreadedSim, count: int = 400, concurrency: int = 20) -> None:
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as http:
        started = time.perf_counter()
        gate = asyncio.Semaphore(concurrency)

        async def bare() -> None:
            async with gate:
                await http.get(f"{sim.url}/sim/stats")

        await asyncio.gather(*(bare() for _ in range(count)))
        floor = count / (time.perf_counter() - started)
    async with DeerApiClient(sim.url, DEMO_KEY, max_connections=concurrency) as client:
        started = time.perf_counter()

        async def create(i: int) -> None:
            async with gate:
                await client.create_task(CreateTaskRequest.build(f"siren {i}", 3))

        await asyncio.gather(*(create(i) for i in range(count)))
        creates = count / (time.perf_counter() - started)
    print(
        f"   simulator: {creates:.0f} creates/s through the client vs {floor:.0f} bare "
        f"requests/s to the same server (ratio {creates / floor:.2f})"
    )


def run() -> None:
    with ThreadedSim(SimConfig(processing_seconds=PROCESSING)) as sim:
        asyncio.run(overhead(sim))
    # long processing: no audio is rendered while creates are measured
    with ThreadedSim(SimConfig(processing_seconds=600)) as sim:
        asyncio.run(throughput(sim))
