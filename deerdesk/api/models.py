"""Immutable request and answer models of the Kling text-to-audio contract.

Parsing is tolerant: unknown fields are ignored, optional ones may be missing, and numbers
that the service sends as strings (durations, cost) are read as such.
"""

from __future__ import annotations

import enum
import math
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from deerdesk.api.errors import ProtocolError, ValidationError

PROMPT_MAX_CHARS = 200
DURATION_MIN = 3.0
DURATION_MAX = 10.0
EXTERNAL_ID_MAX_CHARS = 64


class TaskStatus(enum.Enum):
    """The service's status of a task. `SUCCEED` and `FAILED` are final."""

    SUBMITTED = "submitted"
    PROCESSING = "processing"
    SUCCEED = "succeed"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self is TaskStatus.SUCCEED or self is TaskStatus.FAILED


def prompt_length(prompt: str) -> int:
    """The length a person sees, counted in Unicode code points (never bytes)."""
    return len(prompt)


def validate_prompt(prompt: object) -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValidationError("prompt", "Describe the sound: the prompt is empty.")
    length = prompt_length(prompt)
    if length > PROMPT_MAX_CHARS:
        raise ValidationError(
            "prompt",
            f"The prompt has {length} characters; the service accepts at most "
            f"{PROMPT_MAX_CHARS}. Shorten it by {length - PROMPT_MAX_CHARS}.",
        )
    return prompt


def duration_tenths(duration: object) -> int:
    """Duration in tenths of a second, validated: 3.0 to 10.0 s on the 0.1 s grid."""
    if isinstance(duration, bool) or not isinstance(duration, (int, float, Decimal, str)):
        raise ValidationError("duration", "The duration must be a number of seconds.")
    try:
        exact = Decimal(str(duration))
    except InvalidOperation:
        raise ValidationError("duration", f"{duration!r} is not a number of seconds.") from None
    if not exact.is_finite():
        raise ValidationError("duration", "The duration must be a finite number of seconds.")
    tenths = exact * 10
    if tenths != tenths.to_integral_value():
        raise ValidationError(
            "duration",
            f"{duration} s is not on the 0.1 s grid; use one decimal place, e.g. "
            f"{float(exact.quantize(Decimal('0.1'))):.1f} s.",
        )
    if not (DURATION_MIN * 10 <= tenths <= DURATION_MAX * 10):
        raise ValidationError(
            "duration",
            f"{duration} s is out of range; choose {DURATION_MIN:.1f} to {DURATION_MAX:.1f} s.",
        )
    return int(tenths)


def validate_http_url(url: object, what: str = "callback_url") -> str:
    """An absolute http(s) URL with a host, or a ValidationError that says what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(what, "The URL is empty.")
    if any(c.isspace() for c in url):
        raise ValidationError(what, f"{url!r} contains spaces; a URL cannot.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise ValidationError(what, f"{url!r} is not a valid URL ({exc}).") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError(what, f"{url!r} must start with http:// or https://.")
    if not parts.hostname:
        raise ValidationError(what, f"{url!r} has no host name.")
    return url


def validate_external_id(external_id: object) -> str:
    if not isinstance(external_id, str) or not external_id.strip():
        raise ValidationError("external_task_id", "The external task id is empty.")
    if len(external_id) > EXTERNAL_ID_MAX_CHARS:
        raise ValidationError(
            "external_task_id",
            f"The external task id is longer than {EXTERNAL_ID_MAX_CHARS} characters.",
        )
    if any(not c.isprintable() or c.isspace() for c in external_id):
        raise ValidationError(
            "external_task_id", "The external task id may not contain spaces or control characters."
        )
    return external_id


def new_external_id() -> str:
    return f"dd-{uuid.uuid4().hex}"


def tenths_to_json(tenths: int) -> int | float:
    """`5` for whole seconds, `7.3` otherwise: a JSON number as the contract asks."""
    return tenths // 10 if tenths % 10 == 0 else tenths / 10


@dataclass(frozen=True)
class CreateTaskRequest:
    """A validated create call. Build it with `CreateTaskRequest.build(...)`."""

    prompt: str
    duration_tenths: int
    external_task_id: str
    callback_url: str | None = None

    @classmethod
    def build(
        cls,
        prompt: str,
        duration: float | str | Decimal,
        external_task_id: str | None = None,
        callback_url: str | None = None,
    ) -> CreateTaskRequest:
        return cls(
            prompt=validate_prompt(prompt),
            duration_tenths=duration_tenths(duration),
            external_task_id=validate_external_id(external_task_id)
            if external_task_id
            else new_external_id(),
            callback_url=validate_http_url(callback_url) if callback_url else None,
        )

    @property
    def duration(self) -> float:
        return self.duration_tenths / 10

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "prompt": self.prompt,
            "duration": tenths_to_json(self.duration_tenths),
            "external_task_id": self.external_task_id,
        }
        if self.callback_url:
            body["callback_url"] = self.callback_url
        return body


def _optional_float(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _optional_str(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _optional_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (str, float)):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class AudioResult:
    """One generated sound: its result URLs and the durations the service reports."""

    id: str
    url_wav: str | None
    url_mp3: str | None
    duration_wav: float | None
    duration_mp3: float | None

    @classmethod
    def from_json(cls, data: object) -> AudioResult:
        if not isinstance(data, dict):
            raise ProtocolError(200, "an audio entry is not an object")
        return cls(
            id=_optional_str(data.get("id")) or "",
            url_wav=_optional_str(data.get("url_wav")) or None,
            url_mp3=_optional_str(data.get("url_mp3")) or None,
            duration_wav=_optional_float(data.get("duration_wav")),
            duration_mp3=_optional_float(data.get("duration_mp3")),
        )


@dataclass(frozen=True)
class RemoteTask:
    """A task as the service reports it (section 2 of the contract)."""

    task_id: str
    status: TaskStatus
    status_msg: str = ""
    external_task_id: str | None = None
    cost: str | None = None
    created_at_ms: int | None = None
    updated_at_ms: int | None = None
    audios: tuple[AudioResult, ...] = field(default_factory=tuple)

    @classmethod
    def from_json(cls, data: object) -> RemoteTask:
        if not isinstance(data, dict):
            raise ProtocolError(200, "the task in the answer is not an object")
        task_id = _optional_str(data.get("task_id"))
        if not task_id:
            raise ProtocolError(200, "the answer has no task_id")
        try:
            status = TaskStatus(data.get("task_status"))
        except ValueError:
            raise ProtocolError(200, f"unknown task_status {data.get('task_status')!r}") from None
        info = data.get("task_info")
        external = _optional_str(info.get("external_task_id")) if isinstance(info, dict) else None
        result = data.get("task_result")
        audios: tuple[AudioResult, ...] = ()
        if isinstance(result, dict) and isinstance(result.get("audios"), list):
            audios = tuple(AudioResult.from_json(a) for a in result["audios"])
        return cls(
            task_id=task_id,
            status=status,
            status_msg=_optional_str(data.get("task_status_msg")) or "",
            external_task_id=external or None,
            cost=_optional_str(data.get("final_unit_deduction")),
            created_at_ms=_optional_int(data.get("created_at")),
            updated_at_ms=_optional_int(data.get("updated_at")),
            audios=audios,
        )
