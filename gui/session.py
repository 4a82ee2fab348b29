"""The open video and the engine work done on it: opening (or restoring) a project, analysis, known faces, drawn
regions, thumbnails, export. Each runs as a `Task`; the window only listens to the signals here and shows them."""

import copy
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine import project as projects
from engine import regions, stills
from engine.analyze import analyze
from engine.checkpoint import discard
from engine.errors import ProjectFileError, UserError
from engine.export import export
from engine.frame_source import crops
from engine.identities import load_known_faces
from engine.records import Action, ExportSettings, Project
from engine.video import probe
from gui import storage
from gui.document import Document
from gui.player import Player
from gui.style import person_label, plural
from gui.workers import Task


def _collect_crops(video: Path, wanted: dict, job) -> dict:
    found = {}
    for key, image in crops(video, wanted):
        found[key] = image
        job.step("Collecting faces", len(found), len(wanted))
    return found


class Session(QObject):
    message = Signal(str)
    error = Signal(str, str)
    opened = Signal(object)
    """A video is open (its path)."""
    task_started = Signal(object, bool)
    """A task the editor should see (with whether Cancel can stop it)."""
    tasks_changed = Signal()
    thumbnails = Signal(object)
    """Face crops by track id, as RGB arrays."""
    region_pending = Signal(object)
    """The box being tracked, or None when done."""
    region_added = Signal(int)
    exported = Signal(object)

    def __init__(self, store: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.beside_videos = True
        self.document = Document(self)
        self.player = Player(self)
        self.tasks: list[Task] = []
        self.analysis: Task | None = None
        self.exporting: Task | None = None
        self.tracking: Task | None = None
        self.fingerprint: str | None = None
        self.pending_known: list[tuple[list, list[str]]] = []
        self._analysis_share = 0.0

    # Opening

    def open_path(self, path) -> None:
        path = Path(path)
        if path.name.endswith(projects.SUFFIX):
            self.open_project_file(path)
        elif stills.is_image(path):
            self.error.emit(
                "Not a video",
                f"{path.name} is a photo. To keep this person visible, use Load known "
                "faces; to blur faces in photos, use the command line: main.py anonymize PHOTO -o OUT",
            )
        else:
            self.open_video(path)

    def open_project_file(self, path: Path) -> None:
        try:
            project = projects.load(path)
            video = projects.source_path(project, path)
        except UserError as exc:
            self.error.emit("Cannot open project", str(exc))
            return
        project.source.path = str(video.absolute())
        self.open_video(video, (project, path))

    def open_video(self, video, saved: tuple | None = None) -> None:
        """Restores the saved analysis and decisions of this exact video when there are any, else analyses."""
        video = Path(video)
        try:
            info = probe(video)
            fingerprint = projects.fingerprint(video)
        except (UserError, OSError) as exc:
            self.error.emit("Cannot open video", str(exc))
            return
        self.stop()
        try:
            self.player.open(video, info.fps)
        except UserError as exc:
            self.error.emit("Cannot open video", str(exc))
            return
        try:
            saved = saved or storage.find(video, fingerprint, self.store)
        except ProjectFileError as exc:
            self.error.emit("Damaged project file", str(exc))
            saved = None
        self.fingerprint = fingerprint
        self.document.open(video, info, *(saved or (None, None)))
        self.opened.emit(video)
        if saved is None:
            self.analyse()
        else:
            self.message.emit(
                f"Restored {plural(len(saved[0].identities), 'person', 'people')} and every decision from {saved[1]}"
            )
            self._collect_thumbnails()

    # Running work

    def _run(self, task: Task, visible: bool = True, cancellable: bool = True) -> Task:
        self.tasks.append(task)
        task.failed.connect(lambda message: self.error.emit(f"{task.title} failed", message))
        task.ended.connect(lambda: (self.tasks.remove(task), self.tasks_changed.emit()))
        if visible:
            self.task_started.emit(task, cancellable)
        task.start()
        self.tasks_changed.emit()
        return task

    def stop(self) -> None:
        """Cancel everything and wait for it, so no result of the old video lands in a new one."""
        for task in self.tasks:
            task.cancel()
        for task in list(self.tasks):
            task.wait()

    @staticmethod
    def busy(task: Task | None) -> bool:
        return task is not None and task.running

    def analyse(self) -> None:
        video = self.document.video
        if video is None or self.busy(self.analysis):
            return
        self.document.found = {}
        checkpoint = storage.checkpoint_path(video, self.fingerprint, self.store)
        if checkpoint.is_file():
            self.message.emit("Continuing the analysis from where it stopped")

        def work(job):
            return analyze(
                video,
                job=job,
                on_detections=lambda frame, faces: task.partial.emit((frame, faces)),
                checkpoint=checkpoint,
            )

        task = Task("Analysing", work, self)
        task.partial.connect(lambda found: video == self.document.video and self.document.add_detections(*found))
        task.finished.connect(lambda project: self._analysed(video, project, checkpoint))
        task.progress.connect(lambda stage, done, total: setattr(self, "_analysis_share", done / max(total, 1)))
        self._analysis_share = 0.0
        task.cancelled.connect(
            lambda: self.message.emit("Analysis cancelled. File \u203a Analyse Video starts it again.")
        )
        self.analysis = self._run(task)

    def analysis_progress(self) -> int:
        """Percent of the analysis' current stage: detection, nearly all of the time."""
        return int(100 * self._analysis_share)

    def _analysed(self, video: Path, project: Project, checkpoint: Path) -> None:
        if video != self.document.video:
            return
        self.document.set_analysis(project, storage.place(video, self.fingerprint, self.store, self.beside_videos))
        if self.document.path.is_file():
            discard(checkpoint)
        for known, paths in self.pending_known:
            self._apply_known(known, paths)
        self.pending_known = []
        kept = sum(i.decision == Action.KEEP for i in project.identities)
        self.message.emit(
            f"Found {plural(len(project.identities), 'person', 'people')} in "
            f"{plural(len(project.tracks), 'appearance')}; {kept} kept, everyone else is blurred. "
            "Click a face to change that."
        )
        self._collect_thumbnails()

    def _collect_thumbnails(self) -> None:
        project, video = self.document.project, self.document.video
        wanted = {}
        for track in project.tracks:
            frame = track.thumbnail_frame if track.thumbnail_frame is not None else track.start
            if not track.manual and track.box_at(frame):
                wanted[track.id] = (frame, track.box_at(frame))
        task = Task("Collecting faces", lambda job: _collect_crops(video, wanted, job), self)
        task.finished.connect(lambda found: video == self.document.video and self.thumbnails.emit(found))
        self._run(task, visible=False)

    def load_known_faces(self, paths: list) -> None:
        paths = [str(p) for p in paths]
        task = Task("Reading known faces", lambda job: load_known_faces(paths, job=job), self)
        task.finished.connect(lambda known: self._known_loaded(known, paths))
        self._run(task)

    def _known_loaded(self, known: list, paths: list[str]) -> None:
        if self.document.project is None:
            self.pending_known.append((known, paths))
            self.message.emit("Known faces are applied when the analysis finishes")
        else:
            self._apply_known(known, paths)

    def _apply_known(self, known: list, paths: list[str]) -> None:
        matched = self.document.apply_known_faces(known, paths)
        self.message.emit(
            f"Kept {', '.join(person_label(i) for i in matched)}"
            if matched
            else "No one in this video matches the known faces"
        )

    def track_region(self, frame: int, box: tuple, replacing: int | None = None) -> None:
        """Follow a drawn box through its shot, then add it (or put it in place of the region it edits)."""
        if self.busy(self.tracking):
            self.message.emit("Wait until the previous region has been tracked")
            return
        video, project = self.document.video, self.document.project
        self.region_pending.emit(box)
        task = Task("Tracking region", lambda job: regions.follow(video, project, frame, box, job), self)
        task.finished.connect(lambda found: self._region_tracked(video, found, replacing))
        task.ended.connect(lambda: self.region_pending.emit(None))
        self.tracking = self._run(task)

    def _region_tracked(self, video: Path, found: tuple, replacing: int | None) -> None:
        if video != self.document.video:
            return
        start, boxes = found
        if replacing is not None and any(t.id == replacing for t in self.document.project.tracks):
            self.region_added.emit(self.document.replace_region(replacing, start, boxes))
        else:
            self.region_added.emit(self.document.add_region(start, boxes))
        self.message.emit(
            f"Region blurred for {len(boxes) / self.document.fps:.1f} s; drag it to adjust, Delete removes it"
        )

    def start_export(self, settings: ExportSettings, output: Path) -> None:
        """Exports a copy of the project, so edits made while it runs cannot change a half-written video."""
        self.document.set_export_settings(settings)
        self.document.save()
        snapshot, project_path = copy.deepcopy(self.document.project), self.document.path
        task = Task("Exporting", lambda job: export(snapshot, output, job, project_path=project_path), self)
        task.finished.connect(self.exported)
        task.cancelled.connect(lambda: self.message.emit("Export cancelled; no file was written"))
        self.exporting = self._run(task)

    def close(self) -> None:
        self.stop()
        self.document.close()
        self.player.close()
