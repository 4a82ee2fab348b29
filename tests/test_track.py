"""Tracking on synthetic detections, where the right answer is known exactly."""

from engine.records import Detection
from engine.track import TrackerSettings, link

SETTINGS = TrackerSettings(confirm_score=0.5, smooth_frames=1, pad_frames=0)


def face(x, score=0.9, size=40.0, y=100.0):
    return Detection((x, y, x + size, y + size), score)


def test_gap_is_filled_by_interpolation():
    frames = [[face(100 + 2 * i)] if i not in (4, 5, 6) else [] for i in range(10)]
    tracks = link(frames, 640, 360, settings=SETTINGS)
    assert len(tracks) == 1
    track = tracks[0]
    assert (track.start, track.end) == (0, 9)
    assert track.box_at(5)[0] == 110.0
    assert track.scores[5] == 0


def test_weak_detections_continue_but_do_not_start_tracks():
    frames = [[face(100, 0.9)], [face(101, 0.2)], [face(102, 0.2)], [face(400, 0.2)]]
    tracks = link(frames, 640, 360, settings=SETTINGS)
    assert [(t.start, t.end) for t in tracks] == [(0, 2)]


def test_middling_detections_count_once_they_persist():
    steady = [[face(300, 0.3)] for _ in range(6)]
    flicker = [[face(300, 0.3)] for _ in range(2)]
    assert len(link(steady, 640, 360, settings=SETTINGS)) == 1
    assert link(flicker, 640, 360, settings=SETTINGS) == []


def test_cut_ends_every_track():
    frames = [[face(100)] for _ in range(10)]
    tracks = link(frames, 640, 360, cuts=[5], settings=SETTINGS)
    assert [(t.start, t.end) for t in tracks] == [(0, 4), (5, 9)]


def test_two_faces_stay_apart_and_a_far_jump_is_a_new_track():
    frames = [[face(100 + i), face(300 - i)] for i in range(5)] + [[face(600, size=20)]]
    tracks = link(frames, 640, 360, settings=SETTINGS)
    assert len(tracks) == 3
    assert tracks[0].box_at(4)[0] == 104 and tracks[1].box_at(4)[0] == 296


def test_face_leaving_the_frame_stays_covered():
    settings = TrackerSettings(confirm_score=0.5, smooth_frames=1, pad_frames=1, edge_frames=6)
    edge = [[face(600 + 0 * i, size=40)] for i in range(3)] + [[] for _ in range(10)]
    inside = [[face(300)] for _ in range(3)] + [[] for _ in range(10)]
    assert link(edge, 640, 360, settings=settings)[0].end == 8
    assert link(inside, 640, 360, settings=settings)[0].end == 3


def test_smoothing_never_uncovers_a_detection():
    frames = [[face(100 + (15 if i % 2 else 0))] for i in range(12)]
    tracks = link(frames, 640, 360, settings=TrackerSettings(confirm_score=0.5, smooth_frames=5))
    for i, box in enumerate(tracks[0].boxes):
        detected = frames[i][0].box
        assert box[0] <= detected[0] and box[2] >= detected[2]
