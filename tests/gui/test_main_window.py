"""What an editor does in the window, driven through its widgets, checked in the project (and on disk)."""

import json

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from engine import project
from engine.records import Action
from gui.face_menu import face_menu
from gui.timeline import LANE_HEIGHT
from tests.gui.conftest import biggest_face, make_window, visible_boxes
from tests.helpers import OPENING_FRAMES

SHORTCUT_TIMEOUT = 5_000


def click_point(window, box) -> QPoint:
    return window.preview.to_widget(box).center().toPoint()


def saved_decision(window, identity_id: int) -> str:
    data = json.loads(window.document.path.read_text())
    return next(i["decision"] for i in data["identities"] if i["id"] == identity_id)


def test_clicking_a_face_toggles_that_person_everywhere_and_autosaves(opened, qtbot):
    frame, track = biggest_face(opened)
    opened.player.seek(frame)
    person = opened.document.project.identity(track.identity)
    assert person.decision == Action.BLUR
    qtbot.mouseClick(opened.preview, Qt.MouseButton.LeftButton, pos=click_point(opened, track.box_at(frame)))
    assert person.decision == Action.KEEP
    assert [d.action for d in opened.document.decisions_at(frame) if d.track == track.id] == [Action.KEEP]
    qtbot.waitUntil(lambda: saved_decision(opened, person.id) == Action.KEEP)
    assert opened.people.selected_ids() == [person.id]
    assert opened.document.stats()[person.id].state == Action.KEEP
    assert opened.document.selected_person == person.id


def test_undo_and_redo_a_decision(opened, qtbot):
    frame, track = biggest_face(opened)
    opened.player.seek(frame)
    identity = track.identity
    qtbot.mouseClick(opened.preview, Qt.MouseButton.LeftButton, pos=click_point(opened, track.box_at(frame)))
    assert opened.document.project.identity(identity).decision == Action.KEEP
    opened.undo_action.trigger()
    assert opened.document.project.identity(identity).decision == Action.BLUR
    qtbot.waitUntil(lambda: saved_decision(opened, identity) == Action.BLUR)
    opened.redo_action.trigger()
    assert opened.document.project.identity(identity).decision == Action.KEEP


def test_right_click_menu_offers_every_decision(opened):
    frame, track = biggest_face(opened)
    opened.player.seek(frame)
    proj = opened.document.project
    menu = face_menu(opened.document, track.id, opened)
    actions = {a.text(): a for a in menu.actions()}
    assert {"Blur only this appearance", "This is not a face", "Keep only this appearance"} <= set(actions)
    actions["This is not a face"].trigger()
    assert proj.overrides[track.id] == Action.IGNORE
    assert [d.action for d in opened.document.decisions_at(frame) if d.track == track.id] == [Action.IGNORE]
    menu = face_menu(opened.document, track.id, opened)
    follow = next(a for a in menu.actions() if a.text().startswith("Follow "))
    follow.trigger()
    assert track.id not in proj.overrides


def test_merge_and_split_people_from_the_menu(opened):
    proj = opened.document.project
    first, second = proj.identities[0], proj.identities[1]
    track = proj.track(first.tracks[0])
    menu = face_menu(opened.document, track.id, opened)
    merge = next(a for a in menu.actions() if a.text().startswith("Merge"))
    assert not merge.isEnabled(), "nobody selected to merge with"
    menu = face_menu(opened.document, track.id, opened, selected=[second.id])
    next(a for a in menu.actions() if a.text() == f"Merge Person {first.id} with the 1 selected person").trigger()
    merged = proj.identity(first.id)
    assert set(second.tracks) <= set(merged.tracks)
    assert all(i.id != second.id for i in proj.identities)
    assert len(opened.people.model.ids) == len(proj.identities)
    menu = face_menu(opened.document, second.tracks[0], opened)
    next(a for a in menu.actions() if a.text().startswith("Split")).trigger()
    assert proj.track(second.tracks[0]).identity not in (None, first.id)
    opened.undo_action.trigger()
    opened.undo_action.trigger()
    assert any(i.id == second.id for i in proj.identities)
    assert proj.track(second.tracks[0]).identity == second.id


def test_drawing_a_box_blurs_a_tracked_region_that_can_be_moved_and_deleted(opened, qtbot):
    frame = biggest_face(opened)[0]
    opened.player.seek(frame)
    preview = opened.preview
    drawn = preview.to_widget((560, 200, 600, 240))
    start, end = drawn.topLeft(), drawn.bottomRight()
    qtbot.mousePress(preview, Qt.MouseButton.LeftButton, pos=start.toPoint())
    qtbot.mouseMove(preview, pos=((start + end) / 2).toPoint())
    qtbot.mouseMove(preview, pos=end.toPoint())
    qtbot.mouseRelease(preview, Qt.MouseButton.LeftButton, pos=end.toPoint())
    qtbot.waitUntil(lambda: any(t.manual for t in opened.document.project.tracks), timeout=60_000)
    region = next(t for t in opened.document.project.tracks if t.manual)
    assert region.start <= frame <= region.end and len(region.boxes) > 1
    assert [d.action for d in opened.document.decisions_at(frame) if d.track == region.id] == [Action.BLUR]
    assert preview.selected_region == region.id

    grab = preview.to_widget(region.box_at(frame)).center()
    qtbot.mousePress(preview, Qt.MouseButton.LeftButton, pos=grab.toPoint())
    qtbot.mouseMove(preview, pos=(grab + QPointF(-20, 0)).toPoint())
    qtbot.mouseMove(preview, pos=(grab + QPointF(-40, 0)).toPoint())
    qtbot.mouseRelease(preview, Qt.MouseButton.LeftButton, pos=(grab + QPointF(-40, 0)).toPoint())

    def drawn():
        return [t for t in opened.document.project.tracks if t.manual]

    qtbot.waitUntil(lambda: drawn()[0].box_at(frame)[0] < region.box_at(frame)[0] - 10, timeout=60_000)
    (moved,) = drawn()

    opened.delete_action.trigger()
    assert not any(t.manual for t in opened.document.project.tracks)
    opened.undo_action.trigger()
    assert any(t.id == moved.id for t in opened.document.project.tracks)


def test_show_result_renders_the_blur_in_the_preview(opened):
    frame, track = biggest_face(opened)
    opened.player.seek(frame)
    x0, y0, x1, y1 = map(int, track.box_at(frame))
    opened.result_action.setChecked(False)
    source = opened.player.image[y0:y1, x0:x1].astype(int)
    opened.result_action.trigger()
    shown = opened.preview._image
    rendered = (
        np.array(shown.constBits(), np.uint8)
        .reshape(shown.height(), shown.bytesPerLine())[:, : shown.width() * 3]
        .reshape(shown.height(), shown.width(), 3)[y0:y1, x0:x1]
        .astype(int)
    )
    assert np.abs(rendered - source).mean() > 5, "the face is blurred in the result view"
    assert opened.settings.value("view/result", type=bool)


def test_timeline_lane_click_seeks_and_selects_the_person(opened, qtbot):
    lanes = opened.timeline.lanes
    rows = lanes.rows()
    row = next(i for i, (_, identity, tracks) in enumerate(rows) if identity and tracks[0].end - tracks[0].start > 20)
    _, identity, tracks = rows[row]
    target = (tracks[0].start + tracks[0].end) // 2
    point = QPoint(int(lanes.x_of(target + 0.5)), row * LANE_HEIGHT + LANE_HEIGHT // 2)
    opened.timeline.lane_area.ensureVisible(0, point.y())
    qtbot.mouseClick(lanes, Qt.MouseButton.LeftButton, pos=point)
    assert abs(opened.player.index - target) <= 1
    assert opened.document.selected_person == identity and opened.people.selected_ids() == [identity]
    ruler = opened.timeline.ruler
    qtbot.mouseClick(ruler, Qt.MouseButton.LeftButton, pos=QPoint(int(ruler.x_of(100.5)), 10))
    assert opened.player.index == 100


def test_people_cards_show_faces_and_a_click_selects_and_seeks(opened, qtbot):
    qtbot.waitUntil(lambda: bool(opened.people.model.thumbnails), timeout=60_000)
    grid, model = opened.people.grid, opened.people.model
    person = model.ids[0]
    thumb = model.thumbnail(person)
    assert thumb is not None and not thumb.isNull()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(model.index(0)).center())
    assert opened.document.selected_person == person
    assert opened.player.index == opened.document.stats()[person].best_frame


def test_keyboard_shortcuts_drive_playback(opened, qtbot):
    opened.activateWindow()
    opened.player.seek(10)
    qtbot.keyClick(opened, Qt.Key.Key_Right)
    assert opened.player.index == 11
    qtbot.keyClick(opened, Qt.Key.Key_Left)
    qtbot.keyClick(opened, Qt.Key.Key_Left)
    assert opened.player.index == 9
    qtbot.keyClick(opened, Qt.Key.Key_L)
    qtbot.keyClick(opened, Qt.Key.Key_L)
    assert opened.player.speed == 2
    qtbot.waitUntil(lambda: opened.player.index > 20, timeout=SHORTCUT_TIMEOUT)
    qtbot.keyClick(opened, Qt.Key.Key_K)
    assert not opened.player.playing
    qtbot.keyClick(opened, Qt.Key.Key_J)
    assert opened.player.speed == -1
    qtbot.keyClick(opened, Qt.Key.Key_Space)
    assert not opened.player.playing
    qtbot.keyClick(opened, Qt.Key.Key_End)
    assert opened.player.index == opened.document.project.source.frame_count - 1 == OPENING_FRAMES - 1


def test_known_faces_keep_the_matching_person(opened, qtbot):
    from tests.gui.conftest import PHOTO

    frame, track = biggest_face(opened)
    opened.session.load_known_faces([PHOTO])
    qtbot.waitUntil(lambda: not opened.session.tasks, timeout=120_000)
    person = opened.document.project.identity(track.identity)
    assert (person.decision, person.name) == (Action.KEEP, "lin-manuel-miranda")
    assert sum(i.decision == Action.KEEP for i in opened.document.project.identities) <= 2
    assert str(PHOTO.resolve()) in opened.document.project.known_faces
    model = opened.people.model
    assert model.index(model.ids.index(person.id)).data() == "lin-manuel-miranda"
    opened.undo_action.trigger()
    assert opened.document.project.identity(track.identity).decision == Action.BLUR


def test_reopening_restores_decisions_without_analysing(opened, footage, qtbot, tmp_path):
    frame, track = biggest_face(opened)
    opened.document.toggle_person(track.identity)
    opened.document.save()
    path = opened.document.path
    opened.close()
    again = make_window(tmp_path / "again")
    qtbot.addWidget(again)
    again.session.open_path(path)
    assert again.session.analysis is None
    assert again.document.project.identity(track.identity).decision == Action.KEEP
    assert path.name.endswith(project.SUFFIX), "reopened through its project file"
    assert again.recent_files()[0] == str(footage.resolve()), "the video is remembered, not its project file"


def test_the_per_user_store_is_found_again_by_fingerprint(window, gui_analysis, footage):
    """With projects beside videos turned off, the video's (writable) folder stays untouched and the analysis
    saved earlier is found in the store."""
    store = gui_analysis.folder / "store"
    window.session.store = store
    window.session.open_path(footage)
    assert window.session.analysis is None, "nothing recomputed"
    assert window.document.path.parent == store
    assert not project.default_path(footage).exists()


def test_a_dropped_project_file_opens(window, gui_analysis, qtbot):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(gui_analysis.pristine))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    assert window.document.project is not None and window.session.analysis is None


def test_a_file_that_is_not_a_video_shows_a_readable_error(window, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    window.session.open_path(bad)
    boxes = visible_boxes(window)
    assert len(boxes) == 1 and "notes.mp4" in boxes[0].text() and "Traceback" not in boxes[0].text()
    assert window.document.video is None
    boxes[0].accept()


def test_a_damaged_project_is_kept_aside_and_the_video_analysed_again(window, footage, qtbot, tmp_path):
    from gui import storage

    store = tmp_path / "store"
    store.mkdir()
    damaged = storage.stored_path(footage, project.fingerprint(footage), store)
    damaged.write_text("{ this is not json")
    window.session.open_path(footage)
    assert window.session.analysis is not None and window.session.analysis.running
    window.session.analysis.cancel()
    qtbot.waitUntil(lambda: not window.session.tasks, timeout=60_000)
    assert any("damaged" in box.text() for box in visible_boxes(window))
    assert damaged.with_name(damaged.name + ".damaged").read_text() == "{ this is not json"
    assert window.document.project is None and window.analyse_action.isEnabled()


def test_settings_are_remembered(window, qtbot, tmp_path):
    assert not window.session.beside_videos, "the harness turned 'projects beside videos' off"
    assert window.result_action.isChecked(), "the preview opens on the result, as it will be exported"
    window.result_action.trigger()
    window.resize(720, 540)
    window.close()
    again = make_window(tmp_path, size=None)
    qtbot.addWidget(again)
    assert not again.result_action.isChecked()
    assert (again.width(), again.height()) == (720, 540)
