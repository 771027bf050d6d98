"""Auditioning: a QMediaPlayer with play/pause, a waveform that seeks, and the time."""

from __future__ import annotations

import asyncio
import logging
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStyle, QToolButton, QVBoxLayout, QWidget

from deerdesk.core.owner import TaskOwner
from deerdesk.core.waveform import wav_peaks

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QMediaPlayer

log = logging.getLogger(__name__)


def clock(ms: int) -> str:
    ms = max(0, ms)
    return f"{ms // 60000}:{ms // 1000 % 60:02d}.{ms // 100 % 10}"


class WaveformView(QWidget):
    """Draws (min, max) peaks and the play position; a click or drag seeks."""

    seek_requested = Signal(float)  # 0..1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._peaks: list[tuple[float, float]] = []
        self._progress = 0.0
        self._message = "No sound selected"
        self.setMinimumHeight(72)
        self.setSizePolicy(self.sizePolicy().horizontalPolicy(), self.sizePolicy().Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName("Waveform; click to seek")

    def sizeHint(self) -> QSize:
        return QSize(400, 80)

    @property
    def peaks(self) -> list[tuple[float, float]]:
        return self._peaks

    def set_peaks(self, peaks: list[tuple[float, float]], message: str = "") -> None:
        self._peaks = peaks
        self._message = message
        self.update()

    def set_progress(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        if abs(fraction - self._progress) * max(1, self.width()) >= 0.5:
            self._progress = fraction
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        palette = self.palette()
        painter.setPen(QPen(palette.mid().color()))
        painter.setBrush(palette.base())
        painter.drawRoundedRect(rect, 6, 6)
        if not self._peaks:
            painter.setPen(palette.placeholderText().color())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._message)
            return
        middle = rect.center().y()
        half = rect.height() / 2 - 6
        width = rect.width() - 8
        step = width / len(self._peaks)
        top = QPainterPath()
        top.moveTo(rect.left() + 4, middle)
        for i, (_low, high) in enumerate(self._peaks):
            top.lineTo(rect.left() + 4 + i * step, middle - max(high, 0.004) * half)
        for i in range(len(self._peaks) - 1, -1, -1):
            low = self._peaks[i][0]
            top.lineTo(rect.left() + 4 + i * step, middle - min(low, -0.004) * half)
        top.closeSubpath()
        played_x = rect.left() + 4 + width * self._progress
        accent = palette.highlight().color()
        faded = QColor(accent)
        faded.setAlphaF(0.35)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.save()
        painter.setClipRect(QRectF(rect.left(), rect.top(), played_x - rect.left(), rect.height()))
        painter.setBrush(accent)
        painter.drawPath(top)
        painter.restore()
        painter.save()
        painter.setClipRect(QRectF(played_x, rect.top(), rect.right() - played_x, rect.height()))
        painter.setBrush(faded)
        painter.drawPath(top)
        painter.restore()
        painter.setPen(QPen(palette.text().color(), 1.5))
        painter.drawLine(QPointF(played_x, rect.top() + 3), QPointF(played_x, rect.bottom() - 3))

    def _seek_to(self, event: QMouseEvent) -> None:
        if self._peaks:
            fraction = (event.position().x() - 4) / max(1.0, self.width() - 8)
            self.seek_requested.emit(min(1.0, max(0.0, fraction)))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._seek_to(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._seek_to(event)


class Player(QWidget):
    """Plays one file at a time. The waveform is computed off the UI thread."""

    def __init__(self, owner: TaskOwner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._owner = owner
        self._waveform_job: asyncio.Task[None] | None = None
        self._media: QMediaPlayer | None = None  # the multimedia backend loads on first use
        self.path: Path | None = None
        self._length_ms = 0
        self._pending_seek: float | None = None

        self.play_button = QToolButton()
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.setAccessibleName("Play")
        self.play_button.setIconSize(QSize(22, 22))
        self.play_button.setEnabled(False)
        self.waveform = WaveformView()
        self.time_label = QLabel(clock(0))
        self.time_label.setMinimumWidth(110)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c9403a;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.play_button)
        row.addWidget(self.waveform, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        bottom = QHBoxLayout()
        bottom.addWidget(self.error_label, 1)
        bottom.addWidget(self.time_label)
        layout.addLayout(bottom)

        self.play_button.clicked.connect(self.toggle)
        self.waveform.seek_requested.connect(self._seek_fraction)

    @property
    def media(self) -> QMediaPlayer:
        """The media player; QtMultimedia and its backend load here, on first use."""
        if self._media is None:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

            self._media = QMediaPlayer(self)
            self.audio = QAudioOutput(self)
            self._media.setAudioOutput(self.audio)
            self._media.positionChanged.connect(self._on_position)
            self._media.durationChanged.connect(self._on_position)
            self._media.playbackStateChanged.connect(self._on_playback_state)
            self._media.errorOccurred.connect(self._on_error)
            self._media.mediaStatusChanged.connect(self._on_media_status)
        return self._media

    def _warn_without_device(self) -> None:
        from PySide6.QtMultimedia import QMediaDevices

        if not QMediaDevices.audioOutputs():
            self.error_label.setText("No audio output device: playback is silent.")
            self.error_label.show()

    def load(
        self,
        path: Path | None,
        waveform_source: Path | None = None,
        seconds: float | None = None,
    ) -> None:
        """Selects the file to play (None: nothing); the waveform comes from a WAV.

        The media backend opens the file only when it is played or sought: moving the
        selection through the history never starts (and then interrupts) a decoder.
        """
        if path == self.path:
            return
        self.stop()
        self.path = path
        self._pending_seek = None
        self._length_ms = round((seconds or 0) * 1000)
        self.error_label.hide()
        self.play_button.setEnabled(path is not None)
        if self._waveform_job is not None:
            self._waveform_job.cancel()
            self._waveform_job = None
        if path is None:
            self.waveform.set_peaks([], "No audio for this task yet")
        elif waveform_source is not None:
            self.waveform.set_peaks([], "Reading the waveform…")
            self._waveform_job = self._owner.spawn(
                self._load_waveform(waveform_source), name="waveform"
            )
        else:
            self.waveform.set_peaks([], "No waveform: only an MP3 was downloaded")
        self.waveform.set_progress(0.0)
        self.time_label.setText(f"{clock(0)} / {clock(self._length_ms)}")

    def _open_selected(self) -> QMediaPlayer:
        """The media player with the selected file as its source."""
        media = self.media
        wanted = QUrl.fromLocalFile(str(self.path)) if self.path is not None else QUrl()
        if media.source() != wanted:
            media.setSource(wanted)
        return media

    async def _load_waveform(self, source: Path) -> None:
        buckets = max(200, self.waveform.width())
        try:
            peaks = await asyncio.to_thread(wav_peaks, source, buckets)
        except (OSError, wave.Error, EOFError) as exc:
            log.warning("waveform of %s could not be read: %s", source.name, exc)
            self.waveform.set_peaks([], "The waveform could not be read")
            return
        if self.path is not None:
            self.waveform.set_peaks(peaks, "Silent" if not peaks else "")

    @Slot()
    def toggle(self) -> None:
        if self.path is None:
            return
        if (
            self._media is not None
            and self._media.playbackState() == self._media.PlaybackState.PlayingState
        ):
            self._media.pause()
        else:
            self.play()

    def play(self) -> None:
        if self.path is None:
            return
        self._warn_without_device()
        media = self._open_selected()
        if media.mediaStatus() == media.MediaStatus.EndOfMedia:
            media.setPosition(0)
        media.play()

    def stop(self) -> None:
        if self._media is not None:
            self._media.stop()

    @Slot(float)
    def _seek_fraction(self, fraction: float) -> None:
        if self.path is None:
            return
        media = self._open_selected()
        if media.duration() > 0:
            media.setPosition(int(media.duration() * fraction))
        else:  # still opening: the seek waits for the file to be loaded
            self._pending_seek = fraction

    @Slot()
    def _on_position(self, *_args: object) -> None:
        if self._media is None:
            return
        duration = self._media.duration() or self._length_ms
        position = self._media.position()
        self.time_label.setText(f"{clock(position)} / {clock(duration)}")
        self.waveform.set_progress(position / duration if duration > 0 else 0.0)

    def _on_media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == self.media.MediaStatus.LoadedMedia and self._pending_seek is not None:
            fraction, self._pending_seek = self._pending_seek, None
            self._seek_fraction(fraction)

    def _on_playback_state(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == self.media.PlaybackState.PlayingState
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setAccessibleName("Pause" if playing else "Play")

    def _on_error(self, _error: QMediaPlayer.Error, message: str) -> None:
        self.error_label.setText(f"Cannot play this file: {message}")
        self.error_label.show()
