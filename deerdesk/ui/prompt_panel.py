"""The left side of the window: prompt editor with its counter, duration, advanced options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deerdesk.api.errors import ValidationError
from deerdesk.api.models import (
    PROMPT_MAX_CHARS,
    prompt_length,
    validate_external_id,
    validate_http_url,
    validate_prompt,
)
from deerdesk.core.costs import expected_cost

WARNING_AT = 180  # code points: the counter turns amber from here
COUNTER_STYLES = {
    "ok": "color: palette(mid);",
    "warning": "color: #b8860b; font-weight: bold;",
    "error": "color: #c9403a; font-weight: bold;",
}
ERROR_STYLE = "color: #c9403a;"
DURATION_MIN_TENTHS, DURATION_MAX_TENTHS = 30, 100


@dataclass(frozen=True)
class GenerateRequest:
    prompt: str
    duration: float
    external_id: str | None
    callback_url: str | None
    takes: int


class PromptEditor(QPlainTextEdit):
    """Plain text only; Ctrl+Enter asks to generate; Tab leaves the editor."""

    submit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setPlaceholderText(
            "Describe the sound, e.g. “heavy wooden door creaks open in a stone hall”"
        )
        self.setAccessibleName("Prompt")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.submit_requested.emit()
            return
        super().keyPressEvent(event)

    def insertFromMimeData(self, source) -> None:
        """Pastes as plain text, never rich text; a long text is kept whole (the counter
        then says how much to cut) rather than silently cut."""
        if source.hasText():
            self.insertPlainText(source.text())
        else:
            super().insertFromMimeData(source)


class DurationControl(QWidget):
    """A slider in 0.1 s steps kept in step with a one-decimal spin box (3.0 to 10.0 s)."""

    value_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(DURATION_MIN_TENTHS, DURATION_MAX_TENTHS)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(10)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(10)
        self.slider.setAccessibleName("Duration slider")
        self.spin = QDoubleSpinBox()
        self.spin.setRange(DURATION_MIN_TENTHS / 10, DURATION_MAX_TENTHS / 10)
        self.spin.setDecimals(1)
        self.spin.setSingleStep(0.1)
        self.spin.setSuffix(" s")
        self.spin.setAccessibleName("Duration in seconds")
        self.spin.setKeyboardTracking(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(self._on_slider)
        self.spin.valueChanged.connect(self._on_spin)
        self.spin.installEventFilter(self)

    def eventFilter(self, watched, event: QEvent) -> bool:
        """Page Up/Down in the spin box move 1.0 s, like the slider."""
        if watched is self.spin and event.type() == QEvent.Type.KeyPress:
            step = {Qt.Key.Key_PageUp: 10, Qt.Key.Key_PageDown: -10}.get(event.key())
            if step:
                self.set_tenths(self.tenths() + step)
                return True
        return super().eventFilter(watched, event)

    def tenths(self) -> int:
        return self.slider.value()

    def value(self) -> float:
        return self.slider.value() / 10

    def set_tenths(self, tenths: int) -> None:
        self.slider.setValue(max(DURATION_MIN_TENTHS, min(DURATION_MAX_TENTHS, tenths)))

    def set_value(self, seconds: float) -> None:
        self.set_tenths(round(seconds * 10))

    @Slot(int)
    def _on_slider(self, tenths: int) -> None:
        with QSignalBlocker(self.spin):
            self.spin.setValue(tenths / 10)
        self.value_changed.emit(tenths / 10)

    @Slot(float)
    def _on_spin(self, seconds: float) -> None:
        tenths = round(seconds * 10)
        if tenths != self.slider.value():
            self.slider.setValue(tenths)


class PromptPanel(QWidget):
    """Collects one request and says why Generate is disabled when it is."""

    generate_requested = Signal(object)  # GenerateRequest
    duration_committed = Signal(float)

    def __init__(
        self,
        recent_prompts: Callable[[], list[str]],
        cost_history: Callable[[], list[tuple[int, str]]],
        external_id_taken: Callable[[str], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._recent_prompts = recent_prompts
        self._cost_history = cost_history
        self._external_id_taken = external_id_taken
        self._blocked_reason = ""  # set by the window: no key, queue stopped, ...

        self.editor = PromptEditor()
        self.counter = QLabel()
        self.counter.setAccessibleName("Prompt length")
        self.recent_button = QToolButton()
        self.recent_button.setText("Recent")
        self.recent_button.setToolTip("Reuse a recent prompt (Alt+Down)")
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_menu = QMenu(self.recent_button)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.recent_button.setMenu(self.recent_menu)

        prompt_head = QHBoxLayout()
        prompt_label = QLabel("&Prompt")
        prompt_label.setBuddy(self.editor)
        prompt_head.addWidget(prompt_label)
        prompt_head.addStretch(1)
        prompt_head.addWidget(self.recent_button)

        self.duration = DurationControl()
        duration_label = QLabel("&Duration")
        duration_label.setBuddy(self.duration.slider)

        # advanced, collapsed
        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText("Advanced")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced = QWidget()
        self.external_id = QLineEdit()
        self.external_id.setPlaceholderText("generated when empty")
        self.external_id.setAccessibleName("External task id")
        self.external_id_error = QLabel()
        self.callback_url = QLineEdit()
        self.callback_url.setPlaceholderText("https://… (optional)")
        self.callback_url.setAccessibleName("Callback URL")
        self.callback_error = QLabel()
        for label in (self.external_id_error, self.callback_error):
            label.setStyleSheet(ERROR_STYLE)
            label.setWordWrap(True)
            label.hide()
        self.takes = QSpinBox()
        self.takes.setRange(1, 10)
        self.takes.setAccessibleName("Number of takes")
        self.takes.setToolTip("Generate several takes of the same prompt, grouped together")
        self.cost_label = QLabel()
        self.cost_label.setWordWrap(True)
        form = QFormLayout(self.advanced)
        form.setContentsMargins(12, 0, 0, 0)
        form.addRow("External id", self.external_id)
        form.addRow("", self.external_id_error)
        form.addRow("Callback URL", self.callback_url)
        form.addRow("", self.callback_error)
        form.addRow("Takes", self.takes)
        form.addRow("Expected cost", self.cost_label)
        self.advanced.setVisible(False)

        self.generate_button = QPushButton("Generate")
        self.generate_button.setDefault(True)
        self.generate_button.setToolTip("Generate (Ctrl+Enter)")
        self.generate_button.setMinimumHeight(34)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setAccessibleName("Why Generate is disabled")
        self.reason.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        self.editor.setMinimumHeight(110)
        self.editor.setMaximumHeight(220)
        layout = QVBoxLayout(self)
        layout.addLayout(prompt_head)
        layout.addWidget(self.editor, 1)
        counter_row = QHBoxLayout()
        counter_row.addStretch(1)
        counter_row.addWidget(self.counter)
        layout.addLayout(counter_row)
        layout.addWidget(duration_label)
        layout.addWidget(self.duration)
        layout.addWidget(self.advanced_toggle)
        layout.addWidget(self.advanced)
        layout.addWidget(self.generate_button)
        layout.addWidget(self.reason)
        layout.addStretch(1)

        self.editor.textChanged.connect(self.refresh)
        self.editor.submit_requested.connect(self.request_generate)
        self.generate_button.clicked.connect(self.request_generate)
        self.duration.value_changed.connect(self._on_duration_changed)
        self.duration.slider.sliderReleased.connect(self._commit_duration)
        self.duration.spin.editingFinished.connect(self._commit_duration)
        self.advanced_toggle.toggled.connect(self._on_advanced_toggled)
        self.external_id.textChanged.connect(self.refresh)
        self.callback_url.textChanged.connect(self.refresh)
        self.takes.valueChanged.connect(self._refresh_cost)
        self.refresh()

    # -- state ---------------------------------------------------------------------------

    def set_blocked_reason(self, reason: str) -> None:
        """Why nothing can be sent right now ('' when it can): shown under Generate."""
        self._blocked_reason = reason
        self.refresh()

    def prompt(self) -> str:
        return self.editor.toPlainText()

    def problems(self) -> list[str]:
        """Everything that stops Generate, in the order a person should fix it."""
        found: list[str] = []
        text = self.prompt()
        if not text.strip():
            found.append("Describe the sound to generate.")
        else:
            try:
                validate_prompt(text)
            except ValidationError as exc:
                found.append(exc.message)
        if self.external_id_error.text():
            found.append(self.external_id_error.text())
        if self.callback_error.text():
            found.append(self.callback_error.text())
        if self._blocked_reason:
            found.append(self._blocked_reason)
        return found

    @Slot()
    def refresh(self) -> None:
        length = prompt_length(self.prompt())
        self.counter.setText(f"{length} / {PROMPT_MAX_CHARS}")
        level = (
            "error" if length > PROMPT_MAX_CHARS else "warning" if length >= WARNING_AT else "ok"
        )
        self.counter.setProperty("level", level)
        self.counter.setStyleSheet(COUNTER_STYLES[level])
        self._check_external_id()
        self._check_callback_url()
        problems = self.problems()
        self.generate_button.setEnabled(not problems)
        # an empty editor needs no red words: the placeholder already says what to do
        shown = [p for p in problems if p != "Describe the sound to generate."]
        self.reason.setText(shown[0] if shown else "")
        self.reason.setStyleSheet(ERROR_STYLE if shown else "")
        self.generate_button.setToolTip(problems[0] if problems else "Generate (Ctrl+Enter)")
        self._refresh_cost()

    def counter_level(self) -> str:
        return str(self.counter.property("level"))

    def _check_external_id(self) -> None:
        text = self.external_id.text()
        message = ""
        if text:
            try:
                validate_external_id(text)
            except ValidationError as exc:
                message = exc.message
            else:
                takes = self.takes.value()
                candidates = [text] if takes == 1 else [f"{text}-t{i + 1}" for i in range(takes)]
                taken = next((c for c in candidates if self._external_id_taken(c)), None)
                if taken:
                    message = f"The external id {taken!r} is already used in the history."
        self.external_id_error.setText(message)
        self.external_id_error.setVisible(bool(message))

    def _check_callback_url(self) -> None:
        text = self.callback_url.text().strip()
        message = ""
        if text:
            try:
                validate_http_url(text)
            except ValidationError as exc:
                message = exc.message
        self.callback_error.setText(message)
        self.callback_error.setVisible(bool(message))

    @Slot()
    def _refresh_cost(self) -> None:
        if not self.advanced.isVisible() and not self.advanced_toggle.isChecked():
            return
        estimate = expected_cost(self._cost_history(), self.duration.tenths(), self.takes.value())
        if estimate is None:
            self.cost_label.setText("Unknown until a first task is charged.")
            return
        takes = self.takes.value()
        basis = "at this duration" if estimate.same_duration else "scaled to this duration"
        total = (
            f"≈ {estimate.per_task} units × {takes} = {estimate.total} units"
            if takes > 1
            else f"≈ {estimate.per_task} units"
        )
        plural = "es" if estimate.based_on != 1 else ""
        self.cost_label.setText(f"{total}  (from {estimate.based_on} past charg{plural} {basis})")

    @Slot(bool)
    def _on_advanced_toggled(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self._refresh_cost()

    @Slot(float)
    def _on_duration_changed(self, _seconds: float) -> None:
        self._refresh_cost()
        if not self.duration.slider.isSliderDown():
            self._commit_duration()

    @Slot()
    def _commit_duration(self) -> None:
        self.duration_committed.emit(self.duration.value())

    # -- actions -------------------------------------------------------------------------

    @Slot()
    def request_generate(self) -> None:
        self.refresh()
        if not self.generate_button.isEnabled():
            self.reason.setText(self.problems()[0])
            self.reason.setStyleSheet(ERROR_STYLE)
            return
        callback = self.callback_url.text().strip()
        self.generate_requested.emit(
            GenerateRequest(
                prompt=self.prompt(),
                duration=self.duration.value(),
                external_id=self.external_id.text() or None,
                callback_url=callback or None,
                takes=self.takes.value(),
            )
        )

    def after_submit(self) -> None:
        """A request was queued: a fresh external id is needed for the next one."""
        self.external_id.clear()

    def use_prompt(self, prompt: str, duration: float | None = None) -> None:
        self.editor.setPlainText(prompt)
        cursor = self.editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.editor.setTextCursor(cursor)
        if duration is not None:
            self.duration.set_value(duration)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        prompts = self._recent_prompts()
        if not prompts:
            action = self.recent_menu.addAction("No prompts yet")
            action.setEnabled(False)
            return
        for prompt in prompts:
            flat = " ".join(prompt.split())
            label = flat if len(flat) <= 70 else flat[:69] + "…"
            action = self.recent_menu.addAction(label.replace("&", "&&"))
            action.setToolTip(prompt)
            action.triggered.connect(lambda _=False, p=prompt: self.use_prompt(p))

    def show_recent(self) -> None:
        self.recent_button.showMenu()
