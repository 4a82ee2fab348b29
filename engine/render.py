"""Drawing decisions onto frames: anonymising blurred faces, or outlining every face for review.

Each region is shrunk to a small working size, filtered there and scaled back. That makes the cost per face
constant whatever its size and, more importantly, the result irreversible: a large face keeps no more detail
than a small one, where a fixed kernel would leave a big close-up recognisable."""

from functools import lru_cache

import numpy as np

from engine import geometry
from engine.lazy import cv2
from engine.records import Action, Decision, ExportSettings
from engine.video import Frame, to_raw_box

STYLES = ("gaussian", "median", "bilateral", "averaging", "mosaic", "solid")
SHAPES = ("ellipse", "rectangle")
WORK_SIZE = 32
COLOURS = {Action.BLUR: (230, 40, 40), Action.KEEP: (40, 200, 80)}


def _odd(n: float) -> int:
    return max(3, int(n) // 2 * 2 + 1)


@lru_cache(maxsize=64)
def _gaussian(size: int) -> np.ndarray:
    """The kernel cv2.GaussianBlur would rebuild on every call, which costs more than filtering a 32-px patch."""
    return cv2.getGaussianKernel(size, 0)


def anonymised(patch: np.ndarray, style: str, strength: float, black: int = 0) -> np.ndarray:
    h, w = patch.shape[:2]
    if style == "solid":
        return np.full_like(patch, black)
    if style == "mosaic":
        cells = max(2, int(round(8 / max(strength, 0.1))))
        small = cv2.resize(patch, (cells, max(1, round(cells * h / w))), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    work = min(WORK_SIZE, max(h, w))
    scale = work / max(h, w)
    small = cv2.resize(patch, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    k = _odd(work * 0.5 * strength)
    if style == "gaussian":
        small = cv2.sepFilter2D(small, -1, _gaussian(k), _gaussian(k), borderType=cv2.BORDER_REFLECT)
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


@lru_cache(maxsize=32)
def _weights(h: int, w: int, shape: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Blend weights of the anonymised patch and of the original, cached because a tracked face keeps nearly
    the same size from frame to frame; None for a rectangle, which needs no blending."""
    if shape == "rectangle":
        return None
    drawn = np.zeros((h, w), np.uint8)
    cv2.ellipse(drawn, (w // 2, h // 2), (max(1, w // 2), max(1, h // 2)), 0, 0, 360, 255, -1, cv2.LINE_AA)
    inside = drawn.astype(np.float32) / 255
    return inside, 1 - inside


def hide(image: np.ndarray, rect: tuple[int, int, int, int], settings: ExportSettings, black: int = 0) -> None:
    """Anonymise one rectangle of an RGB image or of a single colour plane, in place."""
    x0, y0, x1, y1 = rect
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    patch = np.ascontiguousarray(image[y0:y1, x0:x1])
    hidden = anonymised(patch, settings.style, settings.strength, black)
    weights = _weights(y1 - y0, x1 - x0, settings.shape)
    image[y0:y1, x0:x1] = hidden if weights is None else cv2.blendLinear(hidden, patch, *weights)


def render(image: np.ndarray, decisions: list[Decision], settings: ExportSettings) -> None:
    """Edit an RGB `image` in place (it may be a rotated view of the decoded frame); kept and ignored faces
    are left untouched unless reviewing with `settings.mark`."""
    height, width = image.shape[:2]
    if settings.mark:
        _outline(image, decisions)
        return
    for decision in decisions:
        if decision.action == Action.BLUR:
            hide(image, geometry.padded(decision.box, settings.padding, width, height), settings)


def render_frame(frame: Frame, decisions: list[Decision], settings: ExportSettings) -> None:
    """Render onto a decoded video frame. 4:2:0 frames are edited in their own planes, region by region, so
    the other pixels never go through a colour conversion: faster, and bit-exact outside the faces."""
    if settings.mark or frame.black_level is None:
        render(frame.image, decisions, settings)
        return
    hidden = [d for d in decisions if d.action == Action.BLUR]
    if not hidden:
        return
    planes = frame.planes()
    height, width = planes[0].shape
    shown_w, shown_h = (height, width) if frame.rotation % 180 else (width, height)
    for decision in hidden:
        box = geometry.padded(decision.box, settings.padding, shown_w, shown_h)
        x0, y0, x1, y1 = (int(v) // 2 * 2 for v in to_raw_box(box, frame.rotation, width, height))
        hide(planes[0], (x0, y0, x1, y1), settings, frame.black_level)
        for chroma in planes[1:]:
            hide(chroma, (x0 // 2, y0 // 2, x1 // 2, y1 // 2), settings, 128)


def _outline(image: np.ndarray, decisions: list[Decision]) -> None:
    canvas = np.ascontiguousarray(image)
    for d in decisions:
        if d.action in COLOURS:
            x0, y0, x1, y1 = map(int, d.box)
            cv2.rectangle(canvas, (x0, y0), (x1, y1), COLOURS[d.action], 2)
            cv2.putText(
                canvas,
                f"{d.action} #{d.identity or d.track}",
                (x0, max(12, y0 - 4)),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.45,
                COLOURS[d.action],
                1,
                cv2.LINE_AA,
            )
    if canvas is not image:
        image[:] = canvas
