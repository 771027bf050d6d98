"""DeerApiClient: the async client of the Kling text-to-audio contract (one httpx client)."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from deerdesk.api.errors import (
    ApiError,
    ConnectionFailedError,
    DownloadError,
    ExpiredResultError,
    InvalidRequestError,
    NotDeerApiError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    error_from_answer,
)
from deerdesk.api.models import CreateTaskRequest, RemoteTask, validate_http_url
from deerdesk.api.ratelimit import RateLimiter
from deerdesk.api.retry import RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

TASKS_PATH = "/kling/v1/audio/text-to-audio"
USER_AGENT = "DeerDesk/0.1"
T = TypeVar("T")

BackoffListener = Callable[[ApiError, float], None]


class _BearerAuth(httpx.Auth):
    """Adds the key to API calls only; its repr never shows the key."""

    def __init__(self, key: str) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request):  # type: ignore[override]
        request.headers["Authorization"] = f"Bearer {self._key}"
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth(<redacted>)"


def _describe_transport_error(exc: httpx.HTTPError) -> str:
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer in time ({kind})"
    text = str(exc) or kind
    return f"{text} ({kind})" if text != kind else kind


class DeerApiClient:
    """Create, read, list and download, with retries that never double-bill a create.

    One `httpx.AsyncClient` serves every call of the connection; close it with `aclose()`.
    The key goes only into the Authorization header of API calls, never into a download of a
    result URL (those live on other hosts), a log line, a repr or an error message.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        retry_policy: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 16,
    ) -> None:
        self.base_url = validate_http_url(base_url, "base_url").rstrip("/")
        self._auth = _BearerAuth(api_key)
        self.retry_policy = retry_policy or RetryPolicy()
        self.rate_limiter = rate_limiter or RateLimiter()
        self.requests_sent = 0
        self._backoff_listeners: list[BackoffListener] = []
        # Requests wait for a connection here rather than in httpcore's pool, whose queue is
        # scanned in full for every request that starts or ends: quadratic with hundreds of
        # tasks, all of it on the UI thread (see benchmarks/bench_window.py, loop lag).
        self._connection_slots = asyncio.Semaphore(max_connections)
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=max_connections),
            headers={"User-Agent": USER_AGENT},
            transport=transport,
            follow_redirects=True,
        )

    def __repr__(self) -> str:
        return f"DeerApiClient(base_url={self.base_url!r})"

    def add_backoff_listener(self, listener: BackoffListener) -> None:
        """`listener(error, seconds)` is called before each wait caused by a retryable error."""
        self._backoff_listeners.append(listener)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> DeerApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the contract's operations -------------------------------------------------------

    async def create_task(self, request: CreateTaskRequest) -> RemoteTask:
        """Create a task; after an unknown outcome, read it back by external id before resending.

        Raises the last error when every attempt failed; `error.outcome_unknown` then tells
        the caller that the task may exist and must be reconciled by its external id.
        """
        body = request.to_json()
        outcome_unknown = False
        attempt = 0
        while True:
            attempt += 1
            try:
                if outcome_unknown:
                    existing = await self._find_once(request.external_task_id)
                    if existing is not None:
                        log.info(
                            "create %s: found on the service, not resent", body["external_task_id"]
                        )
                        return existing
                data = await self._call("POST", TASKS_PATH, json=body)
                return RemoteTask.from_json(data)
            except InvalidRequestError as error:
                if outcome_unknown and "external_task_id" in error.server_message:
                    # our earlier attempt did reach the service: read that task
                    return await self.get_task(request.external_task_id)
                raise
            except ApiError as error:
                outcome_unknown = outcome_unknown or error.outcome_unknown
                if not self.retry_policy.should_retry(attempt, error):
                    if outcome_unknown and not error.outcome_unknown:
                        error.outcome_unknown = True
                    raise
                await self._backoff(attempt, error)

    async def get_task(self, task_or_external_id: str) -> RemoteTask:
        """Read one task by its service task id or by the external id given at creation."""
        path = f"{TASKS_PATH}/{_path_segment(task_or_external_id)}"
        data = await self._retrying(lambda: self._call("GET", path))
        return RemoteTask.from_json(data)

    async def find_task(self, task_or_external_id: str) -> RemoteTask | None:
        """Like `get_task`, but None when the service does not know the id."""
        try:
            return await self.get_task(task_or_external_id)
        except NotFoundError:
            return None

    async def list_tasks(self, page: int = 1, page_size: int = 30) -> list[RemoteTask]:
        params = {"pageNum": page, "pageSize": page_size}
        data = await self._retrying(lambda: self._call("GET", TASKS_PATH, params=params))
        if not isinstance(data, list):
            raise ProtocolError(200, "the task list is not a list")
        return [RemoteTask.from_json(item) for item in data]

    async def download(self, url: str, dest: Path, *, expected_bytes: int | None = None) -> int:
        """Stream `url` to `dest` atomically; return the byte count.

        The body goes to a temporary name beside `dest` and is renamed only when complete
        (byte count equal to Content-Length and to `expected_bytes` when given); an
        incomplete body raises `DownloadError` and leaves no file.
        """
        validate_http_url(url, "url")
        return await self._retrying(lambda: self._download_once(url, dest, expected_bytes))

    # -- plumbing ---------------------------------------------------------------------------

    async def _find_once(self, external_id: str) -> RemoteTask | None:
        try:
            data = await self._call("GET", f"{TASKS_PATH}/{_path_segment(external_id)}")
        except NotFoundError:
            return None
        return RemoteTask.from_json(data)

    async def _retrying(self, operation: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await operation()
            except ApiError as error:
                if not self.retry_policy.should_retry(attempt, error):
                    raise
                await self._backoff(attempt, error)

    async def _backoff(self, attempt: int, error: ApiError) -> None:
        delay = self.retry_policy.delay(attempt, error)
        if isinstance(error, RateLimitError):
            self.rate_limiter.slow_down(delay)
        log.info("retrying in %.2fs after: %s", delay, error)
        for listener in self._backoff_listeners:
            listener(error, delay)
        await asyncio.sleep(delay)

    async def _call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """One HTTP call; returns the envelope's `data` or raises the matching ApiError."""
        await self.rate_limiter.acquire()
        self.requests_sent += 1
        try:
            async with self._connection_slots:
                response = await self._http.request(
                    method, self.base_url + path, json=json, params=params, auth=self._auth
                )
        except httpx.HTTPError as exc:
            error = ConnectionFailedError(_describe_transport_error(exc))
            log.warning("%s %s failed: %s", method, path, error.detail)
            raise error from None
        request_id = response.headers.get("x-request-id")
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            request_id = _optional_text(body.get("request_id")) or request_id
        code = body.get("code") if isinstance(body, dict) else None
        if isinstance(code, bool) or not isinstance(code, int):
            error = self._unreadable(response, request_id, body is not None)
        elif response.status_code == 200 and code == 0:
            self.rate_limiter.recovered()
            return body.get("data")
        else:
            error = error_from_answer(
                response.status_code,
                code,
                _optional_text(body.get("message")) or "",
                request_id,
                parse_retry_after(response.headers.get("retry-after")),
            )
        log.warning(
            "%s %s failed: HTTP %s code %s request_id %s: %s",
            method,
            path,
            response.status_code,
            error.code,
            request_id or "-",
            error.server_message,
        )
        raise error

    @staticmethod
    def _unreadable(response: httpx.Response, request_id: str | None, is_json: bool) -> ApiError:
        status = response.status_code
        what = "a JSON value without a business code" if is_json else "an answer that is not JSON"
        if status >= 500 or status == 429:
            return error_from_answer(
                status,
                None,
                what,
                request_id,
                parse_retry_after(response.headers.get("retry-after")),
            )
        if status != 200:
            return NotDeerApiError(status, what, request_id)
        return ProtocolError(status, what, request_id)

    async def _download_once(self, url: str, dest: Path, expected_bytes: int | None) -> int:
        await self.rate_limiter.acquire()
        self.requests_sent += 1
        dest.parent.mkdir(parents=True, exist_ok=True)
        temp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            async with self._connection_slots, self._http.stream("GET", url) as response:
                if response.status_code in (404, 410):
                    raise ExpiredResultError(response.status_code, None, "file not found")
                if response.status_code != 200:
                    raise DownloadError(
                        response.status_code,
                        None,
                        "",
                        None,
                        parse_retry_after(response.headers.get("retry-after")),
                    )
                declared = response.headers.get("content-length")
                received = 0
                with open(temp, "wb") as out:
                    async for chunk in response.aiter_raw(65536):
                        out.write(chunk)
                        received += len(chunk)
                    out.flush()
                    await asyncio.to_thread(os.fsync, out.fileno())
            for what, wanted in (("Content-Length", declared), ("expected size", expected_bytes)):
                if wanted is not None and int(wanted) != received:
                    raise DownloadError(
                        200, None, f"received {received} bytes, {what} says {wanted}", None
                    )
            os.replace(temp, dest)
            return received
        except httpx.HTTPError as exc:
            raise DownloadError(None, None, _describe_transport_error(exc), None) from None
        finally:
            temp.unlink(missing_ok=True)


def _path_segment(identifier: str) -> str:
    from urllib.parse import quote

    if not identifier:
        raise ValueError("an empty task id")
    return quote(identifier, safe="")


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
