"""The main window: three panes, the actions on tasks, the status bar and notifications."""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QFile, QModelIndex, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QSystemTrayIcon,
)

from deerdesk.api.errors import ValidationError
from deerdesk.core.config import Settings, save_user_settings
from deerdesk.core.events import ConnectionState
from deerdesk.core.keystore import KeyManager
from deerdesk.core.owner import TaskOwner
from deerdesk.core.records import ErrorInfo, TaskRecord
from deerdesk.core.session import NotConnectedError, Session
from deerdesk.core.states import LocalState
from deerdesk.core.tracker import DuplicateExternalIdError
from deerdesk.ui import format as fmt
from deerdesk.ui.bridge import EngineBridge
from deerdesk.ui.details_pane import DetailsPane, playable_files
from deerdesk.ui.history_model import HistoryModel
from deerdesk.ui.history_view import HistoryPanel
from deerdesk.ui.prompt_panel import GenerateRequest, PromptPanel
from deerdesk.ui.resources import app_icon
from deerdesk.ui.reveal import reveal

if TYPE_CHECKING:
    from deerdesk.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)

DEMO_LABEL = "Demo: simulated service"
PROBLEM_WORDS = {
    "AuthError": "The service refused the API key. Check it in Settings.",
    "ArrearsError": "The DeerAPI account is in arrears. Top it up, then press Retry queue.",
    "ResourcePackError": "The account's resource pack is used up. Top it up, then Retry queue.",
    "AccountError": "The DeerAPI account cannot be used right now.",
    "PermissionDeniedError": "This key may not use the text-to-audio service.",
    "IpPolicyError": "The service does not accept requests from this network.",
}


@dataclass
class WindowOptions:
    """How the window was started: demo mode and where settings are saved."""

    demo: bool = False
    settings_path: Path | None = None  # None: the user's config file
    tray: bool = True


class RemoveTasksCommand(QUndoCommand):
    """Removes tasks from the history (undo puts them back). Files stay unless asked."""

    def __init__(self, window: MainWindow, records: list[TaskRecord], delete_files: bool) -> None:
        count = len(records)
        super().__init__(f"Remove {count} task{'s' if count != 1 else ''}")
        self._window = window
        self._records = records
        self._delete_files = delete_files
        self._files_deleted = False

    def redo(self) -> None:
        for record in self._records:
            self._window.session.store.remove(record.id)
            self._window.history.discard(record)
        if self._delete_files and not self._files_deleted:
            self._files_deleted = True
            self._window.delete_files(self._records)

    def undo(self) -> None:
        for record in reversed(self._records):
            restored = self._window.session.store.restore(record)
            self._window.history.upsert(restored)


class MainWindow(QMainWindow):
    """Wires the panes to the session. Everything asynchronous goes through `owner`."""

    closing = Signal()

    def __init__(
        self,
        settings: Settings,
        session: Session,
        keys: KeyManager,
        options: WindowOptions | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.session = session
        self.keys = keys
        self.options = options or WindowOptions()
        self.owner = TaskOwner()
        self.bridge = EngineBridge(self)
        self.undo_stack = QUndoStack(self)
        self.has_key = False
        self._account_problem: ErrorInfo | None = None
        self._finished_batch: list[TaskRecord] = []
        self._fixed_key: str | None = None  # demo mode's key, which no keychain holds

        self.setWindowTitle("DeerDesk — " + DEMO_LABEL if self.options.demo else "DeerDesk")
        self.setWindowIcon(app_icon())
        self.resize(1240, 720)

        store = session.store
        self.history = HistoryModel(store, self)
        self.prompt_panel = PromptPanel(
            recent_prompts=store.recent_prompts,
            cost_history=store.cost_history,
            external_id_taken=store.external_id_exists,
        )
        self.history_panel = HistoryPanel(self.history)
        self.details = DetailsPane(self.owner)
        self.prompt_panel.duration.set_value(settings.last_duration)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.prompt_panel)
        splitter.addWidget(self.history_panel)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setSizes([330, 540, 370])
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        self.setCentralWidget(splitter)
        self.history_panel.layout().setContentsMargins(0, 9, 0, 9)

        self._build_status_bar()
        self._build_actions()
        self._build_tray()
        self._update_in_flight()

        session.subscribe(self.bridge.handle_event)
        self.bridge.task_added.connect(self.history.upsert)
        self.bridge.task_changed.connect(self.history.upsert)
        self.bridge.task_changed.connect(self._update_in_flight)
        self.bridge.task_added.connect(self._update_in_flight)
        self.bridge.task_finished.connect(self._on_task_finished)
        self.bridge.connection_changed.connect(self._on_connection_changed)
        self.bridge.account_problem.connect(self._on_account_problem)
        self.bridge.queue_resumed.connect(self._on_queue_resumed)
        self.bridge.rate_limited.connect(self._on_rate_limited)
        self.prompt_panel.generate_requested.connect(self._on_generate_requested)
        self.prompt_panel.duration_committed.connect(self._remember_duration)
        self.history_panel.current_changed.connect(self._on_current_changed)
        self.history_panel.add_key_requested.connect(self.open_settings)
        self.history_panel.demo_requested.connect(self._start_demo)
        self.history_panel.delegate.favourite_clicked.connect(self._toggle_favourite_of)
        self.history_panel.view.customContextMenuRequested.connect(self._show_context_menu)
        self.history_panel.view.doubleClicked.connect(self._on_double_clicked)
        self.history_panel.view.selectionModel().selectionChanged.connect(self._update_actions)

        self.history.reload()
        self._set_key_state(False, "Reading the API key from the keychain…")
        self.prompt_panel.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- building ------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.connection_label = QLabel()
        self.connection_label.setAccessibleName("Connection")
        self.in_flight_label = QLabel()
        self.problem_label = QLabel()
        self.problem_label.setStyleSheet("color: #c9403a;")
        self.problem_label.setWordWrap(False)
        self.rate_label = QLabel()
        self.rate_label.setStyleSheet("color: #b8860b;")
        self.rate_label.hide()
        self._rate_timer = QTimer(self)
        self._rate_timer.setSingleShot(True)
        self._rate_timer.timeout.connect(self.rate_label.hide)
        self._in_flight_timer = QTimer(self)
        self._in_flight_timer.setSingleShot(True)
        self._in_flight_timer.setInterval(250)
        self._in_flight_timer.timeout.connect(self._update_in_flight)
        bar.addWidget(self.connection_label)
        bar.addWidget(self.problem_label, 1)
        bar.addPermanentWidget(self.rate_label)
        bar.addPermanentWidget(self.in_flight_label)
        self._set_connection_text(ConnectionState.UNKNOWN)

    def _action(
        self,
        text: str,
        slot,
        shortcut: QKeySequence | str | None = None,
        *,
        on_list: bool = False,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        if on_list:
            # keys such as Space, Delete and Ctrl+C belong to the list only, not to editors
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.history_panel.view.addAction(action)
        else:
            self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.settings_action = self._action(
            "&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences
        )
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.generate_action = self._action("&Generate", self.prompt_panel.request_generate)
        self.generate_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.generate_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.find_action = self._action(
            "&Find in history", self.history_panel.focus_search, QKeySequence.StandardKey.Find
        )
        self.focus_prompt_action = self._action(
            "Edit &prompt", self._focus_prompt, "Ctrl+L", tip="Move to the prompt editor"
        )
        self.recent_action = self._action(
            "&Recent prompts", self.prompt_panel.show_recent, "Alt+Down"
        )
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)
        self.retry_queue_action = self._action(
            "Retry &queue", self._retry_queue, tip="Send again after an account problem was fixed"
        )

        self.play_action = self._action("&Play / pause", self.play_current, "Space", on_list=True)
        self.reveal_action = self._action("Re&veal in file manager", self._reveal, on_list=True)
        self.copy_prompt_action = self._action(
            "Copy &prompt", self._copy_prompt, QKeySequence.StandardKey.Copy, on_list=True
        )
        self.copy_id_action = self._action("Copy task &id", self._copy_task_id, on_list=True)
        self.copy_path_action = self._action(
            "Copy file pa&th", self._copy_path, "Ctrl+Shift+C", on_list=True
        )
        self.use_again_action = self._action(
            "&Use prompt again", self._use_again, "Ctrl+E", on_list=True
        )
        self.regenerate_action = self._action(
            "Re&generate", self._regenerate, "Ctrl+R", on_list=True
        )
        self.retry_action = self._action("&Retry", self._retry, "Ctrl+Shift+R", on_list=True)
        self.favourite_action = self._action(
            "Toggle &favourite", self._toggle_favourite, "Ctrl+D", on_list=True
        )
        self.remove_action = self._action(
            "Remove from &history", self._remove, QKeySequence.StandardKey.Delete, on_list=True
        )
        self.remove_files_action = self._action(
            "Remove and move files to &trash…", self._remove_with_files, "Shift+Del", on_list=True
        )
        self.task_actions = [
            self.play_action,
            self.reveal_action,
            self.copy_prompt_action,
            self.copy_id_action,
            self.copy_path_action,
            self.use_again_action,
            self.regenerate_action,
            self.retry_action,
            self.favourite_action,
            self.remove_action,
            self.remove_files_action,
        ]

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.find_action)
        edit_menu.addAction(self.focus_prompt_action)
        edit_menu.addAction(self.recent_action)
        task_menu = menu.addMenu("&Task")
        task_menu.addAction(self.generate_action)
        task_menu.addAction(self.retry_queue_action)
        task_menu.addSeparator()
        for action in self.task_actions:
            task_menu.addAction(action)
        self._update_actions()

    def _build_tray(self) -> None:
        self.tray: QSystemTrayIcon | None = None
        if self.options.tray and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(app_icon(), self)
            self.tray.setToolTip("DeerDesk")
            self.tray.activated.connect(self._raise_from_tray)
            self.tray.show()
        self._notify_timer = QTimer(self)
        self._notify_timer.setSingleShot(True)
        self._notify_timer.setInterval(700)
        self._notify_timer.timeout.connect(self._notify_finished)

    # -- start and stop ------------------------------------------------------------------

    async def start(self, key: str | None = None) -> None:
        """Connects with `key`, or with the key from the keychain when None."""
        self._fixed_key = key
        if key is None:
            key = await self.keys.load()
        if key:
            await self._connect(key)
        else:
            problem = self.keys.keychain_problem
            self._set_key_state(
                False,
                problem or "Add an API key in Settings (Ctrl+,) to generate.",
            )

    async def _connect(self, key: str) -> None:
        resumed = await self.session.connect(self.settings, key)
        self._account_problem = None
        self.problem_label.clear()
        self._set_key_state(True, "")
        if resumed:
            self.statusBar().showMessage(
                f"Resumed {resumed} unfinished task{'s' if resumed != 1 else ''}.", 5000
            )
        self._update_in_flight()

    async def shutdown(self) -> None:
        """Stops polling and closes the client and background work (bounded)."""
        self.details.player.stop()
        await self.owner.aclose(timeout=0.5)
        await self.session.aclose()
        if self.tray is not None:
            self.tray.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.details.player.stop()
        self.closing.emit()
        event.accept()

    # -- state shown -----------------------------------------------------------------------

    def _set_key_state(self, has_key: bool, reason: str) -> None:
        self.has_key = has_key
        self.history_panel.set_has_key(has_key or self.options.demo)
        self.prompt_panel.set_blocked_reason(reason)
        if not has_key:
            self._set_connection_text(ConnectionState.UNKNOWN, "no API key")

    def _set_connection_text(self, state: ConnectionState, detail: str = "") -> None:
        if self.options.demo:
            text = f"● {DEMO_LABEL}"
            colour = "#3b78d8"
        elif state is ConnectionState.ONLINE:
            text, colour = "● Online", "#2b8f55"
        elif state is ConnectionState.OFFLINE:
            text, colour = "● Offline: tasks wait and are sent when the service answers", "#c9403a"
        else:
            text, colour = "● Not connected", "#7d8590"
        if state is ConnectionState.OFFLINE and self.options.demo:
            text += " (offline)"
        self.connection_label.setText(text)
        self.connection_label.setStyleSheet(f"color: {colour};")
        self.connection_label.setToolTip(detail)

    @Slot()
    def _update_in_flight(self, *_args: object) -> None:
        """Counts the tasks being followed. A worker ends just after its last event, so while
        any is busy the count is looked at again shortly (and the task actions with it)."""
        count = self.session.in_flight()
        text = f"{count} in flight" if count else "Idle"
        if text != self.in_flight_label.text():
            self.in_flight_label.setText(text)
            self._update_actions()
        if count and not self._in_flight_timer.isActive():
            self._in_flight_timer.start()

    @Slot(object, str)
    def _on_connection_changed(self, state: ConnectionState, detail: str) -> None:
        self._set_connection_text(state, detail)

    @Slot(object, str)
    def _on_account_problem(self, error: ErrorInfo, kind: str) -> None:
        self._account_problem = error
        words = PROBLEM_WORDS.get(kind, error.message)
        if error.request_id:
            self.problem_label.setToolTip(f"{error.message} (request {error.request_id})")
        self.problem_label.setText(f"Queue stopped: {words}")
        self.prompt_panel.set_blocked_reason(f"The queue is stopped. {words}")
        self.retry_queue_action.setEnabled(True)

    @Slot()
    def _on_queue_resumed(self) -> None:
        self._account_problem = None
        self.problem_label.clear()
        self.prompt_panel.set_blocked_reason("")

    @Slot(float)
    def _on_rate_limited(self, seconds: float) -> None:
        self.rate_label.setText(f"Rate limited by the service: waiting {seconds:.1f} s")
        self.rate_label.show()
        self._rate_timer.start(max(1000, int(seconds * 1000) + 500))

    @Slot(object)
    def _on_task_finished(self, record: TaskRecord) -> None:
        self._update_in_flight()
        if not self.isActiveWindow():
            self._finished_batch.append(record)
            self._notify_timer.start()

    @Slot()
    def _notify_finished(self) -> None:
        batch, self._finished_batch = self._finished_batch, []
        if not batch:
            return
        ready = [r for r in batch if r.state is LocalState.SUCCEED]
        failed = len(batch) - len(ready)
        if len(batch) == 1:
            record = batch[0]
            title = "Sound ready" if ready else f"Task {fmt.STATE_LABELS[record.state].lower()}"
            body = record.prompt
        else:
            title = f"{len(ready)} sounds ready" + (f", {failed} not" if failed else "")
            body = ", ".join(r.prompt[:40] for r in batch[:3])
        QApplication.alert(self)
        if self.tray is not None:
            icon = QSystemTrayIcon.MessageIcon.Information
            if failed and not ready:
                icon = QSystemTrayIcon.MessageIcon.Warning
            self.tray.showMessage(title, body, icon, 5000)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _raise_from_tray(self, _reason: QSystemTrayIcon.ActivationReason) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # -- generating ------------------------------------------------------------------------

    @Slot(object)
    def _on_generate_requested(self, request: GenerateRequest) -> None:
        try:
            records = self.session.submit(
                request.prompt,
                request.duration,
                external_id=request.external_id,
                callback_url=request.callback_url,
                takes=request.takes,
            )
        except (ValidationError, DuplicateExternalIdError, NotConnectedError) as exc:
            message = exc.message if isinstance(exc, ValidationError) else str(exc)
            self.prompt_panel.reason.setText(message)
            self.prompt_panel.reason.setStyleSheet("color: #c9403a;")
            return
        self.prompt_panel.after_submit()
        self.history_panel.select_task(records[0].id)
        count = len(records)
        self.statusBar().showMessage(
            f"Queued {count} take{'s' if count != 1 else ''}." if count > 1 else "Queued.", 3000
        )
        self._update_in_flight()

    @Slot(float)
    def _remember_duration(self, seconds: float) -> None:
        if abs(seconds - self.settings.last_duration) < 0.05:
            return
        self._save_settings({"last_duration": seconds})

    def _save_settings(self, changes: dict[str, object]) -> bool:
        try:
            self.settings = save_user_settings(self.settings, changes, self.options.settings_path)
        except (OSError, ValueError) as exc:
            self.statusBar().showMessage(f"The settings could not be saved: {exc}", 8000)
            return False
        return True

    @Slot()
    def _focus_prompt(self) -> None:
        self.prompt_panel.editor.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # -- the selected tasks ----------------------------------------------------------------

    def current(self) -> TaskRecord | None:
        return self.history_panel.current_record()

    def selected(self) -> list[TaskRecord]:
        return self.history_panel.selected_records()

    @Slot(object)
    def _on_current_changed(self, record: TaskRecord | None) -> None:
        previous = self.details.record
        self.details.show_task(record)
        moved = record is not None and (previous is None or previous.id != record.id)
        if moved and self.details.autoplay.isChecked() and self.details.player.path:
            self.details.player.play()
        self._update_actions()

    @Slot()
    def _update_actions(self, *_args: object) -> None:
        records = self.selected()
        current = self.current()
        has_file = current is not None and playable_files(current)[0] is not None
        any_selected = bool(records)
        self.play_action.setEnabled(has_file)
        self.reveal_action.setEnabled(has_file)
        self.copy_path_action.setEnabled(has_file)
        self.copy_prompt_action.setEnabled(any_selected)
        self.copy_id_action.setEnabled(current is not None)
        self.use_again_action.setEnabled(current is not None)
        self.regenerate_action.setEnabled(current is not None and self.has_key)
        self.retry_action.setEnabled(self.has_key and any(self._retryable(r) for r in records))
        self.favourite_action.setEnabled(any_selected)
        busy = any(self.session.is_tracking(r.id) for r in records)
        self.remove_action.setEnabled(any_selected and not busy)
        self.remove_files_action.setEnabled(any_selected and not busy)
        tip = "A task in flight can be removed once it finishes." if busy else ""
        self.remove_action.setToolTip(tip or self.remove_action.text())
        self.retry_queue_action.setEnabled(self._account_problem is not None)

    def _retryable(self, record: TaskRecord) -> bool:
        if self.session.is_tracking(record.id):
            return False
        if record.state is LocalState.REJECTED:
            return True
        if record.state is LocalState.SUCCEED:
            return not record.files or any(not Path(f.path).exists() for f in record.files)
        return record.state.in_flight  # queued while there was no key, or an earlier run

    @Slot(QPoint)
    def _show_context_menu(self, position: QPoint) -> None:
        index = self.history_panel.view.indexAt(position)
        if not index.isValid():
            return
        if not self.history_panel.view.selectionModel().isSelected(index):
            self.history_panel.view.setCurrentIndex(index)
        self._update_actions()
        menu = QMenu(self)
        for i, action in enumerate(self.task_actions):
            if i in (2, 5, 8):
                menu.addSeparator()
            menu.addAction(action)
        menu.popup(self.history_panel.view.viewport().mapToGlobal(position))

    @Slot(QModelIndex)
    def _on_double_clicked(self, _index: QModelIndex) -> None:
        self.play_current()

    @Slot()
    def play_current(self) -> None:
        if self.details.player.path is not None:
            self.details.player.toggle()

    def _current_file(self) -> Path | None:
        record = self.current()
        return playable_files(record)[0] if record else None

    @Slot()
    def _reveal(self) -> None:
        path = self._current_file()
        if path is not None:
            reveal(path, self)

    def _copy(self, text: str, what: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.statusBar().showMessage(f"Copied {what}.", 2000)

    @Slot()
    def _copy_prompt(self) -> None:
        records = self.selected()
        if records:
            self._copy("\n".join(r.prompt for r in records), "the prompt")

    @Slot()
    def _copy_task_id(self) -> None:
        record = self.current()
        if record is not None:
            self._copy(record.task_id or record.external_task_id, "the task id")

    @Slot()
    def _copy_path(self) -> None:
        path = self._current_file()
        if path is not None:
            self._copy(str(path), "the file path")

    @Slot()
    def _use_again(self) -> None:
        record = self.current()
        if record is not None:
            self.prompt_panel.use_prompt(record.prompt, record.duration)

    @Slot()
    def _regenerate(self) -> None:
        record = self.current()
        if record is None:
            return
        try:
            records = self.session.submit(record.prompt, record.duration_tenths / 10)
        except (ValidationError, NotConnectedError) as exc:
            self.statusBar().showMessage(str(exc), 6000)
            return
        self.history_panel.select_task(records[0].id)

    @Slot()
    def _retry(self) -> None:
        for record in self.selected():
            if not self._retryable(record):
                continue
            try:
                self.history.upsert(self.session.retry(record.id))
            except (KeyError, NotConnectedError) as exc:
                self.statusBar().showMessage(str(exc), 6000)
                return
        self._update_in_flight()
        self._update_actions()

    @Slot()
    def _retry_queue(self) -> None:
        tracker = self.session.tracker
        if tracker is not None:
            tracker.resume_queue()

    @Slot()
    def _toggle_favourite(self) -> None:
        records = self.selected()
        if records:
            value = not all(r.favourite for r in records)
            for record in records:
                self.history.upsert(self.session.store.update(record.id, favourite=value))

    @Slot(int)
    def _toggle_favourite_of(self, local_id: int) -> None:
        record = self.session.store.get(local_id)
        if record is not None:
            self.history.upsert(self.session.store.update(local_id, favourite=not record.favourite))

    @Slot()
    def _remove(self) -> None:
        self.remove_tasks(self.selected(), delete_files=False)

    @Slot()
    def _remove_with_files(self) -> None:
        records = self.selected()
        if not records:
            return
        files = sum(len(r.files) for r in records)
        answer = QMessageBox.question(
            self,
            "Remove and move files to the trash",
            f"Remove {len(records)} task(s) from the history and move {files} file(s) to the "
            "trash? Undo brings the history back; the files stay in the trash.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.remove_tasks(records, delete_files=True)

    def remove_tasks(self, records: list[TaskRecord], *, delete_files: bool) -> None:
        records = [r for r in records if not self.session.is_tracking(r.id)]
        if not records:
            return
        row = self.history.row_of(records[0].id) or 0
        self.undo_stack.push(RemoveTasksCommand(self, records, delete_files))
        count = len(records)
        self.statusBar().showMessage(
            f"Removed {count} task{'s' if count != 1 else ''} from the history. Undo with Ctrl+Z.",
            8000,
        )
        if self.history.rowCount():
            self.history_panel.view.setCurrentIndex(
                self.history.index(min(row, self.history.rowCount() - 1))
            )

    def delete_files(self, records: list[TaskRecord]) -> None:
        for record in records:
            for file in record.files:
                if Path(file.path).exists() and not QFile.moveToTrash(file.path)[0]:
                    log.warning("could not move %s to the trash", Path(file.path).name)

    # -- settings and demo -----------------------------------------------------------------

    @Slot()
    def open_settings(self) -> None:
        from deerdesk.ui.settings_dialog import SettingsDialog  # loaded when first opened

        dialog = SettingsDialog(
            self.settings,
            self.keys,
            self.owner,
            has_key=self.has_key,
            demo=self.options.demo,
            parent=self,
        )
        dialog.key_changed.connect(self._on_key_changed)
        dialog.finished.connect(lambda result: self._on_settings_closed(dialog, result))
        dialog.open()
        self.settings_dialog = dialog

    def _on_settings_closed(self, dialog: SettingsDialog, result: int) -> None:
        if result != dialog.DialogCode.Accepted:
            return
        changes = dialog.changes()
        if not changes or not self._save_settings(changes):
            return
        self.statusBar().showMessage("Settings saved.", 3000)
        if self.has_key:
            self.owner.spawn(self._reconnect(), name="reconnect")

    async def _reconnect(self) -> None:
        key = self._fixed_key or await self.keys.load()
        if key:
            await self._connect(key)

    @Slot(object)
    def _on_key_changed(self, key: str | None) -> None:
        if key:
            self.owner.spawn(self._connect(key), name="connect")
        else:
            self.owner.spawn(self._disconnect_without_key(), name="disconnect")

    async def _disconnect_without_key(self) -> None:
        await self.session.disconnect()
        self._set_key_state(False, "Add an API key in Settings (Ctrl+,) to generate.")
        self._update_in_flight()

    @Slot()
    def _start_demo(self) -> None:
        subprocess.Popen([sys.executable, "-m", "deerdesk", "--demo"], start_new_session=True)
        self.statusBar().showMessage("Starting the demo in a new window…", 5000)
