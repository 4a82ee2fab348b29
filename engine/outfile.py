"""Where an export writes while it runs, so the user's output path only ever holds a finished video.

Each run writes to its own hidden temp file beside the output and renames it over the output at the end (an atomic
replace on one file system). It keeps an OS lock on that temp file while it lives, so a later run can tell a
leftover of a killed run (unlocked: delete it) from the temp file of a run still writing (locked: leave it). A lock
file per output path makes a second run to the same path fail at once instead of racing the first one."""

import os
import re
import secrets
from pathlib import Path

from engine.errors import OutputError

try:
    import fcntl
except ImportError:  # Windows: no leftover detection or second-writer check, the temp file is still unique
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".limelight-partial"
LOCK_SUFFIX = ".limelight-lock"
LEFTOVER = re.compile(r"^\..+\.(?:[0-9a-f]{12}%s|%s)$" % (re.escape(SUFFIX), re.escape(LOCK_SUFFIX[1:])))


def _lock(fd: int) -> bool:
    """A non-blocking exclusive lock; the kernel drops it when the process dies, even by SIGKILL."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def clean_leftovers(folder: Path) -> list[Path]:
    """Delete temp and lock files that no running export holds: what a killed (SIGKILL, power cut) run left behind."""
    removed: list[Path] = []
    if fcntl is None:
        return removed
    try:
        names = [p for p in folder.iterdir() if LEFTOVER.match(p.name)]
    except OSError:
        return removed
    for path in names:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _lock(fd):
                path.unlink(missing_ok=True)
                removed.append(path)
        finally:
            os.close(fd)
    return removed


class OutputFile:
    """Claims `target` for one run: a lock against a second writer and a unique temp file to write into."""

    def __init__(self, target: str | os.PathLike):
        self.target = Path(target)
        folder = self.target.parent
        clean_leftovers(folder)
        self._lock_path = folder / f".{self.target.name}{LOCK_SUFFIX}"
        self._lock_fd = self._claim_target()
        self.partial = folder / f".{self.target.name}.{secrets.token_hex(6)}{SUFFIX}"
        try:
            fd = os.open(self.partial, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
        except OSError as exc:
            self._release()
            raise OutputError(f"{self.target}: cannot write in {folder} ({exc.strerror})") from None
        self._partial_fd: int | None = fd
        _lock(fd)

    def _claim_target(self) -> int | None:
        while True:
            try:
                fd = os.open(self._lock_path, os.O_CREAT | os.O_RDWR, 0o644)
            except OSError as exc:
                raise OutputError(f"{self.target}: cannot write in {self.target.parent} ({exc.strerror})") from None
            if not _lock(fd):
                os.close(fd)
                raise OutputError(
                    f"{self.target}: another LimeLight export is writing this file right now; "
                    "wait for it or choose another output name"
                )
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self._lock_path))
            except FileNotFoundError:
                same = False
            if same:  # not a lock file its previous holder unlinked while we opened it
                return fd
            os.close(fd)

    def commit(self) -> None:
        try:
            os.replace(self.partial, self.target)
        except OSError as exc:
            self.discard()
            raise OutputError(f"{self.target}: cannot replace it ({exc.strerror})") from None
        self._release()

    def discard(self) -> None:
        self.partial.unlink(missing_ok=True)
        self._release()

    def _release(self) -> None:
        fd = getattr(self, "_partial_fd", None)  # unset when the temp file could not be created
        if fd is not None:
            os.close(fd)
            self._partial_fd = None
        if self._lock_fd is not None:
            self._lock_path.unlink(missing_ok=True)
            os.close(self._lock_fd)
            self._lock_fd = None
