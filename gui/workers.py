"""Engine work (analysis, export, known faces, region tracking, thumbnails) off the GUI thread, so the window
keeps scrubbing and playing while it runs.

The engine reports through an `engine.job.Job`; here its progress becomes a Qt signal and the Cancel button
becomes `Job.cancel()`. A readable `UserError` becomes `failed(message)`, `Cancelled` a quiet `cancelled()`,
and anything else is logged and reported the same way as a user error rather than taking the app down."""

import logging
import time
from typing import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from engine.errors import Cancelled, UserError
from engine.job import Job

log = logging.getLogger(__name__)
PROGRESS_INTERVAL = 0.05


class _Worker(QObject):
    progress = Signal(str, int, int)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, work: Callable[[Job], object]):
        super().__init__()
        self._work = work
        self._last: tuple[str | None, float] = (None, 0.0)
        self.job = Job(on_progress=self._report)

    def _report(self, stage: str, done: int, total: int) -> None:
        """Signals queue up in the GUI thread; one per frame at hundreds of frames a second would flood it."""
        now = time.monotonic()
        if stage != self._last[0] or done >= total or now - self._last[1] >= PROGRESS_INTERVAL:
            self._last = (stage, now)
            self.progress.emit(stage, done, total)

    @Slot()
    def run(self) -> None:
        try:
            result = self._work(self.job)
        except Cancelled:
            self.cancelled.emit()
        except UserError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug must not leave the thread dead and the window waiting forever
            log.exception("background work failed")
            self.failed.emit(
                f"Something went wrong inside LimeLight ({type(exc).__name__}: {exc}). "
                "The details were written to the log."
            )
        else:
            self.done.emit(result)


class Task(QObject):
    """One piece of work in its own QThread. Exactly one of finished, failed or cancelled is emitted, then ended
    once the thread has stopped. `partial` carries results the work streams out while it runs."""

    progress = Signal(str, int, int)
    partial = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    ended = Signal()

    def __init__(self, title: str, work: Callable[[Job], object], parent: QObject | None = None):
        super().__init__(parent)
        self.title = title
        self._thread = QThread(self)
        self._worker = _Worker(work)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self.progress)
        self._worker.done.connect(lambda result: self._outcome(self.finished, result))
        self._worker.failed.connect(lambda message: self._outcome(self.failed, message))
        self._worker.cancelled.connect(lambda: self._outcome(self.cancelled))
        for signal in (self._worker.done, self._worker.failed, self._worker.cancelled):
            # Directly, from the worker thread: a GUI thread blocked in wait() could never deliver a queued quit.
            signal.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread.finished.connect(self._end)
        self.running = False

    def start(self) -> "Task":
        self.running = True
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._worker.job.cancel()

    def wait(self) -> None:
        self._thread.wait()

    def _outcome(self, signal, *args) -> None:
        """Not running from the moment its outcome is known, so a follow-up can start in the same breath."""
        self.running = False
        signal.emit(*args)

    def _end(self) -> None:
        self.running = False
        self.ended.emit()
