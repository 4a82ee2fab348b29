"""Everyone found, as a grid of faces an editor decides about in bulk: sorted by screen time (or first appearance,
or decision), filtered down to the likely mistakes (under a second on screen, low detector confidence) or to the
engine's suggestions, with multi-select, rename, drag-a-card-onto-another to merge, and the preview's own context
menu. A model/view pair, not a widget per person: only the visible cards are painted, and a face is scaled the
first time its card is drawn, so hundreds of people cost no more than a screenful."""

import json

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QItemSelection,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import people_stats
from engine.people_stats import PersonStats
from engine.records import Action, MatchStatus
from gui.document import Document
from gui.face_menu import face_menu
from gui.merge import merge_with_prompt
from gui.style import (
    ACCENT,
    ACTION_COLOURS,
    ACTION_WORDS,
    DETECTION_COLOUR,
    DIM_TEXT,
    PANEL,
    TEXT,
    duration,
    person_label,
    plural,
)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
MIME = "application/x-limelight-people"
THUMB = 96
CARD = QSize(THUMB + 18, THUMB + 52)
PHOTO = 38
CARD_FLAGS = (
    Qt.ItemFlag.ItemIsSelectable
    | Qt.ItemFlag.ItemIsEnabled
    | Qt.ItemFlag.ItemIsEditable
    | Qt.ItemFlag.ItemIsDragEnabled
    | Qt.ItemFlag.ItemIsDropEnabled
)
STATE_COLOURS = {**ACTION_COLOURS, MatchStatus.SUGGESTED: DETECTION_COLOUR}
STATE_WORDS = {**ACTION_WORDS, MatchStatus.SUGGESTED: "suggested"}
EVERYONE, SHORT, LOW, SUGGESTIONS, KEPT = "Everyone", "Under one second", "Low confidence", "Suggestions", "Kept"
FILTERS = (EVERYONE, SHORT, LOW, SUGGESTIONS, KEPT)
SORT_LABELS = {
    people_stats.SCREEN_TIME: "Screen time",
    people_stats.FIRST_APPEARANCE: "First appearance",
    people_stats.DECISION: "Decision",
}


def on_screen(seconds: float) -> str:
    """Tenths of a second below a minute: most of a crowd is on screen for 0 or 1 whole seconds."""
    return f"{seconds:.1f} s" if seconds < 60 else duration(seconds)


class PeopleModel(QAbstractListModel):
    merge_requested = Signal(list)
    """Identity ids, the first being the card the others were dropped on."""

    def __init__(self, document: Document, parent=None):
        super().__init__(parent)
        self.document = document
        self.order = people_stats.SCREEN_TIME
        self.filter = EVERYONE
        self.ids: list[int] = []
        self.thumbnails: dict[int, QPixmap] = {}
        self._scaled: dict[int, QPixmap] = {}
        self._photos: dict[str, QPixmap] = {}

    def refresh(self) -> None:
        stats = self.document.stats()
        fps = self.document.fps
        wanted = {
            EVERYONE: lambda s: True,
            SHORT: lambda s: people_stats.is_short(s, fps),
            LOW: people_stats.is_low_confidence,
            SUGGESTIONS: lambda s: s.state == MatchStatus.SUGGESTED,
            KEPT: lambda s: s.state == Action.KEEP,
        }[self.filter]
        self.beginResetModel()
        self.ids = [s.id for s in sorted(filter(wanted, stats.values()), key=people_stats.sort_key(self.order))]
        self.endResetModel()

    def set_thumbnails(self, thumbnails: dict[int, QPixmap]) -> None:
        self.thumbnails, self._scaled = thumbnails, {}
        if self.ids:
            self.dataChanged.emit(self.index(0), self.index(len(self.ids) - 1), [Qt.ItemDataRole.DecorationRole])

    def stats(self, identity_id: int) -> PersonStats:
        return self.document.stats()[identity_id]

    def thumbnail(self, identity_id: int) -> QPixmap | None:
        track = self.stats(identity_id).best_track
        if track not in self._scaled and track in self.thumbnails:
            self._scaled[track] = self.thumbnails[track].scaled(
                THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatioByExpanding, Qt.TransformationMode.SmoothTransformation
            )
        return self._scaled.get(track)

    def photo(self, path: str) -> QPixmap:
        """The known person's photo, read the first time a suggestion for them is on screen."""
        if path not in self._photos:
            self._photos[path] = QPixmap(path).scaled(
                PHOTO, PHOTO, Qt.AspectRatioMode.KeepAspectRatioByExpanding, Qt.TransformationMode.SmoothTransformation
            )
        return self._photos[path]

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.ids)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        identity_id = self.ids[index.row()]
        if role == ID_ROLE:
            return identity_id
        identity = self.document.person(identity_id)
        if role == Qt.ItemDataRole.DisplayRole:
            return person_label(identity)
        if role == Qt.ItemDataRole.EditRole:
            return identity.name or ""
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnail(identity_id)
        if role == Qt.ItemDataRole.ToolTipRole:
            stats = self.stats(identity_id)
            return (
                f"{person_label(identity)}: {STATE_WORDS[stats.state]}, "
                f"{plural(len(identity.tracks), 'appearance')}, {on_screen(stats.seconds(self.document.fps))} "
                f"on screen, best detector score {stats.confidence:.2f}"
            )
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        self.document.rename_person(self.ids[index.row()], str(value))
        return True

    def flags(self, index):
        return CARD_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes) -> QMimeData:
        mime = QMimeData()
        mime.setData(MIME, QByteArray(json.dumps([self.ids[i.row()] for i in indexes]).encode()))
        return mime

    def supportedDropActions(self):
        return Qt.DropAction.CopyAction

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        """Dropped on a card: the dragged people are that person. Nothing is moved or removed in the grid."""
        if not parent.isValid() or not data.hasFormat(MIME):
            return False
        target = self.ids[parent.row()]
        dragged = [i for i in json.loads(bytes(data.data(MIME)).decode()) if i != target]
        if dragged:
            self.merge_requested.emit([target, *dragged])
        return False


class CardDelegate(QStyledItemDelegate):
    def __init__(self, model: PeopleModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.drop_target: int | None = None

    def sizeHint(self, option, index) -> QSize:
        return CARD

    def paint(self, painter: QPainter, option, index) -> None:
        identity_id = index.data(ID_ROLE)
        stats = self.model.stats(identity_id)
        identity = self.model.document.person(identity_id)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        card = option.rect.adjusted(3, 3, -3, -3)
        painter.save()
        painter.setPen(QPen(ACCENT, 2) if selected or identity_id == self.drop_target else Qt.PenStyle.NoPen)
        painter.setBrush(PANEL.lighter(150 if selected else 118))
        painter.drawRoundedRect(card, 6, 6)
        face = QRect(card.left() + (card.width() - THUMB) // 2, card.top() + 6, THUMB, THUMB)
        pixmap = self.model.thumbnail(identity_id)
        if pixmap is not None:
            painter.drawPixmap(
                face, pixmap, QRect((pixmap.width() - THUMB) // 2, (pixmap.height() - THUMB) // 2, THUMB, THUMB)
            )
        else:
            painter.fillRect(face, PANEL.darker(130))
        colour = STATE_COLOURS[stats.state]
        painter.setPen(QPen(colour, 3))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(face.adjusted(1, 1, -1, -1))
        if stats.state == MatchStatus.SUGGESTED:
            photo = QRect(face.right() - PHOTO - 2, face.top() + 2, PHOTO, PHOTO)
            painter.drawPixmap(photo, self.model.photo(identity.match.photo))
            painter.setPen(QPen(colour, 2))
            painter.drawRect(photo)
        badge = QRect(face.left() + 3, face.bottom() - 17, face.width() - 6, 15)
        painter.fillRect(badge, QColor(0, 0, 0, 150))
        painter.setPen(colour)
        small = QFont(option.font)
        small.setPointSizeF(max(6.5, small.pointSizeF() * 0.8))
        painter.setFont(small)
        painter.drawText(
            badge,
            Qt.AlignmentFlag.AlignCenter,
            f"{STATE_WORDS[stats.state]} \u00b7 {on_screen(stats.seconds(self.model.document.fps))}",
        )
        text = QRect(card.left() + 4, face.bottom() + 3, card.width() - 8, option.fontMetrics.height())
        lines = (
            ["Is this", f"{identity.match.name}?"] if stats.state == MatchStatus.SUGGESTED else [person_label(identity)]
        )
        painter.setPen(TEXT if stats.state != Action.IGNORE else DIM_TEXT)
        painter.setFont(option.font)
        for line in lines:
            painter.drawText(
                text,
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                option.fontMetrics.elidedText(line, Qt.TextElideMode.ElideMiddle, text.width()),
            )
            text.translate(0, option.fontMetrics.height())
        painter.restore()

    def updateEditorGeometry(self, editor, option, index) -> None:
        editor.setGeometry(option.rect.left() + 4, option.rect.top() + THUMB + 12, option.rect.width() - 8, 24)


class PeopleGrid(QListView):
    """Cards dropped on a card merge into it; the grid itself never reorders by dragging."""

    def __init__(self, model: PeopleModel, parent=None):
        super().__init__(parent)
        self.setModel(model)
        self.delegate = CardDelegate(model, self)
        self.setItemDelegate(self.delegate)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setWrapping(True)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)

    def _target(self, event) -> QModelIndex:
        index = self.indexAt(event.position().toPoint())
        return index if index.isValid() and not self.selectionModel().isSelected(index) else QModelIndex()

    def dragMoveEvent(self, event) -> None:
        target = self._target(event)
        self.delegate.drop_target = target.data(ID_ROLE) if target.isValid() else None
        self.viewport().update()
        event.setDropAction(Qt.DropAction.CopyAction)
        event.setAccepted(target.isValid() and event.mimeData().hasFormat(MIME))

    def dragLeaveEvent(self, event) -> None:
        self.delegate.drop_target = None
        self.viewport().update()

    def dropEvent(self, event) -> None:
        target = self.indexAt(event.position().toPoint())
        self.delegate.drop_target = None
        if target.isValid():
            self.model().dropMimeData(event.mimeData(), Qt.DropAction.CopyAction, -1, -1, target)
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.viewport().update()


class PeoplePanel(QWidget):
    person_clicked = Signal(int)
    """One card clicked on its own (the document's selection follows): the window shows that person's best moment."""
    message = Signal(str)

    def __init__(self, document: Document, known_faces_actions: list[QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("peoplePanel")
        self.document = document
        self.summary = QLabel()
        self.summary.setObjectName("dim")
        load = QToolButton()
        load.setObjectName("primary")
        load.setText("Load known faces\u2026")
        load.setToolTip("Photos of people to keep visible: matching people are suggested or kept")
        load.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        load.addActions(known_faces_actions)
        load.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.load = load
        self.sort = QComboBox()
        for order, label in SORT_LABELS.items():
            self.sort.addItem(f"Sort: {label}", order)
        self.sort.currentIndexChanged.connect(lambda: self._set_view(order=self.sort.currentData()))
        self.filter = QComboBox()
        self.filter.addItems(list(FILTERS))
        self.filter.setToolTip("Under one second and low confidence are where hands, food and patterns end up")
        self.filter.currentTextChanged.connect(lambda text: self._set_view(filter=text))
        self.suggestions = QLabel()
        self.confirm_all = QPushButton("Confirm all")
        self.confirm_all.clicked.connect(lambda: self._answer_all(True))
        self.reject_all = QPushButton("Reject all")
        self.reject_all.clicked.connect(lambda: self._answer_all(False))
        self.suggestion_bar = QWidget()
        self.suggestion_bar.setObjectName("suggestionBar")
        bar = QHBoxLayout(self.suggestion_bar)
        bar.setContentsMargins(10, 2, 10, 2)
        bar.addWidget(self.suggestions, 1)
        bar.addWidget(self.confirm_all)
        bar.addWidget(self.reject_all)
        self.model = PeopleModel(document, self)
        self.model.merge_requested.connect(self.merge)
        self.grid = PeopleGrid(self.model)
        self.grid.clicked.connect(self._clicked)
        self.grid.customContextMenuRequested.connect(self._context_menu)
        self.grid.selectionModel().selectionChanged.connect(self._selection_changed)
        self.empty = QLabel("People appear here when the analysis has finished.")
        self.empty.setObjectName("dim")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.buttons = {}
        actions = QHBoxLayout()
        actions.setContentsMargins(8, 2, 8, 6)
        for key, text, tip, slot in (
            (Action.KEEP, "Keep", "Keep the selected people visible", lambda: self.decide(Action.KEEP)),
            (Action.BLUR, "Blur", "Blur the selected people", lambda: self.decide(Action.BLUR)),
            (
                Action.IGNORE,
                "Not a face",
                "The selection is not faces: leave those pixels as they are",
                lambda: self.decide(Action.IGNORE),
            ),
            (
                "merge",
                "Merge",
                "The selected people are one person (or drag a card onto another)",
                lambda: self.merge(self.selected_ids()),
            ),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(slot)
            actions.addWidget(button)
            self.buttons[key] = button
        header = QHBoxLayout()
        header.setContentsMargins(10, 8, 10, 4)
        header.addWidget(self.summary, 1)
        header.addWidget(load)
        view = QHBoxLayout()
        view.setContentsMargins(8, 0, 8, 4)
        view.addWidget(self.sort, 1)
        view.addWidget(self.filter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addLayout(view)
        layout.addWidget(self.suggestion_bar)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.empty)
        layout.addLayout(actions)
        document.opened.connect(self._opened)
        document.selection_changed.connect(self.select)
        document.changed.connect(self.refresh)
        self._opened()

    # What is shown

    def _opened(self) -> None:
        self.model.set_thumbnails({})
        self.load.setEnabled(self.document.video is not None)
        self.refresh()

    def _set_view(self, order: str | None = None, filter: str | None = None) -> None:
        self.model.order = order or self.model.order
        self.model.filter = filter or self.model.filter
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the rows in their new order, keeping the editor's selection and where they had scrolled."""
        chosen, scrolled = self.selected_ids(), self.grid.verticalScrollBar().value()
        self.model.refresh()
        self._select_ids(chosen)
        self.grid.verticalScrollBar().setValue(scrolled)
        stats = self.document.stats().values()
        project = self.document.project
        kept = sum(s.state == Action.KEEP for s in stats)
        shown = "" if self.model.filter == EVERYONE else f"{len(self.model.ids)} of "
        self.summary.setText(f"{shown}{plural(len(stats), 'person', 'people')} \u00b7 {kept} kept" if project else "")
        waiting = [s.id for s in stats if s.state == MatchStatus.SUGGESTED]
        if waiting:
            names = sorted({self.document.person(i).match.name for i in waiting})
            listed = ", ".join(names[:3]) + ("\u2026" if len(names) > 3 else "")
            self.suggestions.setText(
                f"{plural(len(waiting), 'suggestion')}: is this {listed}? Blurred until confirmed."
            )
        self.suggestion_bar.setVisible(bool(waiting))
        self.empty.setVisible(project is None or not self.model.ids)
        self.empty.setText(
            "People appear here when the analysis has finished."
            if project is None
            else f"Nobody matches \u201c{self.model.filter}\u201d."
        )
        self._selection_changed()

    def set_thumbnails(self, thumbnails: dict[int, QPixmap]) -> None:
        self.model.set_thumbnails(thumbnails)

    # Selection

    def _selected_rows(self) -> list[int]:
        """From the selection's ranges: asking for every selected index wraps hundreds of them, one by one."""
        ranges = self.grid.selectionModel().selection()
        return sorted(row for part in ranges for row in range(part.top(), part.bottom() + 1))

    def selected_ids(self) -> list[int]:
        return [self.model.ids[r] for r in self._selected_rows() if r < len(self.model.ids)]

    def _select_ids(self, identity_ids: list[int]) -> None:
        """As ranges of neighbouring rows, so selecting everyone is one range, not hundreds."""
        wanted = set(identity_ids)
        rows = [row for row, identity_id in enumerate(self.model.ids) if identity_id in wanted]
        selection = QItemSelection()
        start = None
        for position, row in enumerate(rows):
            start = row if start is None else start
            if position + 1 == len(rows) or rows[position + 1] != row + 1:
                selection.select(self.model.index(start), self.model.index(row))
                start = None
        self.grid.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def select(self, identity_id: int | None) -> None:
        """From elsewhere (a face clicked in the preview): that one person, scrolled into view."""
        self._select_ids([] if identity_id is None else [identity_id])
        if identity_id in self.model.ids:
            index = self.model.index(self.model.ids.index(identity_id))
            self.grid.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.grid.scrollTo(index)

    def _selection_changed(self, *args) -> None:
        count = len(self._selected_rows())
        for key, button in self.buttons.items():
            button.setEnabled(count >= (2 if key == "merge" else 1))

    def _clicked(self, index: QModelIndex) -> None:
        if len(self._selected_rows()) == 1:
            self.document.select_person(index.data(ID_ROLE))
            self.person_clicked.emit(index.data(ID_ROLE))

    # Decisions

    def decide(self, decision: str) -> None:
        chosen = self.selected_ids()
        if chosen:
            self.document.set_people(chosen, decision)
            self.message.emit(f"{plural(len(chosen), 'person', 'people')} now {ACTION_WORDS[decision]}")

    def merge(self, identity_ids: list[int]) -> None:
        merge_with_prompt(
            self.document, identity_ids, self, self.message.emit, [self.model.thumbnail(i) for i in identity_ids]
        )

    def _answer_all(self, confirmed: bool) -> None:
        waiting = [s.id for s in self.document.stats().values() if s.state == MatchStatus.SUGGESTED]
        self.document.answer_suggestions(waiting, confirmed)
        outcome = "confirmed: kept" if confirmed else "rejected: blurred"
        self.message.emit(f"{plural(len(waiting), 'suggestion')} {outcome}")

    def rename(self, identity_id: int) -> None:
        if identity_id not in self.model.ids:
            self.filter.setCurrentText(EVERYONE)
        self.select(identity_id)
        self.grid.edit(self.model.index(self.model.ids.index(identity_id)))

    def _context_menu(self, position: QPoint) -> None:
        """One card: the preview's menu for that person. Several: what can be done to all of them at once."""
        index = self.grid.indexAt(position)
        if not index.isValid():
            return
        if not self.grid.selectionModel().isSelected(index):
            self.select(index.data(ID_ROLE))
        chosen = self.selected_ids()
        if len(chosen) == 1:
            track = self.model.stats(chosen[0]).best_track
            if track is None:
                return
            menu = face_menu(self.document, track, self, report=self.message.emit, rename=self.rename)
        else:
            menu = self.bulk_menu(chosen)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.grid.viewport().mapToGlobal(position))

    def bulk_menu(self, chosen: list[int]) -> QMenu:
        menu = QMenu(self)
        title = menu.addAction(plural(len(chosen), "person", "people") + " selected")
        title.setEnabled(False)
        menu.addSeparator()
        menu.addAction("Keep all of them", lambda: self.decide(Action.KEEP))
        menu.addAction("Blur all of them", lambda: self.decide(Action.BLUR))
        menu.addAction("None of them is a face", lambda: self.decide(Action.IGNORE))
        menu.addSeparator()
        menu.addAction("Merge into one person\u2026", lambda: self.merge(chosen))
        waiting = [i for i in chosen if self.model.stats(i).state == MatchStatus.SUGGESTED]
        if waiting:
            menu.addSeparator()
            menu.addAction(
                f"Confirm {plural(len(waiting), 'suggestion')}", lambda: self.document.answer_suggestions(waiting, True)
            )
            menu.addAction(
                f"Reject {plural(len(waiting), 'suggestion')}", lambda: self.document.answer_suggestions(waiting, False)
            )
        return menu
