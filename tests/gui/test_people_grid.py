"""The people grid as an editor uses it on the analysed clip: sort, filter, select several and decide, drag a card
onto another to merge (asked which decision wins when they disagree), answer suggestions, rename, the context menu,
and review mode; plus the shortcut and dialog fixes that came with it."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QLineEdit, QMenu

from engine import people_stats, review
from engine.records import Action, Match, MatchStatus
from gui.face_menu import face_menu
from gui.people import EVERYONE, LOW, SHORT, SUGGESTIONS
from gui.timeline import LANE_HEIGHT
from tests.gui.conftest import PHOTO, visible_boxes


def stats(window):
    return window.document.stats()


def click_card(window, qtbot, identity_id, modifier=Qt.KeyboardModifier.NoModifier):
    grid, model = window.people.grid, window.people.model
    rect = grid.visualRect(model.index(model.ids.index(identity_id)))
    grid.scrollTo(model.index(model.ids.index(identity_id)))
    rect = grid.visualRect(model.index(model.ids.index(identity_id)))
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def drop_on(window, dragged: list[int], target: int) -> None:
    grid, model = window.people.grid, window.people.model
    mime = model.mimeData([model.index(model.ids.index(i)) for i in dragged])
    centre = QPointF(grid.visualRect(model.index(model.ids.index(target))).center())
    event = QDropEvent(
        centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    grid.dropEvent(event)


def test_grid_sorts_by_screen_time_then_first_appearance_then_decision(opened):
    panel, model = opened.people, opened.people.model
    figures = stats(opened)
    assert len(model.ids) == len(opened.document.project.identities)
    assert [figures[i].frames for i in model.ids] == sorted((s.frames for s in figures.values()), reverse=True)
    panel.sort.setCurrentIndex(panel.sort.findData(people_stats.FIRST_APPEARANCE))
    assert [figures[i].first for i in model.ids] == sorted(s.first for s in figures.values())
    last = model.ids[-1]
    opened.document.set_person(last, Action.KEEP)
    panel.sort.setCurrentIndex(panel.sort.findData(people_stats.DECISION))
    assert model.ids[0] == last, "kept people come first when sorted by decision"


def test_filters_show_only_short_or_low_confidence_people(opened):
    panel, model = opened.people, opened.people.model
    fps, figures = opened.document.fps, stats(opened)
    panel.filter.setCurrentText(SHORT)
    assert model.ids and all(figures[i].frames < fps for i in model.ids)
    assert len(model.ids) == sum(s.frames < fps for s in figures.values())
    panel.filter.setCurrentText(LOW)
    assert model.ids and all(figures[i].confidence < people_stats.LOW_CONFIDENCE for i in model.ids)
    panel.filter.setCurrentText(EVERYONE)
    assert len(model.ids) == len(figures)


def test_selecting_several_and_marking_them_not_a_face_is_one_undo_step(opened, qtbot):
    model = opened.people.model
    chosen = model.ids[:3]
    click_card(opened, qtbot, chosen[0])
    for identity_id in chosen[1:]:
        click_card(opened, qtbot, identity_id, Qt.KeyboardModifier.ControlModifier)
    assert opened.people.selected_ids() == chosen
    assert opened.people.buttons["merge"].isEnabled()
    qtbot.mouseClick(opened.people.buttons[Action.IGNORE], Qt.MouseButton.LeftButton)
    project = opened.document.project
    assert all(project.identity(i).decision == Action.IGNORE for i in chosen)
    track = project.track(project.identity(chosen[0]).tracks[0])
    assert {d.action for d in opened.document.decisions_at(track.start) if d.track == track.id} == {Action.IGNORE}
    assert opened.people.selected_ids() == chosen, "the selection survives the edit"
    qtbot.mouseClick(opened.people.buttons[Action.KEEP], Qt.MouseButton.LeftButton)
    assert all(project.identity(i).decision == Action.KEEP for i in chosen)
    opened.undo_action.trigger()
    assert all(project.identity(i).decision == Action.IGNORE for i in chosen)
    opened.undo_action.trigger()
    assert all(project.identity(i).decision == Action.BLUR for i in chosen)


def test_dragging_a_kept_card_onto_a_blurred_one_asks_and_blurs_by_default(opened, qtbot):
    model, project = opened.people.model, opened.document.project
    kept, blurred = model.ids[0], model.ids[1]
    opened.document.set_person(kept, Action.KEEP)
    tracks = set(project.identity(kept).tracks) | set(project.identity(blurred).tracks)
    drop_on(opened, [kept], blurred)
    (box,) = [b for b in visible_boxes(opened) if b.windowTitle() == "Merge people"]
    assert "kept" in box.text() and "blurred" in box.text()
    assert box.defaultButton().text() == "Blur everywhere (safe)"
    box.defaultButton().click()
    merged = project.identity(blurred)
    assert set(merged.tracks) == tracks and merged.decision == Action.BLUR
    assert kept not in model.ids and all(i.id != kept for i in project.identities)
    assert "Merged 2 people" in opened.statusBar().currentMessage()
    opened.undo_action.trigger()
    assert project.identity(kept).decision == Action.KEEP and kept in model.ids

    drop_on(opened, [kept], blurred)
    (box,) = [b for b in visible_boxes(opened) if b.windowTitle() == "Merge people"]
    next(b for b in box.buttons() if b.text() == "Keep visible everywhere").click()
    assert project.identity(blurred).decision == Action.KEEP
    assert all(opened.document.action(project.track(t)) == Action.KEEP for t in tracks)


def test_merging_a_selection_that_agrees_asks_nothing(opened, qtbot):
    model, project = opened.people.model, opened.document.project
    chosen = model.ids[2:5]
    opened.people._select_ids(chosen)
    qtbot.mouseClick(opened.people.buttons["merge"], Qt.MouseButton.LeftButton)
    assert not [b for b in visible_boxes(opened) if b.windowTitle() == "Merge people"]
    assert sum(i.id in chosen for i in project.identities) == 1


def test_suggestions_are_blurred_until_confirmed_one_by_one_or_all_at_once(opened, qtbot):
    project, panel = opened.document.project, opened.people
    suggested = [i.id for i in project.identities[:3]]
    for number, identity_id in enumerate(suggested):
        project.identity(identity_id).match = Match(
            "lin-manuel-miranda", str(PHOTO), 0.5 + number / 100, MatchStatus.SUGGESTED
        )
    opened.document.touch()
    assert panel.suggestion_bar.isVisible() and "3 suggestions" in panel.suggestions.text()
    assert all(stats(opened)[i].state == MatchStatus.SUGGESTED for i in suggested)
    assert all(
        opened.document.action(project.track(project.identity(i).tracks[0])) == Action.BLUR for i in suggested
    ), "nothing is kept unconfirmed"
    panel.filter.setCurrentText(SUGGESTIONS)
    assert sorted(panel.model.ids) == sorted(suggested)
    menu = face_menu(opened.document, project.identity(suggested[0]).tracks[0], opened)
    next(a for a in menu.actions() if a.text() == "Yes, this is lin-manuel-miranda: keep").trigger()
    first = project.identity(suggested[0])
    assert (first.decision, first.name, first.match.status) == (Action.KEEP, "lin-manuel-miranda", "confirmed")
    assert "2 suggestions" in panel.suggestions.text()
    qtbot.mouseClick(panel.reject_all, Qt.MouseButton.LeftButton)
    assert all(
        project.identity(i).match.status == "rejected" and project.identity(i).decision == Action.BLUR
        for i in suggested[1:]
    )
    assert not panel.suggestion_bar.isVisible() and panel.model.ids == []
    opened.undo_action.trigger()
    qtbot.mouseClick(panel.confirm_all, Qt.MouseButton.LeftButton)
    assert all(project.identity(i).decision == Action.KEEP for i in suggested)


def test_rename_in_place(opened, qtbot):
    person = opened.people.model.ids[0]
    opened.people.rename(person)
    editor = opened.people.grid.findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    editor.selectAll()
    qtbot.keyClicks(editor, "Pianist")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: opened.document.project.identity(person).name == "Pianist", timeout=2000)
    model = opened.people.model
    assert model.index(model.ids.index(person)).data() == "Pianist"


def test_right_click_on_cards_gives_the_face_menu_or_the_bulk_menu(opened, qtbot):
    grid, model = opened.people.grid, opened.people.model
    first = model.ids[0]
    opened.people._context_menu(grid.visualRect(model.index(0)).center())
    menu = next(m for m in opened.people.findChildren(QMenu) if m.isVisible())
    texts = [a.text() for a in menu.actions()]
    assert f"Keep Person {first}" in texts and "This is not a face" in texts and "Rename\u2026" in texts
    menu.close()
    opened.people._select_ids(model.ids[:4])
    opened.people._context_menu(grid.visualRect(model.index(1)).center())
    menu = next(m for m in opened.people.findChildren(QMenu) if m.isVisible() and m is not menu)
    next(a for a in menu.actions() if a.text() == "Blur all of them").trigger()
    next(a for a in menu.actions() if a.text() == "Keep all of them").trigger()
    assert all(opened.document.project.identity(i).decision == Action.KEEP for i in model.ids[:4])


def test_review_mode_steps_through_moments_with_n_and_p(opened, qtbot):
    opened.activateWindow()
    opened.document.set_person(opened.people.model.ids[0], Action.KEEP)
    moments = review.moments(opened.document.project)
    assert not opened.review_next_action.isEnabled()
    qtbot.keyClick(opened, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert opened.review.active and opened.player.index == moments[0].frame
    assert opened.review.label.text().startswith(f"Review 1 of {len(moments)}")
    qtbot.keyClick(opened, Qt.Key.Key_N)
    qtbot.keyClick(opened, Qt.Key.Key_N)
    assert opened.player.index == moments[2].frame
    track = opened.document.project.track(moments[2].track)
    assert opened.document.selected_person == track.identity and opened.people.selected_ids() == [track.identity]
    qtbot.keyClick(opened, Qt.Key.Key_P)
    assert opened.player.index == moments[1].frame and "Review 2 of" in opened.review.label.text()
    kept_start = next(i for i, m in enumerate(moments) if "kept face appears" in m.describe())
    for _ in range(abs(kept_start - 1)):  # from moment 2 (index 1), forwards or back
        qtbot.keyClick(opened, Qt.Key.Key_N if kept_start > 1 else Qt.Key.Key_P)
    assert "kept face appears" in opened.review.label.text()
    qtbot.keyClick(opened, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert not opened.review.active and not opened.review_next_action.isEnabled()


def test_redo_answers_ctrl_y_and_no_shortcut_is_bound_twice(opened, qtbot):
    sequences = [
        s.toString() for a in opened.actions() + [opened.undo_action, opened.redo_action] for s in a.shortcuts()
    ]
    assert len(sequences) == len(set(sequences)), "an ambiguous shortcut does nothing"
    assert {"Ctrl+Y", "Ctrl+Shift+Z"} <= {s.toString() for s in opened.redo_action.shortcuts()}
    opened.activateWindow()
    person = opened.people.model.ids[0]
    opened.document.set_person(person, Action.KEEP)
    qtbot.keyClick(opened, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert opened.document.project.identity(person).decision == Action.BLUR
    qtbot.keyClick(opened, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert opened.document.project.identity(person).decision == Action.KEEP


def test_enter_in_the_export_dialog_exports_and_does_not_browse(opened, qtbot, monkeypatch, tmp_path):
    browsed = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (browsed.append(a), ("", ""))[1])
    monkeypatch.setattr(opened.session, "start_export", lambda settings, output: browsed.append("export"))
    opened.show_export()
    dialog = opened.export_dialog
    dialog.output.setText(str(tmp_path / "out.mp4"))
    dialog.output.setFocus()
    qtbot.keyClick(dialog.output, Qt.Key.Key_Return)
    assert browsed == ["export"] and not dialog.isVisible()


def test_known_faces_dialog_starts_in_the_videos_folder(opened):
    assert opened.known_faces_folder() == str(opened.document.video.parent)


def test_dragging_a_lane_bar_end_trims_then_extends_the_appearance(opened, qtbot):
    lanes, project = opened.timeline.lanes, opened.document.project
    _, identity, tracks = lanes.rows()[0]
    original = tracks[0]
    y = LANE_HEIGHT // 2

    def drag_end(from_frame: int, to_end: int) -> None:
        grab, drop = QPoint(round(lanes.x_of(from_frame)), y), QPoint(round(lanes.x_of(to_end + 1.5)), y)
        qtbot.mousePress(lanes, Qt.MouseButton.LeftButton, pos=grab)
        qtbot.mouseMove(lanes, pos=drop)
        qtbot.mouseRelease(lanes, Qt.MouseButton.LeftButton, pos=drop)

    drag_end(original.end + 1, original.end - 6)
    trimmed = project.track(original.id)
    assert (trimmed.start, trimmed.end) == (original.start, original.end - 6)
    assert trimmed.boxes == original.boxes[:-6]
    assert not any(d.track == original.id for d in opened.document.decisions_at(original.end))
    drag_end(trimmed.end + 1, original.end + 8)
    longer = project.track(original.id)
    assert longer.end == original.end + 8 and longer.boxes[-14:] == [trimmed.boxes[-1]] * 14
    assert longer.scores[-14:] == [0.0] * 14, "held frames count as filled, not detected"
    assert [d.action for d in opened.document.decisions_at(original.end + 8) if d.track == original.id] == [Action.BLUR]
    opened.undo_action.trigger()
    opened.undo_action.trigger()
    assert project.track(original.id).boxes == original.boxes
