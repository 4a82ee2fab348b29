"""Rendering: every style hides the face, nothing outside the region changes, big faces get strong blur."""

import numpy as np
import pytest

from engine import render
from engine.records import Action, Decision, ExportSettings
from engine.stills import read_image
from tests.helpers import PERFORMER

FACE = (263, 131, 539, 496)


@pytest.fixture(scope="module")
def photo():
    return read_image(PERFORMER)


def _detail(image, box):
    x0, y0, x1, y1 = box
    grey = image[y0:y1, x0:x1].astype(float).mean(axis=2)
    return np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean()


@pytest.mark.parametrize("style", render.STYLES)
@pytest.mark.parametrize("shape", render.SHAPES)
def test_each_style_hides_the_face_and_nothing_else(photo, style, shape):
    image = photo.copy()
    settings = ExportSettings(style=style, shape=shape, padding=1.0)
    render.render(image, [Decision(FACE, Action.BLUR, 1, 1)], settings)
    x0, y0, x1, y1 = FACE
    outside = np.ones(image.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(image[outside], photo[outside])
    assert _detail(image, FACE) < 0.5 * _detail(photo, FACE)
    if shape == "ellipse":
        assert np.array_equal(image[y0, x0], photo[y0, x0])


def test_kept_faces_are_untouched(photo):
    image = photo.copy()
    render.render(image, [Decision(FACE, Action.KEEP, 1, 1)], ExportSettings())
    assert np.array_equal(image, photo)


def test_blur_scales_with_face_size(photo):
    """A fixed kernel would leave a large face recognisable; the working size keeps detail equally low."""
    small = photo[::4, ::4].copy()
    big = photo.copy()
    settings = ExportSettings(padding=1.0, shape="rectangle")
    render.render(big, [Decision(FACE, Action.BLUR, 1, 1)], settings)
    small_face = tuple(v // 4 for v in FACE)
    blurred_small = small.copy()
    render.render(blurred_small, [Decision(small_face, Action.BLUR, 1, 1)], settings)
    big_ratio = _detail(big, FACE) / _detail(photo, FACE)
    small_ratio = _detail(blurred_small, small_face) / _detail(small, small_face)
    assert big_ratio < 0.15 and small_ratio < 0.3


def test_mark_mode_outlines_instead_of_blurring(photo):
    image = photo.copy()
    render.render(image, [Decision(FACE, Action.BLUR, 1, 1)], ExportSettings(mark=True))
    x0, y0, x1, y1 = FACE
    assert tuple(image[y0, (x0 + x1) // 2]) == render.COLOURS[Action.BLUR]
    centre = (slice(y0 + 20, y1 - 20), slice(x0 + 20, x1 - 20))
    assert np.array_equal(image[centre], photo[centre])


def test_rotated_view_is_edited_in_place(photo):
    raw = np.ascontiguousarray(np.rot90(photo, 1))
    view = np.rot90(raw, 3)
    render.render(view, [Decision(FACE, Action.BLUR, 1, 1)], ExportSettings())
    assert not np.array_equal(np.rot90(raw, 3), photo)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_display_boxes_map_onto_stored_pixels(rotation):
    from engine.video import display, to_raw_box

    raw = np.zeros((60, 100), np.uint8)
    shown = display(raw, rotation)
    shown[10:20, 30:45] = 1
    x0, y0, x1, y1 = to_raw_box((30, 10, 45, 20), rotation, 100, 60)
    marked = np.argwhere(raw)
    assert (marked.min(0).tolist(), (marked.max(0) + 1).tolist()) == ([y0, x0], [y1, x1])


def test_planar_render_touches_only_the_face_region():
    from engine.video import read_frames
    from tests.helpers import CLIP

    frame = next(read_frames(CLIP, start=160))
    before = [p.copy() for p in frame.planes()]
    box = (246, 18, 331, 137)
    render.render_frame(frame, [Decision(box, Action.BLUR, 1, 1)], ExportSettings(shape="rectangle", padding=1.0))
    after = frame.planes()
    changed = np.argwhere(before[0] != after[0])
    assert changed.size and changed.min(0).tolist() >= [18, 246] and changed.max(0).tolist() <= [137, 331]
    assert frame.black_level == 16 and frame._raw is None
