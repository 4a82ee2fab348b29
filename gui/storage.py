"""Where a video's project file lives: beside the video, where the CLI looks for it too, or, when that folder
cannot be written (a camera card, a read-only share) or the editor prefers no sidecar files, in a per-user folder
under a name derived from the video's fingerprint, so reopening the same footage from anywhere finds it."""

import stat
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from engine import atomic
from engine import checkpoint as checkpoints
from engine import project as projects
from engine.errors import ProjectFileError
from engine.records import Project


def store_dir() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)) / "projects"


def _key(fingerprint: str) -> str:
    return fingerprint.replace(":", "-")


def stored_path(video: Path, fingerprint: str, store: Path) -> Path:
    """The video's name is there for whoever looks in the folder; finding it again relies on the fingerprint."""
    return store / f"{video.stem}-{_key(fingerprint)}{projects.SUFFIX}"


def checkpoint_path(video: Path, fingerprint: str, store: Path) -> Path:
    """Always in the per-user store: a half-done analysis is no file to leave beside someone's footage."""
    store.mkdir(parents=True, exist_ok=True)
    return store / f"{video.stem}-{_key(fingerprint)}{checkpoints.SUFFIX}"


def _writable(folder: Path) -> bool:
    """A folder whose owner removed every write bit is read-only by intent, even to root, who could write."""
    try:
        if not folder.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            return False
    except OSError:
        return False
    return atomic.cannot_write(folder) is None


def place(video: Path, fingerprint: str, store: Path, beside: bool = True) -> Path:
    if beside and _writable(video.parent):
        return projects.default_path(video)
    store.mkdir(parents=True, exist_ok=True)
    return stored_path(video, fingerprint, store)


def find(video: Path, fingerprint: str, store: Path) -> tuple[Project, Path] | None:
    """The saved project of exactly this video, if any. A damaged file is renamed out of the way, so the video
    can be analysed afresh without overwriting what may still be recovered, and reported."""
    renamed = sorted(store.glob(f"*-{_key(fingerprint)}{projects.SUFFIX}")) if store.is_dir() else []
    for path in (projects.default_path(video), stored_path(video, fingerprint, store), *renamed):
        if not path.is_file():
            continue
        try:
            project = projects.load(path)
        except ProjectFileError as exc:
            kept = path.with_name(path.name + ".damaged")
            try:
                path.replace(kept)
            except OSError:
                raise ProjectFileError(f"{exc}\n\nThe video will be analysed again.") from None
            raise ProjectFileError(f"{exc}\n\nIt is kept as {kept.name}; the video will be analysed again.") from None
        if project.source.fingerprint == fingerprint:
            project.source.path = str(video.absolute())
            return project, path
    return None
