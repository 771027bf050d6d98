"""The one place where engine events become Qt signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from deerdesk.core import events as ev


class EngineBridge(QObject):
    """Re-emits the session's plain events as Qt signals (queued safely on the UI thread)."""

    task_added = Signal(object)  # TaskRecord
    task_changed = Signal(object)  # TaskRecord
    task_finished = Signal(object)  # TaskRecord
    task_removed = Signal(object)  # TaskRecord
    connection_changed = Signal(object, str)  # ConnectionState, detail
    account_problem = Signal(object, str)  # ErrorInfo, kind
    queue_resumed = Signal()
    rate_limited = Signal(float)  # seconds

    def handle_event(self, event: ev.TrackerEvent) -> None:
        match event:
            case ev.TaskAdded(task=task):
                self.task_added.emit(task)
            case ev.TaskChanged(task=task):
                self.task_changed.emit(task)
            case ev.TaskFinished(task=task):
                self.task_changed.emit(task)
                self.task_finished.emit(task)
            case ev.TaskRemoved(task=task):
                self.task_removed.emit(task)
            case ev.ConnectionChanged(state=state, detail=detail):
                self.connection_changed.emit(state, detail)
            case ev.AccountProblem(error=error, kind=kind):
                self.account_problem.emit(error, kind)
            case ev.QueueResumed():
                self.queue_resumed.emit()
            case ev.RateLimited(seconds=seconds):
                self.rate_limited.emit(seconds)
