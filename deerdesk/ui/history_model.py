"""The task history as a Qt list model: pages from the store, live updates from the engine."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)

from deerdesk.core.records import FileRecord, TaskRecord
from deerdesk.core.states import LocalState
from deerdesk.core.store import Store
from deerdesk.ui import format as fmt

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class HistoryFilter:
    """What the list shows: prompt text, a set of states (None: all), favourites only."""

    search: str = ""
    states: frozenset[LocalState] | None = None
    favourites_only: bool = False

    def matches(self, record: TaskRecord) -> bool:
        if self.states is not None and record.state not in self.states:
            return False
        if self.favourites_only and not record.favourite:
            return False
        text = self.search.strip()
        return not text or text.casefold() in record.prompt.casefold()


def drag_file(record: TaskRecord) -> FileRecord | None:
    """The file a drag-out carries: the WAV, or the MP3 when there is no WAV."""
    return record.file("wav") or record.file("mp3")


class HistoryModel(QAbstractListModel):
    """Newest first. Rows are loaded a page at a time (`canFetchMore`/`fetchMore`), so a
    history of 100 000 tasks opens as fast as one of ten. The delegate paints from TaskRole."""

    TaskRole = Qt.ItemDataRole.UserRole + 1
    StateRole = Qt.ItemDataRole.UserRole + 2
    LocalIdRole = Qt.ItemDataRole.UserRole + 3
    FileRole = Qt.ItemDataRole.UserRole + 4

    PAGE_SIZE = 100
    CHANGE_INTERVAL_MS = 80

    #: after a reset or a page load; the argument is the number of rows loaded
    rows_loaded = Signal(int)

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._rows: list[TaskRecord] = []
        self._keys: list[int] = []  # -id of each row: ascending, for bisect
        self._exhausted = True
        self._filter = HistoryFilter()
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        # changed rows are announced together, at most once a frame: a burst of tracker
        # events then costs one repaint instead of one each
        self._changed_ids: set[int] = set()
        self._change_timer = QTimer(self)
        self._change_timer.setSingleShot(True)
        self._change_timer.setInterval(self.CHANGE_INTERVAL_MS)
        self._change_timer.timeout.connect(self._announce_changes)

    # -- filter and paging -----------------------------------------------------------------

    @property
    def filter(self) -> HistoryFilter:
        return self._filter

    def set_filter(self, history_filter: HistoryFilter) -> None:
        self._filter = history_filter
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        page = self._load_page(None)
        self._rows = page
        self._keys = [-r.id for r in page]
        self._exhausted = len(page) < self.PAGE_SIZE
        self.endResetModel()
        self._update_ticker()
        self.rows_loaded.emit(len(self._rows))

    def _load_page(self, before_id: int | None) -> list[TaskRecord]:
        return self._store.page(
            before_id=before_id,
            limit=self.PAGE_SIZE,
            states=self._filter.states,
            search=self._filter.search,
            favourites_only=self._filter.favourites_only,
        )

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted:
            return
        page = self._load_page(self._rows[-1].id if self._rows else None)
        self._exhausted = len(page) < self.PAGE_SIZE
        if page:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._rows.extend(page)
            self._keys.extend(-r.id for r in page)
            self.endInsertRows()
            self._update_ticker()
        self.rows_loaded.emit(len(self._rows))

    # -- reads -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        if role == self.TaskRole:
            return record
        if role == Qt.ItemDataRole.DisplayRole:
            return record.prompt
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [record.prompt, f"{fmt.STATE_LABELS[record.state]}, {record.duration:.1f} s"]
            if record.error:
                lines.append(fmt.error_text(record.error))
            return "\n".join(lines)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{record.prompt}, {fmt.state_line(record)}, {record.duration:.1f} seconds"
        if role == self.StateRole:
            return record.state.value
        if role == self.LocalIdRole:
            return record.id
        if role == self.FileRole:
            file = drag_file(record)
            return file.path if file else None
        return None

    def roleNames(self) -> dict[int, bytes]:
        names = dict(super().roleNames())
        names.update(
            {
                self.TaskRole: b"task",
                self.StateRole: b"state",
                self.LocalIdRole: b"localId",
                self.FileRole: b"file",
            }
        )
        return names

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if drag_file(self._rows[index.row()]) is not None:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: Iterable[QModelIndex]) -> QMimeData:
        urls = []
        for index in indexes:
            file = drag_file(self._rows[index.row()]) if index.isValid() else None
            if file is not None:
                urls.append(QUrl.fromLocalFile(file.path))
        mime = QMimeData()
        mime.setUrls(urls)
        return mime

    def row_of(self, local_id: int) -> int | None:
        row = bisect.bisect_left(self._keys, -local_id)
        return row if row < len(self._keys) and self._keys[row] == -local_id else None

    def record_at(self, row: int) -> TaskRecord | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def loaded_records(self) -> list[TaskRecord]:
        return list(self._rows)

    # -- live updates ----------------------------------------------------------------------

    @Slot(object)
    def upsert(self, record: TaskRecord) -> None:
        """A task was added or changed: update, insert or drop its row to match the filter."""
        row = self.row_of(record.id)
        visible = self._filter.matches(record)
        if row is not None and visible:
            was_in_flight = self._rows[row].state.in_flight
            self._rows[row] = record
            self._changed_ids.add(record.id)
            if not self._change_timer.isActive():
                self._change_timer.start()
            if was_in_flight == record.state.in_flight:
                return
        elif row is not None:
            self._remove_row(row)
        elif visible and self._within_loaded(record.id):
            row = bisect.bisect_left(self._keys, -record.id)
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.insert(row, record)
            self._keys.insert(row, -record.id)
            self.endInsertRows()
        self._update_ticker()

    @Slot(object)
    def discard(self, record: TaskRecord) -> None:
        row = self.row_of(record.id)
        if row is not None:
            self._remove_row(row)
            self._update_ticker()

    def _within_loaded(self, local_id: int) -> bool:
        """Rows older than the last loaded one arrive with a later page, not now."""
        return self._exhausted or not self._rows or local_id > self._rows[-1].id

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        del self._keys[row]
        self.endRemoveRows()

    @Slot()
    def _announce_changes(self) -> None:
        rows = sorted(r for r in map(self.row_of, self._changed_ids) if r is not None)
        self._changed_ids.clear()
        if rows:
            self.dataChanged.emit(self.index(rows[0]), self.index(rows[-1]))

    def _update_ticker(self) -> None:
        busy = any(r.state.in_flight for r in self._rows[:200])
        if busy and not self._ticker.isActive():
            self._ticker.start()
        elif not busy and self._ticker.isActive():
            self._ticker.stop()

    @Slot()
    def _tick(self) -> None:
        """In-flight rows show their elapsed time; repaint them once a second."""
        rows = [i for i, r in enumerate(self._rows[:200]) if r.state.in_flight]
        if rows:
            self.dataChanged.emit(
                self.index(rows[0]), self.index(rows[-1]), [Qt.ItemDataRole.DisplayRole]
            )
        else:
            self._ticker.stop()
