"""Still images: read as RGB with clear errors, written atomically."""

import os
from pathlib import Path

import numpy as np

from engine import atomic
from engine.errors import InputError, OutputError
from engine.lazy import cv2

SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def is_image(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def read_image(path: str | os.PathLike) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise InputError(f"{path}: not a readable image (corrupt file or unsupported format)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def write_image(path: str | os.PathLike, rgb: np.ndarray) -> None:
    path = Path(path)
    suffix = path.suffix.lower() if path.suffix.lower() in SUFFIXES else ".png"
    ok, data = cv2.imencode(suffix, cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:
        raise OutputError(f"{path}: cannot encode an image of this type")
    atomic.write_bytes(path, data.tobytes())
