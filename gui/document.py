"""The open video and its project, as every widget sees it.

Widgets never touch the project: they ask the document, which applies the edit through `engine.decisions`
(the same functions the CLI uses), records it for undo, tells the views, and autosaves a moment later."""

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from engine import decisions, people_stats
from engine import project as projects
from engine.errors import UserError
from engine.identities import apply_known_faces
from engine.project_text import ProjectText
from engine.records import Action, Box, Decision, Detection, ExportSettings, Identity, KnownFace, Project, Track
from engine.video import VideoInfo

AUTOSAVE_MS = 400
FRAMES_REMEMBERED = 512
ACTION_VERBS = {Action.KEEP: "Keep", Action.BLUR: "Blur", Action.IGNORE: "Mark as not a face:"}


def _copy_people(people: list[Identity]) -> list[Identity]:
    """What an edit can change in a person, copied; embeddings are never edited in place, so they are shared
    (a deep copy of 300 people's embeddings made every edit take tenths of a second)."""
    copies = []
    for person in people:
        twin = copy.copy(person)
        twin.tracks, twin.match = list(person.tracks), copy.copy(person.match)
        copies.append(twin)
    return copies


@dataclass
class _State:
    """Everything an edit can change. Tracks are replaced rather than edited (only their owner changes in
    place), so keeping the list of track objects is enough to restore their boxes."""

    identities: list[Identity]
    overrides: dict[int, str]
    owners: dict[int, int | None]
    tracks: list[Track]
    """The track objects themselves: an edit that changes a track's boxes replaces the object, never edits it."""
    known_faces: list[str]

    @classmethod
    def capture(cls, project: Project) -> "_State":
        return cls(
            _copy_people(project.identities),
            dict(project.overrides),
            {t.id: t.identity for t in project.tracks},
            list(project.tracks),
            list(project.known_faces),
        )

    def restore(self, project: Project) -> None:
        project.identities = _copy_people(self.identities)
        project.overrides = dict(self.overrides)
        project.tracks = list(self.tracks)
        for track in project.tracks:
            track.identity = self.owners.get(track.id, track.identity)
        project.known_faces = list(self.known_faces)


class _Edit(QUndoCommand):
    def __init__(self, document: "Document", text: str, change: Callable[[Project], object]):
        super().__init__(text)
        self._document = document
        self._change = change
        self._before = _State.capture(document.project)
        self._after: _State | None = None
        self.result = None

    def redo(self) -> None:
        project = self._document.project
        if self._after is None:
            self.result = self._change(project)
            self._after = _State.capture(project)
        else:
            self._after.restore(project)
        self._document.touch()

    def undo(self) -> None:
        self._before.restore(self._document.project)
        self._document.touch()


class Document(QObject):
    opened = Signal()
    """Another video, or its analysis, arrived: views rebuild."""
    changed = Signal()
    """Decisions changed: views repaint."""
    detections = Signal(int)
    """Analysis found faces on this frame (before tracking, so not yet anyone's)."""
    saved = Signal(str)
    save_failed = Signal(str)
    selection_changed = Signal(object)
    """The person the editor is looking at (an identity id, or None) changed: the preview, the people panel and
    the timeline all show this one person, so each reads it here instead of keeping its own copy."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.video: Path | None = None
        self.info: VideoInfo | None = None
        self.project: Project | None = None
        self.path: Path | None = None
        self.found: dict[int, list[Detection]] = {}
        self.undo_stack = QUndoStack(self)
        self._frames: dict[int, list[Decision]] = {}
        self._actions: dict[int, Action] | None = None
        self._people: dict[int, Identity] | None = None
        self._text = ProjectText()
        self._figures = people_stats.TrackFigures()
        self._stats: dict[int, people_stats.PersonStats] | None = None
        self._dirty = False
        self._selected: int | None = None
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save)

    def open(self, video: Path, info: VideoInfo, project: Project | None = None, path: Path | None = None) -> None:
        self.save()
        self.video, self.info, self.found = Path(video), info, {}
        self._take(project, path)

    def set_analysis(self, project: Project, path: Path) -> None:
        self._take(project, path)
        self._dirty = True
        self.save()

    def close(self) -> None:
        self.save()
        self.video = self.info = None
        self.found = {}
        self._take(None, None)

    def _take(self, project: Project | None, path: Path | None) -> None:
        self.project, self.path, self._frames = project, path, {}
        self._stats = self._actions = self._people = self._selected = None
        self.undo_stack.clear()
        self.opened.emit()

    @property
    def opened_project(self) -> Project:
        """The project, for views that act only while one is open: asking otherwise is a programming error."""
        if self.project is None:
            raise RuntimeError("no project is open")
        return self.project

    @property
    def selected_person(self) -> int | None:
        return self._selected

    def select_person(self, identity_id: int | None) -> None:
        """Announced even when it is already the one selected: the views bring it into sight again."""
        self._selected = identity_id
        self.selection_changed.emit(identity_id)

    def add_detections(self, frame: int, faces: list[Detection]) -> None:
        self.found[frame] = faces
        self.detections.emit(frame)

    @property
    def frame_count(self) -> int:
        if self.project is not None:
            return self.project.source.frame_count
        return self.info.frame_count if self.info else 0

    @property
    def fps(self) -> float:
        return self.info.fps if self.info else 25.0

    def decisions_at(self, frame: int) -> list[Decision]:
        """Planned per frame as frames are shown (planning the whole video took seconds with 300 people)."""
        if self.project is None:
            return []
        if frame not in self._frames:
            if len(self._frames) > FRAMES_REMEMBERED:
                self._frames.clear()
            self._frames[frame] = decisions.at_frame(self.project, frame, self.actions())
        return self._frames[frame]

    def actions(self) -> dict[int, Action]:
        if self._actions is None:
            self._actions = decisions.track_actions(self.project)
        return self._actions

    def action(self, track: Track) -> Action:
        return self.actions()[track.id]

    def touch(self) -> None:
        """After any edit: views repaint now, the file is written once the editor pauses."""
        self._stats = self._actions = self._people = None
        self._frames = {}
        self._dirty = True
        self._autosave.start()
        self.changed.emit()

    def save(self) -> None:
        self._autosave.stop()
        if not (self._dirty and self.project is not None and self.path is not None):
            return
        try:
            projects.save(self.project, self.path, self._text.dumps(self.project))
        except UserError as exc:
            self.save_failed.emit(str(exc))
            return
        self._dirty = False
        self.saved.emit(str(self.path))

    def set_export_settings(self, settings: ExportSettings) -> None:
        """Remembered with the project but not an edit of what is blurred, so not undoable."""
        self.project.export = settings
        self._dirty = True
        self._autosave.start()

    def _edit(self, text: str, change: Callable[[Project], object]):
        command = _Edit(self, text, change)
        self.undo_stack.push(command)
        return command.result

    def toggle_person(self, identity_id: int) -> str:
        return self._edit("Keep or blur person", lambda p: decisions.toggle_identity(p, identity_id))

    def set_person(self, identity_id: int, decision: str) -> None:
        self._edit(f"{decision.capitalize()} person", lambda p: decisions.set_identity(p, identity_id, decision))

    def set_appearance(self, track_id: int, action: str | None) -> None:
        self._edit("Change appearance", lambda p: decisions.set_track(p, track_id, action))

    def set_people(self, identity_ids: list[int], decision: str) -> None:
        """One undo step for the whole selection, however many people it holds."""

        def change(project):
            for identity_id in identity_ids:
                decisions.set_identity(project, identity_id, decision)

        self._edit(f"{ACTION_VERBS[decision]} {len(identity_ids)} people", change)

    def merge_people(self, identity_ids: list[int], decision: str | None = None) -> int:
        return self._edit("Merge people", lambda p: decisions.merge_people(p, identity_ids, decision))

    def split_person(self, identity_id: int) -> list[int]:
        return self._edit("Split person", lambda p: decisions.split_identity(p, identity_id))

    def rename_person(self, identity_id: int, name: str) -> None:
        self._edit("Rename person", lambda p: decisions.rename_identity(p, identity_id, name))

    def answer_suggestions(self, identity_ids: list[int], confirmed: bool) -> None:
        answer = decisions.confirm_match if confirmed else decisions.reject_match

        def change(project):
            for identity_id in identity_ids:
                answer(project, identity_id)

        self._edit("Confirm suggestion" if confirmed else "Reject suggestion", change)

    def person(self, identity_id: int) -> Identity:
        """By id without searching the list: views ask for dozens of people per repaint."""
        if self._people is None:
            self._people = {i.id: i for i in self.project.identities}
        return self._people[identity_id]

    def stats(self) -> dict[int, people_stats.PersonStats]:
        """Per-person figures, recomputed once after each edit however many views ask."""
        if self.project is None:
            return {}
        if self._stats is None:
            self._stats = people_stats.all_stats(self.project, self._figures)
        return self._stats

    def split_appearance(self, track_id: int) -> int:
        return self._edit("Split appearance", lambda p: decisions.split_track(p, track_id))

    def set_span(self, track_id: int, start: int, end: int) -> None:
        self._edit("Change appearance length", lambda p: decisions.set_track_span(p, track_id, start, end))

    def add_region(self, start: int, boxes: list[Box]) -> int:
        return self._edit("Draw region", lambda p: decisions.add_manual_track(p, start, boxes).id)

    def replace_region(self, track_id: int, start: int, boxes: list[Box]) -> int:
        def change(project):
            decisions.remove_track(project, track_id)
            return decisions.add_manual_track(project, start, boxes).id

        return self._edit("Edit region", change)

    def remove_region(self, track_id: int) -> None:
        self._edit("Delete region", lambda p: decisions.remove_track(p, track_id))

    def apply_known_faces(self, known: list[KnownFace], paths: list[str]) -> list[Identity]:
        """Keep everyone who matches a photo; a person's keep wins over earlier per-appearance blurs, as when
        the editor keeps them by hand."""

        def change(project):
            matched = apply_known_faces(project.identities, known, project.tracks)
            for identity in matched:
                decisions.set_identity(project, identity.id, Action.KEEP)
            project.known_faces = sorted(set(project.known_faces) | {str(Path(p).resolve()) for p in paths})
            return matched

        return self._edit("Load known faces", change)
