"""The time ruler (scrub by clicking or dragging) and one lane per person showing where they appear, coloured
by what export will do there. During analysis a single lane shows where faces have been found so far."""

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QToolTip, QVBoxLayout, QWidget

from gui.document import Document
from gui.player import Player
from gui.style import (
    ACCENT,
    ACTION_COLOURS,
    ACTION_WORDS,
    BACKDROP,
    DETECTION_COLOUR,
    DIM_TEXT,
    PANEL,
    TEXT,
    person_label,
    timecode,
)

LABEL_WIDTH = 170
RIGHT_MARGIN = 12
RULER_HEIGHT = 30
LANE_HEIGHT = 22
TICK_SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MIN_TICK_PIXELS = 80
END_GRAB = 4


class _TimeStrip(QWidget):
    """Shared frame <-> x mapping, so the ruler and the lanes line up to the pixel."""

    def __init__(self, document: Document, player: Player, parent: QWidget | None = None):
        super().__init__(parent)
        self.document, self.player = document, player
        player.frame_changed.connect(self.update)
        document.opened.connect(self.update)
        document.changed.connect(self.update)

    def frames(self) -> int:
        return max(1, self.document.frame_count)

    def x_of(self, frame: float) -> float:
        return LABEL_WIDTH + (self.width() - LABEL_WIDTH - RIGHT_MARGIN) * frame / self.frames()

    def frame_at(self, x: float) -> int:
        span = max(1, self.width() - LABEL_WIDTH - RIGHT_MARGIN)
        return max(0, min(self.frames() - 1, int((x - LABEL_WIDTH) / span * self.frames())))

    def _playhead(self, painter: QPainter) -> float:
        x = self.x_of(self.player.index + 0.5)
        painter.setPen(QPen(ACCENT, 1.5))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        return x


class Ruler(_TimeStrip):
    def __init__(self, document: Document, player: Player, parent: QWidget | None = None):
        super().__init__(document, player, parent)
        self.setFixedHeight(RULER_HEIGHT)
        self.setCursor(Qt.CursorShape.SizeHorCursor)
        document.detections.connect(self.update)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), PANEL)
        if self.document.video is None:
            return
        painter.setPen(ACCENT)
        painter.drawText(
            QRectF(8, 0, LABEL_WIDTH - 12, self.height()),
            Qt.AlignmentFlag.AlignVCenter,
            timecode(self.player.index, self.document.fps),
        )
        self._ticks(painter)
        self._analysed(painter)
        painter.setPen(QPen(DIM_TEXT, 1, Qt.PenStyle.DotLine))
        for cut in self.document.project.cuts if self.document.project else ():
            painter.drawLine(QPointF(self.x_of(cut), self.height() - 10), QPointF(self.x_of(cut), self.height()))
        x = self._playhead(painter)
        painter.setBrush(ACCENT)
        painter.drawPolygon(QPolygonF([QPointF(x - 6, 0), QPointF(x + 6, 0), QPointF(x, 8)]))

    def _ticks(self, painter: QPainter) -> None:
        fps = self.document.fps
        pixels_per_second = (self.x_of(self.frames()) - self.x_of(0)) / (self.frames() / fps)
        step = next((s for s in TICK_SECONDS if s * pixels_per_second >= MIN_TICK_PIXELS), TICK_SECONDS[-1])
        for tick in range(0, math.ceil(self.frames() / fps / step * 5) + 1):
            x = self.x_of(tick * step / 5 * fps)
            if x > self.width() - RIGHT_MARGIN:
                break
            major = tick % 5 == 0
            painter.setPen(QPen(TEXT if major else DIM_TEXT, 1))
            painter.drawLine(QPointF(x, self.height() - (12 if major else 5)), QPointF(x, self.height()))
            if major:
                seconds = int(tick * step / 5)
                painter.drawText(QPointF(x + 3, 13), f"{seconds // 60}:{seconds % 60:02d}")

    def _analysed(self, painter: QPainter) -> None:
        """While analysis runs, how far its results reach."""
        if self.document.project is None and self.document.found:
            end = self.x_of(max(self.document.found) + 1)
            painter.fillRect(QRectF(self.x_of(0), self.height() - 3, end - self.x_of(0), 3), DETECTION_COLOUR)

    def mousePressEvent(self, event) -> None:
        self._scrub(event)

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._scrub(event)

    def _scrub(self, event) -> None:
        if self.document.video is not None and event.position().x() >= LABEL_WIDTH:
            self.player.pause()
            self.player.seek(self.frame_at(event.position().x()))


class Lanes(_TimeStrip):
    """Click a lane to seek; drag either end of an appearance's bar to trim or extend it."""

    def __init__(self, document: Document, player: Player, parent: QWidget | None = None):
        super().__init__(document, player, parent)
        self.dragging: dict | None = None
        self.setMouseTracking(True)
        document.opened.connect(self._resize)
        document.changed.connect(self._resize)
        document.detections.connect(self._detection)
        document.selection_changed.connect(self.update)

    def rows(self) -> list[tuple[str, int | None, list]]:
        """(label, identity id, tracks) per lane; drawn regions share one lane at the bottom."""
        project = self.document.project
        if project is None:
            return [("Faces found", None, [])] if self.document.video is not None else []
        tracks = {t.id: t for t in project.tracks}
        rows = [(person_label(i), i.id, [tracks[t] for t in i.tracks if t in tracks]) for i in project.identities]
        drawn = [t for t in project.tracks if t.manual]
        return rows + ([("Drawn regions", None, drawn)] if drawn else [])

    def _resize(self) -> None:
        self.setMinimumHeight(max(1, len(self.rows())) * LANE_HEIGHT)
        self.update()

    def _detection(self, frame: int) -> None:
        x = self.x_of(frame)
        self.update(int(x) - 1, 0, int(self.x_of(frame + 1) - x) + 3, LANE_HEIGHT)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKDROP)
        rows = self.rows()
        first, last = event.rect().top() // LANE_HEIGHT, event.rect().bottom() // LANE_HEIGHT + 1
        for row, (label, identity, tracks) in enumerate(rows[first:last], start=first):
            top = row * LANE_HEIGHT
            chosen = identity is not None and identity == self.document.selected_person
            if chosen:
                painter.fillRect(QRectF(0, top, self.width(), LANE_HEIGHT), QColor(255, 255, 255, 18))
            painter.setPen(TEXT if chosen else DIM_TEXT)
            text = painter.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 16)
            painter.drawText(QRectF(10, top, LABEL_WIDTH - 14, LANE_HEIGHT), Qt.AlignmentFlag.AlignVCenter, text)
            for track in tracks:
                colour = ACTION_COLOURS[self.document.action(track)]
                x0, x1 = self.x_of(track.start), self.x_of(track.end + 1)
                painter.fillRect(QRectF(x0, top + 4, max(2.0, x1 - x0), LANE_HEIGHT - 8), colour)
        if self.document.project is None:
            self._paint_found(painter)
        if self.document.video is not None:
            self._playhead(painter)

    def _paint_found(self, painter: QPainter) -> None:
        for frame, faces in self.document.found.items():
            if faces:
                height = min(LANE_HEIGHT - 6, 4 + 3 * len(faces))
                x = self.x_of(frame)
                painter.fillRect(
                    QRectF(x, LANE_HEIGHT - 3 - height, max(1.0, self.x_of(frame + 1) - x), height), DETECTION_COLOUR
                )

    def _hit(self, point: QPointF):
        rows = self.rows()
        row = int(point.y() // LANE_HEIGHT)
        if not 0 <= row < len(rows):
            return None, None
        frame = self.frame_at(point.x())
        return rows[row], next((t for t in rows[row][2] if t.start <= frame <= t.end), None)

    def _end_at(self, point: QPointF) -> dict | None:
        """The appearance end (of a person's lane) under the pointer, within a few pixels."""
        rows = self.rows()
        row = int(point.y() // LANE_HEIGHT)
        if point.x() < LABEL_WIDTH or not 0 <= row < len(rows) or rows[row][1] is None:
            return None
        for track in rows[row][2]:
            for side, frame in (("start", track.start), ("end", track.end + 1)):
                if abs(self.x_of(frame) - point.x()) <= END_GRAB:
                    return {"track": track.id, "side": side, "start": track.start, "end": track.end}
        return None

    def mousePressEvent(self, event) -> None:
        """A click on a lane seeks there; a click on a lane's name goes to that person's first appearance."""
        self.dragging = self._end_at(event.position())
        if self.dragging is not None:
            return
        row, _ = self._hit(event.position())
        if row is None:
            return
        _, identity, tracks = row
        if identity is not None:
            self.document.select_person(identity)
        self.player.pause()
        if event.position().x() >= LABEL_WIDTH:
            self.player.seek(self.frame_at(event.position().x()))
        elif tracks:
            self.player.seek(min(t.start for t in tracks))

    def mouseReleaseEvent(self, event) -> None:
        drag, self.dragging = self.dragging, None
        if drag is not None and self.document.project is not None:
            frame = self.frame_at(event.position().x())
            start, end = (
                (min(frame, drag["end"]), drag["end"])
                if drag["side"] == "start"
                else (drag["start"], max(frame - 1, drag["start"]))
            )
            if (start, end) != (drag["start"], drag["end"]):
                self.document.set_span(drag["track"], start, end)
                fps = self.document.fps
                QToolTip.showText(
                    event.globalPosition().toPoint(),
                    f"Appearance now {timecode(start, fps)} \u2013 {timecode(end, fps)}",
                    self,
                )

    def mouseMoveEvent(self, event) -> None:
        if self.dragging is not None:
            self.player.seek(self.frame_at(event.position().x()))
            return
        self.setCursor(Qt.CursorShape.SizeHorCursor if self._end_at(event.position()) else Qt.CursorShape.ArrowCursor)
        row, track = self._hit(event.position())
        if track is None or event.position().x() < LABEL_WIDTH:
            QToolTip.hideText()
            return
        fps = self.document.fps
        QToolTip.showText(
            event.globalPosition().toPoint(),
            f"{row[0]}: {timecode(track.start, fps)} \u2013 {timecode(track.end, fps)}, "
            f"{ACTION_WORDS[self.document.action(track)]}",
            self,
        )


class Timeline(QFrame):
    """Ruler above scrolling lanes; the ruler keeps the scrollbar's width free on its right so both line up."""

    def __init__(self, document: Document, player: Player, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timeline")
        self.ruler = Ruler(document, player)
        self.lanes = Lanes(document, player)
        self.lane_area = QScrollArea()
        self.lane_area.setWidget(self.lanes)
        self.lane_area.setWidgetResizable(True)
        self.lane_area.setFrameShape(QFrame.Shape.NoFrame)
        self.lane_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.lane_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, self.lane_area.verticalScrollBar().sizeHint().width(), 0)
        header.addWidget(self.ruler)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.lane_area)
        self.setMinimumHeight(RULER_HEIGHT + 3 * LANE_HEIGHT)
        document.selection_changed.connect(self._show)

    def _show(self, identity_id: int | None) -> None:
        """The selected person's lane scrolled into view."""
        if identity_id is None:
            return
        rows = [identity for _, identity, _ in self.lanes.rows()]
        if identity_id in rows:
            self.lane_area.ensureVisible(0, rows.index(identity_id) * LANE_HEIGHT + LANE_HEIGHT // 2, 0, LANE_HEIGHT)
