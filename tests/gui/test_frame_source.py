"""The Qt-free helpers the GUI scrubs and tracks with: engine.frame_source and engine.regions."""

from dataclasses import replace

import numpy as np
import pytest

from engine import frame_source, project, regions, video
from engine.errors import InputError
from tests import sources
from tests.gui.conftest import CLIP
from tests.helpers import OPENING_FRAMES


@pytest.fixture(scope="module")
def decoded():
    return {frame.index: frame.image.copy() for frame in video.read_frames(CLIP)}


def test_random_access_returns_the_frames_read_frames_numbers(decoded):
    """Jumps across keyframes, backwards steps and replays: each must be exactly the frame analysis saw."""
    with frame_source.FrameSource(CLIP) as source:
        assert len(source) == len(decoded) == 275
        for index in (0, 140, 139, 138, 274, 3, 4, 5, 211, 210, 60, 59, 274):
            assert np.array_equal(source.frame(index), decoded[index]), index


def test_playing_forward_matches_sequential_decoding(decoded):
    with frame_source.FrameSource(CLIP) as source:
        assert all(np.array_equal(image, decoded[i]) for i, image in source.frames(100, 275))


@pytest.mark.parametrize("name", ["webm-vp9-opus", "webm-vp8-opus", "mkv-h264-no-audio"])
def test_every_frame_of_a_file_whose_index_lists_keyframes_alone(name, tmp_path):
    """Matroska and WebM index only keyframes (here the first of 12), and VP8/VP9 and baseline H.264 have no
    B-frames: a source that trusted that index saw one frame, and an export's audit failed on the next."""
    case = sources.CASES[name]
    path = tmp_path / f"source{case.suffix}"
    sources.make(replace(case, options={**case.options, "bf": "0"}), path)
    with frame_source.FrameSource(path) as source:
        expected = [frame.image for frame in video.read_frames(path)]
        assert len(source) == len(expected) == case.frames
        assert all(np.array_equal(source.frame(i), expected[i]) for i in (5, 11, 0, 7))


def test_frames_are_read_only_and_out_of_range_is_a_readable_error():
    with frame_source.FrameSource(CLIP) as source:
        with pytest.raises(ValueError):
            source.frame(10)[0, 0, 0] = 1
        with pytest.raises(InputError, match="has no frame 275"):
            source.frame(275)


def test_crops_cut_around_each_box(decoded):
    found = dict(
        frame_source.crops(CLIP, {"a": (150, (100.0, 50.0, 140.0, 100.0)), "b": (3, (600.0, 300.0, 640.0, 360.0))})
    )
    assert found["a"].shape == (80, 80, 3)
    assert np.array_equal(found["a"], decoded[150][35:115, 80:160])
    assert found["b"].shape[:2] == (78, 68), "clipped at the frame edge"


@pytest.fixture(scope="module")
def analysed_project(gui_analysis):
    return project.load(gui_analysis.pristine)


def test_shot_bounds_follow_the_cuts(analysed_project):
    assert analysed_project.cuts == [20, 82], "the clip's opening has two shot changes"
    assert regions.shot_bounds(analysed_project, 0) == (0, 19)
    assert regions.shot_bounds(analysed_project, 50) == (20, 81)
    assert regions.shot_bounds(analysed_project, 82) == (82, OPENING_FRAMES - 1), "the last shot ends with the video"


def test_a_drawn_box_follows_the_face_it_covers_within_its_shot(analysed_project):
    """Draw the largest detected face's box mid-track: the region must stay on that face in both directions."""
    track = max(analysed_project.tracks, key=lambda t: (len(t.boxes), t.boxes[0][2] - t.boxes[0][0]))
    middle = (track.start + track.end) // 2
    start, boxes = regions.follow(analysed_project.source.path, analysed_project, middle, track.box_at(middle))
    first, last = regions.shot_bounds(analysed_project, middle)
    assert first <= start < middle < start + len(boxes) - 1 <= last
    errors = []
    for offset, box in enumerate(boxes):
        truth = track.box_at(start + offset)
        if truth is not None:
            width = truth[2] - truth[0]
            errors.append(
                np.hypot((box[0] + box[2] - truth[0] - truth[2]) / 2, (box[1] + box[3] - truth[1] - truth[3]) / 2)
                / width
            )
    assert len(errors) >= len(boxes) // 2
    assert np.median(errors) < 0.25
