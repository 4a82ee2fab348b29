"""How fast each people-review interaction answers on a 720p video whose project holds 300 people (a generated
project on generated footage). Prints the figures (at the end of the run, tests/conftest.py), measured in one run
on a shared machine; it asserts what was done, never how fast (timings belong to whoever reads them, not to a flaky
threshold).

Each figure is wall time and this process's CPU time for the action, the events it caused and a full repaint of
the window; no background work runs meanwhile, so CPU time is the answer time on an idle machine, while wall
time also holds whatever else the machine was doing."""

import os
import random
import time

import av
import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from engine import project
from engine.records import Action, Identity, Match, MatchStatus, Project, Source, Track
from gui.document import AUTOSAVE_MS
from tests.gui.conftest import PHOTO, make_window, visible_boxes, wait_for

PEOPLE, FRAMES, FPS, SIZE = 300, 1500, 25, (1280, 720)
"""A minute of 720p with 300 people, about as crowded as the 82-second TV scene with 314 that prompted this."""


def _footage(path) -> None:
    """Two alternating textured pictures, keyframes every two seconds like camera footage, while seeking still
    decodes real 720p frames. Cheap to write: one two-second group of pictures is encoded (the textures cost x264
    6 s for the whole minute) and its packets are written again, shifted, for every two seconds after it."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (SIZE[1] // 8, SIZE[0] // 8, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    pictures = [
        av.VideoFrame.from_ndarray(np.roll(base, shift, axis=1), format="rgb24").reformat(format="yuv420p")
        for shift in (0, 16)
    ]
    group = 2 * FPS
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        stream.codec_context.gop_size = group
        stream.options = {"preset": "ultrafast"}
        packets = []
        for index in range(group):
            picture = pictures[index // FPS % 2]
            picture.pts = index
            packets += stream.encode(picture)
        packets += stream.encode(None)
        span = round(group / FPS / packets[0].time_base)
        for repeat in range(FRAMES // group):
            for packet in packets:
                copy = av.Packet(bytes(packet))
                copy.stream, copy.time_base, copy.is_keyframe = stream, packet.time_base, packet.is_keyframe
                copy.pts, copy.dts = packet.pts + repeat * span, packet.dts + repeat * span
                out.mux(copy)


def _project(video) -> Project:
    rng = random.Random(1)
    tracks, people = [], []
    for person in range(1, PEOPLE + 1):
        mine = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            start = rng.randrange(FRAMES - 5)
            length = min(FRAMES - start, rng.randint(3, FPS) if rng.random() < 0.4 else rng.randint(FPS, 12 * FPS))
            x, y, side = rng.uniform(0, 1100), rng.uniform(0, 560), rng.uniform(30, 150)
            scores = [0.0 if i % 3 else rng.uniform(0.05, 0.95) for i in range(length)]
            tracks.append(
                Track(
                    len(tracks) + 1,
                    start,
                    [(x, y, x + side, y + side)] * length,
                    scores,
                    identity=person,
                    thumbnail_frame=start,
                )
            )
            mine.append(tracks[-1].id)
        people.append(Identity(person, mine))
    for identity in people[::6]:
        identity.match = Match("lin-manuel-miranda", str(PHOTO), 0.52, MatchStatus.SUGGESTED)
    source = Source(str(video), project.fingerprint(video), *SIZE, 0, float(FPS), FRAMES)
    return Project(source=source, tracks=tracks, identities=people)


def test_every_interaction_with_300_people_on_720p(app, qtbot, tmp_path, record_property):
    video = tmp_path / "crowd.mp4"
    _footage(video)
    path = tmp_path / "crowd.limelight.json"
    project.save(_project(video), path)
    window = make_window(tmp_path)
    qtbot.addWidget(window)
    window.session.open_path(path)
    wait_for(lambda: not window.session.tasks, what="thumbnails")
    panel, grid, model, doc = window.people, window.people.grid, window.people.model, window.document
    timings: dict[str, tuple[float, float]] = {}

    def timed(name, action):
        """The autosave a previous edit scheduled is written first, untimed: it is measured on its own below."""
        doc.save()
        started, cpu = time.perf_counter(), time.process_time()
        action()
        QApplication.processEvents()
        window.repaint()
        timings[name] = ((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000)

    def drag_merge():
        mime = model.mimeData([model.index(0)])
        target = QPointF(grid.visualRect(model.index(1)).center())
        grid.dropEvent(
            QDropEvent(
                target, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
            )
        )
        boxes = [b for b in visible_boxes(window) if b.windowTitle() == "Merge people"]
        (boxes[0].defaultButton().click() if boxes else None)

    assert len(model.ids) == PEOPLE
    timed("nothing: a full repaint of the window alone", lambda: None)
    for index in range(panel.sort.count()):
        timed(f"sort by {panel.sort.itemText(index)[6:]}", lambda index=index: panel.sort.setCurrentIndex(index))
    timed("filter: under one second", lambda: panel.filter.setCurrentText("Under one second"))
    timed("filter: low confidence", lambda: panel.filter.setCurrentText("Low confidence"))
    timed("filter: everyone", lambda: panel.filter.setCurrentText("Everyone"))
    timed("scroll to the end of the grid", lambda: grid.scrollToBottom())
    timed("select all", grid.selectAll)
    timed(f"keep {PEOPLE} selected", lambda: panel.decide(Action.KEEP))
    timed(f"undo keeping {PEOPLE}", window.undo_action.trigger)
    timed(
        "right-click menu on a card",
        lambda: (panel._select_ids([model.ids[0]]), panel._context_menu(grid.visualRect(model.index(0)).center())),
    )
    doc.set_person(model.ids[0], Action.KEEP)
    timed("drag-merge kept onto blurred, answer the prompt", drag_merge)
    assert len(model.ids) == PEOPLE - 1
    timed("confirm all suggestions", panel.confirm_all.click)
    timed("start review mode", window.review_action.trigger)
    for step in range(3):
        timed(f"review: next moment ({step + 1})", lambda: window.review.step(1))
    timed("click a face in the preview", lambda: window.toggle_face(window.review.moments[0].track))
    assert window.review.active and len(window.review.moments) > 10
    started, cpu = time.perf_counter(), time.process_time()
    doc.save()
    autosave = ((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000)
    lines = [
        f"{PEOPLE} people, {len(doc.project.tracks)} appearances, {SIZE[0]}x{SIZE[1]} video; "
        "milliseconds per interaction (processed and repainted), wall / CPU:",
        *(f"  {name:52s} {wall:7.1f} / {cpu:6.1f}" for name, (wall, cpu) in timings.items()),
        f"  slowest (CPU): {max(cpu for _, cpu in timings.values()):.1f} ms",
        f"  autosave, on the GUI thread once the editor pauses {AUTOSAVE_MS} ms: {autosave[0]:.1f} / "
        f"{autosave[1]:.1f} ms; load average {os.getloadavg()[0]:.1f} on {os.sysconf('SC_NPROCESSORS_ONLN')} cores",
    ]
    record_property("figures", "\n".join(lines))
    window.close()
