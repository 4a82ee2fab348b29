"""Export from the window: the dialog, the finished file, and a cancel that leaves nothing behind."""

import av
import numpy as np
from PySide6.QtWidgets import QDialog

from engine import video
from engine.records import Action
from tests.gui.conftest import CLOSE_UP, biggest_face, visible_boxes
from tests.helpers import OPENING_FRAMES


def _regions(path, wanted: dict[int, tuple]) -> dict[int, np.ndarray]:
    found = {}
    for frame in video.read_frames(path):
        if frame.index in wanted:
            x0, y0, x1, y1 = map(int, wanted[frame.index])
            found[frame.index] = frame.image[y0:y1, x0:x1].astype(int)
    return found


def test_export_keeps_the_chosen_face_and_blurs_the_rest(opened, qtbot, tmp_path):
    frame, performer = biggest_face(opened)
    opened.document.set_person(performer.identity, Action.KEEP)
    proj = opened.document.project
    blurred = max(
        (t for t in proj.tracks if t.identity != performer.identity and opened.document.action(t) == Action.BLUR),
        key=lambda t: (lambda b: (b[2] - b[0]) * (b[3] - b[1]))(t.box_at(t.thumbnail_frame)),
    )
    opened.show_export()
    dialog = opened.export_dialog
    output = tmp_path / "out" / "anonymised.mp4"
    output.parent.mkdir()
    dialog.output.setText(str(output))
    dialog.style_box.setCurrentText("mosaic")
    dialog.accept()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: output.exists() and not opened.session.tasks, timeout=300_000)
    finished = [box for box in visible_boxes(opened) if box.windowTitle() == "Export finished"]
    assert finished and any(b.text() == "Open Folder" for b in finished[0].buttons())
    assert proj.export.style == "mosaic", "the dialog's settings are kept with the project"

    info = video.probe(output)
    assert (info.frame_count, info.width, info.height, info.has_audio) == (OPENING_FRAMES, 640, 360, True)
    with av.open(str(output)) as container:
        assert sum(1 for _ in container.decode(video=0)) == OPENING_FRAMES
    wanted = {CLOSE_UP: performer.box_at(CLOSE_UP), blurred.thumbnail_frame: blurred.box_at(blurred.thumbnail_frame)}
    before, after = _regions(opened.document.video, wanted), _regions(output, wanted)
    assert np.abs(after[CLOSE_UP] - before[CLOSE_UP]).mean() < 4, "the kept face is unchanged (but for encoding)"
    hidden = blurred.thumbnail_frame
    assert np.abs(after[hidden] - before[hidden]).mean() > 2 * np.abs(after[CLOSE_UP] - before[CLOSE_UP]).mean()


def test_a_cancelled_export_leaves_no_file(opened, qtbot, tmp_path):
    output = tmp_path / "cancelled.mp4"
    opened.session.start_export(opened.document.project.export, output)
    opened.session.exporting.progress.connect(lambda *progress: opened.session.exporting.cancel())
    qtbot.waitUntil(lambda: not opened.session.tasks, timeout=120_000)
    assert not output.exists()
    assert not [p for p in tmp_path.iterdir() if "cancelled" in p.name]
    assert "cancelled" in opened.statusBar().currentMessage()
    assert not visible_boxes(opened)


def test_the_dialog_refuses_an_output_it_cannot_write(opened, tmp_path):
    opened.show_export()
    dialog = opened.export_dialog
    dialog.output.setText(str(tmp_path / "missing" / "out.mp4"))
    dialog.accept()
    assert dialog.isVisible() and "does not exist" in dialog.problem.text()
    dialog.output.setText(str(opened.document.video))
    dialog.accept()
    assert dialog.isVisible() and "overwrite the input" in dialog.problem.text()
    existing = tmp_path / "existing.mp4"
    existing.write_bytes(b"old")
    dialog.output.setText(str(existing))
    dialog.accept()
    assert dialog.isVisible() and "already exists" in dialog.problem.text()
    dialog.accepted.disconnect()
    dialog.accept()
    assert not dialog.isVisible(), "pressing Export again replaces it"
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_export_warnings_are_shown_as_the_command_line_prints_them(window, qtbot, tmp_path):
    """A camera AVI with PCM audio: MP4 gets the track as AAC, and the finished dialog says so."""
    from engine import project
    from tests.sources import CASES, make, project_for

    source = tmp_path / "camera.avi"
    make(CASES["avi-mjpeg-pcm"], source)
    project.save(project_for(source), tmp_path / "camera.limelight.json")
    window.session.open_path(tmp_path / "camera.limelight.json")
    qtbot.waitUntil(lambda: window.document.project is not None and not window.session.tasks, timeout=60_000)
    output = tmp_path / "camera_anonymised.mp4"
    window.session.start_export(window.document.project.export, output)
    qtbot.waitUntil(lambda: not window.session.tasks and bool(visible_boxes(window)), timeout=120_000)
    finished = [box for box in visible_boxes(window) if box.windowTitle() == "Export finished"]
    assert finished and "re-encoded as AAC" in finished[0].informativeText()
    assert "(pcm_s16le)" in finished[0].informativeText() and output.is_file()


def test_sigterm_during_export_closes_the_window_and_removes_the_temp_file(opened, qtbot, tmp_path):
    import os
    import signal

    from engine.outfile import LEFTOVER
    from gui.app import close_on_signals

    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        close_on_signals(opened)
        folder = tmp_path / "out"
        folder.mkdir()
        opened.session.start_export(opened.document.project.export, folder / "out.mp4")
        qtbot.waitUntil(
            lambda: any(LEFTOVER.match(p.name) and p.stat().st_size for p in folder.iterdir()), timeout=120_000
        )
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: not opened.isVisible(), timeout=60_000)
        assert list(folder.iterdir()) == []
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
