"""What export does with each face: an identity's decision, overridden per track, resolved per frame. Also the
edits an editor makes, as plain functions on the project so the GUI and the CLI change it the same way."""

from dataclasses import replace

from engine import geometry
from engine.records import Action, Box, Decision, MatchStatus, Project, Track


def track_action(project: Project, track: Track) -> Action:
    """Blur unless someone decided otherwise: a face nobody looked at is never shown."""
    if track.id in project.overrides:
        return project.overrides[track.id]
    if track.manual or track.identity is None:
        return Action.BLUR
    return project.identity(track.identity).decision


def track_actions(project: Project) -> dict[int, Action]:
    """Every track's action in one pass; asking `track_action` track by track searches the people each time."""
    people = {i.id: i.decision for i in project.identities}
    return {
        t.id: project.overrides[t.id]
        if t.id in project.overrides
        else Action.BLUR
        if t.manual or t.identity is None
        else people[t.identity]
        for t in project.tracks
    }


def at_frame(project: Project, frame: int, actions: dict[int, Action] | None = None) -> list[Decision]:
    """`by_frame(project)[frame]` for a viewer that shows one frame at a time, without planning the whole video."""
    actions = actions or track_actions(project)
    return _inside_kept(
        [
            Decision(t.boxes[frame - t.start], actions[t.id], t.id, t.identity, t.manual)
            for t in project.tracks
            if t.start <= frame <= t.end
        ]
    )


def by_frame(project: Project) -> dict[int, list[Decision]]:
    frames: dict[int, list[Decision]] = {}
    for track in project.tracks:
        action = track_action(project, track)
        for offset, box in enumerate(track.boxes):
            frames.setdefault(track.start + offset, []).append(
                Decision(box, action, track.id, track.identity, track.manual)
            )
    return {frame: _inside_kept(found) for frame, found in frames.items()}


def _inside_kept(found: list[Decision]) -> list[Decision]:
    """A smaller detected box lying mostly inside a kept face is that face's mouth, hand or microphone
    found a second time; blurring it would deface the person the editor chose to show. Drawn regions stay."""
    kept = [d.box for d in found if d.action == Action.KEEP]
    if not kept:
        return found
    return [
        replace(d, action=Action.KEEP)
        if d.action == Action.BLUR and not d.manual and any(_within(d.box, k) for k in kept)
        else d
        for d in found
    ]


def _within(inner: Box, outer: Box, share: float = 0.6) -> bool:
    shared, size = geometry.overlap(inner, outer), geometry.area(inner)
    return size < geometry.area(outer) and shared > 0 and shared >= share * size


def set_identity(project: Project, identity_id: int, decision: Action) -> None:
    """A decision on a person applies to all their appearances, so per-track overrides other than
    'ignore' (not a face) give way to it."""
    identity = project.identity(identity_id)
    identity.decision = decision
    for track_id in identity.tracks:
        if project.overrides.get(track_id) in (Action.BLUR, Action.KEEP):
            del project.overrides[track_id]


def toggle_identity(project: Project, identity_id: int) -> Action:
    decision = Action.KEEP if project.identity(identity_id).decision == Action.BLUR else Action.BLUR
    set_identity(project, identity_id, decision)
    return decision


def confirm_match(project: Project, identity_id: int) -> None:
    """The editor says this person is the known person the engine suggested: keep them, under that name."""
    identity = project.identity(identity_id)
    if identity.match is None:
        raise ValueError(f"person {identity_id} has no suggested match to confirm")
    identity.match.status = MatchStatus.CONFIRMED
    identity.name = identity.match.name
    set_identity(project, identity_id, Action.KEEP)


def reject_match(project: Project, identity_id: int) -> None:
    """The editor says this is not the known person: it is blurred again and the name the match gave goes."""
    identity = project.identity(identity_id)
    if identity.match is None:
        raise ValueError(f"person {identity_id} has no suggested match to reject")
    if identity.name == identity.match.name:
        identity.name = None
    identity.match.status = MatchStatus.REJECTED
    set_identity(project, identity_id, Action.BLUR)


def set_track(project: Project, track_id: int, action: Action | None) -> None:
    if action is None:
        project.overrides.pop(track_id, None)
    else:
        project.overrides[track_id] = action


def merge_decision(project: Project, identity_ids: list[int]) -> Action | None:
    """The decision a merge of these people would carry without asking: theirs if they agree, None if they
    disagree (the editor must choose; `merge_identities` falls back to blur, the safe one)."""
    found = {project.identity(i).decision for i in identity_ids}
    return found.pop() if len(found) == 1 else None


def merge_identities(project: Project, keep_id: int, other_id: int, decision: Action | None = None) -> None:
    """The editor knows these two are the same person. When their decisions differ and the editor did not say
    which wins, the merged person is blurred: silently keeping (or dropping a keep) would surprise either way."""
    merge_people(project, [keep_id, other_id], decision)


def merge_people(project: Project, identity_ids: list[int], decision: Action | None = None) -> int:
    """Everyone in `identity_ids` becomes the first of them; their name and match carry over when it has none."""
    chosen = decision or merge_decision(project, identity_ids) or Action.BLUR
    keep = project.identity(identity_ids[0])
    for other_id in identity_ids[1:]:
        other = project.identity(other_id)
        keep.tracks = sorted(set(keep.tracks) | set(other.tracks), key=lambda t: project.track(t).start)
        for track_id in other.tracks:
            project.track(track_id).identity = keep.id
        keep.name = keep.name or other.name
        keep.match = keep.match or other.match
        project.identities.remove(other)
    if chosen != keep.decision:
        set_identity(project, keep.id, chosen)
    return keep.id


def rename_identity(project: Project, identity_id: int, name: str | None) -> None:
    project.identity(identity_id).name = (name or "").strip() or None


def split_track(project: Project, track_id: int) -> int:
    """Take one appearance out of its person into a new person of its own, blurred until decided."""
    track = project.track(track_id)
    if track.identity is not None:
        old = project.identity(track.identity)
        if old.tracks == [track_id]:
            return old.id
        old.tracks.remove(track_id)
    from engine.records import Identity

    new_id = max((i.id for i in project.identities), default=0) + 1
    project.identities.append(Identity(id=new_id, tracks=[track_id], embedding=track.embedding))
    track.identity = new_id
    return new_id


def split_identity(project: Project, identity_id: int) -> list[int]:
    """Undo a wrong grouping: every appearance but the first becomes a person of its own, blurred until decided
    (the safe side when the grouping had kept a bystander along with someone)."""
    identity = project.identity(identity_id)
    return [identity_id] + [split_track(project, track_id) for track_id in list(identity.tracks[1:])]


def set_track_span(project: Project, track_id: int, start: int, end: int) -> None:
    """The editor moves an appearance's ends: trimmed ends drop their boxes; extended ends hold the nearest box
    (scored 0, like any frame the tracker filled), covering a face the detector picked up late or lost early.
    The track is replaced, not changed in place, so undo and saved copies keep the old one intact."""
    index = next(i for i, t in enumerate(project.tracks) if t.id == track_id)
    track = project.tracks[index]
    start, end = max(0, start), min(project.source.frame_count - 1, end)
    if end < start:
        raise ValueError("an appearance needs at least one frame")
    offsets = [min(max(frame - track.start, 0), len(track.boxes) - 1) for frame in range(start, end + 1)]
    inside = [track.start <= frame <= track.end for frame in range(start, end + 1)]
    project.tracks[index] = replace(
        track,
        start=start,
        boxes=[track.boxes[o] for o in offsets],
        scores=[track.scores[o] if held else 0.0 for o, held in zip(offsets, inside)],
    )


def add_manual_track(project: Project, start: int, boxes: list[Box]) -> Track:
    """A region the editor drew over something the detector missed; always blurred."""
    track = Track(
        id=max((t.id for t in project.tracks), default=0) + 1,
        start=start,
        boxes=list(boxes),
        scores=[0.0] * len(boxes),
        manual=True,
    )
    project.tracks.append(track)
    return track


def remove_track(project: Project, track_id: int) -> None:
    track = project.track(track_id)
    if not track.manual:
        raise ValueError("only drawn regions can be deleted; mark a detected face as 'not a face' instead")
    project.tracks.remove(track)
    project.overrides.pop(track_id, None)


__all__ = [
    "track_action",
    "track_actions",
    "at_frame",
    "by_frame",
    "set_identity",
    "toggle_identity",
    "confirm_match",
    "reject_match",
    "set_track",
    "merge_decision",
    "merge_identities",
    "merge_people",
    "rename_identity",
    "split_track",
    "split_identity",
    "set_track_span",
    "add_manual_track",
    "remove_track",
]
