"""What the tracker tells its listeners. Plain immutable values; the UI turns them into signals."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from deerdesk.core.records import ErrorInfo, TaskRecord


class ConnectionState(enum.Enum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True)
class TaskAdded:
    task: TaskRecord


@dataclass(frozen=True)
class TaskChanged:
    task: TaskRecord


@dataclass(frozen=True)
class TaskFinished:
    """The task reached a final state and, when it succeeded, its files are in the library."""

    task: TaskRecord


@dataclass(frozen=True)
class TaskRemoved:
    task: TaskRecord


@dataclass(frozen=True)
class ConnectionChanged:
    state: ConnectionState
    detail: str = ""


@dataclass(frozen=True)
class AccountProblem:
    """The queue stopped because continuing cannot help (bad key, arrears, ...)."""

    error: ErrorInfo
    kind: str  # the error type's name, e.g. "AuthError"


@dataclass(frozen=True)
class QueueResumed:
    pass


@dataclass(frozen=True)
class RateLimited:
    seconds: float


TrackerEvent = (
    TaskAdded
    | TaskChanged
    | TaskFinished
    | TaskRemoved
    | ConnectionChanged
    | AccountProblem
    | QueueResumed
    | RateLimited
)
