"""Small files (project, summary, still image) written so the previous version stays whole until the new one is
complete on disk: a crash, a full disk or a second writer never leaves half a file where the user expects one."""

import os
import tempfile
from pathlib import Path

from engine.errors import OutputError


def cannot_write(folder: str | os.PathLike) -> str | None:
    """Why nothing can be written in `folder`, or None. A real temporary file is the only probe that sees
    permissions, read-only mounts and full disks alike."""
    try:
        tempfile.TemporaryFile(dir=str(folder)).close()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def write_bytes(path: str | os.PathLike, data: bytes, what: str = "write here") -> None:
    """`what` completes the error message: "cannot <what> (No space left on device)"."""
    path = Path(path)
    partial = None
    try:
        fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent or ".")
        os.fchmod(fd, 0o644)  # mkstemp's private 0600 would hide the file from the rest of the team
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
        partial = None
    except OSError as exc:
        raise OutputError(f"{path}: cannot {what} ({exc.strerror})") from None
    finally:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
