"""The simulator's routes: the contract's API, result files, stats and a control route."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import time
import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from deerdesk.sim.config import ACCOUNT_STATES, API_FAULTS, FILE_FAULTS, SimConfig
from deerdesk.sim.http import Reply, Request
from deerdesk.sim.service import SimService, SimTask

log = logging.getLogger(__name__)

API_PREFIXES = ("/kling/v1/audio/text-to-audio", "/v1/audio/text-to-audio")
FILES_PREFIX = "/files/"
PROMPT_MAX = 200


class ApiRefusal(Exception):
    def __init__(self, http_status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message


def envelope(code: int, message: str, data: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "request_id": uuid.uuid4().hex}
    if data is not None:
        body["data"] = data
    return body


def json_reply(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"x-request-id": body.get("request_id", ""), **(headers or {})},
    )


class SimApp:
    """Routes requests to the service, injecting the configured faults on the way."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.service = SimService(config)
        self._rng = random.Random(config.seed)
        self._callbacks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None

    async def aclose(self) -> None:
        for task in list(self._callbacks):
            task.cancel()
        for task in list(self._callbacks):
            with contextlib.suppress(BaseException):
                await task
        await self.service.aclose()
        if self._http is not None:
            await self._http.aclose()

    def reseed(self, seed: int) -> None:
        self._rng = random.Random(seed)

    async def handle(self, request: Request) -> Reply:
        stats = self.service.stats
        if request.path.startswith("/sim/"):
            return self._sim_route(request)
        if self.config.offline:
            return Reply(drop=True)
        if request.path.startswith(FILES_PREFIX):
            stats.count(stats.requests, "file")
            return await self._file_route(request)
        prefix = next((p for p in API_PREFIXES if request.path.startswith(p)), None)
        if prefix is None:
            return json_reply(404, envelope(1202, f"no route {request.method} {request.path}"))
        rest = request.raw_path[len(prefix) :]
        kind = "create" if request.method == "POST" else ("list" if rest in ("", "/") else "read")
        stats.count(stats.requests, kind)
        fault = self._draw_fault(API_FAULTS, "")
        if fault == "drop_after_create" and kind != "create":
            fault = "drop"
        if fault is not None and fault != "drop_after_create":
            early = self._early_fault(fault)
            if early is not None:
                return early
        try:
            key = self._authenticate(request)
            if kind == "create" and rest in ("", "/"):
                reply = await self._create(request, key)
            elif request.method == "GET" and kind == "list":
                reply = self._list(request, key)
            elif request.method == "GET" and rest.startswith("/") and rest.count("/") == 1:
                reply = await self._read(request, key, unquote(rest[1:]))
            else:
                raise ApiRefusal(404, 1202, f"method {request.method} not allowed here")
        except ApiRefusal as refusal:
            return json_reply(refusal.http_status, envelope(refusal.code, refusal.message))
        if fault == "drop_after_create":
            return Reply(drop=True)
        if fault == "slow":
            reply.delay = self.config.slow_seconds
        elif fault == "malformed_json":
            reply.body = reply.body[: max(1, len(reply.body) // 2)]
        return reply

    # -- faults -----------------------------------------------------------------------------

    def _draw_fault(self, faults: tuple[str, ...], prefix: str) -> str | None:
        if self.config.fault_rate <= 0 or self._rng.random() >= self.config.fault_rate:
            return None
        enabled = [f for f in faults if prefix + f in self.config.faults]
        if not enabled:
            return None
        fault = self._rng.choice(enabled)
        self.service.stats.count(self.service.stats.faults, prefix + fault)
        return fault

    def _early_fault(self, fault: str) -> Reply | None:
        retry_after = {"retry-after": f"{self.config.retry_after_seconds:g}"}
        match fault:
            case "rate_limit_1302" | "rate_limit_1302_retry_after":
                headers = retry_after if fault.endswith("retry_after") else None
                return json_reply(429, envelope(1302, "requests too frequent"), headers)
            case "rate_limit_1303" | "rate_limit_1303_retry_after":
                headers = retry_after if fault.endswith("retry_after") else None
                return json_reply(429, envelope(1303, "concurrency limit exceeded"), headers)
            case "http_500":
                return json_reply(500, envelope(5000, "server internal error"))
            case "http_503":
                return json_reply(503, envelope(5001, "service temporarily unavailable"))
            case "http_504":
                return json_reply(504, envelope(5002, "server internal timeout"))
            case "ok_nonzero":
                return json_reply(200, envelope(5000, "server internal error"))
            case "drop":
                return Reply(drop=True)
        return None

    # -- API routes -------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        if not header.strip():
            raise ApiRefusal(401, 1001, "Authorization header is empty")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiRefusal(401, 1002, "Authorization header is malformed")
        state = self.config.keys.get(key.strip())
        if state is None:
            raise ApiRefusal(401, 1000, "authentication failed")
        problem = ACCOUNT_STATES[state]
        if problem is not None:
            raise ApiRefusal(*problem)
        return key.strip()

    async def _create(self, request: Request, key: str) -> Reply:
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiRefusal(400, 1200, "request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiRefusal(400, 1200, "request body must be a JSON object")
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ApiRefusal(400, 1201, "prompt is required")
        if len(prompt) > PROMPT_MAX:
            raise ApiRefusal(400, 1201, f"prompt must be at most {PROMPT_MAX} characters")
        tenths = _duration_tenths(body.get("duration", 5))
        external_id = body.get("external_task_id")
        if external_id is not None and (not isinstance(external_id, str) or not external_id):
            raise ApiRefusal(400, 1201, "external_task_id must be a non-empty string")
        callback = body.get("callback_url")
        if callback is not None and not _is_http_url(callback):
            raise ApiRefusal(400, 1201, "callback_url must be an absolute http(s) URL")
        stats = self.service.stats
        if external_id:
            stats.count(stats.external_id_submissions, external_id)
            if self.service.external_id_taken(key, external_id):
                raise ApiRefusal(400, 1201, "external_task_id already exists")
        word = self.config.refuse_word
        if word and word in prompt.lower():
            raise ApiRefusal(400, 1301, "content-safety policy triggered by the prompt")
        task = self.service.create(key, prompt, tenths, external_id, callback)
        if callback:
            self._own(self._send_callbacks(task, request.base_url))
        return json_reply(200, envelope(0, "SUCCEED", self._task_json(task, request.base_url)))

    def _list(self, request: Request, key: str) -> Reply:
        page = _int_param(request.query, "pageNum", 1, 1, 1000)
        size = _int_param(request.query, "pageSize", 30, 1, 500)
        tasks = self.service.page(key, page, size)
        data = [self._task_json(task, request.base_url) for task in tasks]
        return json_reply(200, envelope(0, "SUCCEED", data))

    async def _read(self, request: Request, key: str, identifier: str) -> Reply:
        task = self.service.find(key, identifier)
        if task is None:
            raise ApiRefusal(404, 1203, f"task {identifier} does not exist")
        if task.status(time.time()) == "succeed":
            await self.service.ensure_audio(task)
        return json_reply(200, envelope(0, "SUCCEED", self._task_json(task, request.base_url)))

    def _task_json(self, task: SimTask, base_url: str) -> dict[str, Any]:
        now = time.time()
        status = task.status(now)
        data: dict[str, Any] = {
            "task_id": task.task_id,
            "task_status": status,
            "task_status_msg": "",
            "task_info": {"external_task_id": task.external_id or ""},
            "created_at": int(task.created * 1000),
            "updated_at": int(task.status_changed_at(now) * 1000),
        }
        if status == "failed":
            data["task_status_msg"] = "Failure to pass the risk control system"
        if status == "succeed":
            data["final_unit_deduction"] = task.cost
            audio = task.audio
            files = f"{base_url}{FILES_PREFIX}{task.task_id}/{task.audio_id}"
            data["task_result"] = {
                "audios": [
                    {
                        "id": task.audio_id,
                        "url_mp3": f"{files}.mp3",
                        "url_wav": f"{files}.wav",
                        "duration_mp3": f"{audio.duration_mp3:.2f}" if audio else "",
                        "duration_wav": f"{audio.duration_wav:.2f}" if audio else "",
                    }
                ]
            }
        return data

    # -- files ------------------------------------------------------------------------------

    async def _file_route(self, request: Request) -> Reply:
        if request.method not in ("GET", "HEAD"):
            return Reply(status=405, body=b"method not allowed", content_type="text/plain")
        parts = request.path[len(FILES_PREFIX) :].split("/")
        task = self.service.task_by_id(parts[0]) if len(parts) == 2 else None
        name, _, ext = parts[-1].rpartition(".")
        now = time.time()
        if (
            task is None
            or name != task.audio_id
            or ext not in ("wav", "mp3")
            or task.status(now) != "succeed"
            or self.service.expired(task, now)
        ):
            return Reply(status=404, body=b"not found", content_type="text/plain")
        fault = self._draw_fault(FILE_FAULTS, "file_")
        if fault == "drop":
            return Reply(drop=True)
        if fault == "http_503":
            return Reply(status=503, body=b"busy", content_type="text/plain")
        audio = await self.service.ensure_audio(task)
        data = audio.wav if ext == "wav" else audio.mp3
        reply = Reply(body=data, content_type="audio/wav" if ext == "wav" else "audio/mpeg")
        if fault == "truncated":
            reply.truncate_to = len(data) // 2
        elif fault == "slow":
            reply.delay = self.config.slow_seconds
        return reply

    # -- callbacks --------------------------------------------------------------------------

    def _own(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._callbacks.add(task)
        task.add_done_callback(self._callbacks.discard)

    async def _send_callbacks(self, task: SimTask, base_url: str) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=5)
        last = None
        while True:
            now = time.time()
            status = task.status(now)
            if status == "succeed":
                await self.service.ensure_audio(task)
            if status != last:
                body = envelope(0, "SUCCEED", self._task_json(task, base_url))["data"]
                try:
                    await self._http.post(task.callback_url or "", json=body)
                except httpx.HTTPError as exc:
                    log.info("callback to %s failed: %s", task.callback_url, exc)
                last = status
            if status in ("succeed", "failed"):
                return
            nxt = task.created + (
                task.processing_seconds * 0.2 if status == "submitted" else task.processing_seconds
            )
            await asyncio.sleep(max(0.01, nxt - time.time()))

    # -- simulator's own routes -------------------------------------------------------------

    def _sim_route(self, request: Request) -> Reply:
        if request.path == "/sim/stats" and request.method == "GET":
            return json_reply(200, {"code": 0, **self.service.stats.to_json()})
        if request.path == "/sim/control" and request.method == "POST":
            try:
                changes = json.loads(request.body or b"{}")
                for name in (
                    "fault_rate",
                    "processing_seconds",
                    "slow_seconds",
                    "offline",
                    "retry_after_seconds",
                    "expire_seconds",
                ):
                    if name in changes:
                        setattr(self.config, name, type(getattr(self.config, name))(changes[name]))
                if "faults" in changes:
                    self.config.faults = tuple(changes["faults"])
                if "seed" in changes:
                    self.reseed(int(changes["seed"]))
            except (ValueError, TypeError) as exc:
                return json_reply(400, {"code": 1200, "message": str(exc)})
            return json_reply(200, {"code": 0, "message": "ok"})
        return json_reply(404, {"code": 1202, "message": "no such simulator route"})


def _duration_tenths(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiRefusal(400, 1201, "duration must be a number")
    if not math.isfinite(value) or not 3.0 <= value <= 10.0:
        raise ApiRefusal(400, 1201, "duration must be between 3.0 and 10.0 seconds")
    tenths = round(value * 10)
    if abs(tenths - value * 10) > 1e-6:
        raise ApiRefusal(400, 1201, "duration must have at most one decimal place")
    return tenths


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _int_param(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiRefusal(400, 1201, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise ApiRefusal(400, 1201, f"{name} must be between {low} and {high}")
    return value
