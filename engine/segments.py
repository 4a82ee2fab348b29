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

Export splits too (`export_segmented`): each part, from a keyframe on, is rendered and encoded on its own, and the
parts' packets are joined without re-encoding, every frame at its source time, with the other streams (audio,
subtitles) copied once from the source, packet for packet. The encoder restarts at each join (a keyframe, its
own rate control), so the pixels differ from a one-pass export's by encoding noise, never in what is blurred."""

import heapq
import os
import shutil
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from engine import analyze, audit, batch, decisions, export, project, render, video
from engine.ahead import ahead
from engine.errors import Cancelled, InputError, OutputError
from engine.job import Job
from engine.lazy import av
from engine.records import Decision, Detection, DetectorSettings, ExportSettings, KnownFace, Project
from engine.scenes import Detail, Triage

# Rough cost of a frame by how closely it is looked at, in frames only decoded and triaged, for cutting segments of
# equal work. CPU time per frame on the sample clip: triage 3.8 ms, coarse detection 94 ms, fine 114 ms; on a
# 1080p upscale of it, coarse 77 ms and fine 303 ms (decoding 1080p costs more too).
COST = {Detail.NONE: 1, Detail.COARSE: 20, Detail.FINE: 40}


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


def first_pass(path, settings: DetectorSettings, info: video.VideoInfo, job: Job) -> FirstPass:
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
    return _starts([COST[Detail(detail)] for detail in first.due], first.keyframes, parts)


def _starts(costs: list[int], keyframes: list[int], parts: int) -> list[int]:
    """The keyframes nearest to where the work done so far reaches each `parts`-th of the whole."""
    work, total = [], 0
    for cost in costs:
        work.append(total)
        total += cost
    starts = [0]
    for k in range(1, parts):
        target = total * k / parts
        best = min(keyframes, key=lambda f: abs(work[f] - target), default=0)
        if best > starts[-1]:
            starts.append(best)
    return starts


def detect_segment(segment: Segment, settings: DetectorSettings, progress=None, cancel_event=None) -> Found:
    """A pool's job: the segment's faces, frame by frame, as the unsplit analysis finds them."""
    info = video.probe(segment.source)
    detector, glance, scales = analyze.detectors(settings, info)
    job = _job(segment.name, progress, cancel_event)

    def scaled():
        for frame in _frames(segment.source, segment.start, segment.pts):
            due = Detail(segment.due[frame.index - segment.start])
            yield due, frame.scaled(scales[due]) if due else None

    faces: list[list[Detection]] = []
    for due, image in ahead(scaled()):
        faces.append((detector if due == Detail.FINE else glance).detect(image, scales[due]) if due else [])
        job.step("Detecting faces", len(faces), len(segment.pts))
    if len(faces) != len(segment.pts):
        raise InputError(f"{segment.source}: ends {len(segment.pts) - len(faces)} frames earlier than it did")
    return Found(segment.start, faces)


def _job(name: str, progress, cancel_event) -> Job:
    job = Job(on_progress=lambda stage, done, total: progress and progress(name, stage, done, total))
    if cancel_event is not None:
        job.cancel_event = cancel_event
    return job


def _frames(source: str, start: int, pts: tuple[int, ...]):
    """Frames [start, start + len(pts)), decoded from the keyframe they start at; from the video's start if the
    container cannot seek there exactly (the times tell)."""
    for seek in (pts[0], None):
        frames = video.read_frames(source, start=start, seek=seek)
        first = next(frames, None)
        if first is not None and first.pts == pts[0]:
            break
        frames.close()
    else:
        raise InputError(f"{source}: frame {start} does not decode as it did; is the file changing?")
    try:
        yield first
        for expected, frame in zip(pts[1:], frames):
            if frame.pts != expected:
                raise InputError(f"{source}: frame {frame.index} decodes at another time than it did")
            yield frame
    finally:
        frames.close()


def analyze_segmented(
    path: str | os.PathLike,
    pool,
    parts: int,
    settings: DetectorSettings | None = None,
    known: list[KnownFace] | None = None,
    job: Job | None = None,
    recognise: bool = True,
) -> Project:
    """`analyze.analyze`'s project, with detection in up to `parts` segments on `pool` (engine.pools, which is
    started and closed here); recognition, when asked for, runs here, once."""
    settings = settings or DetectorSettings()
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
    found = _run(pool, segments, settings, path, job, "Detecting faces", len(first.pts))
    faces = [frame for result in found for frame in result.faces]
    threshold = analyze.detectors(settings, info)[0].threshold
    return analyze.finish(path, info, settings, threshold, faces, first.cuts, known, job, recognise)


def _run(pool, tasks: list, settings, path, job: Job, stage: str, frames: int) -> list:
    """Every task's result, in the tasks' order; progress summed over them as `stage`. Cancelling `job`
    cancels the pool's jobs; a task that fails fails the whole video."""
    done: dict[str, int] = {}

    def progress(name: str, _: str, count: int, total: int) -> None:
        done[name] = count
        if job.cancel_event.is_set():
            pool.cancel()
        else:
            job.on_progress(stage, sum(done.values()), frames)

    results: dict[int, object] = {}
    pool.start(tasks, settings, progress)
    try:
        for result in pool.results():
            if job.cancel_event.is_set():
                raise Cancelled()
            if isinstance(result, batch.Result):  # what a pool says of a job that returned nothing
                raise InputError(f"{path}: {result.error}")
            results[result.start] = result
    except BaseException:
        pool.cancel()
        raise
    finally:
        pool.close()
    return [results[task.start] for task in tasks]


class SplitVideos:
    """The batch's way through a few long videos (`limelight batch --split PARTS`): one video at a time, each
    analysed and exported in segments on the pools `new_pool(work)` makes, so that cores or cluster nodes beyond
    the number of videos are not left idle. Photos and the rest of a job are `batch.run_job`'s."""

    def __init__(self, new_pool, parts: int):
        self.new_pool, self.parts = new_pool, parts

    def start(self, tasks, settings, progress) -> None:
        self._tasks, self._settings, self._progress = deque(tasks), settings, progress
        self._cancel = threading.Event()

    def _video(self, task: batch.Task, settings: batch.Settings, job: Job) -> Project:
        detector, known = settings.detector, settings.known
        pool = self.new_pool(detect_segment)
        proj = analyze_segmented(task.source, pool, self.parts, detector, known, job, recognise=False)
        proj.export = settings.export
        export_segmented(proj, task.output, self.new_pool(encode_part), self.parts, job)
        return proj

    def results(self):
        """Each job runs here, in the parent: Ctrl+C lands in it, and after its cancelled result is recorded
        goes on to the batch as it would from a pool."""
        while self._tasks and not self._cancel.is_set():
            result = batch.run_job(self._tasks.popleft(), self._settings, self._progress, self._cancel, self._video)
            yield result
            if result.status == batch.CANCELLED:
                self._cancel.set()
                raise KeyboardInterrupt

    def cancel(self) -> None:
        self._cancel.set()

    def close(self) -> None:
        """Each video's pools are closed when its analysis and its export end."""


@dataclass(frozen=True)
class Part:
    """Frames [start, start + len(pts)) of `source`, rendered with `plan` (decisions by frame) into `target`."""

    name: str
    output: str
    source: str
    start: int
    pts: tuple[int, ...]
    plan: dict[int, list[Decision]]
    target: str
    time_base: Fraction


@dataclass
class Encoded:
    start: int


def encode_part(part: Part, settings: ExportSettings, progress=None, cancel_event=None) -> Encoded:
    """A pool's job: one part of an export, rendered and encoded as `export.export` does it."""
    job = _job(part.name, progress, cancel_event)

    def rendered():
        for frame in _frames(part.source, part.start, part.pts):
            render.render_frame(frame, part.plan.get(frame.index, []), settings)
            yield frame

    with video.VideoWriter(part.source, part.target, crf=settings.crf, preset=settings.preset, keep_audio=False) as out:
        for count, frame in enumerate(ahead(rendered()), start=1):
            out.write(frame)
            job.step("Exporting", count, len(part.pts))
    return Encoded(part.start)


def keyframe_index(path) -> tuple[list[int], list[int]]:
    """Every frame's presentation time and the keyframes' positions, from the packets alone (no decoding);
    empty when the stream carries no times."""
    with video.open_container(path) as container:
        packets = [(p.pts, p.is_keyframe) for p in container.demux(container.streams.video[0]) if p.dts is not None]
    if any(pts is None for pts, _ in packets):
        return [], []
    times = sorted(pts for pts, _ in packets)
    position = {pts: i for i, pts in enumerate(times)}
    return times, sorted(position[pts] for pts, key in packets if key)


def export_segmented(
    proj: Project,
    output: str | os.PathLike,
    pool,
    parts: int,
    job: Job | None = None,
    project_path: str | os.PathLike | None = None,
) -> export.Exported:
    """`export.export`'s output, encoded in up to `parts` parts on `pool` (started and closed here) and joined
    here. The parts are written beside the output (shared storage, where a cluster writes them)."""
    job = job or Job()
    source = project.source_path(proj, project_path)
    times, keyframes = keyframe_index(source)
    if len(times) != proj.source.frame_count or len(times) < 2:
        return export.export(proj, output, job, project_path)  # no times to check parts by: one pass
    export.check_output(output, source)
    starts = _starts([1] * len(times), keyframes, parts)
    ends = [*starts[1:], len(times)]
    plan = decisions.by_frame(proj)
    time_base = _time_base(source)
    folder = Path(tempfile.mkdtemp(prefix=".limelight-parts-", dir=Path(output).parent))
    try:
        tasks = [
            Part(
                f"{Path(output).name} [{a}-{b - 1}]",
                str(output),
                str(source),
                a,
                tuple(times[a:b]),
                {f: plan[f] for f in range(a, b) if f in plan},
                str(folder / f"{a}.mp4"),
                time_base,
            )
            for a, b in zip(starts, ends)
        ]
        _run(pool, tasks, proj.export, source, job, "Exporting", len(times))
        _join(source, tasks, output, proj.export, job)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    audit.write(proj, source, output)
    return export.Exported(Path(output), list(job.warnings))


def _join(source, parts: list[Part], output, settings: ExportSettings, job: Job) -> None:
    """The parts' video packets in order, each at its frame's source time, interleaved by time with the
    source's other streams, copied once."""
    with av.open(parts[0].target) as first:
        template = first.streams.video[0]
        with (
            video.VideoWriter(
                source, output, keep_audio=settings.keep_audio, warn=job.warn, encoded=template
            ) as writer,
            video.open_container(source) as container,
        ):
            others = [s for s in container.streams if s.type != "video"]
            copied = (p for p in container.demux(*others) if p.dts is not None) if others else iter(())
            timed = heapq.merge(_packets(parts, template), copied, key=lambda p: p.dts * p.time_base)
            for packet in timed:
                (writer.write_packet if packet.stream.type == "video" else writer.copy)(packet)


def _packets(parts: list[Part], template: av.VideoStream):
    """Each part's packets, moved from where its file's edit list put them (rounded to its movie's
    milliseconds) to its frames' source times; every part must decode with the first part's parameters."""
    for part in parts:
        with av.open(part.target) as container:
            stream = container.streams.video[0]
            if stream.codec_context.extradata != template.codec_context.extradata:
                raise OutputError(f"{part.output}: the parts were encoded with different parameters")
            base = stream.time_base
            assert base is not None, "a demuxed stream has a time base"
            packets = [(p, p.pts, p.dts) for p in container.demux(stream) if p.pts is not None and p.dts is not None]
            wanted = [round(t * part.time_base / base) for t in part.pts]
            shift = wanted[0] - min(pts for _, pts, _ in packets)
            if sorted(pts + shift for _, pts, _ in packets) != wanted:
                raise OutputError(f"{part.output}: a part's frames are not at their source times")
            for packet, pts, dts in packets:
                packet.pts, packet.dts = pts + shift, dts + shift
                yield packet


def _time_base(path) -> Fraction:
    with video.open_container(path) as container:
        base = container.streams.video[0].time_base
        assert base is not None, "a demuxed stream has a time base"
        return base
