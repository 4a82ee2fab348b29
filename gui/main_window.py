"""The window: preview over timeline, people on the right, menus and shortcuts. The work itself happens in
`gui.session`; the window turns its signals into the status bar, progress rows and dialogs."""

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from engine import stills
from gui import storage
from gui.export_dialog import ExportDialog, suggested_output
from gui.face_menu import face_menu
from gui.icons import app_icon, icon
from gui.images import to_pixmap
from gui.people import PeoplePanel
from gui.preview import PreviewView
from gui.progress import TaskRow
from gui.review import ReviewBar
from gui.session import Session
from gui.style import ACTION_WORDS, person_label, plural
from gui.timeline import Timeline
from gui.transport import Transport

RECENT_LIMIT = 10
VIDEO_FILTER = "Videos and projects (*.mp4 *.mov *.m4v *.mkv *.avi *.webm *.mts *.mpg *.limelight.json);;All files (*)"
PHOTO_FILTER = "Photos (" + " ".join(f"*{s}" for s in sorted(stills.SUFFIXES)) + ")"


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, store: Path | None = None):
        super().__init__()
        self.settings = settings or QSettings()
        self.session = Session(store or storage.store_dir(), self)
        self.document, self.player = self.session.document, self.session.player
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self._make_actions()
        self._make_layout()
        self._make_menus()
        self._connect()
        self._restore_settings()
        self._update()

    # Construction

    def _action(self, text: str, slot, shortcut=None, checkable: bool = False, icon_name: str | None = None):
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if icon_name:
            action.setIcon(icon(icon_name))
            action.setToolTip(f"{text} ({action.shortcut().toString()})")
        (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        player = self.player
        second = lambda: max(1, round(self.document.fps))  # noqa: E731
        self.open_action = self._action("&Open\u2026", self.choose_file, QKeySequence.StandardKey.Open)
        self.analyse_action = self._action("&Analyse Video", self.session.analyse)
        self.export_action = self._action("&Export\u2026", self.show_export, "Ctrl+E")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.known_photos_action = self._action("Known Faces from &Photos\u2026", self.choose_known_photos, "Ctrl+K")
        self.known_photos_action.setIconText("Known Faces\u2026")
        self.known_folder_action = self._action("Known Faces from a &Folder\u2026", self.choose_known_folder)
        self.beside_action = self._action("Save Projects &Beside Videos", self._save_beside, checkable=True)
        self.undo_action = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setIconText("Undo")
        self.redo_action = self.document.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setIconText("Redo")
        self.delete_action = self._action("&Delete Drawn Region", self.delete_region, QKeySequence.StandardKey.Delete)
        self.result_action = self._action("Show &Result", self._show_result, "R", checkable=True)
        self.result_action.setToolTip("Show the anonymised result instead of outlines (R)")
        self.play_action = self._action("&Play", player.toggle, "Space", icon_name="play")
        self.playback_actions = [
            self._action("Play &Backward", lambda: player.shuttle(-1), "J"),
            self._action("Pa&use", player.pause, "K"),
            self._action("Play &Forward", lambda: player.shuttle(1), "L"),
            self._action("Back One Second", lambda: player.step(-second()), "Shift+Left"),
            self._action("Forward One Second", lambda: player.step(second()), "Shift+Right"),
        ]
        self.start_action = self._action("Go to &Start", lambda: player.step(-player.count), "Home", icon_name="start")
        self.previous_action = self._action("P&revious Frame", lambda: player.step(-1), "Left", icon_name="previous")
        self.next_action = self._action("&Next Frame", lambda: player.step(1), "Right", icon_name="next")
        self.end_action = self._action("Go to &End", lambda: player.step(player.count), "End", icon_name="end")
        self.about_action = self._action("&About LimeLight", self._about)
        self.review_action = self._action("Re&view Mode", self._review, "Ctrl+R", checkable=True)
        self.review_action.setToolTip("Step through the moments worth a look: N next, P previous (Ctrl+R)")
        self.review_next_action = self._action("Next Moment to Review", lambda: self.review.step(1), "N")
        self.review_previous_action = self._action("Previous Moment to Review", lambda: self.review.step(-1), "P")

    def _make_layout(self) -> None:
        self.preview = PreviewView(self.document, self.player)
        self.transport = Transport(
            [self.start_action, self.previous_action, self.play_action, self.next_action, self.end_action],
            self.result_action,
            self.document,
            self.player,
        )
        self.timeline = Timeline(self.document, self.player)
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.preview, 1)
        self.review = ReviewBar(self.document, self.player)
        column.addWidget(self.review)
        column.addWidget(self.transport)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.timeline)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        self.people = PeoplePanel(self.document, [self.known_photos_action, self.known_folder_action])
        self.people_dock = QDockWidget("People", self)
        self.people_dock.setObjectName("peopleDock")
        self.people_dock.setWidget(self.people)
        self.people_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.people_dock.setMinimumWidth(330)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.people_dock)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        for action in (
            self.open_action,
            self.export_action,
            None,
            self.undo_action,
            self.redo_action,
            None,
            self.known_photos_action,
        ):
            toolbar.addSeparator() if action is None else toolbar.addAction(action)
        self.statusBar().setSizeGripEnabled(False)

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addAction(self.open_action)
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addSeparator()
        for action in (
            self.known_photos_action,
            self.known_folder_action,
            self.analyse_action,
            None,
            self.export_action,
            None,
            self.beside_action,
            None,
            self.quit_action,
        ):
            file.addSeparator() if action is None else file.addAction(action)
        edit = bar.addMenu("&Edit")
        for action in (self.undo_action, self.redo_action, None, self.delete_action):
            edit.addSeparator() if action is None else edit.addAction(action)
        view = bar.addMenu("&View")
        view.addAction(self.result_action)
        for action in (self.review_action, self.review_next_action, self.review_previous_action):
            view.addAction(action)
        view.addAction(self.people_dock.toggleViewAction())
        playback = bar.addMenu("&Playback")
        for action in [
            self.play_action,
            *self.playback_actions,
            self.previous_action,
            self.next_action,
            self.start_action,
            self.end_action,
        ]:
            playback.addAction(action)
        bar.addMenu("&Help").addAction(self.about_action)

    def _connect(self) -> None:
        doc, session = self.document, self.session
        session.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        session.error.connect(self.error)
        session.opened.connect(self._opened)
        session.task_started.connect(self._show_task)
        session.tasks_changed.connect(self._update)
        session.thumbnails.connect(
            lambda found: self.people.set_thumbnails({key: to_pixmap(image) for key, image in found.items()})
        )
        session.region_pending.connect(self.preview.set_pending)
        session.region_added.connect(self.preview.select_region)
        session.exported.connect(self._exported)
        doc.opened.connect(self._update)
        doc.changed.connect(self._update)
        doc.save_failed.connect(self._save_failed)
        doc.saved.connect(lambda path: setattr(self, "_save_error_shown", False))
        self.player.state_changed.connect(self._show_play_state)
        self.player.failed.connect(lambda message: self.error("Cannot show this frame", message))
        self.preview.face_clicked.connect(self.toggle_face)
        self.preview.menu_requested.connect(self._face_menu)
        self.preview.region_drawn.connect(lambda frame, box: session.track_region(frame, box))
        self.preview.region_edited.connect(lambda track, frame, box: session.track_region(frame, box, track))
        self.preview.hint.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.people.person_clicked.connect(self.show_best_moment)
        self.people.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.review.moment_shown.connect(lambda track, identity: identity is not None and doc.select_person(identity))
        self.review.closed.connect(lambda: self.review_action.setChecked(False))
        self._save_error_shown = False
        self._closing = False

    # Settings

    def _restore_settings(self) -> None:
        self.resize(1440, 900)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([620, 230])
            self.resizeDocks([self.people_dock], [380], Qt.Orientation.Horizontal)
        self.result_action.setChecked(self.settings.value("view/result", True, type=bool))
        self.beside_action.setChecked(self.settings.value("projects/beside_videos", True, type=bool))
        self.session.beside_videos = self.beside_action.isChecked()

    def _save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("view/result", self.result_action.isChecked())
        self.settings.sync()

    def _save_beside(self, on: bool) -> None:
        self.session.beside_videos = on
        self.settings.setValue("projects/beside_videos", on)

    def _show_result(self, on: bool) -> None:
        self.preview.set_show_result(on)
        self.settings.setValue("view/result", on)

    def recent_files(self) -> list[str]:
        return [p for p in self.settings.value("recent", [], type=list) if Path(p).exists()]

    def _remember(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("recent", recent[:RECENT_LIMIT])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            self.recent_menu.addAction(Path(path).name, lambda p=path: self.session.open_path(p)).setToolTip(path)
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear List", lambda: self.settings.setValue("recent", [])).setEnabled(
            bool(self.recent_files())
        )

    # Opening

    def choose_file(self) -> None:
        folder = self.settings.value("folders/open", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open video", folder, VIDEO_FILTER)
        if path:
            self.settings.setValue("folders/open", str(Path(path).parent))
            self.session.open_path(path)

    def _opened(self, video: Path) -> None:
        self.setWindowTitle(f"{video.name} \u2014 LimeLight")
        self._remember(video.resolve())

    def _show_task(self, task, cancellable: bool) -> None:
        row = TaskRow(task)
        row.cancel.setVisible(cancellable)
        self.statusBar().addPermanentWidget(row)
        task.ended.connect(row.deleteLater)

    def known_faces_folder(self) -> str:
        """Where photos were last taken from, else the video's own folder: both beat the home folder."""
        folder = self.settings.value("folders/known")
        if folder and Path(folder).is_dir():
            return folder
        return str(self.document.video.parent if self.document.video else Path.home())

    def choose_known_photos(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Photos of people to keep visible", self.known_faces_folder(), PHOTO_FILTER
        )
        if paths:
            self.settings.setValue("folders/known", str(Path(paths[0]).parent))
            self.session.load_known_faces(paths)

    def choose_known_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder of photos of people to keep visible", self.known_faces_folder()
        )
        if folder:
            self.settings.setValue("folders/known", folder)
            self.session.load_known_faces([folder])

    def show_export(self) -> None:
        doc = self.document
        folder = self.settings.value("folders/export")
        output = suggested_output(doc.video, Path(folder) if folder and Path(folder).is_dir() else None)
        self.export_dialog = ExportDialog(doc.project.export, output, doc.video, doc.info.has_audio, self)
        self.export_dialog.accepted.connect(self._export_accepted)
        self.export_dialog.open()

    def _export_accepted(self) -> None:
        output = self.export_dialog.target()
        self.settings.setValue("folders/export", str(output.parent))
        self.session.start_export(self.export_dialog.settings(), output)

    def _exported(self, result) -> None:
        """The same warnings the command line prints (a track re-encoded, a stream left out, a short source)."""
        output = result.path
        icon = QMessageBox.Icon.Warning if result.warnings else QMessageBox.Icon.Information
        box = QMessageBox(icon, "Export finished", f"Saved {output.name}", QMessageBox.StandardButton.Close, self)
        box.setInformativeText("\n\n".join([*result.warnings, str(output.parent)]))
        folder = box.addButton("Open Folder", QMessageBox.ButtonRole.ActionRole)
        folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(output.parent))))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # Editing

    def toggle_face(self, track_id: int) -> None:
        track = self.document.project.track(track_id)
        if track.identity is None:
            return
        decision = self.document.toggle_person(track.identity)
        person = self.document.project.identity(track.identity)
        self.document.select_person(person.id)
        self.statusBar().showMessage(
            f"{person_label(person)} is now {ACTION_WORDS[decision]} in "
            f"{'their' if len(person.tracks) > 1 else 'this'} "
            f"{plural(len(person.tracks), 'appearance')}",
            6000,
        )

    def _face_menu(self, track_id: int, position) -> None:
        menu = face_menu(
            self.document,
            track_id,
            self,
            selected=self.people.selected_ids(),
            report=lambda text: self.statusBar().showMessage(text, 8000),
            rename=self.people.rename,
        )
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(position)

    def show_best_moment(self, identity_id: int) -> None:
        if self.document.project is not None:
            best = self.document.stats()[identity_id].best_frame
            if best is not None:
                self.player.pause()
                self.player.seek(best)

    def _review(self, on: bool) -> None:
        if on:
            self.review.start()
        else:
            self.review.stop()
        self._update()

    def delete_region(self) -> None:
        region = self.preview.selected_region
        if region is not None and any(t.id == region for t in self.document.project.tracks):
            self.document.remove_region(region)
        self.preview.selected_region = None

    # Feedback

    def error(self, title: str, message: str) -> QMessageBox:
        """Non-blocking, so background work and the event loop carry on while the message is read."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _save_failed(self, message: str) -> None:
        if not self._save_error_shown:
            self._save_error_shown = True
            self.error(
                "Cannot save the project",
                f"{message}\n\nYour changes are kept in the window and saved as soon as it becomes possible again.",
            )

    def _about(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "About LimeLight",
            "<b>LimeLight</b><p>Finds every face in a "
            "video, blurs everyone by default and keeps visible only the people you choose.</p>",
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _show_play_state(self) -> None:
        playing = self.player.playing
        self.play_action.setIcon(icon("pause" if playing else "play"))
        self.play_action.setText("&Pause" if playing else "&Play")

    def _update(self) -> None:
        doc, session = self.document, self.session
        has_video, has_project = doc.video is not None, doc.project is not None
        self.export_action.setEnabled(has_project and not session.busy(session.exporting))
        self.analyse_action.setEnabled(has_video and not has_project and not session.busy(session.analysis))
        self.known_photos_action.setEnabled(has_video)
        self.known_folder_action.setEnabled(has_video)
        self.review_action.setEnabled(has_project)
        for action in (self.review_next_action, self.review_previous_action):
            action.setEnabled(self.review.active)
        for action in [
            self.play_action,
            self.start_action,
            self.previous_action,
            self.next_action,
            self.end_action,
            *self.playback_actions,
        ]:
            action.setEnabled(has_video)

    def ask_before_closing(self) -> QMessageBox:
        done = self.session.analysis_progress()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Analysis is running",
            f"The analysis of {self.document.video.name} is {done}% done. Close LimeLight anyway?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setInformativeText(
            "Nothing is lost: the faces found so far are kept, and the analysis continues from "
            "there when you open this video again."
        )
        close = box.addButton("Close", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton("Keep Analysing", QMessageBox.ButtonRole.RejectRole))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button) -> None:
            if button is close:
                self._closing = True
                self.close()

        box.buttonClicked.connect(answered)
        box.open()
        return box

    # Window events

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        """A dropped video opens; dropped photos become known faces of the open video."""
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        photos = [p for p in paths if stills.is_image(p)]
        if photos and self.document.video is not None:
            self.session.load_known_faces(photos)
        elif paths:
            self.session.open_path(paths[0])
        event.acceptProposedAction()

    def closeEvent(self, event) -> None:
        """Closing mid-analysis asks first; the detections made so far are kept and the analysis continues from
        there when the video is opened again."""
        if self.session.busy(self.session.analysis) and not self._closing:
            event.ignore()
            self.ask_before_closing()
            return
        self.session.close()
        self._save_settings()
        super().closeEvent(event)
