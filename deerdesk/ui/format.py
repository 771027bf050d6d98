"""How times, durations, states and costs read in the window. Pure functions, no Qt."""

from __future__ import annotations

import time

from deerdesk.core.records import ErrorInfo, TaskRecord
from deerdesk.core.states import LocalState

STATE_LABELS = {
    LocalState.QUEUED: "Queued",
    LocalState.SUBMITTED: "Submitted",
    LocalState.PROCESSING: "Processing",
    LocalState.SUCCEED: "Ready",
    LocalState.FAILED: "Failed",
    LocalState.REJECTED: "Rejected",
}


def relative_time(then: float, now: float | None = None) -> str:
    now = time.time() if now is None else now
    seconds = max(0.0, now - then)
    if seconds < 45:
        return "just now"
    if seconds < 90:
        return "1 min ago"
    if seconds < 3600:
        return f"{round(seconds / 60)} min ago"
    if seconds < 2 * 3600:
        return "1 hour ago"
    if seconds < 24 * 3600:
        return f"{int(seconds // 3600)} hours ago"
    if seconds < 48 * 3600:
        return "yesterday"
    if seconds < 7 * 24 * 3600:
        return f"{int(seconds // 86400)} days ago"
    return time.strftime("%d %b %Y", time.localtime(then))


def elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def seconds_label(value: float) -> str:
    return f"{value:.1f} s"


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def cost_label(cost: str | None) -> str:
    return f"{cost} units" if cost else ""


def error_text(error: ErrorInfo) -> str:
    text = error.message
    if error.code is not None and str(error.code) not in text:
        text = f"{text} (code {error.code})"
    if error.request_id and error.request_id not in text:
        text = f"{text}; request id {error.request_id}"
    return text


def state_line(record: TaskRecord, now: float | None = None) -> str:
    """The chip text: the state, with the time it has been running while in flight."""
    label = STATE_LABELS[record.state]
    if record.state.in_flight:
        now = time.time() if now is None else now
        return f"{label} {elapsed(now - record.created_at)}"
    return label


def takes_label(record: TaskRecord) -> str:
    return f"take {record.take_index + 1}/{record.takes}" if record.takes > 1 else ""
