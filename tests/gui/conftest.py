"""GUI tests on the clip's opening (tests/conftest.py): the wide shot, the pianist, the audience and the performer's
close-up, two shot changes. The one full analysis runs once per session, in a real window (that is the test of
opening and analysing); every other test reopens a copy of the project it saved, which must not recompute."""

import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/hamilton"
CLIP = DATA / "short_hamilton_clip.mp4"
PHOTO = DATA / "lin-manuel-miranda.png"
CLOSE_UP = 130
LIVE_FRAMES_FOR_SHOT = 30  # of the 58 the opening's analysis detects on


def pause(ms: int = 50) -> None:
    """Run the event loop for a while. A QEventLoop, not QTest.qWait: qWait keeps the GIL while it waits and
    starves the worker threads (analysis ran 20 times slower under it)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition, timeout: float = 600.0, what: str = "condition") -> None:
    """Run the event loop until `condition()`; the timeout only stops a hung test, it asserts no speed (two
    minutes were not enough for the clip's analysis on two cores shared by five test runs)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        pause(20)


def visible_boxes(window) -> list[QMessageBox]:
    return [box for box in window.findChildren(QMessageBox) if box.isVisible()]


def biggest_face(window, frame: int = CLOSE_UP):
    """The frame and track of the largest face there; at frame 130, the performer's close-up."""

    def size(track):
        box = track.box_at(frame)
        return (box[2] - box[0]) * (box[3] - box[1])

    return frame, max((t for t in window.document.project.tracks if t.box_at(frame) and not t.manual), key=size)


def make_window(folder: Path, size: tuple[int, int] | None = (1440, 900)):
    from gui.main_window import MainWindow

    window = MainWindow(
        settings=QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat), store=folder / "store"
    )
    window.beside_action.setChecked(False)
    if size:
        window.resize(*size)
    window.show()
    return window


def save_shot(window, path: Path) -> QImage:
    image = window.grab().toImage()
    assert image.save(str(path))
    return image


def image_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return (
        data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
        .reshape(image.height(), image.width(), 3)
        .copy()
    )


@pytest.fixture(scope="session", autouse=True)
def private_environment(tmp_path_factory):
    """Whatever QSettings or QStandardPaths a test reaches goes to a temporary home, never the developer's."""
    home = tmp_path_factory.mktemp("home")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_DATA_HOME"] = str(home / "data")


@pytest.fixture(scope="session")
def app(qapp):
    from gui.app import apply_theme

    qapp.setApplicationName("LimeLight")
    apply_theme(qapp)
    return qapp


@pytest.fixture(scope="session")
def footage(opening, tmp_path_factory) -> Path:
    """The video the GUI opens: the clip's opening (tests/conftest.py, analysed in half the whole clip's time), through
    a link in a folder of its own, so a project file beside the video could only be one these tests wrote."""
    link = tmp_path_factory.mktemp("footage") / CLIP.name
    link.symlink_to(opening)
    return link


@pytest.fixture(scope="session")
def gui_analysis(app, footage, tmp_path_factory):
    """Open the footage in a window and let it analyse, scrubbing and screenshotting while it runs."""
    from gui.progress import TaskRow

    folder = tmp_path_factory.mktemp("analysis")
    window = make_window(folder)
    window.session.open_path(footage)
    facts = SimpleNamespace(folder=folder, task_rows_during=[], seeks_during=[], during=None, after=None)
    wait_for(
        lambda: len(window.document.found) >= LIVE_FRAMES_FOR_SHOT or not window.session.analysis.running,
        what="first detections",
    )
    facts.analysing_when_shot = window.session.analysis.running and window.document.project is None
    busiest = max(window.document.found, key=lambda frame: len(window.document.found[frame]))
    window.player.seek(busiest)
    facts.seeks_during.append((busiest, window.player.index))
    pause()
    facts.faces_shown_live = len(window.document.found[busiest])
    facts.task_rows_during = [row.label.text() for row in window.statusBar().findChildren(TaskRow) if row.isVisible()]
    facts.during = save_shot(window, folder / "during_analysis.png")
    wait_for(lambda: window.document.project is not None, what="analysis")
    wait_for(lambda: not window.session.tasks, what="thumbnails")
    window.player.seek(CLOSE_UP)
    pause()
    facts.after = save_shot(window, folder / "after_analysis.png")
    facts.project_path = window.document.path
    facts.pristine = folder / "pristine.limelight.json"
    shutil.copy(window.document.path, facts.pristine)
    facts.identities = len(window.document.project.identities)
    facts.cards = len(window.people.model.ids)
    facts.lanes = len(window.timeline.lanes.rows())
    window.close()
    window.deleteLater()
    return facts


@pytest.fixture
def window(app, qtbot, tmp_path):
    window = make_window(tmp_path)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    yield window
    window.close()


@pytest.fixture
def opened(window, gui_analysis, tmp_path, qtbot):
    """The window with a copy of the analysed project open, as after reopening the video."""
    project = tmp_path / "clip.limelight.json"
    shutil.copy(gui_analysis.pristine, project)
    window.session.open_path(project)
    assert window.document.project is not None and window.session.analysis is None
    qtbot.waitUntil(lambda: not window.session.tasks, timeout=60_000)
    return window
