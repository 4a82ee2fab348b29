"""The right-click menu on a face: every decision the editor can take about it, each one undoable."""
from PySide6.QtWidgets import QMenu, QWidget

from engine.project import BLUR, IGNORE, KEEP
from gui.document import Document
from gui.style import person_label, plural


def _choice(menu: QMenu, text: str, checked: bool, slot) -> None:
    action = menu.addAction(text, slot)
    action.setCheckable(True)
    action.setChecked(checked)


def face_menu(document: Document, track_id: int, parent: QWidget | None = None) -> QMenu:
    project = document.project
    track = project.track(track_id)
    menu = QMenu(parent)
    if track.manual:
        menu.addAction("Delete drawn region", lambda: document.remove_region(track_id))
        return menu
    override = project.overrides.get(track_id)
    person = project.identity(track.identity) if track.identity is not None else None
    if person is not None:
        label = person_label(person)
        title = menu.addAction(f"{label} \u00b7 {plural(len(person.tracks), 'appearance')}")
        title.setEnabled(False)
        menu.addSeparator()
        _choice(menu, f"Keep {label}", person.decision == KEEP and override is None,
                lambda: document.set_person(person.id, KEEP))
        _choice(menu, f"Blur {label}", person.decision == BLUR and override is None,
                lambda: document.set_person(person.id, BLUR))
        menu.addSeparator()
    _choice(menu, "Blur only this appearance", override == BLUR, lambda: document.set_appearance(track_id, BLUR))
    _choice(menu, "Keep only this appearance", override == KEEP, lambda: document.set_appearance(track_id, KEEP))
    _choice(menu, "This is not a face", override == IGNORE, lambda: document.set_appearance(track_id, IGNORE))
    if override is not None and person is not None:
        menu.addAction(f"Follow {person_label(person)}'s decision", lambda: document.set_appearance(track_id, None))
    if person is None:
        return menu
    menu.addSeparator()
    others = [other for other in project.identities if other.id != person.id]
    merge = menu.addMenu(f"Merge {person_label(person)} with")
    merge.setEnabled(bool(others))
    for other in others:
        merge.addAction(f"{person_label(other)} ({plural(len(other.tracks), 'appearance')})",
                        lambda other_id=other.id: document.merge_people(person.id, other_id))
    split = menu.addAction("Split this appearance into a new person", lambda: document.split_appearance(track_id))
    split.setEnabled(len(person.tracks) > 1)
    return menu
