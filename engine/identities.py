"""Who is who: a few face embeddings per track (from frames spread over it, not every frame), tracks clustered
into identities over the whole video, identities matched against photos of people the editor wants to keep.

A wrong keep exposes a bystander, the worst thing LimeLight can do, so a known person is kept only on strong
evidence that the video itself supports; anything less is a suggestion the editor confirms, blurred until then."""

import os
from pathlib import Path
from typing import Iterable

import numpy as np

from engine import geometry
from engine.errors import InputError
from engine.job import Job
from engine.records import Action, Identity, KnownFace, Match, MatchStatus, Track
from engine.stills import SUFFIXES, read_image

MIN_FACE_PIXELS = 40
CLUSTER_TOLERANCE = 0.5
CLUSTER_LOOSE = 0.56
CLUSTER_MAX = 0.6
CLUSTER_GAP = 0.12
AMBIGUOUS = 0.05
MATCH_STRONG = 0.45
MATCH_WEAK = 0.6
MARGIN = 0.08
COHORT_GAP = 0.1


Evidence = dict[int, list[tuple[np.ndarray, float]]]
"""Per track id: its embeddings with their weights (bigger, more confident faces count more)."""


def embed(rgb: np.ndarray, box) -> np.ndarray | None:
    """128-d dlib ResNet descriptor of the face in `box`, or None where the face is too small to tell."""
    if geometry.side(box) < MIN_FACE_PIXELS:
        return None
    from models.face_descriptor import describe

    return describe(rgb, box)


def weight(box, score: float) -> float:
    """How much one embedding counts: descriptors of faces near the 40-pixel floor are noisier."""
    return max(score, 0.1) * min(1.0, geometry.side(box) / 120)


def weighted_mean(pairs: list[tuple[np.ndarray, float]]) -> np.ndarray:
    vectors, weights = zip(*pairs)
    return np.average(np.array(vectors, dtype=float), axis=0, weights=weights)


def _evidence(tracks: list[Track], evidence: Evidence | None) -> Evidence:
    """What each track shows; a project reopened from disk has only the stored mean per track."""
    found = dict(evidence or {})
    for track in tracks:
        if track.id not in found and track.embedding is not None:
            found[track.id] = [(np.asarray(track.embedding, dtype=float), 1.0)]
    return {k: v for k, v in found.items() if v}


def _cooccur(a: Track, b: Track) -> bool:
    return a.start <= b.end and b.start <= a.end


def cluster(tracks: list[Track], evidence: Evidence | None = None) -> list[Identity]:
    """Average-linkage agglomerative clustering of tracks under a cannot-link rule: two tracks seen in the same
    frame are two people, and neither they nor any groups holding them are ever merged.

    Average linkage joins a person's many appearances (a mean over all pairs is steadier than any single
    pair); a cap on the farthest pair stops a chain of look-alikes from joining two people. A wrong merge
    could keep a bystander along with a whitelisted person, so a pair is joined only when it is clearly one
    person (see _clear) and ties break towards more identities; tracks too small to recognise stay alone and
    blurred."""
    evidence = _evidence(tracks, evidence)
    known = [t for t in tracks if t.id in evidence]
    vectors = np.array([weighted_mean(evidence[t.id]) for t in known], dtype=float).reshape(len(known), 128)
    pair = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)
    apart = np.array([[_cooccur(a, b) for b in known] for a in known], dtype=bool).reshape(pair.shape)
    average, farthest, size = pair.copy(), pair.copy(), np.ones(len(known))
    alive = np.ones(len(known), dtype=bool)
    blocked = np.zeros_like(apart)
    groups = [[i] for i in range(len(known))]
    while len(known) > 1:
        allowed = alive[:, None] & alive[None] & ~apart & ~blocked & (farthest <= CLUSTER_MAX)
        np.fill_diagonal(allowed, False)
        candidates = np.where(allowed, average, np.inf)
        a, b = map(int, np.unravel_index(np.argmin(candidates), candidates.shape))
        if not candidates[a, b] < CLUSTER_LOOSE:
            break
        if not _clear(a, b, average, apart, alive, size):
            blocked[a, b] = blocked[b, a] = True
            continue
        average[a] = average[:, a] = (size[a] * average[a] + size[b] * average[b]) / (size[a] + size[b])
        farthest[a] = farthest[:, a] = np.maximum(farthest[a], farthest[b])
        apart[a] = apart[:, a] = apart[a] | apart[b]
        blocked[a] = blocked[:, a] = blocked[a] | blocked[b]
        size[a] += size[b]
        alive[b] = False
        groups[a] += groups[b]
    members = [[known[i].id for i in groups[g]] for g in np.flatnonzero(alive)]
    members += [[t.id] for t in tracks if t.id not in evidence]
    spans = {t.id: t.start for t in tracks}
    members.sort(key=lambda g: min(spans[t] for t in g))
    identities = []
    for number, group in enumerate(members, start=1):
        group.sort(key=lambda t: spans[t])
        shown = [pair for t in group for pair in evidence.get(t, ())]
        identities.append(
            Identity(id=number, tracks=group, embedding=weighted_mean(shown).round(5).tolist() if shown else None)
        )
    return identities


def _clear(a: int, b: int, average: np.ndarray, apart: np.ndarray, alive: np.ndarray, size: np.ndarray) -> bool:
    """Whether groups `a` and `b` are clearly one person, not merely the nearest pair left.

    Not when one of them is about as near (within AMBIGUOUS) to a third group that the video proves is not
    the other one (they were on screen together): a father's face as near to his son as to his own other
    faces is a guess either way, and stays its own person. Past CLUSTER_TOLERANCE (up to CLUSTER_LOOSE), only
    a single track, and only when both are CLUSTER_GAP nearer each other than to any other group: one odd photo
    or angle of a person joins them when nobody else comes close, but several tracks that agree with each other
    are a person of their own (two East Asian people among a Western cast stand apart from it together)."""
    d = average[a, b]
    loose = d >= CLUSTER_TOLERANCE
    if loose and min(size[a], size[b]) > 1:
        return False
    others = alive.copy()
    others[[a, b]] = False
    for x, y in ((a, b), (b, a)):
        if (others & apart[y] & (average[x] < d + AMBIGUOUS)).any():
            return False
        if loose and (others & (average[x] < d + CLUSTER_GAP)).any():
            return False
    return True


def load_known_faces(paths: Iterable[str | os.PathLike], detector=None, job: Job | None = None) -> list[KnownFace]:
    """Photos of people to keep: image files (one person each, named by the file) or folders holding images
    (one person per image, or one per sub-folder of images)."""
    people: dict[str, list[Path]] = {}
    for path in map(Path, paths):
        if path.is_dir():
            found = [
                (entry.name, _images_in(entry)) if entry.is_dir() else (entry.stem, [entry])
                for entry in sorted(path.iterdir())
                if entry.is_dir() or entry.suffix.lower() in SUFFIXES
            ]
            found = [(name, files) for name, files in found if files]
            if not found:
                raise InputError(f"{path}: the known-faces folder holds no images ({', '.join(sorted(SUFFIXES))})")
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
        known.append(KnownFace(name, vectors, [str(f) for f in files]))
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
        raise InputError(
            f"{path}: the face in this known-faces photo is too small to recognise (under {MIN_FACE_PIXELS} pixels)"
        )
    return vector


def apply_known_faces(
    identities: list[Identity],
    known: list[KnownFace],
    tracks: list[Track] | None = None,
    evidence: Evidence | None = None,
) -> list[Identity]:
    """Match identities to known people; returns the ones now kept.

    An identity is kept ('matched') only when all of these hold, and is otherwise at most 'suggested' (blurred
    until the editor confirms) when its nearest known person is within MATCH_WEAK:
    - its mean embedding is within MATCH_STRONG of the person's photos (their mean, with several photos);
    - that person is nearer by MARGIN than any other known person;
    - it is nearer by COHORT_GAP than every other identity the video proves is someone else (seen in the same
      frame, or far from it): where the whole cast looks alike to the descriptor (relatives, and groups the
      descriptor separates less well) nobody stands out, and nobody is kept on an absolute distance alone.
      This is also the cannot-link rule: of two identities on screen together, at most the clearly nearer
      one can be the known person;
    - each of its tracks on its own is within MATCH_WEAK of the photos.
    A confirmed, rejected or already matched identity keeps the editor's or the earlier answer."""
    if not known:
        return []
    by_id = {t.id: t for t in tracks or ()}
    evidence = _evidence(list(by_id.values()), evidence)
    scored = [i for i in identities if i.embedding is not None]
    vectors = np.array([i.embedding for i in scored], dtype=float).reshape(len(scored), 128)
    photos = np.array([np.mean(face.embeddings, axis=0) for face in known])
    distance = np.linalg.norm(vectors[:, None] - photos[None], axis=2)
    between = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)
    seen = [[by_id[t] for t in i.tracks if t in by_id] for i in scored]
    together = np.array([[any(_cooccur(a, b) for a in x for b in y) for y in seen] for x in seen], dtype=bool).reshape(
        between.shape
    )
    results: dict[int, Match] = {}
    for row, identity in enumerate(scored):
        if identity.match is not None and identity.match.status != MatchStatus.SUGGESTED:
            continue
        order = np.argsort(distance[row])
        best = int(order[0])
        d = float(distance[row, best])
        if d > MATCH_WEAK:
            continue
        runner = float(distance[row, order[1]]) if len(order) > 1 else np.inf
        others = (together[row] | (between[row] > CLUSTER_MAX)) & (np.arange(len(scored)) != row)
        cohort = float(distance[others, best].min()) if others.any() else np.inf
        alone = all(
            np.linalg.norm(weighted_mean(evidence[t]) - photos[best]) <= MATCH_WEAK
            for t in identity.tracks
            if t in evidence
        )
        strong = d <= MATCH_STRONG and runner - d >= MARGIN and cohort - d >= COHORT_GAP and alone
        results[row] = Match(
            known[best].name,
            _nearest_photo(vectors[row], known[best]),
            round(d, 3),
            MatchStatus.MATCHED if strong else MatchStatus.SUGGESTED,
        )
    changed = []
    for row, match in results.items():
        identity = scored[row]
        identity.match = match
        if match.status == MatchStatus.MATCHED:
            identity.name, identity.decision = match.name, Action.KEEP
            changed.append(identity)
    return changed


def _nearest_photo(vector: np.ndarray, face: KnownFace) -> str:
    """The photo an editor compares the suggestion with."""
    if not face.photos:
        return ""
    return face.photos[int(np.argmin([np.linalg.norm(vector - e) for e in face.embeddings]))]
