"""The moments of a video most worth an editor's look, in playback order, so a long video is checked by stepping
through a few dozen frames instead of watching all of it: where the tracker filled in for a lost detector, faces
the detector was unsure of, appearances too short to notice while playing, and where each kept face enters and
leaves (a kept face that starts a frame early or ends a frame late shows someone it should not)."""

from dataclasses import dataclass

import numpy as np

from engine.decisions import track_actions
from engine.people_stats import LOW_CONFIDENCE, SHORT_SECONDS
from engine.records import Action, Project, Track


@dataclass(frozen=True)
class Moment:
    """One frame of one appearance, with every reason to look at it there."""

    frame: int
    track: int
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return "; ".join(self.reasons)


def _filled_gaps(track: Track, longest_planned: int) -> list[tuple[int, str]]:
    """Runs of tracker-filled frames longer than the detection stride leaves anyway: the detector lost the face.
    Runs at either end are the tracker's padding, not a loss."""
    seen = np.flatnonzero(np.asarray(track.scores) > 0)
    gaps = np.diff(seen) - 1
    return [
        (track.start + int(after) + int(run + 1) // 2, f"the tracker filled {int(run)} frames the detector missed")
        for after, run in zip(seen[:-1], gaps)
        if run > longest_planned
    ]


def moments(project: Project) -> list[Moment]:
    fps = project.source.fps or 25.0
    found: dict[tuple[int, int], list[str]] = {}
    actions = track_actions(project)
    for track in project.tracks:
        if track.manual:
            continue
        notes = _filled_gaps(track, max(project.detector.stride - 1, 1))
        best = max(track.scores, default=0.0)
        if 0 < best < LOW_CONFIDENCE:
            notes.append((track.start + track.scores.index(best), f"the detector was unsure (best score {best:.2f})"))
        if len(track.boxes) < SHORT_SECONDS * fps:
            notes.append(
                (
                    track.thumbnail_frame if track.thumbnail_frame is not None else track.start,
                    f"on screen for only {len(track.boxes)} frames",
                )
            )
        if actions[track.id] == Action.KEEP:
            notes += [(track.start, "a kept face appears"), (track.end, "a kept face leaves")]
        for frame, note in notes:
            found.setdefault((frame, track.id), []).append(note)
    return [Moment(frame, track, tuple(notes)) for (frame, track), notes in sorted(found.items())]
