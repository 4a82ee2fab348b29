"""Recognition on real faces: the same person matches across photos and video, different people do not."""
import numpy as np
import pytest

from engine import identities, video
from engine.errors import InputError
from engine.stills import read_image, write_image
from engine.track import Track
from tests.helpers import CLIP, PERFORMER, PIANIST


@pytest.fixture(scope="module")
def known():
    return identities.load_known_faces([PERFORMER, PIANIST])


def _frame_embedding(index, box):
    return identities.embed(next(video.read_frames(CLIP, start=index)).image, box)


def test_performer_in_the_clip_matches_his_photo_only(known):
    vector = _frame_embedding(160, (246, 18, 331, 137))
    performer = identities.Identity(id=1, tracks=[1], embedding=vector.tolist())
    assert identities.apply_known_faces([performer], known) == [performer]
    assert performer.name == "lin-manuel-miranda" and performer.decision == "keep"


def test_a_stranger_matches_nobody(known):
    stranger = identities.Identity(id=1, tracks=[1], embedding=_frame_embedding(229, (314, 40, 385, 154)).tolist())
    assert identities.apply_known_faces([stranger], known) == []
    assert stranger.decision == "blur"


def test_tiny_faces_are_not_recognised():
    assert identities.embed(np.zeros((100, 100, 3), np.uint8), (10, 10, 40, 40)) is None


def _track(track_id, start, end, vector):
    return Track(id=track_id, start=start, boxes=[(0, 0, 1, 1)] * (end - start + 1),
                 scores=[1.0] * (end - start + 1), embedding=vector)


def test_clustering_joins_reappearances_but_never_simultaneous_faces():
    a, b = np.zeros(128), np.zeros(128)
    b[0] = 0.3
    far = np.zeros(128)
    far[1] = 2.0
    tracks = [_track(1, 0, 10, a.tolist()), _track(2, 20, 30, b.tolist()), _track(3, 25, 40, a.tolist()),
              _track(4, 50, 60, far.tolist()), _track(5, 0, 60, None)]
    people = identities.cluster(tracks)
    groups = sorted(sorted(p.tracks) for p in people)
    assert [1, 2] in groups or [1, 3] in groups
    assert not any({2, 3} <= set(g) for g in groups)
    assert [4] in groups and [5] in groups


def test_known_faces_folder_with_subfolders(tmp_path):
    person = tmp_path / "people" / "pianist"
    person.mkdir(parents=True)
    write_image(person / "a.png", read_image(PIANIST))
    write_image(tmp_path / "people" / "performer.jpg", read_image(PERFORMER))
    found = identities.load_known_faces([tmp_path / "people"])
    assert sorted(k.name for k in found) == ["performer", "pianist"]


def test_known_faces_errors(tmp_path):
    with pytest.raises(InputError, match="no such"):
        identities.load_known_faces([tmp_path / "missing.png"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no images"):
        identities.load_known_faces([tmp_path / "empty"])
