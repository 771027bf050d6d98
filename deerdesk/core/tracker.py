"""The tracker: submits tasks through an outbox, follows them, downloads and verifies results.

It owns every asyncio task it starts (one worker per unfinished task) and cancels them in
`aclose()`. A crash at any moment loses nothing: a task is committed to the store before its
create is sent, and a create whose outcome is unknown is reconciled by external id.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deerdesk.api import errors as api_errors
from deerdesk.api.models import (
    CreateTaskRequest,
    RemoteTask,
    duration_tenths,
    validate_external_id,
    validate_http_url,
    validate_prompt,
)
from deerdesk.core.events import (
    AccountProblem,
    ConnectionChanged,
    ConnectionState,
    QueueResumed,
    RateLimited,
    TaskAdded,
    TaskChanged,
    TaskFinished,
    TrackerEvent,
)
from deerdesk.core.library import CorruptAudioError, Library, verify_audio
from deerdesk.core.records import ErrorInfo, FileRecord, ResultAudio, TaskRecord
from deerdesk.core.states import ALLOWED, CreateOutcome, LocalState
from deerdesk.core.store import NewTask, Store

if TYPE_CHECKING:
    from deerdesk.api.client import DeerApiClient

log = logging.getLogger(__name__)

Listener = Callable[[TrackerEvent], None]

#: refusals after which sending more cannot help until a person acts
QUEUE_STOPPERS = (
    api_errors.AuthError,
    api_errors.AccountError,
    api_errors.PermissionDeniedError,
)
#: refusals that end one task (its prompt or parameters), while the queue goes on
TASK_ENDERS = (
    api_errors.InvalidRequestError,
    api_errors.ContentSafetyError,
    api_errors.PolicyError,
    api_errors.ClientBugError,
)


class DuplicateExternalIdError(ValueError):
    pass


@dataclass(frozen=True)
class TrackerOptions:
    formats: tuple[str, ...] = ("wav", "mp3")
    max_concurrent_creates: int = 4
    max_concurrent_downloads: int = 4
    poll_first: float = 1.5
    poll_cap: float = 15.0
    poll_growth: float = 1.6
    offline_retry_first: float = 1.0
    offline_retry_cap: float = 30.0
    download_attempts: int = 3


def error_info(error: BaseException) -> ErrorInfo:
    if isinstance(error, api_errors.ApiError):
        return ErrorInfo(error.code, error.user_message, error.request_id)
    return ErrorInfo(None, str(error) or type(error).__name__, None)


class Tracker:
    """Submits, follows, downloads and resumes. Needs an event loop, not a QApplication."""

    def __init__(
        self,
        store: Store,
        client: DeerApiClient,
        library: Library,
        options: TrackerOptions | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.library = library
        self.options = options or TrackerOptions()
        self._rng = rng or random.Random()
        self._listeners: list[Listener] = []
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._create_gate = asyncio.Semaphore(self.options.max_concurrent_creates)
        self._download_gate = asyncio.Semaphore(self.options.max_concurrent_downloads)
        self._running = asyncio.Event()
        self._running.set()
        self._halted = asyncio.Event()
        self.halted_by: ErrorInfo | None = None
        self.connection = ConnectionState.UNKNOWN
        self._closed = False
        client.add_backoff_listener(self._on_backoff)

    # -- listeners --------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: TrackerEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a tracker listener failed on %s", type(event).__name__)

    # -- public operations ------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        return len(self._workers)

    def is_tracking(self, local_id: int) -> bool:
        return local_id in self._workers

    def start(self) -> int:
        """Resumes every unfinished task and every succeeded task that lacks files."""
        self.library.ensure()
        removed = self.library.remove_partial_downloads()
        if removed:
            log.info("removed %d partial downloads left by an earlier run", removed)
        count = 0
        for record in self.store.unfinished():
            self._spawn(record.id)
            count += 1
        for record in self.store.succeeded_without(self.options.formats):
            self._spawn(record.id)
            count += 1
        return count

    def submit(
        self,
        prompt: str,
        duration: float | str,
        *,
        external_id: str | None = None,
        callback_url: str | None = None,
        takes: int = 1,
    ) -> list[TaskRecord]:
        """Validates, commits the outbox rows, then starts sending. Raises ValidationError."""
        prompt = validate_prompt(prompt)
        tenths = duration_tenths(duration)
        if callback_url:
            validate_http_url(callback_url)
        if not 1 <= takes <= 10:
            raise ValueError("takes must be between 1 and 10")
        base = validate_external_id(external_id) if external_id else f"dd-{uuid.uuid4().hex}"
        ids = [base] if takes == 1 else [f"{base}-t{i + 1}" for i in range(takes)]
        for candidate in ids:
            if self.store.external_id_exists(candidate):
                raise DuplicateExternalIdError(
                    f"The external task id {candidate!r} is already used by a task in the history."
                )
        group = uuid.uuid4().hex[:12] if takes > 1 else None
        records = self.store.add_tasks(
            [
                NewTask(
                    prompt=prompt,
                    duration_tenths=tenths,
                    external_task_id=ext,
                    callback_url=callback_url or None,
                    group_id=group,
                    take_index=i,
                    takes=takes,
                )
                for i, ext in enumerate(ids)
            ]
        )
        for record in records:
            self._emit(TaskAdded(record))
            self._spawn(record.id)
        return records

    def retry(self, local_id: int) -> TaskRecord:
        """Re-sends a task that never reached the service, or re-downloads missing files."""
        record = self.store.get(local_id)
        if record is None:
            raise KeyError(f"no task {local_id}")
        if record.state is LocalState.REJECTED:
            record = self.store.update(
                local_id, state=LocalState.QUEUED, error=None, create_outcome=CreateOutcome.PENDING
            )
            self._emit(TaskChanged(record))
        elif record.state is LocalState.SUCCEED:
            for file in record.files:
                if not Path(file.path).exists():
                    self.store.forget_file(local_id, file.format, file.audio_index)
            record = self.store.update(local_id, error=None)
        self._spawn(local_id)
        return record

    def adopt(self, records: Iterable[TaskRecord]) -> None:
        """Follows tasks added to the store by someone else (server sync)."""
        for record in records:
            self._emit(TaskAdded(record))
            self._spawn(record.id)

    def resume_queue(self) -> None:
        """After the cause of a stop was fixed (new key, topped-up account)."""
        if self.halted_by is not None:
            self.halted_by = None
            self._halted.clear()
            self._running.set()
            self._emit(QueueResumed())

    async def wait_for(self, local_ids: Iterable[int] | None = None) -> list[TaskRecord]:
        """Waits until the workers of the given tasks (default: all) have ended."""
        ids = list(self._workers) if local_ids is None else list(local_ids)
        while True:
            pending = [self._workers[i] for i in ids if i in self._workers]
            if not pending:
                break
            await asyncio.wait(pending)
        return [r for r in (self.store.get(i) for i in ids) if r is not None]

    async def wait_idle_or_halted(self, local_ids: Iterable[int]) -> None:
        """Like wait_for, but also returns when the queue stops for an account problem."""
        ids = list(local_ids)
        while True:
            pending = [self._workers[i] for i in ids if i in self._workers]
            if not pending or self.halted_by is not None:
                return
            halted = asyncio.ensure_future(self._wait_halted())
            try:
                await asyncio.wait([*pending, halted], return_when=asyncio.FIRST_COMPLETED)
            finally:
                halted.cancel()

    async def _wait_halted(self) -> None:
        await self._halted.wait()

    async def aclose(self) -> None:
        """Cancels every worker and waits for them; the store keeps what to resume."""
        self._closed = True
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        if workers:
            await asyncio.gather(*workers, return_exceptions=True)
        self._workers.clear()

    # -- workers ----------------------------------------------------------------------------

    def _spawn(self, local_id: int) -> None:
        if self._closed or local_id in self._workers:
            return
        worker = asyncio.create_task(self._follow(local_id), name=f"task-{local_id}")
        self._workers[local_id] = worker
        worker.add_done_callback(lambda _: self._workers.pop(local_id, None))

    async def _follow(self, local_id: int) -> None:
        record = self.store.get(local_id)
        if record is None:
            return
        try:
            if record.task_id is None and not record.state.is_final:
                record = await self._create(record)
                if record is None or record.state is LocalState.REJECTED:
                    return
            if not record.state.is_final:
                record = await self._poll_until_final(record)
            if record.state is LocalState.SUCCEED:
                record = await self._download_all(record)
            self._emit(TaskFinished(record))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not kill the others: keep it as the task's error
            log.exception("task %s: unexpected failure", local_id)
            if self.store.get(local_id) is not None:
                self._emit(TaskChanged(self.store.update(local_id, error=error_info(exc))))

    async def _create(self, record: TaskRecord) -> TaskRecord | None:
        attempt = 0
        while True:
            await self._running.wait()
            async with self._create_gate:
                await self._running.wait()
                try:
                    remote = None
                    if record.create_outcome is CreateOutcome.SENDING:
                        # an earlier run sent it and never heard back: ask before resending
                        remote = await self.client.find_task(record.external_task_id)
                    if remote is None:
                        record = self.store.update(record.id, create_outcome=CreateOutcome.SENDING)
                        request = CreateTaskRequest(
                            prompt=record.prompt,
                            duration_tenths=record.duration_tenths,
                            external_task_id=record.external_task_id,
                            callback_url=record.callback_url,
                        )
                        remote = await self.client.create_task(request)
                    self._set_connection(ConnectionState.ONLINE)
                    return self._apply_remote(record, remote)
                except QUEUE_STOPPERS as error:
                    self._reject(record, error)
                    self._halt(error)
                    return None
                except TASK_ENDERS as error:
                    self._reject(record, error)
                    return None
                except api_errors.ApiError as error:
                    outcome = (
                        CreateOutcome.SENDING if error.outcome_unknown else CreateOutcome.PENDING
                    )
                    record = self.store.update(
                        record.id, create_outcome=outcome, error=error_info(error)
                    )
                    self._emit(TaskChanged(record))
                    self._note_failure(error)
            attempt += 1
            await asyncio.sleep(self._offline_delay(attempt))

    async def _poll_until_final(self, record: TaskRecord) -> TaskRecord:
        delay = self.options.poll_first
        failures = 0
        assert record.task_id is not None
        while True:
            await asyncio.sleep(delay * (0.9 + 0.2 * self._rng.random()))
            await self._running.wait()
            try:
                remote = await self.client.get_task(record.task_id)
            except api_errors.NotFoundError as error:
                record = self.store.update(
                    record.id,
                    state=LocalState.FAILED,
                    error=error_info(error),
                    status_msg="The service no longer knows this task.",
                )
                self._emit(TaskChanged(record))
                return record
            except QUEUE_STOPPERS as error:
                self._halt(error)
                continue
            except api_errors.ApiError as error:
                self._note_failure(error)
                failures += 1
                delay = min(self.options.offline_retry_cap, self._offline_delay(failures))
                continue
            failures = 0
            self._set_connection(ConnectionState.ONLINE)
            record = self._apply_remote(record, remote)
            if record.state.is_final:
                return record
            delay = min(self.options.poll_cap, delay * self.options.poll_growth)

    async def _download_all(self, record: TaskRecord) -> TaskRecord:
        for audio in record.audios:
            for fmt in self.options.formats:
                existing = record.file(fmt, audio.index)
                if existing is not None and Path(existing.path).exists():
                    continue
                url = audio.url(fmt)
                if url:
                    record = await self._download_one(record, audio, fmt, url)
        return record

    async def _download_one(
        self, record: TaskRecord, audio: ResultAudio, fmt: str, url: str
    ) -> TaskRecord:
        assert record.task_id is not None
        path = self.library.path_for(
            created_at=record.created_at,
            prompt=record.prompt,
            duration_tenths=record.duration_tenths,
            task_id=record.task_id,
            fmt=fmt,
            audio_index=audio.index,
        )
        bad_files = 0
        transient = 0
        while True:
            try:
                async with self._download_gate:
                    size = await self.client.download(url, path)
                duration = await asyncio.to_thread(verify_audio, path, fmt, audio.duration(fmt))
            except CorruptAudioError as problem:
                path.unlink(missing_ok=True)
                bad_files += 1
                log.warning("task %s: %s (attempt %d)", record.id, problem, bad_files)
                if bad_files >= self.options.download_attempts:
                    error = ErrorInfo(None, f"The downloaded {fmt.upper()} is damaged: {problem}")
                    record = self.store.update(record.id, error=error)
                    self._emit(TaskChanged(record))
                    return record
                continue
            except api_errors.ExpiredResultError as error:
                record = self.store.update(record.id, error=error_info(error))
                self._emit(TaskChanged(record))
                return record
            except api_errors.ApiError as error:
                self._note_failure(error)
                transient += 1
                await asyncio.sleep(self._offline_delay(transient))
                continue
            self._set_connection(ConnectionState.ONLINE)
            record = self.store.set_file(
                record.id, FileRecord(fmt, str(path), size, round(duration, 3), audio.index)
            )
            if record.error is not None:
                record = self.store.update(record.id, error=None)
            self._emit(TaskChanged(record))
            return record

    # -- state ------------------------------------------------------------------------------

    def _apply_remote(self, record: TaskRecord, remote: RemoteTask) -> TaskRecord:
        changes: dict[str, object] = {}
        if record.task_id != remote.task_id:
            changes["task_id"] = remote.task_id
        if record.create_outcome is not CreateOutcome.KNOWN:
            changes["create_outcome"] = CreateOutcome.KNOWN
        state = LocalState(remote.status.value)
        if state is not record.state and state in ALLOWED[record.state]:
            changes["state"] = state
        if remote.status_msg != record.status_msg:
            changes["status_msg"] = remote.status_msg
        if remote.cost and remote.cost != record.cost:
            changes["cost"] = remote.cost
        if remote.created_at_ms and remote.created_at_ms != record.remote_created_at_ms:
            changes["remote_created_at_ms"] = remote.created_at_ms
        if remote.audios and not record.audios:
            changes["audios"] = tuple(
                ResultAudio(i, a.id, a.url_wav, a.url_mp3, a.duration_wav, a.duration_mp3)
                for i, a in enumerate(remote.audios)
            )
        if state is LocalState.FAILED:
            changes["error"] = ErrorInfo(None, remote.status_msg or "The service failed the task.")
        elif record.error is not None:
            changes["error"] = None
        if not changes:
            return record
        record = self.store.update(record.id, **changes)
        self._emit(TaskChanged(record))
        return record

    def _reject(self, record: TaskRecord, error: api_errors.ApiError) -> None:
        record = self.store.update(
            record.id,
            state=LocalState.REJECTED,
            error=error_info(error),
            create_outcome=CreateOutcome.PENDING,
            status_msg=error.server_message,
        )
        self._emit(TaskChanged(record))
        self._emit(TaskFinished(record))

    def _halt(self, error: api_errors.ApiError) -> None:
        if self.halted_by is None:
            self.halted_by = error_info(error)
            self._running.clear()
            self._halted.set()
            self._emit(AccountProblem(self.halted_by, type(error).__name__))

    def _note_failure(self, error: api_errors.ApiError) -> None:
        if isinstance(error, api_errors.ConnectionFailedError):
            self._set_connection(ConnectionState.OFFLINE, error.user_message)

    def _set_connection(self, state: ConnectionState, detail: str = "") -> None:
        if state is not self.connection:
            self.connection = state
            self._emit(ConnectionChanged(state, detail))

    def _on_backoff(self, error: api_errors.ApiError, seconds: float) -> None:
        if isinstance(error, api_errors.RateLimitError):
            self._emit(RateLimited(seconds))
        elif isinstance(error, api_errors.ConnectionFailedError):
            self._set_connection(ConnectionState.OFFLINE, error.user_message)

    def _offline_delay(self, attempt: int) -> float:
        ceiling = min(
            self.options.offline_retry_cap, self.options.offline_retry_first * 2 ** (attempt - 1)
        )
        return ceiling * (0.5 + 0.5 * self._rng.random())
