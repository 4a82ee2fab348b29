"""One card per person found: their face, how much they are on screen, and a keep/blur switch that applies to
every frame they appear in."""
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QToolButton, \
    QVBoxLayout, QWidget

from engine.identities import Identity
from engine.project import BLUR, KEEP
from engine.track import Track
from gui.document import Document
from gui.style import duration, person_label, plural

THUMB = 56


def best_track(identity: Identity, tracks: dict[int, Track]) -> Track | None:
    """The appearance with the largest face at its best frame: the clearest picture of this person."""
    def size(track: Track) -> float:
        box = track.box_at(track.thumbnail_frame if track.thumbnail_frame is not None else track.start)
        return (box[2] - box[0]) * (box[3] - box[1]) if box else 0.0
    return max((tracks[t] for t in identity.tracks if t in tracks), key=size, default=None)


class PersonCard(QFrame):
    keep_toggled = Signal(int, bool)
    clicked = Signal(int)

    def __init__(self, identity_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.identity_id = identity_id
        self.setObjectName("personCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.thumb = QLabel()
        self.thumb.setObjectName("thumb")
        self.thumb.setFixedSize(THUMB, THUMB)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name = QLabel()
        self.name.setObjectName("personName")
        self.detail = QLabel()
        self.detail.setObjectName("dim")
        for label in (self.name, self.detail):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.switch = QPushButton()
        self.switch.setObjectName("keepSwitch")
        self.switch.setCheckable(True)
        self.switch.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.switch.setToolTip("Kept people stay visible in every frame; everyone else is blurred")
        self.switch.toggled.connect(lambda on: self.keep_toggled.emit(self.identity_id, on))
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addStretch()
        text.addWidget(self.name)
        text.addWidget(self.detail)
        text.addStretch()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 10, 6)
        layout.setSpacing(10)
        layout.addWidget(self.thumb)
        layout.addLayout(text, 1)
        layout.addWidget(self.switch)

    def show_person(self, identity: Identity, seconds: float) -> None:
        self.name.setText(person_label(identity))
        self.detail.setText(f"{plural(len(identity.tracks), 'appearance')} \u00b7 {duration(seconds)}")
        kept = identity.decision == KEEP
        self.switch.blockSignals(True)
        self.switch.setChecked(kept)
        self.switch.blockSignals(False)
        self.switch.setText("Kept" if kept else "Blurred")

    def set_thumbnail(self, pixmap: QPixmap | None) -> None:
        if pixmap is None:
            self.thumb.setText("?")
            return
        self.thumb.setPixmap(pixmap.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                                           Qt.TransformationMode.SmoothTransformation))

    def set_selected(self, selected: bool) -> None:
        self.setProperty("selected", selected)
        self.style().unpolish(self)
        self.style().polish(self)

    def mousePressEvent(self, event) -> None:
        self.clicked.emit(self.identity_id)


class PeoplePanel(QWidget):
    person_selected = Signal(int)

    def __init__(self, document: Document, known_faces_actions: list[QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("peoplePanel")
        self.document = document
        self.cards: dict[int, PersonCard] = {}
        self.thumbnails: dict[int, QPixmap] = {}
        self.selected: int | None = None
        self.summary = QLabel()
        self.summary.setObjectName("dim")
        load = QToolButton()
        load.setObjectName("primary")
        load.setText("Load known faces\u2026")
        load.setToolTip("Photos of people to keep visible: matching people are marked kept")
        load.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        load.addActions(known_faces_actions)
        load.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.load = load
        self.empty = QLabel("People appear here when the analysis has finished.")
        self.empty.setObjectName("dim")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.list = QVBoxLayout()
        self.list.setSpacing(6)
        self.list.setContentsMargins(8, 4, 8, 8)
        holder = QWidget()
        holder.setObjectName("peopleList")
        outer = QVBoxLayout(holder)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self.list)
        outer.addWidget(self.empty)
        outer.addStretch()
        self.scroll = QScrollArea()
        self.scroll.setWidget(holder)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = QHBoxLayout()
        header.setContentsMargins(10, 8, 10, 4)
        header.addWidget(self.summary, 1)
        header.addWidget(load)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.scroll, 1)
        document.opened.connect(self._opened)
        document.changed.connect(self._refresh)
        self._rebuild()

    def _opened(self) -> None:
        self.thumbnails, self.selected = {}, None
        self.load.setEnabled(self.document.video is not None)
        self._rebuild()

    def _rebuild(self) -> None:
        for card in self.cards.values():
            card.deleteLater()
        self.cards = {}
        for identity in self.document.project.identities if self.document.project else ():
            card = PersonCard(identity.id)
            card.keep_toggled.connect(lambda identity_id, on: self.document.set_person(
                identity_id, KEEP if on else BLUR))
            card.clicked.connect(self._clicked)
            self.list.addWidget(card)
            self.cards[identity.id] = card
        self._refresh()

    def _refresh(self) -> None:
        project = self.document.project
        if project is not None and [i.id for i in project.identities] != list(self.cards):
            scrolled = self.scroll.verticalScrollBar().value()
            self._rebuild()
            self.scroll.verticalScrollBar().setValue(scrolled)
            return
        people = project.identities if project else []
        tracks = {t.id: t for t in project.tracks} if project else {}
        for identity in people:
            seconds = sum(len(tracks[t].boxes) for t in identity.tracks if t in tracks) / self.document.fps
            card = self.cards[identity.id]
            card.show_person(identity, seconds)
            best = best_track(identity, tracks)
            card.set_thumbnail(self.thumbnails.get(best.id) if best else None)
            card.set_selected(identity.id == self.selected)
        kept = sum(i.decision == KEEP for i in people)
        self.summary.setText(f"{plural(len(people), 'person', 'people')} \u00b7 {kept} kept" if project else "")
        self.empty.setVisible(not people)

    def set_thumbnails(self, thumbnails: dict[int, QPixmap]) -> None:
        self.thumbnails = thumbnails
        self._refresh()

    def select(self, identity_id: int | None) -> None:
        self.selected = identity_id
        for card in self.cards.values():
            card.set_selected(card.identity_id == identity_id)
        if identity_id in self.cards:
            self.scroll.ensureWidgetVisible(self.cards[identity_id])

    def _clicked(self, identity_id: int) -> None:
        self.select(identity_id)
        self.person_selected.emit(identity_id)
