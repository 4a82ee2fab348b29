"""Linking per-frame detections into tracks, offline: the whole video's detections are known before any frame
is rendered, so gaps can be filled from both sides. A face the detector missed for a few frames between two
sightings is still blurred there, which is where most single-frame leaks come from."""

import bisect
from dataclasses import dataclass
from typing import Iterable

import lap
import numpy as np

from engine.geometry import iou_matrix, sides
from engine.lazy import cv2
from engine.records import Box, Detection, Track

MOTION_PAIRS = 3  # faces that must agree on a camera move


@dataclass
class TrackerSettings:
    max_gap: int = 15
    min_iou: float = 0.2
    pad_frames: int = 2
    edge_frames: int = 15
    edge_margin: float = 0.02
    smooth_frames: int = 5
    confirm_score: float = 0.0
    confirm_frames: int = 5

    @property
    def start_score(self) -> float:
        return self.confirm_score / 2

    @classmethod
    def for_stride(cls, confirm_score: float, stride: int) -> "TrackerSettings":
        """For detections on every `stride`-th frame: a face may appear up to `stride - 1` frames before it is
        first detected, so ends are padded at least that much, and persistence counts frames, not detections."""
        settings = cls(confirm_score=confirm_score)
        settings.pad_frames = max(settings.pad_frames, stride - 1)
        settings.confirm_frames = max(2, -(-settings.confirm_frames // stride))
        return settings


def _match_cost(last: np.ndarray, found: np.ndarray) -> np.ndarray:
    """IoU, relaxed by centre distance so a small face that moved more than its own width still links,
    but never to a box of less than half or more than twice the size: that is another face."""
    iou = iou_matrix(last, found)
    size = sides(last)[:, None]
    found_size = sides(found)[None, :]
    similar = (found_size >= size / 2) & (found_size <= size * 2)
    centre_last = (last[:, None, :2] + last[:, None, 2:]) / 2
    centre_found = (found[None, :, :2] + found[None, :, 2:]) / 2
    near = 1 - np.linalg.norm(centre_last - centre_found, axis=2) / np.maximum(size, 1)
    return np.maximum(iou, near * 0.5) * similar


def _associate(tracks: list[dict], found: list[Detection], frame: int, min_match: float):
    """Extend tracks with the detections that best continue them, each track compared where the camera's motion
    has carried it (`guess`); returns the tracks and the detections left unmatched."""
    unmatched_tracks, unmatched_found = set(range(len(tracks))), set(range(len(found)))
    if tracks and found:
        score = _match_cost(np.array([t["guess"] for t in tracks]), np.array([d.box for d in found]))
        _, assigned, _ = lap.lapjv(-score, extend_cost=True)
        for r, c in enumerate(assigned):
            if c >= 0 and score[r, c] >= min_match:
                tracks[r]["frames"].append(frame)
                tracks[r]["boxes"].append(found[c].box)
                tracks[r]["scores"].append(found[c].score)
                tracks[r]["guess"] = np.array(found[c].box, float)
                unmatched_tracks.discard(r)
                unmatched_found.discard(c)
    return [tracks[r] for r in sorted(unmatched_tracks)], [found[c] for c in sorted(unmatched_found)]


def _extend(tracks: list[dict], strong: list[Detection], weak: list[Detection], frame: int, min_match: float):
    """Confident detections first, then weak ones for the tracks still unmatched (ByteTrack's order)."""
    tracks, strong = _associate(tracks, strong, frame, min_match)
    tracks, weak = _associate(tracks, weak, frame, min_match)
    return tracks, strong, weak


IDENTITY = (1.0, 0.0, 0.0)


def camera_motion(tracks: list[dict], frame: int, previous: int) -> tuple[float, float, float]:
    """The camera's move between two detected frames as a zoom about the origin and a shift (x' = s x + t),
    the median over the faces found on both: a pan or a zoom carries a small face further than its own width
    between frames, and without this each frame would start it a new track."""
    pairs = [
        (np.array(t["boxes"][-2], float), np.array(t["boxes"][-1], float))
        for t in tracks
        if len(t["frames"]) > 1 and t["frames"][-1] == frame and t["frames"][-2] == previous
    ]
    if len(pairs) < MOTION_PAIRS:
        return IDENTITY
    before, after = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    zoom = float(
        np.median(
            (after[:, 2] - after[:, 0] + after[:, 3] - after[:, 1])
            / np.maximum(before[:, 2] - before[:, 0] + before[:, 3] - before[:, 1], 1e-6)
        )
    )
    shift = np.median((after[:, :2] + after[:, 2:]) / 2 - zoom * (before[:, :2] + before[:, 2:]) / 2, axis=0)
    return zoom, float(shift[0]), float(shift[1])


def _moved(box: np.ndarray, motion: tuple[float, float, float]) -> np.ndarray:
    zoom, dx, dy = motion
    return box * zoom + [dx, dy, dx, dy]


def link(
    detections: list[list[Detection]],
    width: int,
    height: int,
    cuts: Iterable[int] = (),
    settings: TrackerSettings | None = None,
) -> list[Track]:
    """Tracks from per-frame detections (index = frame), gaps filled, ends padded and boxes smoothed, none
    crossing a shot boundary (`cuts`: first frames of new shots).

    As in ByteTrack, weak detections only continue tracks: a face turning into profile keeps its blur while
    the detector's score fades. Middling ones may start a track, which counts as a face once it has a confident
    detection or persists for `confirm_frames` detections: a dim audience face is seen frame after frame,
    a false alarm flickers."""
    settings = settings or TrackerSettings()
    cuts = set(cuts)
    open_tracks: list[dict] = []
    finished: list[dict] = []
    motion, previous = IDENTITY, -1
    for frame, found in enumerate(detections):
        cut = frame in cuts
        still_open: list[dict] = []
        for t in open_tracks:
            alive = frame - t["frames"][-1] <= settings.max_gap and not cut
            (still_open if alive else finished).append(t)
        open_tracks = still_open
        if cut:
            motion, previous = IDENTITY, -1
        if not found:
            continue
        # Where each face should be: moved as the camera moved on the last step; the tracks this leaves unmatched
        # get a second look once this step's own motion is measured (the first step of a pan or a zoom).
        seen = {id(t): t["guess"] for t in open_tracks}
        for t in open_tracks:
            t["guess"] = _moved(seen[id(t)], motion)
        strong = [d for d in found if d.score >= settings.start_score]
        weak = [d for d in found if d.score < settings.start_score]
        lost, strong, weak = _extend(open_tracks, strong, weak, frame, settings.min_iou)
        motion, previous = camera_motion(open_tracks, frame, previous), frame
        if lost and motion != IDENTITY:
            for t in lost:
                t["guess"] = _moved(seen[id(t)], motion)
            lost, strong, weak = _extend(lost, strong, weak, frame, settings.min_iou)
        for d in strong:
            open_tracks.append({"frames": [frame], "boxes": [d.box], "scores": [d.score], "guess": np.array(d.box)})
    finished.extend(open_tracks)
    finished = [
        t for t in finished if max(t["scores"]) >= settings.confirm_score or len(t["frames"]) >= settings.confirm_frames
    ]
    finished.sort(key=lambda t: (t["frames"][0], t["boxes"][0][0]))
    return [
        _densify(i, t, shot_of(cuts, len(detections), t["frames"][0]), width, height, settings)
        for i, t in enumerate(finished, start=1)
    ]


def shot_of(cuts: Iterable[int], frame_count: int, frame: int) -> tuple[int, int]:
    """First and last frame of the shot holding `frame`; `cuts` are the first frames of new shots."""
    bounds = [0, *sorted(cuts), frame_count]
    after = bisect.bisect_right(bounds, frame)
    return bounds[after - 1], bounds[after] - 1


def _padding(box, width: int, height: int, settings: TrackerSettings) -> int:
    """Frames to hold a track's first or last box: longer at the frame's edge, where a face entering or
    leaving is cut off and no detector finds it any more, yet it is still recognisable."""
    margin = settings.edge_margin * max(width, height)
    at_edge = box[0] <= margin or box[1] <= margin or box[2] >= width - margin or box[3] >= height - margin
    return settings.edge_frames if at_edge else settings.pad_frames


def _densify(
    track_id: int, raw: dict, shot: tuple[int, int], width: int, height: int, settings: TrackerSettings
) -> Track:
    frames = np.array(raw["frames"])
    boxes = np.array(raw["boxes"], dtype=np.float64)
    start = max(shot[0], frames[0] - _padding(boxes[0], width, height, settings))
    end = min(shot[1], frames[-1] + _padding(boxes[-1], width, height, settings))
    every = np.arange(start, end + 1)
    dense = np.stack([np.interp(every, frames, boxes[:, k]) for k in range(4)], axis=1)
    if settings.smooth_frames > 1 and len(every) > 1:
        smooth = cv2.blur(dense, (1, min(settings.smooth_frames, len(every))), borderType=cv2.BORDER_REPLICATE)
        # Smoothing must never uncover what the detector saw, so the box is the union of both.
        dense = np.concatenate([np.minimum(smooth[:, :2], dense[:, :2]), np.maximum(smooth[:, 2:], dense[:, 2:])], 1)
    scores = np.zeros(len(every))
    scores[frames - start] = raw["scores"]
    dense[:, [0, 2]] = np.clip(dense[:, [0, 2]], 0, width)
    dense[:, [1, 3]] = np.clip(dense[:, [1, 3]], 0, height)
    return Track(
        id=track_id, start=int(start), boxes=[_rounded(b) for b in dense], scores=[round(float(s), 3) for s in scores]
    )


def _rounded(box) -> Box:
    """A tenth of a pixel is finer than any blur edge, and keeps the project file small."""
    x0, y0, x1, y1 = (round(float(v), 1) for v in box)
    return (x0, y0, x1, y1)
