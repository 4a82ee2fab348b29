"""Merging people, asking first when they disagree: a kept person merged with a blurred one must not silently
lose the keep (or silently keep a stranger), so the editor picks, with blur, the safe answer, as the default."""

from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QMessageBox, QWidget

from engine import decisions
from engine.records import Action
from gui.document import Document
from gui.style import ACTION_WORDS, person_label, plural

FACE = 72
MAX_FACES = 4


def merge_with_prompt(
    document: Document, identity_ids: list[int], parent: QWidget | None, report, faces: Sequence[QPixmap | None] = ()
) -> QMessageBox | None:
    """Merges into the first of `identity_ids`; `report(text)` tells the editor what happened. Returns the open
    question when one is asked (non-blocking, so background work carries on while it is read), showing `faces`,
    so the editor sees who is being merged, not only their numbers."""
    project = document.opened_project
    if len(identity_ids) < 2:
        return None
    agreed = decisions.merge_decision(project, identity_ids)
    if agreed is not None:
        _merge(document, identity_ids, agreed, report)
        return None
    people = [project.identity(i) for i in identity_ids]
    listed = ", ".join(f"{person_label(p)} ({ACTION_WORDS[p.decision]})" for p in people[:6])
    more = ", \u2026" if len(people) > 6 else ""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Merge people",
        f"These people have different decisions: {listed}{more}.",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setInformativeText("Which decision should the merged person have, in every appearance?")
    blur = box.addButton("Blur everywhere (safe)", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Keep visible everywhere", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(blur)
    shown = [face for face in faces if face is not None][:MAX_FACES]
    if shown:
        box.setIconPixmap(_strip(shown))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered(button) -> None:
        if button in (blur, keep):
            _merge(document, identity_ids, Action.BLUR if button is blur else Action.KEEP, report)

    box.buttonClicked.connect(answered)
    box.open()
    return box


def _strip(faces: list[QPixmap]) -> QPixmap:
    strip = QPixmap(len(faces) * (FACE + 4), FACE)
    strip.fill(Qt.GlobalColor.transparent)
    painter = QPainter(strip)
    for number, face in enumerate(faces):
        painter.drawPixmap(
            number * (FACE + 4),
            0,
            face.scaled(FACE, FACE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation),
        )
    painter.end()
    return strip


def _merge(document: Document, identity_ids: list[int], decision: Action, report) -> None:
    merged = document.opened_project.identity(document.merge_people(identity_ids, decision))
    report(
        f"Merged {len(identity_ids)} people into {person_label(merged)}: {ACTION_WORDS[decision]} in all "
        f"{plural(len(merged.tracks), 'appearance')}"
    )
