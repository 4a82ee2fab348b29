"""The playhead: which frame is shown, and playback at editor speeds (J/K/L shuttle, frame steps)."""

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from engine.errors import UserError
from engine.frame_source import FrameSource

MAX_SPEED = 8


class Player(QObject):
    frame_changed = Signal(int)
    state_changed = Signal()
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.source: FrameSource | None = None
        self.index = 0
        self.image: np.ndarray | None = None
        self.fps = 25.0
        self.speed = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    def open(self, path, fps: float) -> None:
        """Raises UserError for a file that cannot be decoded, before anything else changes."""
        source = FrameSource(path)
        self.close()
        self.source, self.fps = source, fps or 25.0
        self.seek(0)

    def close(self) -> None:
        self.pause()
        if self.source is not None:
            self.source.close()
        self.source, self.image, self.index = None, None, 0

    @property
    def count(self) -> int:
        return len(self.source) if self.source else 0

    @property
    def playing(self) -> bool:
        return self.speed != 0

    def seek(self, index: int) -> None:
        if self.source is None:
            return
        index = max(0, min(int(index), self.count - 1))
        try:
            self.image = self.source.frame(index)
        except UserError as exc:
            self.pause()
            self.failed.emit(str(exc))
            return
        self.index = index
        self.frame_changed.emit(index)

    def step(self, frames: int) -> None:
        self.pause()
        self.seek(self.index + frames)

    def play(self, speed: int = 1) -> None:
        if self.source is None:
            return
        if speed > 0 and self.index >= self.count - 1:
            self.seek(0)
        elif speed < 0 and self.index <= 0:
            self.seek(self.count - 1)
        self.speed = speed
        self._timer.start(max(1, round(1000 / self.fps)))
        self.state_changed.emit()

    def pause(self) -> None:
        self._timer.stop()
        if self.speed:
            self.speed = 0
            self.state_changed.emit()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def shuttle(self, direction: int) -> None:
        """L (or J) again doubles the speed in that direction; the other way starts over at normal speed."""
        same_way = self.speed * direction > 0
        self.play(direction * min(MAX_SPEED, abs(self.speed) * 2) if same_way else direction)

    def _tick(self) -> None:
        target = self.index + self.speed
        if not 0 <= target < self.count:
            self.seek(max(0, min(target, self.count - 1)))
            self.pause()
            return
        self.seek(target)
