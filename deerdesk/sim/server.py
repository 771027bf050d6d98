"""Running the simulator: in the current event loop, in a thread of its own, or as a command."""

from __future__ import annotations

import asyncio
import concurrent.futures
import signal
import sys
import threading
from typing import Any

import httpx

from deerdesk.sim.app import SimApp
from deerdesk.sim.config import SimConfig
from deerdesk.sim.http import HttpServer


class SimServer:
    """The simulator served on host:port in the running event loop."""

    def __init__(self, config: SimConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self.app = SimApp(config)
        self.http = HttpServer(self.app.handle, host, port)

    @property
    def url(self) -> str:
        return self.http.url

    async def start(self) -> SimServer:
        await self.http.start()
        return self

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.app.aclose()


class ThreadedSim:
    """The simulator on a loop in a daemon thread, so it never competes with the caller's loop.

    Used by tests (which drive the client from their own loop) and by demo mode (which keeps
    audio rendering off the UI thread). `with ThreadedSim(config) as sim: sim.url`.
    """

    def __init__(self, config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0):
        self.config = config or SimConfig()
        self._host = host
        self._port = port
        # a plain selector loop: under qasync the policy's new_event_loop() would give a Qt one
        self._loop: asyncio.AbstractEventLoop = asyncio.SelectorEventLoop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sim", daemon=True)
        self.server: SimServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None, "start() first"
        return self.server.url

    def start(self) -> ThreadedSim:
        self._thread.start()
        self.server = self._run(SimServer(self.config, self._host, self._port).start())
        return self

    def stop(self) -> None:
        if self.server is not None:
            self._run(self.server.aclose())
            self.server = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        self._loop.close()

    def stats(self) -> dict[str, Any]:
        """The simulator's counters, read over HTTP like any client would."""
        return httpx.get(f"{self.url}/sim/stats", timeout=5).json()

    def created_tasks(self) -> int:
        return int(self.stats()["tasks"])

    def _run(self, coroutine: Any) -> Any:
        future: concurrent.futures.Future[Any] = asyncio.run_coroutine_threadsafe(
            coroutine, self._loop
        )
        return future.result(30)

    def __enter__(self) -> ThreadedSim:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


async def serve_until_stopped(config: SimConfig, host: str, port: int) -> None:
    """`deerdesk-cli sim`: print where it listens, then serve until SIGINT/SIGTERM."""
    server = await SimServer(config, host, port).start()
    print(f"listening on {server.url}", flush=True)
    print(
        f"keys: {len(config.keys)}; processing {config.processing_seconds:g}s; "
        f"fault rate {config.fault_rate:g} (seed {config.seed})",
        file=sys.stderr,
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.aclose()
