"""Who is who: one face embedding per track (from its best few frames, not every frame), tracks clustered into
identities over the whole video, identities matched against photos of people the editor wants to keep."""
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from engine.errors import InputError, MissingModelError
from engine.job import Job
from engine.stills import SUFFIXES, read_image
from engine.track import Track

MATCH_TOLERANCE = 0.55
CLUSTER_TOLERANCE = 0.5
MIN_FACE_PIXELS = 60


MATCHED, SUGGESTED, CONFIRMED, REJECTED = "matched", "suggested", "confirmed", "rejected"
MATCH_STATUSES = (MATCHED, SUGGESTED, CONFIRMED, REJECTED)


@dataclass
class Match:
    """Why an identity is, or may be, a known person: the evidence an editor confirms and a legal review reads.

    'matched': strong evidence, kept without asking; 'suggested': uncertain, blurred until the editor confirms;
    'confirmed' / 'rejected': the editor's answer, which a new analysis never overrides."""
    name: str
    photo: str
    distance: float
    status: str = SUGGESTED


@dataclass
class Identity:
    """A person: the tracks that show them and what export does with them ('blur' or 'keep')."""
    id: int
    tracks: list[int]
    decision: str = "blur"
    name: str | None = None
    embedding: list[float] | None = field(default=None, repr=False)
    match: Match | None = None


@dataclass
class KnownFace:
    name: str
    embeddings: list[np.ndarray]


def _face_recognition():
    try:
        import face_recognition
    except ImportError as exc:
        package = "face-recognition-models" if "models" in str(exc) else "face_recognition"
        raise MissingModelError("Face recognition", package) from None
    return face_recognition


def embed(rgb: np.ndarray, box) -> np.ndarray | None:
    """128-d dlib ResNet descriptor of the face in `box`, or None where the face is too small to recognise."""
    x0, y0, x1, y1 = box
    if max(x1 - x0, y1 - y0) < MIN_FACE_PIXELS:
        return None
    fr = _face_recognition()
    location = (int(y0), int(x1), int(y1), int(x0))
    encodings = fr.face_encodings(np.ascontiguousarray(rgb), known_face_locations=[location], model="small")
    return encodings[0] if encodings else None


def _overlap(a: list[int], b: list[int], tracks: list[Track]) -> bool:
    return any(tracks[i].start <= tracks[j].end and tracks[j].start <= tracks[i].end for i in a for j in b)


def cluster(tracks: list[Track]) -> list[Identity]:
    """Complete-linkage clustering (every pair within tolerance, so no chain of look-alikes joins two people)
    with one hard rule: two tracks seen in the same frame are two people.

    A wrong merge would keep a bystander visible along with a whitelisted person, so the rules err towards
    too many identities; tracks too small to recognise stay alone and blurred."""
    spans = {t.id: (t.start, t.end) for t in tracks}
    known = [t for t in tracks if t.embedding is not None]
    vectors = np.array([t.embedding for t in known], dtype=float).reshape(len(known), 128)
    pair = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)
    groups: list[list[int]] = [[i] for i in range(len(known))]
    while len(groups) > 1:
        best, merge = CLUSTER_TOLERANCE, None
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                d = pair[np.ix_(groups[a], groups[b])].max()
                if d < best and not _overlap(groups[a], groups[b], known):
                    best, merge = d, (a, b)
        if merge is None:
            break
        groups[merge[0]] += groups.pop(merge[1])
    members = [[known[i].id for i in g] for g in groups]
    members += [[t.id] for t in tracks if t.embedding is None]
    members.sort(key=lambda g: min(spans[t][0] for t in g))
    by_id = {t.id: t for t in known}
    identities = []
    for number, group in enumerate(members, start=1):
        group.sort(key=lambda t: spans[t][0])
        mean = [by_id[t].embedding for t in group if t in by_id]
        identities.append(Identity(id=number, tracks=group,
                                   embedding=np.mean(mean, axis=0).round(5).tolist() if mean else None))
    return identities


def load_known_faces(paths: Iterable[str | os.PathLike], detector=None, job: Job | None = None) -> list[KnownFace]:
    """Photos of people to keep: image files (one person each, named by the file) or folders holding images
    (one person per image, or one per sub-folder of images)."""
    people: dict[str, list[Path]] = {}
    for path in map(Path, paths):
        if path.is_dir():
            found = [(entry.name, _images_in(entry)) if entry.is_dir() else (entry.stem, [entry])
                     for entry in sorted(path.iterdir()) if entry.is_dir() or entry.suffix.lower() in SUFFIXES]
            found = [(name, files) for name, files in found if files]
            if not found:
                raise InputError(f"{path}: the known-faces folder holds no images "
                                 f"({', '.join(sorted(SUFFIXES))})")
            for name, files in found:
                people.setdefault(name, []).extend(files)
        elif path.is_file():
            people.setdefault(path.stem, []).append(path)
        else:
            raise InputError(f"{path}: no such known-faces file or folder")
    if detector is None:
        from engine.detect import create
        detector = create()
    job = job or Job()
    total, done, known = sum(map(len, people.values())), 0, []
    for name, files in people.items():
        vectors = []
        for photo in files:
            job.step("Reading known faces", done, total)
            vectors.append(_known_embedding(photo, detector))
            done += 1
        known.append(KnownFace(name, vectors))
    return known


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)


def _known_embedding(path: Path, detector) -> np.ndarray:
    rgb = read_image(path)
    faces = detector.detect(rgb)
    if not faces:
        raise InputError(f"{path}: no face found in this known-faces photo; use a clear, front-facing photo")
    vector = embed(rgb, max(faces, key=lambda d: d.size).box)
    if vector is None:
        raise InputError(f"{path}: the face in this known-faces photo is too small to recognise "
                         f"(under {MIN_FACE_PIXELS} pixels)")
    return vector


def apply_known_faces(identities: list[Identity], known: list[KnownFace]) -> list[Identity]:
    """Name and keep every identity close enough to a known face; returns the ones that changed."""
    changed = []
    for identity in identities:
        if identity.embedding is None:
            continue
        vector = np.asarray(identity.embedding)
        best = min(((min(np.linalg.norm(vector - k) for k in face.embeddings), face.name) for face in known),
                   default=(np.inf, None))
        if best[0] <= MATCH_TOLERANCE:
            identity.name, identity.decision = best[1], "keep"
            changed.append(identity)
    return changed
