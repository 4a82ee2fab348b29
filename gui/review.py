"""Review mode: a bar under the preview that steps through the moments most worth a look (see engine.review), one
key press each, so a long video is checked in minutes; each step pauses on the frame and points at the face."""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from engine import review
from gui.document import Document
from gui.player import Player
from gui.style import person_label, timecode


class ReviewBar(QWidget):
    moment_shown = Signal(int, object)
    """The track at the moment shown, and its person's id (or None)."""
    closed = Signal()

    def __init__(self, document: Document, player: Player, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reviewBar")
        self.document, self.player = document, player
        self.moments: list[review.Moment] = []
        self.position = -1
        self.label = QLabel()
        self.previous = QPushButton("\u2039 Previous (P)")
        self.previous.clicked.connect(lambda: self.step(-1))
        self.next = QPushButton("Next (N) \u203a")
        self.next.clicked.connect(lambda: self.step(1))
        done = QPushButton("Done")
        done.clicked.connect(self.stop)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(self.label, 1)
        for button in (self.previous, self.next, done):
            layout.addWidget(button)
        document.changed.connect(self._recount)
        document.opened.connect(self.stop)
        self.hide()

    @property
    def active(self) -> bool:
        return self.isVisible()

    def start(self) -> None:
        if self.document.project is None:
            return
        self.moments = review.moments(self.document.project)
        self.position = -1
        self.show()
        self.step(1)

    def stop(self) -> None:
        if self.isVisible():
            self.hide()
            self.closed.emit()

    def _recount(self) -> None:
        """Decisions change what is worth a look (a newly kept face has a first and last frame to check); the
        editor stays where they were."""
        if not self.active or self.document.project is None:
            return
        frame = self.moments[self.position].frame if self.moments else 0
        self.moments = review.moments(self.document.project)
        self.position = min(
            max(0, next((i for i, m in enumerate(self.moments) if m.frame >= frame), len(self.moments) - 1)),
            len(self.moments) - 1,
        )
        self._show()

    def step(self, delta: int) -> None:
        if not self.moments:
            self._show()
            return
        self.position = min(max(self.position + delta, 0), len(self.moments) - 1)
        moment = self.moments[self.position]
        self.player.pause()
        self.player.seek(moment.frame)
        self._show()
        track = self.document.opened_project.track(moment.track)
        self.moment_shown.emit(moment.track, track.identity)

    def _show(self) -> None:
        if not self.moments:
            self.label.setText("Nothing to review: no gaps, unsure faces, short appearances or kept faces.")
            self.previous.setEnabled(False)
            self.next.setEnabled(False)
            return
        moment = self.moments[self.position]
        project = self.document.opened_project
        track = project.track(moment.track)
        who = person_label(project.identity(track.identity)) if track.identity else "A face"
        self.label.setText(
            f"Review {self.position + 1} of {len(self.moments)} \u00b7 "
            f"{timecode(moment.frame, self.document.fps)} \u00b7 {who}: {moment.describe()}"
        )
        self.previous.setEnabled(self.position > 0)
        self.next.setEnabled(self.position < len(self.moments) - 1)
