"""Plain immutable records of the history: what the store returns and events carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deerdesk.core.states import CreateOutcome, LocalState

RESULT_LIFETIME_DAYS = 30


@dataclass(frozen=True)
class ErrorInfo:
    code: int | None
    message: str
    request_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "request_id": self.request_id}


@dataclass(frozen=True)
class ResultAudio:
    """One generated sound as the service described it (URLs live about 30 days)."""

    index: int
    audio_id: str
    url_wav: str | None
    url_mp3: str | None
    duration_wav: float | None
    duration_mp3: float | None

    def url(self, fmt: str) -> str | None:
        return self.url_wav if fmt == "wav" else self.url_mp3

    def duration(self, fmt: str) -> float | None:
        return self.duration_wav if fmt == "wav" else self.duration_mp3


@dataclass(frozen=True)
class FileRecord:
    format: str
    path: str
    bytes: int
    duration: float | None
    audio_index: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "path": self.path,
            "bytes": self.bytes,
            "duration": self.duration,
            "audio_index": self.audio_index,
        }


@dataclass(frozen=True)
class TaskRecord:
    """A task of the history, local and remote facts together."""

    id: int
    external_task_id: str
    prompt: str
    duration_tenths: int
    state: LocalState
    created_at: float
    updated_at: float
    task_id: str | None = None
    callback_url: str | None = None
    status_msg: str = ""
    cost: str | None = None
    remote_created_at_ms: int | None = None
    group_id: str | None = None
    take_index: int = 0
    takes: int = 1
    favourite: bool = False
    error: ErrorInfo | None = None
    create_outcome: CreateOutcome = CreateOutcome.PENDING
    origin: str = "local"
    audios: tuple[ResultAudio, ...] = ()
    files: tuple[FileRecord, ...] = field(default_factory=tuple)

    @property
    def duration(self) -> float:
        return self.duration_tenths / 10

    def file(self, fmt: str, audio_index: int = 0) -> FileRecord | None:
        return next(
            (f for f in self.files if f.format == fmt and f.audio_index == audio_index), None
        )

    def best_file(self) -> FileRecord | None:
        return self.file("wav") or self.file("mp3")

    @property
    def result_expires_at(self) -> float | None:
        """When the service deletes its copies (about 30 days after generation)."""
        base = self.remote_created_at_ms / 1000 if self.remote_created_at_ms else None
        if base is None and self.task_id:
            base = self.created_at
        return base + RESULT_LIFETIME_DAYS * 86400 if base else None

    def days_left(self, now: float) -> float | None:
        expires = self.result_expires_at
        return None if expires is None else max(0.0, (expires - now) / 86400)

    def to_json(self, now: float | None = None) -> dict[str, Any]:
        """The CLI's stable JSON shape of a task."""
        days = self.days_left(now) if now is not None and self.audios else None
        return {
            "id": self.id,
            "task_id": self.task_id,
            "external_task_id": self.external_task_id,
            "prompt": self.prompt,
            "duration": self.duration,
            "state": self.state.value,
            "status_msg": self.status_msg,
            "cost": self.cost,
            "created_at": datetime.fromtimestamp(self.created_at, UTC).isoformat(),
            "updated_at": datetime.fromtimestamp(self.updated_at, UTC).isoformat(),
            "favourite": self.favourite,
            "group_id": self.group_id,
            "take_index": self.take_index,
            "origin": self.origin,
            "files": [f.to_json() for f in self.files],
            "remote_days_left": None if days is None else round(days, 1),
            "error": self.error.to_json() if self.error else None,
        }
