"""The report written beside every export, for a newsroom's legal review: who was left visible and on what grounds
(the editor's own decision, or a match to which photo at what distance), how much was hidden, with which settings,
and fingerprints that tie the report to exactly one source and one output file. One self-contained HTML file:
thumbnails are embedded, so it can be mailed or archived on its own."""

import base64
import html
import os
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from engine import atomic
from engine.decisions import by_frame
from engine.frame_source import crops
from engine.lazy import cv2
from engine.project import fingerprint
from engine.records import Action, Box, Identity, MatchStatus, Project

SUFFIX = ".audit.html"
THUMB_SIDE = 96
STYLE = (
    "body{font:14px sans-serif;margin:2em;color:#222;background:#fff}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:middle}"
    "img{width:72px;height:72px;object-fit:cover}.warn{color:#b00;font-weight:bold}"
)


def report_path(output: str | os.PathLike) -> Path:
    output = Path(output)
    return output.with_name(output.stem + SUFFIX)


def why_kept(identity: Identity) -> str:
    match = identity.match
    if match is not None and match.status == MatchStatus.CONFIRMED:
        return (
            f"confirmed by the editor as {match.name} (photo {Path(match.photo).name}, distance {match.distance:.3f})"
        )
    if match is not None and match.status == MatchStatus.MATCHED:
        return (
            f"matched automatically to {match.name}'s photo {Path(match.photo).name} at distance {match.distance:.3f}"
        )
    return "kept by a decision in the project (no photo match recorded)"


def _thumbnails(source: Path, project: Project, track_ids: list[int]) -> dict[int, str]:
    wanted: dict[int, tuple[int, Box]] = {}
    for track_id in track_ids:
        track = project.track(track_id)
        frame = track.thumbnail_frame if track.thumbnail_frame is not None else track.start
        box = track.box_at(frame)
        if box:
            wanted[track_id] = (frame, box)
    found: dict[int, str] = {}
    for key, rgb in crops(source, wanted):
        scale = THUMB_SIDE / max(rgb.shape[:2])
        small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
        if ok:
            found[key] = base64.b64encode(jpeg.tobytes()).decode("ascii")
    return found


def _img(thumbs: dict[int, str], track_id: int) -> str:
    data = thumbs.get(track_id)
    return f'<img alt="face" src="data:image/jpeg;base64,{data}">' if data else ""


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>" if any(header) else ""
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def _best_track(project: Project, identity: Identity) -> int:
    return max(identity.tracks, key=lambda t: len(project.track(t).boxes))


def render(project: Project, source: Path, output: Path) -> str:
    e = html.escape
    plan = by_frame(project)
    fps = project.source.fps or 25.0
    blurred = sum(d.action == Action.BLUR for found in plan.values() for d in found)
    frames_blurred = sum(any(d.action == Action.BLUR for d in found) for found in plan.values())
    kept = [i for i in project.identities if i.decision == Action.KEEP]
    kept_alone = [t for t, action in project.overrides.items() if action == Action.KEEP]
    not_faces = [t for t, action in project.overrides.items() if action == Action.IGNORE]
    not_faces += [t for i in project.identities if i.decision == Action.IGNORE for t in i.tracks]
    rejected = [i for i in project.identities if i.match is not None and i.match.status == MatchStatus.REJECTED]
    drawn = [t for t in project.tracks if t.manual]
    thumbs = _thumbnails(source, project, [_best_track(project, i) for i in kept] + kept_alone)

    def span(track_ids: list[int]) -> str:
        tracks = [project.track(t) for t in track_ids]
        frames = sum(len(t.boxes) for t in tracks)
        return f"{frames / fps:.1f} s, frames {min(t.start for t in tracks)}\u2013{max(t.end for t in tracks)}"

    kept_rows = [
        [
            _img(thumbs, _best_track(project, i)),
            e(i.name or f"Person {i.id}"),
            e(why_kept(i)),
            str(len(i.tracks)),
            span(i.tracks),
        ]
        for i in kept
    ]
    kept_rows += [
        [_img(thumbs, t), "one appearance", "kept by the editor for this appearance only", "1", span([t])]
        for t in kept_alone
    ]
    summary = [
        ["Faces blurred (one face in one frame)", str(blurred)],
        ["Frames with at least one blur", f"{frames_blurred} of {project.source.frame_count}"],
        ["People found", str(len(project.identities))],
        ["People kept visible", str(len(kept))],
        ["Appearances marked 'not a face' (left as they are)", str(len(not_faces))],
        [
            "Suggested matches the editor rejected (blurred)",
            ", ".join(e(i.match.name) for i in rejected if i.match) or "none",
        ],
        ["Regions drawn by the editor (blurred)", f"{len(drawn)}, {sum(len(t.boxes) for t in drawn)} frames in all"],
    ]
    settings = [
        [e(f"{group}.{key}"), e(str(value))]
        for group, values in (("detector", asdict(project.detector)), ("export", asdict(project.export)))
        for key, value in values.items()
    ]
    files = [
        ["Source", e(str(source)), e(project.source.fingerprint)],
        ["Output", e(str(output)), e(fingerprint(output)) if output.is_file() else "missing"],
    ]
    warning = (
        '<p class="warn">This is a review copy: faces are outlined, not blurred. Do not publish it.</p>'
        if project.export.mark
        else ""
    )
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>LimeLight audit: {e(output.name)}</title>'
        f"<style>{STYLE}</style></head><body><h1>Anonymisation audit: {e(output.name)}</h1>"
        f"<p>Written by LimeLight on {when}. Everyone not listed under 'Kept visible' is blurred.</p>{warning}"
        f"<h2>Kept visible</h2>"
        + (
            _table(["Face", "Who", "Why", "Appearances", "On screen"], kept_rows)
            if kept_rows
            else "<p>Nobody: every face found is blurred.</p>"
        )
        + "<h2>What was hidden</h2>"
        + _table(["", ""], summary)
        + "<h2>Files</h2>"
        + _table(["", "Path", "Fingerprint (size and SHA-256 of first and last MiB)"], files)
        + "<h2>Settings</h2>"
        + _table(["Setting", "Value"], settings)
        + "</body></html>"
    )


def write(project: Project, source: str | os.PathLike, output: str | os.PathLike) -> Path:
    """Named after the output, next to it, so one belongs to the other."""
    path = report_path(output)
    atomic.write_bytes(path, render(project, Path(source), Path(output)).encode(), "write the audit report")
    return path
