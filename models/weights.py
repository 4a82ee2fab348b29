"""Weights read from another package's install, checked against the hash LimeLight was tested with before they
are used: a damaged file or another version of that package must stop with one clear line, not find other faces."""

import hashlib
from pathlib import Path

from models.errors import MissingModelError


def verified(path: Path | str, sha256: str, what: str, package: str) -> bytes:
    """The bytes of `path`, once checked. `what` names the weights in the error ("The MTCNN weights (pnet.lz4)"),
    `package` the pinned package that brings the right ones."""
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise MissingModelError(f"{what} are damaged or of another version; they", package)
    return data
