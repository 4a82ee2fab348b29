"""Recognition on real faces: the same person matches across photos and video, different people do not."""

import cv2
import numpy as np
import pytest

from engine import identities, video
from engine.errors import InputError
from engine.records import Identity, KnownFace, MatchStatus, Track
from engine.stills import read_image, write_image
from tests.helpers import CLIP, LFW, PERFORMER, PIANIST


@pytest.fixture(scope="module")
def known():
    return identities.load_known_faces([PERFORMER, PIANIST])


def _frame_embedding(index, box):
    return identities.embed(next(video.read_frames(CLIP, start=index)).image, box)


def test_performer_in_the_clip_matches_his_photo_only(known):
    vector = _frame_embedding(160, (246, 18, 331, 137))
    performer = Identity(id=1, tracks=[1], embedding=vector.tolist())
    assert identities.apply_known_faces([performer], known) == [performer]
    assert performer.name == "lin-manuel-miranda" and performer.decision == "keep"


def test_a_stranger_matches_nobody(known):
    stranger = Identity(id=1, tracks=[1], embedding=_frame_embedding(229, (314, 40, 385, 154)).tolist())
    assert identities.apply_known_faces([stranger], known) == []
    assert stranger.decision == "blur"


def test_tiny_faces_are_not_recognised():
    assert identities.embed(np.zeros((100, 100, 3), np.uint8), (10, 10, 40, 40)) is None


def _track(track_id, start, end, vector):
    return Track(
        id=track_id,
        start=start,
        boxes=[(0, 0, 1, 1)] * (end - start + 1),
        scores=[1.0] * (end - start + 1),
        embedding=vector,
    )


def test_clustering_joins_reappearances_but_never_simultaneous_faces():
    a, b = np.zeros(128), np.zeros(128)
    b[0] = 0.3
    far = np.zeros(128)
    far[1] = 2.0
    tracks = [
        _track(1, 0, 10, a.tolist()),
        _track(2, 20, 30, b.tolist()),
        _track(3, 25, 40, a.tolist()),
        _track(4, 50, 60, far.tolist()),
        _track(5, 0, 60, None),
    ]
    people = identities.cluster(tracks)
    groups = sorted(sorted(p.tracks) for p in people)
    assert [1, 2] in groups or [1, 3] in groups
    assert not any({2, 3} <= set(g) for g in groups)
    assert [4] in groups and [5] in groups
    assert [p.tracks for p in identities.cluster([_track(1, 0, 5, None)])] == [[1]]


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


# Rules for keeping a known person, on real LFW faces (../shared/data/lfw-people): East Asian faces and relatives,
# which dlib's descriptor separates less well than the Western adults it was mostly trained on.


@pytest.fixture(scope="module")
def lfw():
    """Descriptor of the face LFW centres in a photo (others at its edges are the photo's bystanders)."""
    from engine import detect

    detector, cache = detect.create(), {}

    def vector(name: str, number: int, size: float | None = None) -> np.ndarray:
        if (name, number, size) not in cache:
            rgb = read_image(LFW / name / f"{name}_{number:04d}.jpg")
            face = min(
                detector.detect(rgb), key=lambda d: abs(d.box[0] + d.box[2] - 250) + abs(d.box[1] + d.box[3] - 250)
            )
            box = np.array(face.box)
            if size:
                factor = size / max(box[2] - box[0], box[3] - box[1])
                rgb, box = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), box * factor
            cache[name, number, size] = identities.embed(rgb, box)
        return cache[name, number, size]

    return vector


def _people(tracks: list[Track]) -> list[Identity]:
    return identities.cluster(tracks)


def _status(people, track_id):
    person = next(p for p in people if track_id in p.tracks)
    return person.decision, person.match.status if person.match else None


def test_a_look_alike_in_the_video_turns_a_keep_into_a_question(lfw):
    """Cohort: Li Zhaoxing is nearly as close to Koizumi's photo as Koizumi himself; neither is kept silently."""
    known = [KnownFace("Koizumi", [lfw("Junichiro_Koizumi", 6)])]
    koizumi, li = lfw("Junichiro_Koizumi", 1), lfw("Li_Zhaoxing", 3)
    photo = known[0].embeddings[0]
    assert np.linalg.norm(koizumi - photo) < np.linalg.norm(li - photo) < 0.5
    alone = [_track(1, 0, 10, koizumi.tolist())]
    people = _people(alone)
    assert identities.apply_known_faces(people, known, alone) == people
    tracks = [_track(1, 0, 10, koizumi.tolist()), _track(2, 20, 30, li.tolist())]
    people = _people(tracks)
    assert len(people) == 2
    assert identities.apply_known_faces(people, known, tracks) == []
    assert _status(people, 1) == _status(people, 2) == ("blur", MatchStatus.SUGGESTED)


def test_two_faces_on_screen_together_are_never_both_the_known_person(lfw):
    """Cannot-link: two photos of Koizumi side by side are two people to the video; both near the photo means
    the descriptor cannot tell which one, so at most one is kept and the other is asked about."""
    known = [KnownFace("Koizumi", [lfw("Junichiro_Koizumi", 6)])]
    tracks = [
        _track(1, 0, 30, lfw("Junichiro_Koizumi", 3).tolist()),
        _track(2, 10, 40, lfw("Junichiro_Koizumi", 4).tolist()),
    ]
    people = _people(tracks)
    assert len(people) == 2
    kept = identities.apply_known_faces(people, known, tracks)
    assert len(kept) <= 1
    assert [_status(people, t)[1] for t in (1, 2)].count(MatchStatus.SUGGESTED) >= 1


def test_two_known_people_too_alike_to_tell_give_a_suggestion(lfw):
    """Margin: Chen Shui-bian's face is nearest his photo, but Hu Jintao's photo is almost as near."""
    chen = lfw("Chen_Shui-bian", 1)
    tracks = [_track(1, 0, 10, chen.tolist())]
    alone = [KnownFace("Chen", [lfw("Chen_Shui-bian", 2)])]
    people = _people(tracks)
    assert identities.apply_known_faces(people, alone, tracks) == people
    both = alone + [KnownFace("Hu", [lfw("Hu_Jintao", 1)])]
    people = _people(tracks)
    assert identities.apply_known_faces(people, both, tracks) == []
    assert people[0].match.name == "Chen" and people[0].match.status == MatchStatus.SUGGESTED


def test_one_person_over_shots_is_one_identity_and_relatives_stay_apart(lfw):
    """Three photos of Jeb Bush in three shots (two of them 0.53 apart) are one person; his father and
    brother, never on screen with him, are still other people."""
    shots = [
        ("Jeb_Bush", 4),
        ("George_W_Bush", 1),
        ("Jeb_Bush", 6),
        ("George_HW_Bush", 2),
        ("Jeb_Bush", 1),
        ("Laura_Bush", 1),
    ]
    tracks = [_track(i, 20 * i, 20 * i + 10, lfw(*shot).tolist()) for i, shot in enumerate(shots, start=1)]
    groups = sorted(sorted(p.tracks) for p in _people(tracks))
    assert groups == [[1, 3, 5], [2], [4], [6]]


def test_small_faces_are_recognised_from_40_pixels(lfw):
    """A 44-pixel face (a wide shot) still yields a descriptor close to the same person's other photo."""
    small = lfw("Jeb_Bush", 4, size=44)
    assert small is not None
    assert np.linalg.norm(small - lfw("Jeb_Bush", 6)) < identities.MATCH_STRONG
    assert np.linalg.norm(small - lfw("George_W_Bush", 1)) > identities.MATCH_WEAK


def _filmed(lfw, shots) -> tuple[list[Track], dict[int, str]]:
    """One track per LFW photo (name, number[, face size]), shots one after another, faces of a shot on screen
    together; and who each track shows."""
    tracks, who = [], {}
    for number, shot in enumerate(shots):
        for face in shot:
            tracks.append(_track(len(tracks) + 1, 20 * number, 20 * number + 10, lfw(*face).tolist()))
            who[len(tracks)] = face[0]
    return tracks, who


def test_a_relative_as_near_to_his_son_as_to_himself_joins_neither(lfw):
    """Small faces of father and son are about as near each other as to their own other photos; the video
    proves they are two people (on screen together). Joining them is a guess, and a wrong one puts father and
    son in one identity: an ambiguous face stays its own person."""
    W, HW = "George_W_Bush", "George_HW_Bush"
    shots = [[(HW, 2, 56)], [(W, 1, 56), (HW, 5, 44)], [(W, 3, 56)], [(W, 4, 56), (HW, 7, 44)]]
    tracks, who = _filmed(lfw, shots)
    for person in _people(tracks):
        assert len({who[t] for t in person.tracks}) == 1, [who[t] for t in person.tracks]


def test_an_odd_photo_joins_its_person_when_nobody_else_comes_close(lfw):
    """Yao Ming's fifth photo is 0.51 from his others on average, just past the clustering tolerance, and 0.68
    or more from everyone else in the video: it is still him, so it joins his identity and is kept with it."""
    shots = [
        [("Yao_Ming", 4), ("Vicente_Fox", 4)],
        [("Yao_Ming", 6), ("Edward_Lu", 2)],
        [("Yao_Ming", 2), ("William_Ford_Jr", 2)],
        [("Yao_Ming", 5)],
    ]
    tracks, _ = _filmed(lfw, shots)
    people = _people(tracks)
    assert sorted(next(p for p in people if 1 in p.tracks).tracks) == [1, 3, 5, 7]
    known = [KnownFace("Yao", [lfw("Yao_Ming", 1)])]
    identities.apply_known_faces(people, known, tracks)
    assert _status(people, 7) == ("keep", MatchStatus.MATCHED)
    assert all(_status(people, t)[0] == "blur" for t in (2, 4, 6))


def test_two_people_apart_from_the_cast_together_stay_two(lfw):
    """Choi Sung-hong's two photos agree with each other (0.48) and are 0.47 to 0.59 from Hu Jintao's, all of
    them 0.65 or more from the Western cast around them: standing apart together does not make them one person."""
    shots = [
        [("Paul_McCartney", 2), ("Hu_Jintao", 2), ("Monica_Seles", 6)],
        [("Paul_McCartney", 5), ("Monica_Seles", 3), ("Hu_Jintao", 8)],
        [("Monica_Seles", 5), ("Choi_Sung-hong", 4, 54)],
        [("Hu_Jintao", 5), ("Monica_Seles", 1)],
        [("Choi_Sung-hong", 1), ("Paul_McCartney", 3)],
    ]
    tracks, who = _filmed(lfw, shots)
    for person in _people(tracks):
        assert len({who[t] for t in person.tracks}) == 1, [who[t] for t in person.tracks]
