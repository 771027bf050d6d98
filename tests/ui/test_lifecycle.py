"""Closing and restarting, account problems, rate limits and the first run, in the window."""

from __future__ import annotations

import time

from deerdesk.core.states import LocalState
from tests.conftest import TEST_KEY


def test_close_is_quick_and_a_restart_resumes_the_task_in_flight(
    make_window, make_sim, qtbot, run_async, tmp_path
):
    sim = make_sim(processing_seconds=1.5)
    data = tmp_path / "data"
    window = make_window(sim, data_dir=data)
    window.prompt_panel.editor.setPlainText("steam train whistle")
    with qtbot.waitSignal(window.bridge.task_added) as added:
        window.prompt_panel.request_generate()
    local_id = added.args[0].id
    qtbot.waitUntil(
        lambda: window.session.store.get(local_id).state is LocalState.SUBMITTED, timeout=5000
    )
    started = time.monotonic()
    make_window.close(window)  # what closing the window does: stop polling, close the client
    assert time.monotonic() - started < 2.0
    assert window.session.in_flight() == 0

    again = make_window(sim, data_dir=data)
    assert again.session.is_tracking(local_id)

    def done() -> bool:
        record = again.session.store.get(local_id)
        return record.state is LocalState.SUCCEED and len(record.files) == 2

    qtbot.waitUntil(done, timeout=15000)
    assert sim.created_tasks() == 1  # resumed by polling, never sent twice
    row = again.history.row_of(local_id)
    assert again.history.record_at(row).state is LocalState.SUCCEED


def test_rate_limit_burst_shows_waiting_then_everything_completes(make_window, make_sim, qtbot):
    sim = make_sim(
        fault_rate=0.35, faults=("rate_limit_1302_retry_after",), seed=4, retry_after_seconds=0.3
    )
    window = make_window(sim)
    window.prompt_panel.editor.setPlainText("crowd applause in a small theatre")
    window.prompt_panel.advanced_toggle.click()
    window.prompt_panel.takes.setValue(6)
    with qtbot.waitSignal(window.bridge.rate_limited, timeout=10000):
        window.prompt_panel.request_generate()
    assert window.rate_label.isVisibleTo(window)
    assert "waiting" in window.rate_label.text()
    assert window.in_flight_label.text() == "6 in flight"

    qtbot.waitUntil(lambda: window.session.in_flight() == 0, timeout=30000)
    records = window.history.loaded_records()
    assert [r.state for r in records] == [LocalState.SUCCEED] * 6
    assert {r.group_id for r in records} != {None} and len({r.group_id for r in records}) == 1
    assert sim.created_tasks() == 6
    qtbot.waitUntil(lambda: window.in_flight_label.text() == "Idle", timeout=2000)


def test_a_refused_key_stops_the_queue_and_says_so(make_window, sim, qtbot):
    window = make_window(sim, key="sk-not-a-key-of-this-account")
    window.prompt_panel.editor.setPlainText("bicycle bell")
    with qtbot.waitSignal(window.bridge.account_problem, timeout=10000):
        window.prompt_panel.request_generate()
    assert "refused the API key" in window.problem_label.text()
    assert not window.prompt_panel.generate_button.isEnabled()
    assert "queue is stopped" in window.prompt_panel.reason.text()
    record = window.history.record_at(0)
    assert record.state is LocalState.REJECTED and record.error.code == 1000
    assert record.error.request_id  # shown in the details, for support
    assert sim.created_tasks() == 0
    window.history_panel.select_task(record.id)
    qtbot.waitUntil(
        window.retry_action.isEnabled, timeout=2000
    )  # once the key is fixed, the same task goes again
    assert window.retry_queue_action.isEnabled()


def test_first_run_without_a_key_explains_what_to_do(make_window, sim, qtbot):
    window = make_window(sim, key=None)
    panel = window.history_panel
    assert panel.stack.currentIndex() == 1
    assert panel.empty_title.text() == "Welcome to DeerDesk"
    assert "Settings" in panel.empty_text.text() and "demo" in panel.empty_text.text()
    assert panel.add_key_button.isVisibleTo(window) and panel.demo_button.isVisibleTo(window)
    window.prompt_panel.editor.setPlainText("clock ticking")
    assert not window.prompt_panel.generate_button.isEnabled()
    assert "API key" in window.prompt_panel.reason.text()
    assert "Not connected" in window.connection_label.text()


def test_demo_window_says_so_in_title_and_status_bar(make_window, sim, qtbot):
    from deerdesk.sim.config import DEMO_KEY

    window = make_window(sim, key=DEMO_KEY, demo=True)
    assert window.windowTitle() == "DeerDesk — Demo: simulated service"
    assert "Demo: simulated service" in window.connection_label.text()
    assert window.history_panel.empty_title.text() == "No sounds yet"
    assert TEST_KEY not in window.windowTitle()
