"""Analysis: decode -> detect -> track -> embed -> identities, producing a project with everyone blurred
except people matching the known faces."""
import os
from pathlib import Path
from typing import Callable

import numpy as np

from engine import detect, identities, project, video
from engine.ahead import ahead
from engine.detect.base import Detection, fit_scale
from engine.job import Job
from engine.scenes import THUMB_WIDTH, Detail, Triage
from engine.track import TrackerSettings, link

EMBED_FRAMES = 2


def analyze(path: str | os.PathLike, settings: project.DetectorSettings | None = None,
            known: list[identities.KnownFace] | None = None, job: Job | None = None,
            on_detections: Callable[[int, list[Detection]], None] | None = None,
            recognise: bool = True) -> project.Project:
    """`on_detections(frame, faces)` lets a viewer show plausible faces as they are found, before tracking
    ends; it is called for the frames the detector looked at.
    Without `recognise` every track is its own person: enough when everyone is blurred, and much faster."""
    settings = settings or project.DetectorSettings()
    job = job or Job()
    info = video.probe(path)
    detector = detect.create(settings.name, settings.threshold, max_side=settings.max_side, zoom=settings.zoom)
    glance = detect.create(settings.name, settings.threshold, max_side=settings.max_side)
    width, height = info.display_size
    fine = detector.input_scale(height, width)
    scales = {Detail.FINE: fine, Detail.COARSE: min(fine, fit_scale(settings.coarse_side, height, width))}
    found: list[list[Detection]] = []
    triage = Triage(info.fps, settings.stride, fine_every=settings.fine_every)

    def triaged():
        for frame in video.read_frames(path):
            due = triage.due(frame.index, frame.scaled(THUMB_WIDTH / width))
            yield frame.index, due, frame.scaled(scales[due]) if due else None

    for index, due, image in ahead(triaged()):
        faces = (detector if due == Detail.FINE else glance).detect(image, scales[due]) if due else []
        found.append(faces)
        if on_detections and due:
            on_detections(index, [face for face in faces if face.score >= detector.threshold / 2])
        job.step("Detecting faces", index + 1, max(info.frame_count, index + 1))
    tracks = link(found, width, height, triage.cuts, TrackerSettings.for_stride(detector.threshold, settings.stride))
    for track in tracks:
        track.thumbnail_frame = (track.best_frames(1) or [track.start])[0]
    if recognise or known:
        _embed_tracks(path, tracks, job)
    people = identities.cluster(tracks)
    for person in people:
        for track_id in person.tracks:
            next(t for t in tracks if t.id == track_id).identity = person.id
    if known:
        identities.apply_known_faces(people, known)
    source = project.Source(path=str(Path(path).resolve()), fingerprint=project.fingerprint(path), width=info.width,
                            height=info.height, rotation=info.rotation, fps=info.fps, frame_count=len(found))
    return project.Project(source=source, detector=settings, tracks=tracks, identities=people, cuts=triage.cuts)


def _embed_tracks(path, tracks, job: Job) -> None:
    """One embedding per track from its best few frames; a second decode pass is far cheaper than
    embedding every face in every frame."""
    wanted: dict[int, list] = {}
    for track in tracks:
        for frame in track.best_frames(EMBED_FRAMES):
            wanted.setdefault(frame, []).append(track)
    vectors: dict[int, list[np.ndarray]] = {}
    last = max(wanted, default=-1)
    for frame in video.read_frames(path) if wanted else ():
        for track in wanted.get(frame.index, ()):
            vector = identities.embed(frame.image, track.box_at(frame.index))
            if vector is not None:
                vectors.setdefault(track.id, []).append(vector)
        job.step("Recognising people", frame.index + 1, last + 1)
        if frame.index >= last:
            break
    for track in tracks:
        if track.id in vectors:
            track.embedding = np.mean(vectors[track.id], axis=0).round(5).tolist()
