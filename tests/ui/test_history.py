"""The history model and list: paging, live updates, filters, search, remove and undo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import ClassInfo, QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from deerdesk.core.records import FileRecord
from deerdesk.core.states import LocalState
from deerdesk.core.store import NewTask, Store
from deerdesk.sim.audio import render
from deerdesk.ui.history_model import HistoryFilter, HistoryModel

PROMPTS = ["rain on leaves", "door slam", "thunder far away", "cat purring", "rain on a car roof"]


def seed(store: Store, count: int, *, states=(LocalState.SUCCEED,)) -> list:
    tasks = [
        NewTask(
            prompt=f"{PROMPTS[i % len(PROMPTS)]} #{i}",
            duration_tenths=30 + i % 71,
            external_task_id=f"seed-{i}",
            state=states[i % len(states)],
            task_id=f"t{i}" if states[i % len(states)] is not LocalState.QUEUED else None,
        )
        for i in range(count)
    ]
    return store.add_tasks(tasks)


def attach_wav(store: Store, task: int, path: Path) -> Path:
    """A real 3 s WAV at `path`, recorded as the task's file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render("door slam", 30).wav)
    store.set_file(task, FileRecord("wav", str(path), path.stat().st_size, 3.0))
    return path


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "history.sqlite3")
    yield store
    store.close()


def test_model_passes_qtmodeltester_while_pages_load_and_rows_change(qtmodeltester, store, qapp):
    records = seed(store, 250, states=(LocalState.SUCCEED, LocalState.FAILED, LocalState.QUEUED))
    model = HistoryModel(store)
    model.reload()
    assert model.rowCount() == HistoryModel.PAGE_SIZE
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 200
    qtmodeltester.check(model, force_py=True)  # fetches the rest, checking every step
    assert model.rowCount() == 250 and not model.canFetchMore()
    assert [model.record_at(i).id for i in range(3)] == [250, 249, 248]

    favourite = store.update(records[10].id, favourite=True)
    model.upsert(favourite)
    assert model.record_at(model.row_of(favourite.id)).favourite
    model.set_filter(HistoryFilter(favourites_only=True))
    assert model.rowCount() == 1
    model.upsert(store.update(records[10].id, favourite=False))
    assert model.rowCount() == 0  # no longer matches: the row leaves
    # (a reset that leaves more to fetch trips pytest-qt's tester, which fetches inside
    # its reset handler; a filter that fits one page keeps the check meaningful)
    model.set_filter(HistoryFilter(search="#24"))
    assert model.rowCount() == 11 and not model.canFetchMore()
    model.upsert(store.update(records[240].id, favourite=True))
    model.discard(records[241])
    assert model.rowCount() == 10


def test_a_burst_of_changes_is_announced_once_and_read_at_once(store, qtbot):
    records = seed(store, 30, states=(LocalState.QUEUED,))
    model = HistoryModel(store)
    model.reload()
    announced = []
    model.dataChanged.connect(lambda top, bottom: announced.append((top.row(), bottom.row())))
    changed = [records[3], records[7], records[20]]
    for round_ in range(5):  # five events for each of three rows, as a burst of polls gives
        for record in changed:
            model.upsert(store.update(record.id, status_msg=f"round {round_}"))
    # the data is current at once; only the repaint request waits for the next frame
    assert all(model.record_at(model.row_of(r.id)).status_msg == "round 4" for r in changed)
    assert announced == []
    qtbot.waitUntil(lambda: bool(announced), timeout=2000)
    rows = sorted(model.row_of(r.id) for r in changed)
    assert announced == [(rows[0], rows[-1])]


def test_new_tasks_appear_on_top_and_paged_out_ones_wait_for_their_page(store, qtbot):
    seed(store, 150)
    model = HistoryModel(store)
    model.reload()
    newest = store.add_tasks([NewTask("glass breaking", 40, "fresh-1")])[0]
    with qtbot.waitSignal(model.rowsInserted):
        model.upsert(newest)
    assert model.record_at(0).id == newest.id
    old = store.get(3)  # beyond the first page: it must not appear out of order
    model.upsert(store.update(old.id, favourite=True))
    assert model.row_of(old.id) is None


def test_drag_carries_the_wav_or_else_the_mp3_as_file_urls(store, tmp_path, qapp):
    with_wav, only_mp3, nothing = seed(store, 3)
    for record, fmt in ((with_wav, "wav"), (with_wav, "mp3"), (only_mp3, "mp3")):
        path = tmp_path / f"{record.id}.{fmt}"
        path.write_bytes(b"x")
        store.set_file(record.id, FileRecord(fmt, str(path), 1, 3.0))
    model = HistoryModel(store)
    model.reload()
    rows = {model.record_at(r).id: r for r in range(3)}
    assert not model.flags(model.index(rows[nothing.id])) & Qt.ItemFlag.ItemIsDragEnabled
    assert model.flags(model.index(rows[only_mp3.id])) & Qt.ItemFlag.ItemIsDragEnabled
    mime = model.mimeData([model.index(rows[with_wav.id]), model.index(rows[only_mp3.id])])
    paths = [url.toLocalFile() for url in mime.urls()]
    assert paths == [str(tmp_path / f"{with_wav.id}.wav"), str(tmp_path / f"{only_mp3.id}.mp3")]


def test_search_state_and_favourite_filters(make_window, sim, qtbot):
    window = make_window(sim)
    records = seed(window.session.store, 40, states=(LocalState.SUCCEED, LocalState.FAILED))
    window.session.store.update(records[0].id, favourite=True)
    window.history.reload()
    panel = window.history_panel
    assert window.history.rowCount() == 40

    qtbot.keyClicks(panel.search, "rain")
    qtbot.waitUntil(lambda: window.history.filter.search == "rain", timeout=2000)
    shown = window.history.loaded_records()
    assert len(shown) == 16 and all("rain" in r.prompt for r in shown)

    panel.state_filter.setCurrentIndex(3)  # failed or rejected
    shown = window.history.loaded_records()
    assert shown and all(r.state is LocalState.FAILED and "rain" in r.prompt for r in shown)

    qtbot.keyClick(panel.search, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.history.filter.search == "", timeout=2000)
    panel.state_filter.setCurrentIndex(0)
    panel.favourites.click()
    assert [r.id for r in window.history.loaded_records()] == [records[0].id]

    qtbot.keyClicks(panel.search, "no such sound")
    qtbot.waitUntil(lambda: window.history.rowCount() == 0, timeout=2000)
    assert panel.stack.currentIndex() == 1 and panel.empty_title.text() == "No tasks match"


def test_remove_and_undo_keep_the_files(make_window, sim, qtbot, tmp_path):
    window = make_window(sim)
    store = window.session.store
    records = seed(store, 5)
    kept = attach_wav(store, records[2].id, tmp_path / "kept.wav")
    window.history.reload()
    panel = window.history_panel
    panel.select_task(records[2].id)
    panel.view.setFocus()
    # selecting shows the length without opening a decoder that removal would interrupt
    assert window.details.player.time_label.text() == "0:00.0 / 0:03.2"
    before = [r.id for r in window.history.loaded_records()]

    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert store.get(records[2].id) is None
    assert records[2].id not in [r.id for r in window.history.loaded_records()]
    assert kept.exists()
    assert "Undo" in window.statusBar().currentMessage()

    qtbot.keyClick(panel.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    restored = store.get(records[2].id)
    assert restored is not None and restored.files[0].path == str(kept)
    assert [r.id for r in window.history.loaded_records()] == before


def test_favourite_copy_and_use_again_from_the_keyboard(make_window, sim, qtbot):
    from PySide6.QtGui import QGuiApplication

    window = make_window(sim)
    store = window.session.store
    record = seed(store, 3)[1]
    window.history.reload()
    panel = window.history_panel
    panel.select_task(record.id)
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert store.get(record.id).favourite
    qtbot.keyClick(panel.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == record.prompt
    qtbot.keyClick(panel.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert window.prompt_panel.prompt() == record.prompt
    assert window.prompt_panel.duration.tenths() == record.duration_tenths
    assert window.prompt_panel.editor.hasFocus()


@ClassInfo({"D-Bus Interface": "org.freedesktop.FileManager1"})
class FakeFileManager(QObject):
    """The freedesktop FileManager1 service on its own bus connection, as a file manager runs it."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[list[str]] = []

    @Slot("QStringList", str)
    def ShowItems(self, uris: list[str], startup_id: str) -> None:
        self.shown.append(list(uris))


class UrlCatcher(QObject):
    """Qt's own hook for the URLs the app asks the desktop to open."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open_url(self, url: QUrl) -> None:
        self.opened.append(url.toLocalFile())


def session_bus_available() -> bool:
    from PySide6.QtDBus import QDBusConnection

    if os.environ.get("DEERDESK_REQUIRE_KEYCHAIN") == "1":
        return True  # the test command runs under dbus-run-session: no bus must fail, not skip
    return QDBusConnection.sessionBus().isConnected()


@pytest.mark.skipif(not session_bus_available(), reason="no D-Bus session bus")
def test_reveal_selects_the_file_in_the_file_manager_or_opens_its_folder(
    make_window, sim, qtbot, tmp_path
):
    from PySide6.QtDBus import QDBusConnection

    from deerdesk.ui.reveal import FILE_MANAGER_PATH, FILE_MANAGER_SERVICE

    window = make_window(sim)
    store = window.session.store
    record = seed(store, 2)[0]
    sound = attach_wav(store, record.id, tmp_path / "library" / "rain on leaves.wav")
    window.history.reload()
    window.history_panel.select_task(record.id)
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open_url")
    bus = QDBusConnection.connectToBus(QDBusConnection.BusType.SessionBus, "fake-file-manager")
    manager = FakeFileManager()
    try:
        assert bus.registerObject(
            FILE_MANAGER_PATH, manager, QDBusConnection.RegisterOption.ExportAllSlots
        )
        assert bus.registerService(FILE_MANAGER_SERVICE)
        window.reveal_action.trigger()
        qtbot.waitUntil(lambda: bool(manager.shown), timeout=5000)
        assert manager.shown == [[QUrl.fromLocalFile(str(sound)).toString()]]
        assert catcher.opened == []

        bus.unregisterService(FILE_MANAGER_SERVICE)
        activatable = QDBusConnection.sessionBus().interface().activatableServiceNames()
        if FILE_MANAGER_SERVICE in activatable.value():
            return  # a real file manager would start: the fallback cannot be seen here
        window.reveal_action.trigger()
        qtbot.waitUntil(lambda: bool(catcher.opened), timeout=5000)
        assert catcher.opened == [str(sound.parent)]
        assert len(manager.shown) == 1
    finally:
        QDesktopServices.unsetUrlHandler("file")
        bus.unregisterObject(FILE_MANAGER_PATH)
        QDBusConnection.disconnectFromBus("fake-file-manager")
