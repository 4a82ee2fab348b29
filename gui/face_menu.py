"""The right-click menu on a face, in the preview and on a person's card: every decision the editor can take about
it, each one undoable."""

from typing import Callable, Sequence

from PySide6.QtWidgets import QMenu, QWidget

from engine.records import Action, MatchStatus
from gui.document import Document
from gui.merge import merge_with_prompt
from gui.style import person_label, plural


def _choice(menu: QMenu, text: str, checked: bool, slot) -> None:
    action = menu.addAction(text, slot)
    action.setCheckable(True)
    action.setChecked(checked)


def face_menu(
    document: Document,
    track_id: int,
    parent: QWidget | None = None,
    selected: Sequence[int] = (),
    report: Callable[[str], None] = lambda text: None,
    rename: Callable[[int], None] | None = None,
) -> QMenu:
    """`selected`: the people chosen in the people grid, offered as the ones to merge this person with."""
    project = document.opened_project
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
        if person.match is not None and person.match.status == MatchStatus.SUGGESTED:
            name = person.match.name
            menu.addAction(f"Yes, this is {name}: keep", lambda: document.answer_suggestions([person.id], True))
            menu.addAction(f"No, this is not {name}", lambda: document.answer_suggestions([person.id], False))
            menu.addSeparator()
        _choice(
            menu,
            f"Keep {label}",
            person.decision == Action.KEEP and override is None,
            lambda: document.set_person(person.id, Action.KEEP),
        )
        _choice(
            menu,
            f"Blur {label}",
            person.decision == Action.BLUR and override is None,
            lambda: document.set_person(person.id, Action.BLUR),
        )
        _choice(
            menu,
            f"{label} is not a face",
            person.decision == Action.IGNORE and override is None,
            lambda: document.set_person(person.id, Action.IGNORE),
        )
        if rename is not None:
            menu.addAction("Rename\u2026", lambda: rename(person.id))
        menu.addSeparator()
    _choice(
        menu,
        "Blur only this appearance",
        override == Action.BLUR,
        lambda: document.set_appearance(track_id, Action.BLUR),
    )
    _choice(
        menu,
        "Keep only this appearance",
        override == Action.KEEP,
        lambda: document.set_appearance(track_id, Action.KEEP),
    )
    _choice(
        menu, "This is not a face", override == Action.IGNORE, lambda: document.set_appearance(track_id, Action.IGNORE)
    )
    if override is not None and person is not None:
        menu.addAction(f"Follow {person_label(person)}'s decision", lambda: document.set_appearance(track_id, None))
    if person is None:
        return menu
    menu.addSeparator()
    others = [i for i in selected if i != person.id]
    chosen = plural(len(others), "selected person", "selected people")
    merge = menu.addAction(
        f"Merge {person_label(person)} with the {chosen}"
        if others
        else "Merge: select people in the grid, or drag a card onto another",
        lambda: merge_with_prompt(document, [person.id, *others], parent, report),
    )
    merge.setEnabled(bool(others))
    split = menu.addAction("Split this appearance into a new person", lambda: document.split_appearance(track_id))
    split.setEnabled(len(person.tracks) > 1)
    apart = menu.addAction(
        f"Split {person_label(person)} into {plural(len(person.tracks), 'person', 'people')}, one per appearance",
        lambda: document.split_person(person.id),
    )
    apart.setEnabled(len(person.tracks) > 1)
    return menu
