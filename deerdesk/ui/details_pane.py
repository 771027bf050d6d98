"""The selected task in full, and the player to audition it."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from deerdesk.core.owner import TaskOwner
from deerdesk.core.records import TaskRecord
from deerdesk.core.states import LocalState
from deerdesk.ui import format as fmt
from deerdesk.ui.player import Player


def _value_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def playable_files(record: TaskRecord) -> tuple[Path | None, Path | None]:
    """(file to play, WAV for the waveform) among the files that exist on disk."""
    wav = record.file("wav")
    mp3 = record.file("mp3")
    wav_path = Path(wav.path) if wav and Path(wav.path).exists() else None
    mp3_path = Path(mp3.path) if mp3 and Path(mp3.path).exists() else None
    return (wav_path or mp3_path), wav_path


class DetailsPane(QWidget):
    """Prompt, ids, state, error with request id, cost, files; the player below."""

    def __init__(self, owner: TaskOwner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: TaskRecord | None = None
        self.prompt = _value_label()
        font = self.prompt.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.prompt.setFont(font)
        self.state = _value_label()
        self.duration = _value_label()
        self.created = _value_label()
        self.task_id = _value_label()
        self.external_id = _value_label()
        self.cost = _value_label()
        self.error = _value_label()
        self.error.setStyleSheet("color: #c9403a;")
        self.files = _value_label()
        self.files.setTextFormat(Qt.TextFormat.PlainText)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.addRow("State", self.state)
        self.form.addRow("Duration", self.duration)
        self.form.addRow("Created", self.created)
        self.form.addRow("Task id", self.task_id)
        self.form.addRow("External id", self.external_id)
        self.form.addRow("Cost", self.cost)
        self.form.addRow("Error", self.error)
        self.form.addRow("Files", self.files)
        self.player = Player(owner)
        self.autoplay = QCheckBox("Play when the selection moves")
        self.autoplay.setToolTip("Audition one sound after another with the arrow keys")
        self.placeholder = QLabel("Select a task to see its details and audition it.")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body = QWidget()
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(self.prompt)
        body_layout.addLayout(self.form)
        layout = QVBoxLayout(self)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.body)
        layout.addStretch(1)
        layout.addWidget(self.player)
        layout.addWidget(self.autoplay)
        self.show_task(None)

    def show_task(self, record: TaskRecord | None) -> None:
        """Shows `record`; when it is the same task as before, only what changed moves."""
        same_task = record is not None and self.record is not None and record.id == self.record.id
        self.record = record
        self.placeholder.setVisible(record is None)
        self.body.setVisible(record is not None)
        if record is None:
            self.player.load(None)
            return
        self.prompt.setText(record.prompt)
        state = fmt.STATE_LABELS[record.state]
        if record.status_msg:
            state = f"{state}: {record.status_msg}"
        self.state.setText(state)
        self.duration.setText(fmt.seconds_label(record.duration) + self._takes(record))
        self.created.setText(time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created_at)))
        self.task_id.setText(record.task_id or "not assigned yet")
        self.external_id.setText(record.external_task_id)
        self.cost.setText(fmt.cost_label(record.cost) or "not charged yet")
        self._set_row(self.error, fmt.error_text(record.error) if record.error else "")
        self.files.setText(self._files_text(record))
        self.files.setToolTip("\n".join(f.path for f in record.files))
        play, wav = playable_files(record)
        if not same_task or play != self.player.path:
            self.player.load(play, wav, record.duration)

    @staticmethod
    def _takes(record: TaskRecord) -> str:
        return f"  ({fmt.takes_label(record)})" if record.takes > 1 else ""

    def _set_row(self, label: QLabel, text: str) -> None:
        label.setText(text)
        self.form.setRowVisible(label, bool(text))

    @staticmethod
    def _files_text(record: TaskRecord) -> str:
        if record.files:
            lines = []
            for file in record.files:
                missing = "" if Path(file.path).exists() else "  (missing on disk)"
                lines.append(
                    f"{file.format.upper()}  {fmt.size_label(file.bytes)}  "
                    f"{Path(file.path).name}{missing}"
                )
            return "\n".join(lines)
        if record.state is LocalState.SUCCEED:
            days = record.days_left(time.time())
            if days is not None and days <= 0:
                return "Not downloaded; the service's link has expired."
            return "Downloading…"
        return "None yet"
