"""What every detector returns, whatever model is behind it."""

import numpy as np

from engine.lazy import cv2
from engine.records import Detection


class Detector:
    """Common frame handling: a detector looks at frames no larger than `max_side`, and the caller may hand
    it a frame already scaled down (cheaper to scale while decoding) as long as it says by how much."""

    name = ""
    default_threshold = 0.0
    max_side: int | None = None

    def __init__(self, threshold: float | None = None, max_side: int | None = None):
        self.threshold = self.weak_threshold = self.default_threshold if threshold is None else threshold
        self.max_side = max_side

    def input_scale(self, height: int, width: int) -> float:
        return fit_scale(self.max_side, height, width)

    def detect(self, image: np.ndarray, scale: float = 1.0) -> list[Detection]:
        """Faces in `image`, which is a frame resized by `scale`; boxes come back in frame coordinates."""
        image = as_rgb(image)
        extra = self.input_scale(*image.shape[:2])
        if extra < 1:
            image = cv2.resize(image, None, fx=extra, fy=extra, interpolation=cv2.INTER_AREA)
        found = self._detect(image)
        total = scale * extra
        return found if total == 1 else [d.scaled(1 / total) for d in found]

    def detect_still(self, image: np.ndarray) -> list[Detection]:
        """Faces in a photo, which may take a more thorough look than a video frame can afford; by default the
        same one."""
        return self.detect(image)

    def _detect(self, image: np.ndarray) -> list[Detection]:
        raise NotImplementedError


def fit_scale(side: int | None, height: int, width: int) -> float:
    """The factor that brings a frame's longest side down to `side` (never up; None: full size)."""
    return min(1.0, side / max(height, width)) if side else 1.0


def as_rgb(image: np.ndarray) -> np.ndarray:
    """Detectors take contiguous 3-channel RGB; frames may be rotated views or grey/RGBA stills."""
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    elif image.shape[2] == 4:
        image = image[:, :, :3]
    return np.ascontiguousarray(image)
