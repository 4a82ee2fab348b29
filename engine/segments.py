"""One long video analysed in segments side by side, on the pools batch jobs run on (engine.pools), with the
result the unsplit analysis gives.

Detection is most of analysis, and it is what is split. Which frames are looked at, and how closely, depends on
every frame before (motion since the last detection, the fine/coarse rhythm, the shot detector's memory), so a
first pass decides it for the whole video: decoding and a thumbnail per frame, no detection. Segments start at
keyframes, where a decoder starts exactly, check that they decode the presentation times the first pass saw, and
detect on the frames triage chose, as closely as it chose. The segments' detections are then linked into tracks
once, as one video: a face crossing a boundary is one track with the boxes it has unsplit, and identities are
clustered, and decisions made, once over the whole video. So tracks, identities and decisions are the unsplit
run's by construction (tests/test_segments.py checks it).

Export stays one pass over the whole video: H.264 segments encoded apart and joined without re-encoding restart
the encoder's rate control and references at every join, so the output would not be the one a single run
writes; and audio is copied once, packet for packet."""

import os
from dataclasses import dataclass
from pathlib import Path

from engine import analyze, batch, identities, project, video
from engine.ahead import ahead
from engine.detect.base import Detection
from engine.errors import Cancelled, InputError
from engine.job import Job
from engine.scenes import Detail, Triage

# Rough cost of a frame by how closely it is looked at, in decoded-only frames, for cutting segments of equal
# work: measured on the sample clip (tools/batch_bench.py prints the segments' own times).
COST = {Detail.NONE: 1, Detail.COARSE: 6, Detail.FINE: 20}


@dataclass(frozen=True)
class Segment:
    """Frames [start, start + len(pts)) of `source`, with their presentation times and each one's Detail (a
    byte per frame). `output` names the whole video's job, which a segment that fails is reported under."""

    name: str
    output: str
    source: str
    start: int
    pts: tuple[int, ...]
    due: bytes


@dataclass
class Found:
    start: int
    faces: list[list[Detection]]


@dataclass
class FirstPass:
    pts: list[int]
    keyframes: list[int]
    due: bytes
    cuts: list[int]


def first_pass(path, settings: project.DetectorSettings, info: video.VideoInfo, job: Job) -> FirstPass:
    """Triage over the whole video, as the unsplit analysis does it, and where a segment can start."""
    triage = Triage(info.fps, settings.stride, fine_every=settings.fine_every)
    pts, keyframes, due = [], [], bytearray()
    for frame, detail in ahead(analyze.triaged(path, triage, info)):
        pts.append(frame.pts)
        due.append(detail)
        if frame.decoded.key_frame:
            keyframes.append(frame.index)
        job.step("Finding shots", frame.index + 1, max(info.frame_count, frame.index + 1))
    return FirstPass(pts, keyframes, bytes(due), triage.cuts)


def split(first: FirstPass, parts: int) -> list[int]:
    """First frames of up to `parts` segments of about equal work, each at a keyframe."""
    work, total = [], 0
    for detail in first.due:
        work.append(total)
        total += COST[Detail(detail)]
    starts = [0]
    for k in range(1, parts):
        target = total * k / parts
        best = min(first.keyframes, key=lambda f: abs(work[f] - target), default=0)
        if best > starts[-1]:
            starts.append(best)
    return starts


def detect_segment(segment: Segment, settings: project.DetectorSettings, progress=None, cancel_event=None) -> Found:
    """A pool's job: the segment's faces, frame by frame, as the unsplit analysis finds them."""
    info = video.probe(segment.source)
    detector, glance, scales = analyze.detectors(settings, info)
    job = Job(on_progress=lambda stage, done, total: progress and progress(segment.name, stage, done, total))
    if cancel_event is not None:
        job.cancel_event = cancel_event

    def scaled():
        for frame in _frames(segment):
            due = Detail(segment.due[frame.index - segment.start])
            yield due, frame.scaled(scales[due]) if due else None

    faces: list[list[Detection]] = []
    for due, image in ahead(scaled()):
        faces.append((detector if due == Detail.FINE else glance).detect(image, scales[due]) if due else [])
        job.step("Detecting faces", len(faces), len(segment.pts))
    if len(faces) != len(segment.pts):
        raise InputError(f"{segment.source}: ends {len(segment.pts) - len(faces)} frames earlier than it did")
    return Found(segment.start, faces)


def _frames(segment: Segment):
    """The segment's frames, decoded from the keyframe it starts at; from the video's start if the container
    cannot seek there exactly (the times tell)."""
    for seek in (segment.pts[0], None):
        frames = video.read_frames(segment.source, start=segment.start, seek=seek)
        first = next(frames, None)
        if first is not None and first.pts == segment.pts[0]:
            break
        frames.close()
    else:
        raise InputError(f"{segment.source}: frame {segment.start} does not decode as it did; is the file changing?")
    try:
        yield first
        for pts, frame in zip(segment.pts[1:], frames):
            if frame.pts != pts:
                raise InputError(f"{segment.source}: frame {frame.index} decodes at another time than it did")
            yield frame
    finally:
        frames.close()


def analyze_segmented(
    path: str | os.PathLike,
    pool,
    parts: int,
    settings: project.DetectorSettings | None = None,
    known: list[identities.KnownFace] | None = None,
    job: Job | None = None,
    recognise: bool = True,
) -> project.Project:
    """`analyze.analyze`'s project, with detection in up to `parts` segments on `pool` (engine.pools, which is
    started and closed here); recognition, when asked for, runs here, once."""
    settings = settings or project.DetectorSettings()
    job = job or Job()
    info = video.probe(path)
    first = first_pass(path, settings, info, job)
    starts = split(first, parts)
    ends = [*starts[1:], len(first.pts)]
    name = Path(path).name
    segments = [
        Segment(f"{name} [{a}-{b - 1}]", str(path), str(path), a, tuple(first.pts[a:b]), first.due[a:b])
        for a, b in zip(starts, ends)
    ]
    done: dict[str, int] = {}

    def progress(segment: str, stage: str, count: int, total: int) -> None:
        done[segment] = count
        if job.cancel_event.is_set():
            pool.cancel()
        else:
            job.on_progress("Detecting faces", sum(done.values()), len(first.pts))

    found: dict[int, list[list[Detection]]] = {}
    pool.start(segments, settings, progress)
    try:
        for result in pool.results():
            if job.cancel_event.is_set():
                raise Cancelled()
            if isinstance(result, batch.Result):  # what a pool says of a job that returned nothing
                raise InputError(f"{path}: {result.error}")
            found[result.start] = result.faces
    except BaseException:
        pool.cancel()
        raise
    finally:
        pool.close()
    faces = [frame for start in starts for frame in found[start]]
    threshold = analyze.detectors(settings, info)[0].threshold
    return analyze.finish(path, info, settings, threshold, faces, first.cuts, known, job, recognise)
