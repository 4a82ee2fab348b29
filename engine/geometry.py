"""Box arithmetic in one place. A box is (x0, y0, x1, y1) in display-oriented pixels, the corners as floats;
the functions on one box take any 4-sequence, those on many take an (n, 4) array."""

import numpy as np

Box = tuple[float, float, float, float]


def side(box) -> float:
    """The longer side: how big a face is, whatever its aspect."""
    return max(box[2] - box[0], box[3] - box[1])


def area(box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def overlap(a, b) -> float:
    """The area two boxes share (0 where they do not meet)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def scaled(box, factor: float) -> Box:
    x0, y0, x1, y1 = box
    return (x0 * factor, y0 * factor, x1 * factor, y1 * factor)


def shifted(box, dx: float, dy: float) -> Box:
    x0, y0, x1, y1 = box
    return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)


def clipped(box, width: int, height: int) -> Box:
    """The box inside a `width` x `height` frame."""
    x0, y0, x1, y1 = box
    return (
        float(np.clip(x0, 0, width)),
        float(np.clip(y0, 0, height)),
        float(np.clip(x1, 0, width)),
        float(np.clip(y1, 0, height)),
    )


def padded(box, padding: float, width: int, height: int) -> tuple[int, int, int, int]:
    """The box grown `padding` times about its centre, in whole pixels inside the frame, rounded outwards."""
    x0, y0, x1, y1 = box
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * padding / 2, (y1 - y0) * padding / 2
    return (
        max(0, int(cx - hw)),
        max(0, int(cy - hh)),
        min(width, int(np.ceil(cx + hw))),
        min(height, int(np.ceil(cy + hh))),
    )


def square(box, padding: float, width: int, height: int) -> tuple[int, int, int, int]:
    """A square `padding` times the longer side about the box's centre, in whole pixels inside the frame: a
    face crop whose framing does not depend on the box's aspect."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = side(box) * padding / 2
    left, top = int(max(0, cx - half)), int(max(0, cy - half))
    right, bottom = int(min(width, cx + half)), int(min(height, cy + half))
    return left, top, right, bottom


def sides(boxes: np.ndarray) -> np.ndarray:
    """`side` of each box."""
    return np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])


def areas(boxes: np.ndarray) -> np.ndarray:
    """`area` of each box."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def grown(boxes: np.ndarray, padding: float) -> np.ndarray:
    """Each box grown `padding` times about its centre, unclipped and unrounded."""
    centre, half = (boxes[:, :2] + boxes[:, 2:]) / 2, (boxes[:, 2:] - boxes[:, :2]) * padding / 2
    return np.concatenate([centre - half, centre + half], axis=1)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in `a` with every box in `b`."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    return inter / np.maximum(areas(a)[:, None] + areas(b)[None, :] - inter, 1e-9)
