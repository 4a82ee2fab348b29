"""Per-person figures an editor sorts and filters by (screen time, first appearance, detector confidence), computed
once per edit in one pass over the tracks, so a grid of hundreds of people re-sorts without touching the boxes."""

from dataclasses import dataclass

from engine import geometry
from engine.records import Action, Identity, MatchStatus, Project, Track

SHORT_SECONDS = 1.0
LOW_CONFIDENCE = 0.25
"""A person whose best detection scores under this is more often a hand, a vase or a pattern than a face."""

SCREEN_TIME, FIRST_APPEARANCE, DECISION = "screen time", "first appearance", "decision"
SORTS = (SCREEN_TIME, FIRST_APPEARANCE, DECISION)
_DECISION_ORDER = {Action.KEEP: 0, MatchStatus.SUGGESTED: 1, Action.BLUR: 2, Action.IGNORE: 3}


@dataclass(frozen=True)
class PersonStats:
    id: int
    frames: int
    """Frames the person is on screen (overlapping appearances counted once)."""
    first: int
    confidence: float
    """The best detector score over their appearances (0: never actually detected)."""
    best_track: int | None
    best_frame: int | None
    state: str
    """keep, blur, ignore, or 'suggested' while a possible match waits for the editor."""

    def seconds(self, fps: float) -> float:
        return self.frames / fps


def face_area(track: Track) -> float:
    frame = track.thumbnail_frame if track.thumbnail_frame is not None else track.start
    box = track.box_at(frame)
    return geometry.area(box) if box else 0.0


def _covered(tracks: list[Track]) -> int:
    """Frames on screen, overlapping appearances (a face found twice) counted once."""
    total, reached = 0, -1
    for track in sorted(tracks, key=lambda t: t.start):
        total += max(0, track.end - max(track.start - 1, reached))
        reached = max(reached, track.end)
    return total


def state_of(identity: Identity) -> str:
    if (
        identity.match is not None
        and identity.match.status == MatchStatus.SUGGESTED
        and identity.decision == Action.BLUR
    ):
        return MatchStatus.SUGGESTED
    return identity.decision


class TrackFigures:
    """A track's best score and face size, worked out once: tracks never change, while a person's figures are
    recomputed after every edit (a merge, a split)."""

    def __init__(self):
        self._known: dict[int, tuple[Track, float, float]] = {}

    def __call__(self, track: Track) -> tuple[float, float]:
        known = self._known.get(id(track))
        if known is None or known[0] is not track:
            known = self._known[id(track)] = (track, max(track.scores, default=0.0), face_area(track))
        return known[1], known[2]


def person_stats(identity: Identity, tracks: dict[int, Track], figures: TrackFigures) -> PersonStats:
    mine = [tracks[t] for t in identity.tracks if t in tracks]
    best = max(mine, key=lambda t: figures(t)[1], default=None)
    frame = None if best is None else (best.thumbnail_frame if best.thumbnail_frame is not None else best.start)
    return PersonStats(
        identity.id,
        _covered(mine),
        min((t.start for t in mine), default=0),
        max((figures(t)[0] for t in mine), default=0.0),
        None if best is None else best.id,
        frame,
        state_of(identity),
    )


def all_stats(project: Project, figures: TrackFigures | None = None) -> dict[int, PersonStats]:
    tracks = {t.id: t for t in project.tracks}
    figures = figures or TrackFigures()
    return {i.id: person_stats(i, tracks, figures) for i in project.identities}


def sort_key(order: str):
    """Ties fall back to first appearance, so the grid never reshuffles people whose figures are equal."""
    if order == SCREEN_TIME:
        return lambda s: (-s.frames, s.first, s.id)
    if order == DECISION:
        return lambda s: (_DECISION_ORDER.get(s.state, 9), -s.frames, s.id)
    return lambda s: (s.first, s.id)


def is_short(stats: PersonStats, fps: float) -> bool:
    return stats.frames < SHORT_SECONDS * fps


def is_low_confidence(stats: PersonStats) -> bool:
    return stats.confidence < LOW_CONFIDENCE
