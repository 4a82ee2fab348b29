"""The project's JSON for frequent saves (the GUI autosaves after every pause in editing): a track's JSON is kept
while the track is unchanged, so saving after a decision encodes the people again, not every box of every track.
With 300 people that took a quarter of a second of the window's time per save; detected tracks' boxes are never
edited, and an edit that changes a track (its person, or a redrawn region) makes a new one or changes `identity`,
which is part of the key."""

import json
from dataclasses import fields, replace

from engine.project import to_dict
from engine.records import Project

_SLOT = "\x00tracks\x00"
SEPARATORS = (",", ":")


class ProjectText:
    def __init__(self):
        self._tracks: dict[int, tuple[object, int | None, str]] = {}

    def dumps(self, project: Project) -> str:
        """Exactly `json.dumps(to_dict(project), separators=(",", ":"))`."""
        head = to_dict(replace(project, tracks=[]))
        head["tracks"] = _SLOT
        parts, kept = [], {}
        for track in project.tracks:
            known = self._tracks.get(id(track))
            if known is None or known[0] is not track or known[1] != track.identity:
                known = (
                    track,
                    track.identity,
                    json.dumps({f.name: getattr(track, f.name) for f in fields(track)}, separators=SEPARATORS),
                )
            kept[id(track)] = known
            parts.append(known[2])
        self._tracks = kept
        return json.dumps(head, separators=SEPARATORS).replace(json.dumps(_SLOT), "[" + ",".join(parts) + "]", 1)
