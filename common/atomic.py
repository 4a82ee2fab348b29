"""Files written so the previous version stays whole until the new one is complete on disk: a crash, a full disk
or a second writer never leaves half a file where a reader expects one. Below `models`, so the converted-model
cache and the engine's project, summary and still files share one writer."""

import os
import tempfile
from pathlib import Path


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Raises OSError, the partial file removed; the caller says what could not be written."""
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
    finally:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
