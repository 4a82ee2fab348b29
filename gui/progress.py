"""A running task in the status bar: what it is doing, how far, how long is left, and a Cancel button."""

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from gui.style import duration
from gui.workers import Task

ETA_AFTER_SECONDS = 1.0


class TaskRow(QWidget):
    def __init__(self, task: Task, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("taskRow")
        self.label = QLabel(task.title)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.remaining = QLabel()
        self.remaining.setObjectName("dim")
        self.remaining.setMinimumWidth(70)
        self.cancel = QPushButton("Cancel")
        self.cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel.clicked.connect(task.cancel)
        self.cancel.clicked.connect(lambda: (self.cancel.setEnabled(False), self.label.setText("Cancelling\u2026")))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        for widget in (self.label, self.bar, self.remaining, self.cancel):
            layout.addWidget(widget)
        self._stage: tuple[str | None, float, int] = (None, 0.0, 0)
        task.progress.connect(self.show_progress)

    def show_progress(self, stage: str, done: int, total: int) -> None:
        """Remaining time from the current stage's own pace; stages of one task run at very different speeds."""
        now = time.monotonic()
        if stage != self._stage[0]:
            self._stage = (stage, now, done)
        if self.cancel.isEnabled():
            self.label.setText(stage)
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        _, started, first = self._stage
        elapsed = now - started
        if elapsed >= ETA_AFTER_SECONDS and done > first:
            left = elapsed / (done - first) * (total - done)
            self.remaining.setText(f"{duration(left)} left")
        else:
            self.remaining.setText(f"{100 * done // max(total, 1)}%")
