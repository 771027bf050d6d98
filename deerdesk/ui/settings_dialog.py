"""Settings: the API key (through the keychain) and the service, library and queue options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from deerdesk.api.errors import ValidationError
from deerdesk.api.models import validate_http_url
from deerdesk.core.config import Settings
from deerdesk.core.keystore import KeychainUnavailableError, KeyManager
from deerdesk.core.owner import TaskOwner
from deerdesk.core.session import verify_key

OK_STYLE = "color: #2b8f55;"
ERROR_STYLE = "color: #c9403a;"
LOCKED_TIP = "Set by your administrator's policy"


class SettingsDialog(QDialog):
    """Edits a copy of the settings; `changes()` says what to save. Key actions take effect
    at once (they go to the keychain, not to the settings file) and emit `key_changed`."""

    key_changed = Signal(object)  # the new key, or None when removed

    def __init__(
        self,
        settings: Settings,
        keys: KeyManager,
        owner: TaskOwner,
        *,
        has_key: bool,
        demo: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("DeerDesk Settings")
        self.setMinimumWidth(560)
        self._settings = settings
        self._keys = keys
        self._owner = owner
        self._has_key = has_key

        # the key
        self.key_field = QLineEdit()
        self.key_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_field.setPlaceholderText(
            "paste a new key" if has_key else "paste your DeerAPI key"
        )
        self.key_field.setAccessibleName("API key")
        self.set_key_button = QPushButton("Set")
        self.verify_button = QPushButton("Verify")
        self.remove_key_button = QPushButton("Remove")
        self.key_status = QLabel()
        self.key_status.setWordWrap(True)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_field, 1)
        key_row.addWidget(self.set_key_button)
        key_row.addWidget(self.verify_button)
        key_row.addWidget(self.remove_key_button)
        key_box = QGroupBox("API key")
        key_layout = QVBoxLayout(key_box)
        key_layout.addLayout(key_row)
        key_layout.addWidget(self.key_status)

        # the rest
        self.base_url = QLineEdit(settings.base_url)
        self.base_url_error = QLabel()
        self.base_url_error.setStyleSheet(ERROR_STYLE)
        self.base_url_error.hide()
        self.library = QLineEdit(str(settings.library))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_library)
        library_row = QHBoxLayout()
        library_row.addWidget(self.library, 1)
        library_row.addWidget(browse)
        self.wav = QCheckBox("WAV")
        self.mp3 = QCheckBox("MP3")
        self.wav.setChecked("wav" in settings.formats)
        self.mp3.setChecked("mp3" in settings.formats)
        formats_row = QHBoxLayout()
        formats_row.addWidget(self.wav)
        formats_row.addWidget(self.mp3)
        formats_row.addStretch(1)
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 50)
        self.concurrency.setValue(settings.max_concurrent_creates)
        self.concurrency.setToolTip("How many requests are sent to the service at once")
        self.poll_cap = QDoubleSpinBox()
        self.poll_cap.setRange(0.1, 3600.0)
        self.poll_cap.setDecimals(1)
        self.poll_cap.setSuffix(" s")
        self.poll_cap.setValue(settings.poll_cap_seconds)
        self.poll_cap.setToolTip("The longest wait between two checks of a running task")
        form_box = QGroupBox("Service and library")
        form = QFormLayout(form_box)
        form.addRow("Base URL", self.base_url)
        form.addRow("", self.base_url_error)
        form.addRow("Library folder", library_row)
        form.addRow("Download", formats_row)
        form.addRow("Requests at once", self.concurrency)
        form.addRow("Longest poll wait", self.poll_cap)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.problem = QLabel()
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setWordWrap(True)
        self.problem.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(key_box)
        layout.addWidget(form_box)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self.set_key_button.clicked.connect(self._on_set_key)
        self.verify_button.clicked.connect(self._on_verify)
        self.remove_key_button.clicked.connect(self._on_remove_key)
        self.key_field.returnPressed.connect(self._on_set_key)
        self.base_url.textChanged.connect(self._check)
        self.wav.toggled.connect(self._check)
        self.mp3.toggled.connect(self._check)

        for name, widgets in (
            ("base_url", [self.base_url]),
            ("library_dir", [self.library, browse]),
            ("formats", [self.wav, self.mp3]),
            ("max_concurrent_creates", [self.concurrency]),
            ("poll_cap_seconds", [self.poll_cap]),
        ):
            if name in settings.locked:
                for widget in widgets:
                    widget.setEnabled(False)
                    widget.setToolTip(LOCKED_TIP)
        if demo:
            for widget in (self.key_field, self.set_key_button, self.remove_key_button):
                widget.setEnabled(False)
            self.base_url.setEnabled(False)
            self.base_url.setToolTip("Demo mode uses the simulated service on this computer")
            self._say("Demo mode uses a built-in key for the simulated service.", ok=True)
        else:
            self._describe_key()
        self._check()

    # -- the key ---------------------------------------------------------------------------

    def _say(self, text: str, *, ok: bool | None = None) -> None:
        self.key_status.setText(text)
        style = "" if ok is None else OK_STYLE if ok else ERROR_STYLE
        self.key_status.setStyleSheet(style)

    def _describe_key(self) -> None:
        self.remove_key_button.setEnabled(self._has_key)
        if self._keys.session_only and self._has_key:
            self._say("A key is kept for this session only; it is not saved anywhere.")
        elif self._has_key:
            self._say("A key is stored in the system keychain.")
        elif self._keys.keychain_problem:
            self._say(self._keys.keychain_problem, ok=False)
        else:
            self._say("No key yet. Paste the key from your DeerAPI account and press Set.")

    def _busy(self, busy: bool) -> None:
        for button in (self.set_key_button, self.verify_button, self.remove_key_button):
            button.setEnabled(not busy)
        if not busy:
            self.remove_key_button.setEnabled(self._has_key)

    @Slot()
    def _on_set_key(self) -> None:
        key = self.key_field.text().strip()
        if not key:
            self._say("Paste the key into the field first.", ok=False)
            return
        self._owner.spawn(self._set_key(key), name="set-key")

    async def _set_key(self, key: str) -> None:
        self._busy(True)
        try:
            try:
                await self._keys.store(key)
                message = "Saved in the system keychain."
            except KeychainUnavailableError as exc:
                if not self._ask_session_only(str(exc)):
                    self._say(f"{exc} The key was not kept.", ok=False)
                    return
                await self._keys.store(key, session_only=True)
                message = "Kept for this session only; it is not saved anywhere."
            self.key_field.clear()
            self._has_key = True
            self._say(message, ok=True)
            self.key_changed.emit(key)
        finally:
            self._busy(False)

    def _ask_session_only(self, problem: str) -> bool:
        answer = QMessageBox.question(
            self,
            "No keychain",
            f"{problem}\n\nDeerDesk never writes the key to a file. Keep it in memory for "
            "this session only? You will need to enter it again next time.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    @Slot()
    def _on_verify(self) -> None:
        self._owner.spawn(self._verify(), name="verify-key")

    async def _verify(self) -> None:
        try:
            base_url = validate_http_url(self.base_url.text().strip(), "base_url")
        except ValidationError as exc:
            self._say(exc.message, ok=False)
            return
        key = self.key_field.text().strip() or await self._keys.load()
        if not key:
            self._say("There is no key to verify: paste one first.", ok=False)
            return
        self._busy(True)
        self._say("Asking the service…")
        try:
            result = await verify_key(base_url, key)
        finally:
            self._busy(False)
        self._say(result.message, ok=result.ok)

    @Slot()
    def _on_remove_key(self) -> None:
        answer = QMessageBox.question(
            self,
            "Remove the key",
            "Remove the API key from this computer? Tasks in flight wait until a key is set.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._owner.spawn(self._remove_key(), name="remove-key")

    async def _remove_key(self) -> None:
        self._busy(True)
        try:
            await self._keys.remove()
        except KeychainUnavailableError as exc:
            self._say(str(exc), ok=False)
            return
        finally:
            self._busy(False)
        self._has_key = False
        self.remove_key_button.setEnabled(False)
        self._say("The key was removed.", ok=True)
        self.key_changed.emit(None)

    # -- the other settings ----------------------------------------------------------------

    @Slot()
    def _browse_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Library folder", self.library.text())
        if folder:
            self.library.setText(folder)

    @Slot()
    def _check(self) -> None:
        message = ""
        try:
            validate_http_url(self.base_url.text().strip(), "base_url")
        except ValidationError as exc:
            message = exc.message
        self.base_url_error.setText(message)
        self.base_url_error.setVisible(bool(message))
        problems = [message] if message else []
        if not (self.wav.isChecked() or self.mp3.isChecked()):
            problems.append("Choose at least one format to download.")
        self.problem.setText(problems[0] if problems else "")
        self.problem.setVisible(bool(problems))
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(not problems)

    def changes(self) -> dict[str, Any]:
        """The settings that differ from those the dialog was opened with."""
        wanted: dict[str, Any] = {
            "base_url": self.base_url.text().strip().rstrip("/"),
            "library_dir": Path(self.library.text().strip()).expanduser(),
            "formats": tuple(
                f for f, box in (("wav", self.wav), ("mp3", self.mp3)) if box.isChecked()
            ),
            "max_concurrent_creates": self.concurrency.value(),
            "poll_cap_seconds": round(self.poll_cap.value(), 1),
        }
        current = {
            "base_url": self._settings.base_url,
            "library_dir": self._settings.library,
            "formats": self._settings.formats,
            "max_concurrent_creates": self._settings.max_concurrent_creates,
            "poll_cap_seconds": self._settings.poll_cap_seconds,
        }
        return {
            name: value
            for name, value in wanted.items()
            if value != current[name] and name not in self._settings.locked
        }

    @Slot()
    def _accept(self) -> None:
        if not self.library.text().strip():
            self.problem.setText("Choose a library folder.")
            self.problem.show()
            return
        self.accept()

    def keyPressEvent(self, event) -> None:
        # Enter in the key field sets the key; it must not also close the dialog
        if self.key_field.hasFocus() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return
        super().keyPressEvent(event)
