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


def test_counter_and_generate_at_199_200_201_code_points(make_window, sim, qtbot):
    window = make_window(sim)
    panel = window.prompt_panel
    panel.editor.setPlainText("🔔" * 199)  # one code point each, two UTF-16 units
    assert panel.counter.text() == "199 / 200"
    assert panel.counter_level() == "warning"
    assert panel.generate_button.isEnabled()

    qtbot.keyClicks(panel.editor, "a")
    assert panel.counter.text() == "200 / 200"
    assert panel.generate_button.isEnabled()

    qtbot.keyClicks(panel.editor, "b")
    assert panel.counter.text() == "201 / 200"
    assert panel.counter_level() == "error"
    assert not panel.generate_button.isEnabled()
    assert "at most 200" in panel.reason.text() and "by 1" in panel.reason.text()

    # Ctrl+Enter with a prompt too long sends nothing and keeps the text whole
    with qtbot.assertNotEmitted(window.bridge.task_added):
        qtbot.keyClick(panel.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert len(panel.prompt()) == 201
    assert sim.created_tasks() == 0

    panel.editor.setPlainText("short")
    assert panel.counter_level() == "ok"
    assert panel.generate_button.isEnabled()


def test_pasting_a_long_text_keeps_it_all(make_window, sim, qtbot):
    from PySide6.QtGui import QGuiApplication

    window = make_window(sim)
    panel = window.prompt_panel
    text = "wind through pines " * 15  # 285 code points
    QGuiApplication.clipboard().setText(text)
    panel.editor.setFocus()
    panel.editor.paste()
    assert panel.prompt() == text
    assert panel.counter.text() == f"{len(text)} / 200"
    assert not panel.generate_button.isEnabled()


def test_slider_and_spin_box_stay_in_step(make_window, sim, qtbot):
    window = make_window(sim)
    duration = window.prompt_panel.duration
    duration.slider.setFocus()
    qtbot.keyClick(duration.slider, Qt.Key.Key_End)
    assert (duration.tenths(), duration.spin.value()) == (100, 10.0)
    qtbot.keyClick(duration.slider, Qt.Key.Key_PageDown)
    assert (duration.tenths(), duration.spin.value()) == (90, 9.0)
    qtbot.keyClick(duration.slider, Qt.Key.Key_Left)
    assert (duration.tenths(), duration.spin.value()) == (89, 8.9)

    spin = duration.spin
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_Down)
    assert (duration.tenths(), spin.value()) == (88, 8.8)
    qtbot.keyClick(spin, Qt.Key.Key_PageDown)
    assert (duration.tenths(), spin.value()) == (78, 7.8)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "4.26")  # one decimal only: the spin box rounds
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert duration.tenths() in (42, 43)
    assert spin.value() == duration.tenths() / 10
    qtbot.keyClick(spin, Qt.Key.Key_PageDown)
    qtbot.keyClick(spin, Qt.Key.Key_PageDown)
    assert (duration.tenths(), spin.value()) == (30, 3.0)  # clamped at the minimum
    assert spin.text() == "3.0 s"


def test_last_duration_is_remembered(make_window, sim, qtbot, tmp_path):
    from deerdesk.core.config import load_settings

    window = make_window(sim)
    window.prompt_panel.duration.spin.setFocus()
    window.prompt_panel.duration.set_tenths(64)
    settings = load_settings(env={}, system_paths=[], user_path=tmp_path / "config.toml")
    assert settings.last_duration == 6.4
    make_window.close(window)
    again = make_window(sim, data_dir=tmp_path / "other", last_duration=settings.last_duration)
    assert again.prompt_panel.duration.spin.text() == "6.4 s"
