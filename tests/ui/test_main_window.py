"""The window against the simulator: the whole keyboard flow, from prompt to audition."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QMediaPlayer

from deerdesk.core.states import LocalState


def row_record(window, local_id):
    row = window.history.row_of(local_id)
    return window.history.record_at(row) if row is not None else None


def test_keyboard_flow_generates_downloads_and_plays_to_the_end(make_window, sim, qtbot):
    window = make_window(sim)
    panel = window.prompt_panel
    qtbot.waitUntil(lambda: panel.editor.hasFocus(), timeout=3000)
    qtbot.keyClicks(panel.editor, "rain on a tin roof at night")

    slider = panel.duration.slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    for _ in range(4):
        qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    for _ in range(3):
        qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert panel.duration.tenths() == 73
    assert panel.duration.spin.text() == "7.3 s"

    with qtbot.waitSignal(window.bridge.task_added, timeout=5000) as added:
        qtbot.keyClick(panel.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    local_id = added.args[0].id
    assert added.args[0].duration_tenths == 73
    assert window.history.record_at(0).id == local_id

    def finished():
        record = row_record(window, local_id)
        return bool(record and record.state is LocalState.SUCCEED and record.file("wav"))

    qtbot.waitUntil(finished, timeout=20000)
    record = row_record(window, local_id)
    assert Path(record.file("wav").path).stat().st_size > 7 * 24000 * 2
    assert record.file("wav").duration == 7.3  # verified from the WAV header by the tracker
    assert sim.created_tasks() == 1

    view = window.history_panel.view
    window.history_panel.select_task(local_id)
    view.setFocus()
    player = window.details.player
    qtbot.waitUntil(lambda: bool(player.path and player.waveform.peaks), timeout=5000)
    player.media.setPlaybackRate(4.0)
    with qtbot.waitSignal(
        player.media.mediaStatusChanged,
        timeout=15000,
        check_params_cb=lambda status: status == QMediaPlayer.MediaStatus.EndOfMedia,
    ):
        qtbot.keyClick(view, Qt.Key.Key_Space)
    assert player.media.duration() > 7000
