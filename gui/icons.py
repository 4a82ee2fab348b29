"""Transport icons drawn as vector shapes, so they stay crisp at any scale and match the theme without a font
that may lack the media glyphs."""

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QPolygonF

from gui.style import TEXT

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
SIZE = 64


def app_icon() -> QIcon:
    return QIcon(str(RESOURCES / "limelight.svg"))


def _triangle(painter: QPainter, left: float, right: float) -> None:
    """A play triangle from x=left to x=right (pointing left when right < left)."""
    painter.drawPolygon(QPolygonF([QPointF(left, 14), QPointF(right, 32), QPointF(left, 50)]))


def _bar(painter: QPainter, x: float, width: float = 7) -> None:
    painter.drawRoundedRect(QRectF(x, 14, width, 36), 2, 2)


_SHAPES = {
    "play": lambda p: _triangle(p, 20, 50),
    "pause": lambda p: (_bar(p, 18, 10), _bar(p, 36, 10)),
    "previous": lambda p: (_bar(p, 14), _triangle(p, 50, 24)),
    "next": lambda p: (_bar(p, 43), _triangle(p, 14, 40)),
    "start": lambda p: (_bar(p, 8), _triangle(p, 36, 16), _triangle(p, 58, 38)),
    "end": lambda p: (_bar(p, 49), _triangle(p, 6, 26), _triangle(p, 28, 48)),
}


def icon(name: str, colour: QColor = TEXT) -> QIcon:
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    _SHAPES[name](painter)
    painter.end()
    return QIcon(pixmap)
