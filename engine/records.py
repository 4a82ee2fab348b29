"""The data the pipeline passes along (decode -> detect -> track -> embed -> identities -> decisions -> render),
and the project that holds it: plain dataclasses in one leaf module, so every stage can name them without
importing another stage. Reading and writing the project file is `engine.project`'s job."""

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from engine import geometry
from engine.geometry import Box

SCHEMA_VERSION = 2


class Action(StrEnum):
    """What export does with a face. A `str`, so the project file keeps the words it always had."""

    BLUR = "blur"
    KEEP = "keep"
    IGNORE = "ignore"


class MatchStatus(StrEnum):
    """'matched': strong evidence, kept without asking; 'suggested': uncertain, blurred until the editor confirms;
    'confirmed' / 'rejected': the editor's answer, which a new analysis never overrides."""

    MATCHED = "matched"
    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Detection:
    """One face in one frame, in display-oriented pixel coordinates (x0, y0, x1, y1)."""

    box: Box
    score: float
    landmarks: tuple[tuple[float, float], ...] | None = None

    @property
    def size(self) -> float:
        return geometry.side(self.box)

    def scaled(self, factor: float) -> "Detection":
        points = None if self.landmarks is None else tuple((x * factor, y * factor) for x, y in self.landmarks)
        return Detection(geometry.scaled(self.box, factor), self.score, points)

    def shifted(self, dx: float, dy: float) -> "Detection":
        points = None if self.landmarks is None else tuple((x + dx, y + dy) for x, y in self.landmarks)
        return Detection(geometry.shifted(self.box, dx, dy), self.score, points)


@dataclass
class Track:
    """One appearance of one face: a box for every frame from `start` to `start + len(boxes) - 1`.

    `scores` is 0 on frames the tracker filled in; `embedding` describes the face for recognition."""

    id: int
    start: int
    boxes: list[Box]
    scores: list[float]
    embedding: list[float] | None = None
    identity: int | None = None
    manual: bool = False
    thumbnail_frame: int | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.boxes) - 1

    def box_at(self, frame: int) -> Box | None:
        return self.boxes[frame - self.start] if self.start <= frame <= self.end else None

    def best_frames(self, count: int) -> list[int]:
        """Frames where the face was actually detected, largest and most confident first: where recognition
        has the most pixels to work with."""
        quality = [(s * geometry.side(b), i) for i, (b, s) in enumerate(zip(self.boxes, self.scores)) if s > 0]
        return [self.start + i for _, i in sorted(quality, reverse=True)[:count]]


@dataclass
class Match:
    """Why an identity is, or may be, a known person: the evidence an editor confirms and a legal review reads."""

    name: str
    photo: str
    distance: float
    status: MatchStatus = MatchStatus.SUGGESTED


@dataclass
class Identity:
    """A person: the tracks that show them and what export does with them (blur or keep)."""

    id: int
    tracks: list[int]
    decision: Action = Action.BLUR
    name: str | None = None
    embedding: list[float] | None = field(default=None, repr=False)
    match: Match | None = None


@dataclass
class KnownFace:
    name: str
    embeddings: list[np.ndarray]
    photos: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    """One box in one frame and what to do with it."""

    box: Box
    action: Action
    track: int
    identity: int | None
    manual: bool = False


@dataclass
class Source:
    path: str
    fingerprint: str
    width: int
    height: int
    rotation: int
    fps: float
    frame_count: int


@dataclass
class DetectorSettings:
    """`max_side` bounds the frame size of fine detections, `coarse_side` that of the others (see scenes.Triage);
    on small video both are the full frame. Fine detections take a second look, `zoom` times closer, where small
    faces are (see detect.centerface); None: no second look. Stills take a whole second look instead (detect_still)."""

    name: str = "centerface"
    threshold: float | None = None
    max_side: int | None = 1280
    stride: int = 3
    coarse_side: int | None = 640
    fine_every: int = 4
    zoom: float | None = 2.0


@dataclass
class ExportSettings:
    style: str = "gaussian"
    shape: str = "ellipse"
    strength: float = 1.0
    padding: float = 1.3
    crf: int = 18
    preset: str = "veryfast"
    keep_audio: bool = True
    mark: bool = False


@dataclass
class Project:
    source: Source
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    tracks: list[Track] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    overrides: dict[int, Action] = field(default_factory=dict)
    export: ExportSettings = field(default_factory=ExportSettings)
    known_faces: list[str] = field(default_factory=list)
    cuts: list[int] = field(default_factory=list)
    schema: int = SCHEMA_VERSION

    def track(self, track_id: int) -> Track:
        return next(t for t in self.tracks if t.id == track_id)

    def identity(self, identity_id: int) -> Identity:
        return next(i for i in self.identities if i.id == identity_id)
