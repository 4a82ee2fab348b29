"""Analysis: decode -> detect -> track -> embed -> identities, producing a project with everyone blurred
except people matching the known faces."""

import os
from pathlib import Path
from typing import Callable

import numpy as np

from engine import checkpoint as checkpoints
from engine import detect, geometry, identities, project, video
from engine.ahead import ahead
from engine.detect.base import fit_scale
from engine.job import Job
from engine.records import Detection, DetectorSettings, Identity, KnownFace, Project, Source, Track
from engine.scenes import THUMB_WIDTH, Detail, Triage
from engine.track import TrackerSettings, link

EMBED_FRAMES = 6


def analyze(
    path: str | os.PathLike,
    settings: DetectorSettings | None = None,
    known: list[KnownFace] | None = None,
    job: Job | None = None,
    on_detections: Callable[[int, list[Detection]], None] | None = None,
    recognise: bool = True,
    checkpoint: str | os.PathLike | None = None,
) -> Project:
    """`on_detections(frame, faces)` lets a viewer show plausible faces as they are found, before tracking
    ends; it is called for the frames the detector looked at.
    Without `recognise` every track is its own person: enough when everyone is blurred, and much faster.
    With `checkpoint`, detections are kept in that file as they are made, and those it already holds are reused."""
    settings = settings or DetectorSettings()
    job = job or Job()
    info = video.probe(path)
    job.step("Detecting faces", 0, info.frame_count)
    detector = detect.create(settings.name, settings.threshold, max_side=settings.max_side, zoom=settings.zoom)
    glance = detect.create(settings.name, settings.threshold, max_side=settings.max_side)
    width, height = info.display_size
    fine = detector.input_scale(height, width)
    scales = {Detail.FINE: fine, Detail.COARSE: min(fine, fit_scale(settings.coarse_side, height, width))}
    found: list[list[Detection]] = []
    triage = Triage(info.fps, settings.stride, fine_every=settings.fine_every)
    saved = checkpoints.Checkpoint(checkpoint, path, settings)

    def triaged():
        for frame in video.read_frames(path):
            due = triage.due(frame.index, frame.scaled(THUMB_WIDTH / width))
            yield frame.index, due, frame.scaled(scales[due]) if due and not saved.has(frame.index) else None

    for index, due, image in ahead(triaged()):
        faces = (
            saved.done[index]
            if saved.has(index)
            else (detector if due == Detail.FINE else glance).detect(image, scales[due])
            if due
            else []
        )
        saved.add(index, faces)
        found.append(faces)
        if on_detections and due:
            on_detections(index, [face for face in faces if face.score >= detector.threshold / 2])
        job.step("Detecting faces", index + 1, max(info.frame_count, index + 1))
    saved.close()
    tracks = link(found, width, height, triage.cuts, TrackerSettings.for_stride(detector.threshold, settings.stride))
    for track in tracks:
        track.thumbnail_frame = (track.best_frames(1) or [track.start])[0]
    if recognise or known:
        people = identify(path, tracks, known or [], job)
    else:
        people = identities.cluster(tracks)
        _label(tracks, people)
    source = Source(
        path=str(Path(path).resolve()),
        fingerprint=project.fingerprint(path),
        width=info.width,
        height=info.height,
        rotation=info.rotation,
        fps=info.fps,
        frame_count=len(found),
    )
    return Project(source=source, detector=settings, tracks=tracks, identities=people, cuts=triage.cuts)


def identify(path, tracks: list[Track], known: list[KnownFace], job: Job | None = None) -> list[Identity]:
    """Embed, cluster into people, match the known faces; every track learns its identity."""
    evidence = _embed_tracks(path, tracks, job or Job())
    people = identities.cluster(tracks, evidence)
    _label(tracks, people)
    if known:
        identities.apply_known_faces(people, known, tracks, evidence)
    return people


def _label(tracks: list[Track], people: list[Identity]) -> None:
    by_id = {t.id: t for t in tracks}
    for person in people:
        for track_id in person.tracks:
            by_id[track_id].identity = person.id


def _embed_frames(track: Track, count: int) -> list[int]:
    """Up to `count` frames spread over the track (the best-detected face in each stretch of it), so one
    person's embeddings see several poses and lighting, not the same moment twice; faces too small to
    tell are left out."""
    usable = [
        track.start + i
        for i, (box, score) in enumerate(zip(track.boxes, track.scores))
        if score > 0 and geometry.side(box) >= identities.MIN_FACE_PIXELS
    ]
    chosen = []
    for stretch in np.array_split(np.array(usable, dtype=int), min(count, len(usable))) if usable else ():
        box_score = [(identities.weight(track.box_at(f), track.scores[f - track.start]), f) for f in stretch]
        chosen.append(int(max(box_score)[1]))
    return chosen


def _embed_tracks(path, tracks: list[Track], job: Job) -> identities.Evidence:
    """A few weighted embeddings per track; a second decode pass is far cheaper than embedding every face in
    every frame. Each track also stores their weighted mean, which the project file keeps."""
    wanted: dict[int, list[Track]] = {}
    for track in tracks:
        for frame in _embed_frames(track, EMBED_FRAMES):
            wanted.setdefault(frame, []).append(track)
    evidence: identities.Evidence = {}
    last = max(wanted, default=-1)
    for decoded in video.read_frames(path) if wanted else ():
        for track in wanted.get(decoded.index, ()):
            box = track.box_at(decoded.index)
            vector = identities.embed(decoded.image, box)
            if vector is not None:
                evidence.setdefault(track.id, []).append(
                    (vector, identities.weight(box, track.scores[decoded.index - track.start]))
                )
        job.step("Recognising people", decoded.index + 1, last + 1)
        if decoded.index >= last:
            break
    for track in tracks:
        if track.id in evidence:
            track.embedding = identities.weighted_mean(evidence[track.id]).round(5).tolist()
    return evidence
