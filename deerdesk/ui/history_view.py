"""The history list: its delegate, the search and filter bar, and the empty states."""

from __future__ import annotations

import time

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deerdesk.core.records import TaskRecord
from deerdesk.core.states import LocalState
from deerdesk.ui import format as fmt
from deerdesk.ui.history_model import HistoryFilter, HistoryModel

Index = QModelIndex | QPersistentModelIndex

STATE_COLOURS = {
    LocalState.QUEUED: QColor("#7d8590"),
    LocalState.SUBMITTED: QColor("#3b78d8"),
    LocalState.PROCESSING: QColor("#c98512"),
    LocalState.SUCCEED: QColor("#2b8f55"),
    LocalState.FAILED: QColor("#c9403a"),
    LocalState.REJECTED: QColor("#9146a8"),
}
STATE_GLYPHS = {
    LocalState.QUEUED: "◷",
    LocalState.SUBMITTED: "↑",
    LocalState.SUCCEED: "✓",
    LocalState.FAILED: "✕",
    LocalState.REJECTED: "⊘",
}
SPINNER = "◐◓◑◒"
STAR_FULL, STAR_EMPTY = "★", "☆"

STATE_FILTERS: list[tuple[str, frozenset[LocalState] | None]] = [
    ("All states", None),
    ("In flight", frozenset(s for s in LocalState if s.in_flight)),
    ("Ready", frozenset({LocalState.SUCCEED})),
    ("Failed or rejected", frozenset({LocalState.FAILED, LocalState.REJECTED})),
]


def state_glyph(record: TaskRecord, now: float) -> str:
    if record.state is LocalState.PROCESSING:
        return SPINNER[int(now - record.created_at) % len(SPINNER)]
    return STATE_GLYPHS[record.state]


def group_colour(group_id: str) -> QColor:
    return QColor.fromHsv(int(group_id[:6], 16) % 360, 140, 200)


class HistoryDelegate(QStyledItemDelegate):
    """Paints a row: state chip, prompt, then duration, age, cost and takes; a favourite star."""

    favourite_clicked = Signal(int)  # local id

    ROW_HEIGHT = 54
    CHIP_WIDTH = 118
    MARGIN = 8

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(320, self.ROW_HEIGHT)

    def _star_rect(self, rect: QRect) -> QRect:
        return QRect(rect.right() - 30, rect.top(), 28, rect.height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        record: TaskRecord | None = index.data(HistoryModel.TaskRole)
        if record is None:
            return
        now = time.time()
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter)
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_colour = palette.highlightedText().color() if selected else palette.text().color()
        muted = QColor(text_colour)
        muted.setAlphaF(0.65)

        if record.group_id:
            painter.fillRect(
                QRect(rect.left(), rect.top() + 4, 3, rect.height() - 8),
                group_colour(record.group_id),
            )

        # the state chip
        base_font = QFont(option.font)
        chip_font = QFont(base_font)
        chip_font.setPointSizeF(max(7.0, base_font.pointSizeF() * 0.85))
        chip_font.setBold(True)
        chip = QRect(rect.left() + self.MARGIN + 2, rect.top() + 8, self.CHIP_WIDTH, 20)
        colour = STATE_COLOURS[record.state]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        fill = QColor(colour)
        fill.setAlphaF(0.18 if not selected else 0.35)
        painter.setBrush(fill)
        painter.drawRoundedRect(chip, 10, 10)
        painter.setPen(QPen(colour if not selected else text_colour))
        painter.setFont(chip_font)
        painter.drawText(
            chip.adjusted(8, 0, -6, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            f"{state_glyph(record, now)} {fmt.state_line(record, now)}",
        )

        # the prompt, elided, and the meta line
        left = chip.right() + 12
        right = self._star_rect(rect).left() - 6
        prompt_rect = QRect(left, rect.top() + 6, right - left, 22)
        painter.setFont(base_font)
        painter.setPen(text_colour)
        metrics = QFontMetrics(base_font)
        prompt = metrics.elidedText(
            " ".join(record.prompt.split()), Qt.TextElideMode.ElideRight, prompt_rect.width()
        )
        painter.drawText(prompt_rect, Qt.AlignmentFlag.AlignVCenter, prompt)

        meta_font = QFont(base_font)
        meta_font.setPointSizeF(max(7.0, base_font.pointSizeF() * 0.9))
        painter.setFont(meta_font)
        painter.setPen(muted)
        parts = [fmt.seconds_label(record.duration), fmt.relative_time(record.created_at, now)]
        if record.cost:
            parts.append(fmt.cost_label(record.cost))
        if record.takes > 1:
            parts.append(fmt.takes_label(record))
        if record.error is not None and record.state in (LocalState.FAILED, LocalState.REJECTED):
            parts.append(record.error.message)
        elif record.error is not None:
            parts.append(f"Problem: {record.error.message}")
        meta_rect = QRect(left, rect.top() + 28, right - left, 20)
        meta = QFontMetrics(meta_font).elidedText(
            "  ·  ".join(parts), Qt.TextElideMode.ElideRight, meta_rect.width()
        )
        painter.drawText(meta_rect, Qt.AlignmentFlag.AlignVCenter, meta)

        # the favourite star
        star_font = QFont(base_font)
        star_font.setPointSizeF(base_font.pointSizeF() * 1.3)
        painter.setFont(star_font)
        if record.favourite:
            painter.setPen(QColor("#e0a800"))
        else:
            faint = QColor(text_colour)
            faint.setAlphaF(0.3)
            painter.setPen(faint)
        painter.drawText(
            self._star_rect(rect),
            Qt.AlignmentFlag.AlignCenter,
            STAR_FULL if record.favourite else STAR_EMPTY,
        )
        painter.restore()

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem, index: Index) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
            and self._star_rect(option.rect).contains(event.position().toPoint())
        ):
            self.favourite_clicked.emit(index.data(HistoryModel.LocalIdRole))
            return True
        return super().editorEvent(event, model, option, index)


class HistoryListView(QListView):
    """The list itself: single selection, drag-out of finished rows, uniform rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAccessibleName("Task history")


class HistoryPanel(QWidget):
    """Search box, state and favourites filters, the list, and what to show when it is empty."""

    current_changed = Signal(object)  # TaskRecord | None
    first_painted = Signal()  # the list (or its empty state) was painted for the first time
    add_key_requested = Signal()
    demo_requested = Signal()

    SEARCH_DELAY_MS = 150

    def __init__(self, model: HistoryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.has_key = True

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search prompts  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search prompts")
        self.state_filter = QComboBox()
        for label, _states in STATE_FILTERS:
            self.state_filter.addItem(label)
        self.state_filter.setAccessibleName("Show tasks in state")
        self.favourites = QToolButton()
        self.favourites.setText(f"{STAR_FULL} Favourites")
        self.favourites.setCheckable(True)
        self.favourites.setToolTip("Show favourites only")
        self.favourites.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.state_filter)
        bar.addWidget(self.favourites)

        self.view = HistoryListView()
        self.delegate = HistoryDelegate(self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setModel(model)

        self.empty_title = QLabel()
        self.empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title_font = self.empty_title.font()
        title_font.setPointSizeF(title_font.pointSizeF() * 1.25)
        title_font.setBold(True)
        self.empty_title.setFont(title_font)
        self.empty_text = QLabel()
        self.empty_text.setWordWrap(True)
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_text.setMaximumWidth(460)
        self.add_key_button = QPushButton("Add API key…")
        self.add_key_button.clicked.connect(self.add_key_requested)
        self.demo_button = QPushButton("Try the demo")
        self.demo_button.clicked.connect(self.demo_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_key_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_title)
        empty_layout.addWidget(self.empty_text, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addLayout(buttons)
        empty_layout.addStretch(2)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(empty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(self.SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self.apply_filter)
        self.state_filter.currentIndexChanged.connect(self.apply_filter)
        self.favourites.toggled.connect(self.apply_filter)
        model.modelReset.connect(self._refresh_empty_state)
        model.rowsInserted.connect(self._refresh_empty_state)
        model.rowsRemoved.connect(self._refresh_empty_state)
        self.view.selectionModel().currentChanged.connect(self._on_current_changed)
        model.dataChanged.connect(self._on_data_changed)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.search.installEventFilter(self)
        self._painted = False
        self.view.viewport().installEventFilter(self)
        empty.installEventFilter(self)
        self._refresh_empty_state()

    def eventFilter(self, watched, event: QEvent) -> bool:
        """Down arrow in the search box moves into the list; Escape clears the search."""
        if event.type() == QEvent.Type.Paint and not self._painted and watched is not self.search:
            self._painted = True
            QTimer.singleShot(0, self.first_painted.emit)
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Down and self.model.rowCount():
                self.view.setFocus()
                if not self.view.currentIndex().isValid():
                    self.view.setCurrentIndex(self.model.index(0))
                return True
            if event.key() == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(watched, event)

    def current_filter(self) -> HistoryFilter:
        return HistoryFilter(
            search=self.search.text(),
            states=STATE_FILTERS[self.state_filter.currentIndex()][1],
            favourites_only=self.favourites.isChecked(),
        )

    @Slot()
    def apply_filter(self) -> None:
        self._search_timer.stop()
        wanted = self.current_filter()
        if wanted != self.model.filter:
            current = self.current_record()
            self.model.set_filter(wanted)
            if current is not None:
                self.select_task(current.id)

    def current_record(self) -> TaskRecord | None:
        return self.view.currentIndex().data(HistoryModel.TaskRole)

    def selected_records(self) -> list[TaskRecord]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        records = [self.model.record_at(r) for r in rows]
        chosen = [r for r in records if r is not None]
        if not chosen and (current := self.current_record()) is not None:
            chosen = [current]
        return chosen

    def select_task(self, local_id: int) -> bool:
        row = self.model.row_of(local_id)
        if row is None:
            return False
        index = self.model.index(row)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def set_has_key(self, has_key: bool) -> None:
        self.has_key = has_key
        self._refresh_empty_state()

    @Slot()
    def _refresh_empty_state(self) -> None:
        if self.model.rowCount():
            self.stack.setCurrentIndex(0)
            return
        filtered = self.model.filter != HistoryFilter()
        self.add_key_button.setVisible(not self.has_key and not filtered)
        self.demo_button.setVisible(not self.has_key and not filtered)
        if filtered:
            self.empty_title.setText("No tasks match")
            self.empty_text.setText("Change the search or the filters to see more of the history.")
        elif not self.has_key:
            self.empty_title.setText("Welcome to DeerDesk")
            self.empty_text.setText(
                "To generate sounds, add your DeerAPI key in Settings (Ctrl+,); it is kept in "
                "the system keychain. To look around first, try the demo: it runs a simulated "
                "service on this computer."
            )
        else:
            self.empty_title.setText("No sounds yet")
            self.empty_text.setText(
                "Describe a sound on the left and press Generate (Ctrl+Enter). Finished sounds "
                "appear here, ready to audition and drag into your project."
            )
        self.stack.setCurrentIndex(1)

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_changed.emit(
            current.data(HistoryModel.TaskRole) if current.isValid() else None
        )

    @Slot(QModelIndex, QModelIndex)
    def _on_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles=()) -> None:
        current = self.view.currentIndex()
        if (
            current.isValid()
            and top.row() <= current.row() <= bottom.row()
            and list(roles) != [Qt.ItemDataRole.DisplayRole]
        ):
            self.current_changed.emit(current.data(HistoryModel.TaskRole))

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
