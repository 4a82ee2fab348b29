"""What every detector returns, whatever model is behind it."""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detection:
    """One face in one frame, in display-oriented pixel coordinates (x0, y0, x1, y1)."""
    box: tuple[float, float, float, float]
    score: float
    landmarks: tuple[tuple[float, float], ...] | None = None

    @property
    def size(self) -> float:
        return max(self.box[2] - self.box[0], self.box[3] - self.box[1])


def clip_box(box, width: int, height: int) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return (float(np.clip(x0, 0, width)), float(np.clip(y0, 0, height)),
            float(np.clip(x1, 0, width)), float(np.clip(y1, 0, height)))


def as_rgb(image: np.ndarray) -> np.ndarray:
    """Detectors take contiguous 3-channel RGB; frames may be rotated views or grey/RGBA stills."""
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    elif image.shape[2] == 4:
        image = image[:, :, :3]
    return np.ascontiguousarray(image)
