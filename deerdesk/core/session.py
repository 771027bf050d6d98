"""One connection to the service: a client and a tracker over the shared store and library.

The window keeps one `Session` for its whole life. Changing the key or the base URL
reconnects: the old tracker is closed (its tasks stay in the store) and a new one resumes
them. Listeners subscribe once and survive reconnections.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deerdesk.api import errors as api_errors
from deerdesk.api.retry import RetryPolicy
from deerdesk.core.config import Settings
from deerdesk.core.events import TrackerEvent
from deerdesk.core.library import Library
from deerdesk.core.records import TaskRecord
from deerdesk.core.store import Store

if TYPE_CHECKING:  # the HTTP stack loads on the first connection, after the window shows
    from deerdesk.api.client import DeerApiClient
    from deerdesk.core.tracker import Tracker, TrackerOptions

log = logging.getLogger(__name__)

Listener = Callable[[TrackerEvent], None]


class NotConnectedError(Exception):
    """There is no API key yet, so nothing can be sent."""


def tracker_options(settings: Settings) -> TrackerOptions:
    from deerdesk.core.tracker import TrackerOptions  # the engine loads on first connect

    return TrackerOptions(
        formats=settings.formats,
        max_concurrent_creates=settings.max_concurrent_creates,
        poll_first=min(settings.poll_first_seconds, settings.poll_cap_seconds),
        poll_cap=settings.poll_cap_seconds,
    )


@dataclass(frozen=True)
class KeyCheck:
    """What the service said about a key: `ok`, or a message a person understands."""

    ok: bool
    message: str


async def verify_key(base_url: str, key: str, *, timeout: float = 10.0) -> KeyCheck:
    """Asks the service for one page of tasks with `key`; never raises."""
    from deerdesk.api.client import DeerApiClient

    client = DeerApiClient(base_url, key, timeout=timeout)
    try:
        await client.list_tasks(page=1, page_size=1)
    except api_errors.ApiError as exc:
        return KeyCheck(False, exc.user_message)
    finally:
        await client.aclose()
    return KeyCheck(True, "The service accepted the key.")


class Session:
    """Owns the current client and tracker; `None` of both while there is no key."""

    def __init__(
        self,
        store: Store,
        library: Library,
        *,
        close_timeout: float = 1.5,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.store = store
        self.retry_policy = retry_policy
        self.library = library
        self.close_timeout = close_timeout
        self._listeners: list[Listener] = []
        self._client: DeerApiClient | None = None
        self._tracker: Tracker | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._lock = asyncio.Lock()

    @property
    def tracker(self) -> Tracker | None:
        return self._tracker

    @property
    def connected(self) -> bool:
        return self._tracker is not None

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _forward(self, event: TrackerEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a session listener failed on %s", type(event).__name__)

    async def connect(self, settings: Settings, key: str) -> int:
        """(Re)connects with `key`; returns how many unfinished tasks were resumed."""
        from deerdesk.api.client import DeerApiClient
        from deerdesk.api.ratelimit import RateLimiter
        from deerdesk.core.tracker import Tracker

        async with self._lock:
            await self._disconnect()
            if self.library.root != settings.library:
                self.library = Library(settings.library)
            client = DeerApiClient(
                settings.base_url,
                key,
                rate_limiter=RateLimiter(settings.requests_per_second),
                retry_policy=self.retry_policy,
            )
            tracker = Tracker(self.store, client, self.library, tracker_options(settings))
            self._client, self._tracker = client, tracker
            self._unsubscribe = tracker.subscribe(self._forward)
            return tracker.start()

    async def disconnect(self) -> None:

        async with self._lock:
            await self._disconnect()

    async def _disconnect(self) -> None:
        tracker, client = self._tracker, self._client
        self._tracker = self._client = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if tracker is not None:
            try:
                await asyncio.wait_for(tracker.aclose(), self.close_timeout)
            except TimeoutError:
                log.warning("the tracker did not stop within %.1f s", self.close_timeout)
        if client is not None:
            try:
                await asyncio.wait_for(client.aclose(), self.close_timeout)
            except TimeoutError:
                log.warning("the HTTP client did not close within %.1f s", self.close_timeout)

    def submit(
        self,
        prompt: str,
        duration: float | str,
        *,
        external_id: str | None = None,
        callback_url: str | None = None,
        takes: int = 1,
    ) -> list[TaskRecord]:
        """Validates and queues. Raises ValidationError, DuplicateExternalIdError, or
        NotConnectedError when there is no key."""
        if self._tracker is None:
            raise NotConnectedError("Add an API key in Settings before generating.")
        return self._tracker.submit(
            prompt, duration, external_id=external_id, callback_url=callback_url, takes=takes
        )

    def retry(self, local_id: int) -> TaskRecord:
        if self._tracker is None:
            raise NotConnectedError("Add an API key in Settings before retrying.")
        return self._tracker.retry(local_id)

    def in_flight(self) -> int:
        return self._tracker.in_flight if self._tracker else 0

    def is_tracking(self, local_id: int) -> bool:
        return self._tracker is not None and self._tracker.is_tracking(local_id)

    async def aclose(self) -> None:
        await self.disconnect()
