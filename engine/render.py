"""Drawing decisions onto frames: anonymising blurred faces, or outlining every face for review.

Each region is shrunk to a small working size, filtered there and scaled back. That makes the cost per face
constant whatever its size and, more importantly, the result irreversible: a large face keeps no more detail
than a small one, where a fixed kernel would leave a big close-up recognisable."""
import cv2
import numpy as np

from engine.decisions import Decision
from engine.project import BLUR, KEEP, ExportSettings

STYLES = ("gaussian", "median", "bilateral", "averaging", "mosaic", "solid")
SHAPES = ("ellipse", "rectangle")
WORK_SIZE = 48
COLOURS = {BLUR: (230, 40, 40), KEEP: (40, 200, 80)}


def padded(box, padding: float, width: int, height: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * padding / 2, (y1 - y0) * padding / 2
    return (max(0, int(cx - hw)), max(0, int(cy - hh)), min(width, int(np.ceil(cx + hw))),
            min(height, int(np.ceil(cy + hh))))


def _odd(n: float) -> int:
    return max(3, int(n) // 2 * 2 + 1)


def anonymised(patch: np.ndarray, style: str, strength: float) -> np.ndarray:
    h, w = patch.shape[:2]
    if style == "solid":
        return np.zeros_like(patch)
    if style == "mosaic":
        cells = max(2, int(round(8 / max(strength, 0.1))))
        small = cv2.resize(patch, (cells, max(1, round(cells * h / w))), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    scale = WORK_SIZE / max(h, w)
    small = cv2.resize(patch, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    k = _odd(WORK_SIZE * 0.5 * strength)
    if style == "gaussian":
        small = cv2.GaussianBlur(small, (k, k), 0, borderType=cv2.BORDER_REFLECT)
    elif style == "median":
        small = cv2.medianBlur(small, k)
    elif style == "averaging":
        small = cv2.blur(small, (k, k))
    elif style == "bilateral":
        for _ in range(3):
            small = cv2.bilateralFilter(small, k, 150, k)
    else:
        raise ValueError(f"unknown blur style {style!r}; choose one of {', '.join(STYLES)}")
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _mask(h: int, w: int, shape: str) -> np.ndarray:
    if shape == "rectangle":
        return np.ones((h, w, 1), np.float32)
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (max(1, w // 2), max(1, h // 2)), 0, 0, 360, 255, -1, cv2.LINE_AA)
    return (mask.astype(np.float32) / 255)[:, :, None]


def render(image: np.ndarray, decisions: list[Decision], settings: ExportSettings) -> None:
    """Edit `image` in place (it may be a rotated view of the decoded frame); kept and ignored faces are
    left untouched unless reviewing with `settings.mark`."""
    height, width = image.shape[:2]
    if settings.mark:
        _outline(image, decisions)
        return
    for decision in decisions:
        if decision.action != BLUR:
            continue
        x0, y0, x1, y1 = padded(decision.box, settings.padding, width, height)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        patch = np.ascontiguousarray(image[y0:y1, x0:x1])
        hidden = anonymised(patch, settings.style, settings.strength)
        mask = _mask(y1 - y0, x1 - x0, settings.shape)
        image[y0:y1, x0:x1] = (hidden * mask + patch * (1 - mask)).astype(np.uint8)


def _outline(image: np.ndarray, decisions: list[Decision]) -> None:
    canvas = np.ascontiguousarray(image)
    for d in decisions:
        if d.action in COLOURS:
            x0, y0, x1, y1 = map(int, d.box)
            cv2.rectangle(canvas, (x0, y0), (x1, y1), COLOURS[d.action], 2)
            cv2.putText(canvas, f"{d.action} #{d.identity or d.track}", (x0, max(12, y0 - 4)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.45, COLOURS[d.action], 1, cv2.LINE_AA)
    if canvas is not image:
        image[:] = canvas
