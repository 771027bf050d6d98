"""The simulated service's state: tasks per account, their clock-driven lifecycle, files, stats."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field

from deerdesk.sim.audio import RenderedAudio, render
from deerdesk.sim.config import SimConfig, key_label

FIRST_TASK_ID = 861254119619698760


@dataclass
class SimTask:
    task_id: str
    owner: str  # key label
    external_id: str | None
    prompt: str
    duration_tenths: int
    callback_url: str | None
    created: float  # wall clock seconds
    processing_seconds: float
    will_fail: bool
    audio: RenderedAudio | None = None
    audio_id: str = ""

    def status(self, now: float) -> str:
        elapsed = now - self.created
        if elapsed < self.processing_seconds * 0.2:
            return "submitted"
        if elapsed < self.processing_seconds:
            return "processing"
        return "failed" if self.will_fail else "succeed"

    def status_changed_at(self, now: float) -> float:
        elapsed = now - self.created
        if elapsed < self.processing_seconds * 0.2:
            return self.created
        if elapsed < self.processing_seconds:
            return self.created + self.processing_seconds * 0.2
        return self.created + self.processing_seconds

    @property
    def cost(self) -> str:
        return f"{self.duration_tenths / 50:.2f}"


@dataclass
class SimStats:
    created_per_key: dict[str, int] = field(default_factory=dict)
    external_id_submissions: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)

    def count(self, table: dict[str, int], name: str) -> None:
        table[name] = table.get(name, 0) + 1

    def to_json(self) -> dict[str, object]:
        return {
            "created_per_key": dict(self.created_per_key),
            "external_id_submissions": dict(self.external_id_submissions),
            "requests": dict(self.requests),
            "requests_total": sum(self.requests.values()),
            "faults": dict(self.faults),
            "tasks": sum(self.created_per_key.values()),
        }


class SimService:
    """Tasks per account. Status follows the clock; audio is rendered once a task succeeds."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.stats = SimStats()
        self._ids = itertools.count(FIRST_TASK_ID + config.seed * 1_000_000)
        self._tasks: dict[str, SimTask] = {}
        self._by_external: dict[tuple[str, str], SimTask] = {}
        self._by_owner: dict[str, list[SimTask]] = {}
        self._renders: dict[str, asyncio.Future[RenderedAudio]] = {}
        self._pending_renders: dict[str, asyncio.TimerHandle] = {}

    def create(
        self,
        key: str,
        prompt: str,
        duration_tenths: int,
        external_id: str | None,
        callback_url: str | None,
    ) -> SimTask:
        owner = key_label(key)
        task_id = str(next(self._ids))
        task = SimTask(
            task_id=task_id,
            owner=owner,
            external_id=external_id,
            prompt=prompt,
            duration_tenths=duration_tenths,
            callback_url=callback_url,
            created=time.time(),
            processing_seconds=self.config.processing_seconds,
            will_fail=bool(self.config.fail_word) and self.config.fail_word in prompt.lower(),
            audio_id=f"{task_id}-0",
        )
        self._tasks[task_id] = task
        self._by_owner.setdefault(owner, []).append(task)
        if external_id:
            self._by_external[(owner, external_id)] = task
        self.stats.count(self.stats.created_per_key, owner)
        if not task.will_fail:
            # render while the task is "processing", so the audio is ready when it succeeds
            loop = asyncio.get_running_loop()
            handle = loop.call_later(task.processing_seconds * 0.2, self._start_render, task)
            self._pending_renders[task_id] = handle
        return task

    def _start_render(self, task: SimTask) -> None:
        self._pending_renders.pop(task.task_id, None)
        if task.audio is None and task.task_id not in self._renders:
            job = asyncio.ensure_future(self._render(task))
            self._renders[task.task_id] = job

    async def _render(self, task: SimTask) -> RenderedAudio:
        try:
            task.audio = await asyncio.to_thread(render, task.prompt, task.duration_tenths)
            return task.audio
        finally:
            self._renders.pop(task.task_id, None)

    def external_id_taken(self, key: str, external_id: str) -> bool:
        return (key_label(key), external_id) in self._by_external

    def find(self, key: str, identifier: str) -> SimTask | None:
        owner = key_label(key)
        task = self._tasks.get(identifier)
        if task is not None and task.owner == owner:
            return task
        return self._by_external.get((owner, identifier))

    def page(self, key: str, page: int, size: int) -> list[SimTask]:
        tasks = self._by_owner.get(key_label(key), [])
        newest_first = tasks[::-1]
        return newest_first[(page - 1) * size : page * size]

    def task_by_id(self, task_id: str) -> SimTask | None:
        return self._tasks.get(task_id)

    async def ensure_audio(self, task: SimTask) -> RenderedAudio:
        """Renders a succeeded task's audio once (off the event loop) and keeps it."""
        if task.audio is not None:
            return task.audio
        self._start_render(task)
        job = self._renders.get(task.task_id)
        if job is None:  # finished between the check above and now
            assert task.audio is not None
            return task.audio
        return await asyncio.shield(job)

    async def aclose(self) -> None:
        for handle in self._pending_renders.values():
            handle.cancel()
        self._pending_renders.clear()
        for job in list(self._renders.values()):
            job.cancel()
        self._renders.clear()

    def expired(self, task: SimTask, now: float) -> bool:
        return now - (task.created + task.processing_seconds) > self.config.expire_seconds
