"""Playback buttons, the timecode, and the switch between outlines and the anonymised result."""

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from gui.document import Document
from gui.player import Player
from gui.style import timecode


class Transport(QWidget):
    def __init__(
        self, buttons: list[QAction], result: QAction, document: Document, player: Player, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setObjectName("transport")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.document, self.player = document, player
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        for action in buttons:
            layout.addWidget(self._button(action))
        self.time = QLabel()
        self.time.setObjectName("timecode")
        layout.addWidget(self.time)
        layout.addStretch()
        toggle = self._button(result)
        toggle.setObjectName("resultToggle")
        toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout.addWidget(toggle)
        player.frame_changed.connect(self._show_time)
        document.opened.connect(self._show_time)
        self._show_time()

    @staticmethod
    def _button(action: QAction) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setIconSize(QSize(18, 18))
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def _show_time(self) -> None:
        if self.document.video is None:
            self.time.setText("")
            return
        self.time.setText(self._text(self.player.index))
        self.time.ensurePolished()
        widest = self.time.fontMetrics().horizontalAdvance(self._text(max(self.player.count - 1, 0)))
        self.time.setMinimumWidth(widest + 24)

    def _text(self, index: int) -> str:
        fps, last = self.document.fps, max(self.player.count - 1, 0)
        return f"{timecode(index, fps)} / {timecode(last, fps)}   frame {index + 1} of {self.player.count}"
