"""The local life of a task. One enum, and every allowed transition in one table."""

from __future__ import annotations

import enum


class LocalState(enum.Enum):
    """Where a task is, as DeerDesk sees it.

    `QUEUED`: saved locally, not yet known to the service (waiting its turn or offline).
    `REJECTED`: the service refused the create; nothing was billed.
    """

    QUEUED = "queued"
    SUBMITTED = "submitted"
    PROCESSING = "processing"
    SUCCEED = "succeed"
    FAILED = "failed"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def in_flight(self) -> bool:
        return not self.is_final


_FINAL = frozenset({LocalState.SUCCEED, LocalState.FAILED, LocalState.REJECTED})

ALLOWED = {
    LocalState.QUEUED: {
        LocalState.QUEUED,
        LocalState.SUBMITTED,
        LocalState.PROCESSING,
        LocalState.SUCCEED,
        LocalState.FAILED,
        LocalState.REJECTED,
    },
    LocalState.SUBMITTED: {
        LocalState.SUBMITTED,
        LocalState.PROCESSING,
        LocalState.SUCCEED,
        LocalState.FAILED,
    },
    LocalState.PROCESSING: {LocalState.PROCESSING, LocalState.SUCCEED, LocalState.FAILED},
    LocalState.SUCCEED: {LocalState.SUCCEED},
    LocalState.FAILED: {LocalState.FAILED},
    # a rejected task can be sent again (retry) once its cause is fixed
    LocalState.REJECTED: {LocalState.REJECTED, LocalState.QUEUED},
}


def check_transition(old: LocalState, new: LocalState) -> None:
    if new not in ALLOWED[old]:
        raise ValueError(f"a task cannot go from {old.value} to {new.value}")


class CreateOutcome(enum.Enum):
    """What is known of the create call of a task (the outbox column)."""

    PENDING = "pending"  # not sent yet
    SENDING = "sending"  # committed before sending: after a crash the outcome is unknown
    KNOWN = "known"  # the service's task id is recorded
