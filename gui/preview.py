"""The frame under the playhead with every face outlined in the colour of what export will do to it.

Click a face to keep or blur that person; right-click for more; drag on empty picture to draw a region to blur;
drag a drawn region (or its corner) to move (or resize) it. All positions leave this widget in image pixels."""

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine import geometry, render
from engine.records import Action, Decision
from gui.document import Document
from gui.images import to_qimage
from gui.player import Player
from gui.style import ACCENT, ACTION_COLOURS, ACTION_WORDS, BACKDROP, DETECTION_COLOUR, DIM_TEXT, TEXT, person_label

DRAG_START = 6
CORNER_GRAB = 9
MIN_REGION = 4
LABEL_MIN_HEIGHT = 90


class PreviewView(QWidget):
    face_clicked = Signal(int)
    menu_requested = Signal(int, QPoint)
    region_drawn = Signal(int, tuple)
    region_edited = Signal(int, int, tuple)
    hint = Signal(str)

    def __init__(self, document: Document, player: Player, parent: QWidget | None = None):
        super().__init__(parent)
        self.document, self.player = document, player
        self.show_result = False
        self.selected_region: int | None = None
        self.pending: tuple | None = None
        self._image: QImage | None = None
        self._hover: Decision | None = None
        self._drag: dict | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAcceptDrops(False)
        player.frame_changed.connect(self.refresh)
        document.changed.connect(self.refresh)
        document.opened.connect(self._reset)
        document.selection_changed.connect(self.update)
        document.detections.connect(lambda frame: frame == player.index and self.update())

    def _reset(self) -> None:
        self.selected_region = self.pending = None
        self.refresh()

    def set_show_result(self, on: bool) -> None:
        self.show_result = on
        self.refresh()

    def set_pending(self, box: tuple | None) -> None:
        """A drawn box shown while it is being tracked, before it becomes a region."""
        self.pending = box
        self.update()

    def select_region(self, track_id: int | None) -> None:
        self.selected_region = track_id
        self.update()

    def refresh(self) -> None:
        """Rebuild the picture: the anonymised result is rendered by the engine exactly as export will."""
        image = self.player.image
        if image is not None and self.show_result and self.document.project is not None:
            image = image.copy()
            render.render(image, self.decisions(), self.document.project.export)
        self._hover = None
        self._image = None if image is None else to_qimage(image)
        self.update()

    def decisions(self) -> list[Decision]:
        return self.document.decisions_at(self.player.index)

    # Geometry: image pixels <-> widget pixels

    def image_rect(self) -> QRectF:
        if self._image is None:
            return QRectF()
        width, height = self._image.width(), self._image.height()
        scale = min(self.width() / width, self.height() / height)
        return QRectF(
            (self.width() - width * scale) / 2, (self.height() - height * scale) / 2, width * scale, height * scale
        )

    def _scale(self) -> float:
        return self.image_rect().width() / self._image.width() if self._image is not None else 1.0

    def to_widget(self, box) -> QRectF:
        area, scale = self.image_rect(), self._scale()
        x0, y0, x1, y1 = box
        return QRectF(area.x() + x0 * scale, area.y() + y0 * scale, (x1 - x0) * scale, (y1 - y0) * scale)

    def to_image(self, point: QPointF) -> tuple[float, float]:
        assert self._image is not None, "pointer positions are asked for only while a frame is shown"
        area, scale = self.image_rect(), self._scale()
        width, height = self._image.width(), self._image.height()
        return (min(max((point.x() - area.x()) / scale, 0), width), min(max((point.y() - area.y()) / scale, 0), height))

    def face_at(self, point: QPointF) -> Decision | None:
        """The smallest box under the pointer, so a face in front of a larger region can still be picked."""
        hits = [d for d in self.decisions() if self.to_widget(d.box).adjusted(-3, -3, 3, 3).contains(point)]
        return min(hits, key=lambda d: geometry.area(d.box), default=None)

    # Painting

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), BACKDROP)
        if self._image is None:
            self._paint_empty(painter)
            return
        painter.drawImage(self.image_rect(), self._image)
        if self.document.project is None:
            self._paint_detections(painter)
        elif not self.show_result:
            for decision in sorted(self.decisions(), key=lambda d: d.identity == self.document.selected_person):
                self._paint_decision(painter, decision)
        else:
            for decision in self.decisions():
                if decision == self._hover or (
                    decision.identity is not None and decision.identity == self.document.selected_person
                ):
                    self._paint_decision(painter, decision)
        for box in filter(None, (self.pending, self._drag and self._drag.get("box"))):
            painter.setPen(QPen(ACCENT, 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.to_widget(box))

    def _paint_empty(self, painter: QPainter) -> None:
        painter.setPen(TEXT)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        painter.setFont(font)
        middle = self.rect().adjusted(0, 0, 0, -30)
        painter.drawText(middle, Qt.AlignmentFlag.AlignCenter, "Open a video to begin")
        painter.setPen(DIM_TEXT)
        painter.setFont(self.font())
        painter.drawText(
            self.rect().adjusted(0, 30, 0, 0),
            Qt.AlignmentFlag.AlignCenter,
            "File \u203a Open, drop a video here, or choose one from File \u203a Open Recent",
        )

    def _paint_detections(self, painter: QPainter) -> None:
        """Analysis results as they come: faces found so far on this frame, not yet grouped into people. The
        detector also reports faint candidates that tracking later drops, so those are drawn faint."""
        for face in self.document.found.get(self.player.index, ()):
            colour = QColor(DETECTION_COLOUR)
            colour.setAlphaF(min(1.0, max(0.08, face.score * 2.5)))
            painter.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.to_widget(face.box))

    def _paint_decision(self, painter: QPainter, decision: Decision) -> None:
        rect = self.to_widget(decision.box)
        colour = ACTION_COLOURS[decision.action]
        drawn = decision.manual
        strong = (
            decision == self._hover
            or (decision.identity is not None and decision.identity == self.document.selected_person)
            or (drawn and decision.track == self.selected_region)
        )
        fill = QColor(colour)
        fill.setAlpha(60 if strong else 0)
        painter.setBrush(fill)
        style = Qt.PenStyle.DashLine if drawn or decision.action == Action.IGNORE else Qt.PenStyle.SolidLine
        painter.setPen(QPen(colour, 3 if strong else 2, style))
        painter.drawRoundedRect(rect, 3, 3)
        if drawn and decision.track == self.selected_region:
            painter.setBrush(colour)
            for corner in (rect.topLeft(), rect.topRight(), rect.bottomLeft(), rect.bottomRight()):
                painter.drawRect(QRectF(corner - QPointF(4, 4), corner + QPointF(4, 4)))
        if strong or rect.height() >= LABEL_MIN_HEIGHT:
            self._paint_label(painter, rect, colour, self._label(decision))

    def _label(self, decision: Decision) -> str:
        """Red already says blurred; a crowd of "blurred" chips would hide the faces they label."""
        if decision.manual:
            return "Drawn region"
        name = (
            person_label(self.document.opened_project.identity(decision.identity))
            if decision.identity
            else f"Face {decision.track}"
        )
        return name if decision.action == Action.BLUR else f"{name} \u00b7 {ACTION_WORDS[decision.action]}"

    def _paint_label(self, painter: QPainter, rect: QRectF, colour: QColor, text: str) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        size = QRectF(0, 0, metrics.horizontalAdvance(text) + 10, metrics.height() + 4)
        top = rect.top() - size.height() - 2
        size.moveTo(rect.left(), top if top >= 0 else rect.top() + 2)
        path = QPainterPath()
        path.addRoundedRect(size, 3, 3)
        background = QColor(colour)
        background.setAlpha(215)
        painter.fillPath(path, background)
        painter.setPen(QColor("white"))
        painter.drawText(size, Qt.AlignmentFlag.AlignCenter, text)

    # Mouse

    def _region_grab(self, point: QPointF) -> dict | None:
        """Dragging a drawn region's corner resizes it (from the opposite corner); dragging inside moves it."""
        for decision in self.decisions():
            if not decision.manual:
                continue
            rect = self.to_widget(decision.box)
            corners = {"tl": rect.topLeft(), "tr": rect.topRight(), "bl": rect.bottomLeft(), "br": rect.bottomRight()}
            for name, corner in corners.items():
                if (corner - point).manhattanLength() <= CORNER_GRAB:
                    return {"mode": "resize", "track": decision.track, "box": decision.box, "corner": name}
            if rect.contains(point):
                return {"mode": "move", "track": decision.track, "box": decision.box}
        return None

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._image is None:
            return super().mousePressEvent(event)
        point = event.position()
        grab = self._region_grab(point) if self.document.project is not None else None
        self._drag = {**(grab or {"mode": "pending"}), "origin": point, "original": grab and grab["box"]}
        if grab:
            self._drag["box"] = None

    def mouseMoveEvent(self, event) -> None:
        point = event.position()
        if self._drag is None:
            self._hover_at(point)
            return
        drag = self._drag
        if drag["mode"] == "pending" and (point - drag["origin"]).manhattanLength() >= DRAG_START:
            drag["mode"] = "draw"
        (x0, y0), (x1, y1) = self.to_image(drag["origin"]), self.to_image(point)
        if drag["mode"] == "draw":
            drag["box"] = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        elif drag["mode"] == "move":
            bx0, by0, bx1, by1 = drag["original"]
            drag["box"] = (bx0 + x1 - x0, by0 + y1 - y0, bx1 + x1 - x0, by1 + y1 - y0)
        elif drag["mode"] == "resize":
            bx0, by0, bx1, by1 = drag["original"]
            fixed_x = bx1 if drag["corner"][1] == "l" else bx0
            fixed_y = by1 if drag["corner"][0] == "t" else by0
            drag["box"] = (min(fixed_x, x1), min(fixed_y, y1), max(fixed_x, x1), max(fixed_y, y1))
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        drag, self._drag = self._drag, None
        if drag is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        box = drag.get("box")
        if box is None or (box[2] - box[0]) < MIN_REGION or (box[3] - box[1]) < MIN_REGION:
            self._click(event.position())
        elif drag["mode"] == "draw":
            self.region_drawn.emit(self.player.index, box)
        else:
            self.selected_region = drag["track"]
            self.region_edited.emit(drag["track"], self.player.index, box)
        self.update()

    def _click(self, point: QPointF) -> None:
        hit = self.face_at(point)
        self.selected_region = hit.track if hit is not None and hit.manual else None
        if hit is not None and self.selected_region is None:
            self.face_clicked.emit(hit.track)
        elif hit is None and self.document.project is None and self.document.video is not None:
            self.hint.emit("Faces can be chosen once the analysis has finished")

    def _hover_at(self, point: QPointF) -> None:
        hit = self.face_at(point) if self.document.project is not None else None
        if hit != self._hover:
            self._hover = hit
            self.setCursor(Qt.CursorShape.PointingHandCursor if hit else Qt.CursorShape.CrossCursor)
            if hit is not None:
                self.hint.emit(
                    "Drag to move or resize this region; Delete removes it"
                    if hit.manual
                    else "Click to keep or blur this person everywhere; right-click for more"
                )
            self.update()

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()

    def contextMenuEvent(self, event) -> None:
        hit = self.face_at(QPointF(event.pos())) if self.document.project is not None else None
        if hit is not None:
            self.selected_region = hit.track if hit.manual else None
            self.menu_requested.emit(hit.track, event.globalPos())
