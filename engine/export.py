"""Export: decode -> render decisions -> encode, in one pass, with audio copied as it is demuxed. Decoding and
rendering run a few frames ahead of the encoder, on their own thread."""

import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from engine import atomic, audit, decisions, identities, render, stills, video
from engine.ahead import ahead
from engine.detect import create
from engine.errors import OutputError
from engine.job import Job
from engine.project import source_path
from engine.records import Decision, DetectorSettings, ExportSettings, Identity, KnownFace, Project, Track


def check_output(output: str | os.PathLike, source: str | os.PathLike | None = None) -> None:
    """Fail before minutes of analysis, not after, when the output cannot be written."""
    output = Path(output)
    if source is not None and output.resolve() == Path(source).resolve():
        raise OutputError(f"{output}: refusing to overwrite the input; choose another output name")
    if output.is_dir():
        raise OutputError(f"{output}: is a folder; give a file name")
    folder = output.parent
    if not folder.is_dir():
        raise OutputError(f"{output}: the folder {folder} does not exist")
    reason = atomic.cannot_write(folder)
    if reason:
        raise OutputError(f"{output}: cannot write in {folder} ({reason})")


@dataclass
class Exported:
    path: Path
    warnings: list[str]


def export(
    proj: Project, output: str | os.PathLike, job: Job | None = None, project_path: str | os.PathLike | None = None
) -> Exported:
    """Writes `output`; what the user must know about it (see `Job.warn`) comes back with it."""
    job = job or Job()
    source = source_path(proj, project_path)
    plan = decisions.by_frame(proj)
    settings = proj.export
    total = proj.source.frame_count
    packets: deque = deque()

    def rendered():
        for frame in video.read_frames(source, packet_sink=packets.append, warn=job.warn):
            render.render_frame(frame, plan.get(frame.index, []), settings)
            yield frame

    with video.VideoWriter(
        source, output, crf=settings.crf, preset=settings.preset, keep_audio=settings.keep_audio, warn=job.warn
    ) as writer:
        for frame in ahead(rendered()):
            _drain(packets, writer)
            writer.write(frame)
            job.step("Exporting", frame.index + 1, max(total, frame.index + 1))
        _drain(packets, writer)
    audit.write(proj, source, output)
    return Exported(Path(output), list(job.warnings))


def _drain(packets: deque, writer: video.VideoWriter) -> None:
    """Mux the audio and subtitles the read-ahead thread has demuxed so far; only this thread writes."""
    while packets:
        writer.copy(packets.popleft())


def anonymize_image(
    path: str | os.PathLike,
    output: str | os.PathLike,
    detector: DetectorSettings,
    settings: ExportSettings,
    known: list[KnownFace],
) -> int:
    """A still is a one-frame video without tracking: detect, recognise, render. Returns the faces found."""
    rgb = stills.read_image(path)
    model = create(detector.name, detector.threshold, max_side=detector.max_side, zoom=detector.zoom)
    faces = [face for face in model.detect_still(rgb) if face.score >= model.threshold]
    people = [
        Identity(id=i, tracks=[i], embedding=_embedding(rgb, face.box) if known else None)
        for i, face in enumerate(faces, start=1)
    ]
    # Every face of a photo is on screen with every other: at most one of them can be a known person.
    together = [Track(id=i, start=0, boxes=[face.box], scores=[face.score]) for i, face in enumerate(faces, start=1)]
    identities.apply_known_faces(people, known, together)
    plan = [Decision(face.box, person.decision, person.id, person.id) for face, person in zip(faces, people)]
    render.render(rgb, plan, settings)
    stills.write_image(output, rgb)
    return len(faces)


def _embedding(rgb, box):
    vector = identities.embed(rgb, box)
    return None if vector is None else vector.tolist()
