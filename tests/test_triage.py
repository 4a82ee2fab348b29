"""Which frames get a detection and how fine, on the real clip's shots; and that coarse detections land where
the faces are in the full frame."""

import numpy as np
import pytest

from engine import analyze, detect, video
from engine.geometry import iou_matrix
from engine.records import DetectorSettings
from engine.scenes import THUMB_WIDTH, Detail, Triage
from tests.helpers import CLIP
from tools.bench import transcode


def schedule(fine_every: int) -> tuple[list[Detail], list[int]]:
    triage = Triage(29.97, stride=3, fine_every=fine_every)
    levels = [triage.due(f.index, f.scaled(THUMB_WIDTH / 640)) for f in video.read_frames(CLIP)]
    return levels, triage.cuts


def test_each_shot_starts_fine_and_every_fourth_detection_is_fine():
    levels, cuts = schedule(4)
    assert len(cuts) >= 2
    assert all(levels[frame] == Detail.FINE for frame in [0, *cuts])
    assert all(levels[frame] for frame in range(0, len(levels), 3))
    due = [level for level in levels if level]
    runs = "".join("f" if level == Detail.FINE else "c" for level in due).split("f")
    assert max(map(len, runs)) == 3
    assert due.count(Detail.COARSE) > 2 * due.count(Detail.FINE)


def test_with_fine_every_one_every_detection_is_fine():
    levels, _ = schedule(1)
    assert {level for level in levels if level} == {Detail.FINE}


@pytest.fixture(scope="module")
def upscaled(tmp_path_factory):
    return transcode(CLIP, tmp_path_factory.mktemp("upscaled") / "clip720.mp4", frames=15, size=(1280, 720))


def spy_on_detector(monkeypatch) -> list[int]:
    """Records the width of every image the analysis hands its detector."""
    seen = []
    create = detect.create

    def recording(*args, **kwargs):
        model = create(*args, **kwargs)
        plain = model.detect
        model.detect = lambda image, scale=1.0: seen.append(image.shape[1]) or plain(image, scale)
        return model

    monkeypatch.setattr(detect, "create", recording)
    return seen


def test_coarse_detections_run_small_and_find_faces_where_they_are(upscaled, monkeypatch):
    seen = spy_on_detector(monkeypatch)
    project = analyze.analyze(upscaled, DetectorSettings(max_side=1280, coarse_side=640), recognise=False)
    assert sorted(set(seen)) == [640, 1280] and seen.count(640) > seen.count(1280)
    fine = detect.create("centerface")
    for frame in video.read_frames(upscaled):
        faces = [d.box for d in fine.detect(frame.image) if d.score >= fine.threshold and d.size >= 40]
        boxes = [t.box_at(frame.index) for t in project.tracks if t.box_at(frame.index)]
        assert faces and boxes
        assert iou_matrix(np.array(faces), np.array(boxes)).max(axis=1).min() > 0.5, frame.index


def test_without_coarse_side_every_detection_is_at_max_side(upscaled, monkeypatch):
    seen = spy_on_detector(monkeypatch)
    analyze.analyze(upscaled, DetectorSettings(max_side=1280, coarse_side=None), recognise=False)
    assert set(seen) == {1280}
