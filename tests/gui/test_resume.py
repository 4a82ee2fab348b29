"""Closing the window during analysis: it asks first, keeps the detections made so far, and the next opening of
the same video continues from there instead of starting over; the result is the same as one uninterrupted run.
On the performer's close-up (tests/conftest.py): resuming is the claim, not what the whole clip holds, and an
uninterrupted run of it costs a tenth of the clip's."""

from engine import project
from gui import storage
from tests.gui.conftest import make_window, visible_boxes, wait_for

SEEN = 15
"""Frames looked at before the window is closed, of the close-up's 35."""


def test_closing_during_analysis_asks_then_the_next_opening_resumes(app, qtbot, close_up, close_up_analysed, tmp_path):
    window = make_window(tmp_path / "first")
    qtbot.addWidget(window)
    store = tmp_path / "store"
    window.session.store = store
    window.session.open_path(close_up)
    wait_for(lambda: len(window.document.found) >= SEEN, what="some detections")
    window.close()
    (box,) = [b for b in visible_boxes(window) if b.windowTitle() == "Analysis is running"]
    assert "% done" in box.text() and "Nothing is lost" in box.informativeText()
    assert box.defaultButton().text() == "Keep Analysing"
    box.defaultButton().click()
    assert window.isVisible() and window.session.analysis.running, "'Keep analysing' keeps it running"
    window.close()
    (box,) = [b for b in visible_boxes(window) if b.windowTitle() == "Analysis is running"]
    next(b for b in box.buttons() if b.text() == "Close").click()
    wait_for(lambda: not window.isVisible() and not window.session.tasks, what="the window to close")
    checkpoint = storage.checkpoint_path(close_up, project.fingerprint(close_up), store)
    lines = len(checkpoint.read_text().splitlines())
    assert lines > SEEN, "the detections made so far were kept"

    again = make_window(tmp_path / "second")
    qtbot.addWidget(again)
    again.session.store = store
    messages = []
    again.session.message.connect(messages.append)
    again.session.open_path(close_up)
    assert any("Continuing the analysis" in m for m in messages)
    wait_for(lambda: again.document.project is not None, timeout=300, what="the resumed analysis")
    resumed, fresh = again.document.project, close_up_analysed  # its tracks and people, known faces aside
    assert [(t.start, t.boxes) for t in resumed.tracks] == [(t.start, t.boxes) for t in fresh.tracks]
    assert len(resumed.identities) == len(fresh.identities)
    assert len(resumed.tracks) > 1 and lines < resumed.source.frame_count, "stopped with frames left to detect"
    assert not checkpoint.exists(), "a finished analysis needs no checkpoint"
    wait_for(lambda: not again.session.tasks, what="thumbnails")
    again.close()
