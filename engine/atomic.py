"""The user's small files (project, summary, still image), written atomically (see `common.atomic`), and the probe
that tells whether a folder takes them at all."""

import os
import tempfile

from common import atomic
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
    """`common.atomic.write_bytes` for the user's files: `what` completes the error message, "cannot <what> (No
    space left on device)"."""
    try:
        atomic.write_bytes(path, data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot {what} ({exc.strerror})") from None
