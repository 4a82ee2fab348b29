"""The project file: one JSON document, versioned, that holds everything analysis found and every decision the
editor made. Both the GUI and the CLI read and write it, and reopening it never recomputes what it stores."""

import functools
import hashlib
import json
import os
import typing
from dataclasses import asdict, fields, is_dataclass, replace
from pathlib import Path

from engine import atomic, typecheck
from engine.errors import InputError, ProjectFileError
from engine.records import (
    SCHEMA_VERSION,
    Action,
    DetectorSettings,
    ExportSettings,
    Identity,
    Match,
    MatchStatus,
    Project,
    Source,
    Track,
)

READABLE_SCHEMAS = (1, 2)
SUFFIX = ".limelight.json"


PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
CRF_RANGE = (0, 51)


def default_path(video: str | os.PathLike) -> Path:
    video = Path(video)
    return video.with_name(video.stem + SUFFIX)


def fingerprint(path: str | os.PathLike) -> str:
    """Size plus hashes of the first and last MiB: tells a moved or re-encoded source apart from the original
    in milliseconds, where hashing a whole 20 GB interview would take minutes."""
    path = Path(path)
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        digest.update(f.read(1 << 20))
        if size > 2 << 20:
            f.seek(-(1 << 20), os.SEEK_END)
            digest.update(f.read())
    return f"{size}:{digest.hexdigest()[:32]}"


def to_dict(project: Project) -> dict:
    """Tracks and people field by field: `asdict` copies every box of every track, seconds for a crowded video."""
    data = asdict(replace(project, tracks=[], identities=[]))
    data["tracks"] = [{f.name: getattr(t, f.name) for f in fields(t)} for t in project.tracks]
    data["identities"] = [
        {**{f.name: getattr(i, f.name) for f in fields(i)}, "match": None if i.match is None else asdict(i.match)}
        for i in project.identities
    ]
    data["overrides"] = {str(k): v for k, v in project.overrides.items()}
    return data


@functools.cache
def _field_hints(cls) -> dict:
    """Each field's annotation, resolved once per class rather than once per track read."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def _build(cls, data: dict, where: str, name: str):
    if not isinstance(data, dict):
        raise ProjectFileError(f"{where}: damaged project file: {name} should be an object")
    hints = _field_hints(cls)
    unknown = set(data) - set(hints)
    if unknown:
        raise ProjectFileError(f"{where}: unknown fields {sorted(unknown)}")
    for key, value in data.items():
        if not is_dataclass(hints[key]):
            _check(value, hints[key], where, f"{name}.{key}")
    return cls(**data)


def _check(value, hint, where: str, name: str) -> None:
    try:
        typecheck.check(value, hint, name)
    except typecheck.Mismatch as exc:
        raise ProjectFileError(f"{where}: damaged project file: {exc}") from None


def from_dict(data: dict, where: str = "project") -> Project:
    try:
        if data.get("schema") not in READABLE_SCHEMAS:
            raise ProjectFileError(
                f"{where}: project schema {data.get('schema')!r} is not supported "
                f"(this LimeLight reads schema {SCHEMA_VERSION})"
            )
        tracks = []
        for n, t in enumerate(data["tracks"]):
            track = _build(Track, t, where, f"tracks[{n}]")
            track.boxes = [tuple(b) for b in track.boxes]
            if len(track.boxes) != len(track.scores):
                raise ProjectFileError(
                    f"{where}: track {track.id} has {len(track.boxes)} boxes but {len(track.scores)} scores"
                )
            tracks.append(track)
        overrides = {int(k): v for k, v in data["overrides"].items()}
        identities = [_build(Identity, i, where, f"identities[{n}]") for n, i in enumerate(data["identities"])]
        for n, identity in enumerate(identities):
            if identity.match is not None:
                identity.match = _build(Match, identity.match, where, f"identities[{n}].match")
                if identity.match.status not in tuple(MatchStatus):
                    raise ProjectFileError(
                        f"{where}: damaged project file: identities[{n}].match.status "
                        f"{identity.match.status!r} is not one of {', '.join(MatchStatus)}"
                    )
                identity.match.status = MatchStatus(identity.match.status)
        for action in [*overrides.values(), *(i.decision for i in identities)]:
            if action not in tuple(Action):
                raise ProjectFileError(f"{where}: unknown decision {action!r}")
        overrides = {k: Action(v) for k, v in overrides.items()}
        for identity in identities:
            identity.decision = Action(identity.decision)
        export = _build(ExportSettings, data["export"], where, "export")
        if export.preset not in PRESETS or not CRF_RANGE[0] <= export.crf <= CRF_RANGE[1]:
            raise ProjectFileError(
                f"{where}: damaged project file: export.preset {export.preset!r} or export.crf "
                f"{export.crf} is not a valid x264 setting"
            )
        for name, value in (("known_faces", data["known_faces"]), ("cuts", data["cuts"])):
            _check(value, typing.get_type_hints(Project)[name], where, name)
        return Project(
            source=_build(Source, data["source"], where, "source"),
            detector=_build(DetectorSettings, data["detector"], where, "detector"),
            tracks=tracks,
            identities=identities,
            overrides=overrides,
            export=export,
            known_faces=list(data["known_faces"]),
            cuts=list(data["cuts"]),
        )
    except ProjectFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProjectFileError(f"{where}: not a valid LimeLight project ({type(exc).__name__}: {exc})") from None


def save(project: Project, path: str | os.PathLike, text: str | None = None) -> None:
    """`text`: the project already serialised (see engine.project_text), for callers that save often."""
    text = text if text is not None else json.dumps(to_dict(project), separators=(",", ":"))
    atomic.write_bytes(path, text.encode(), "save the project")


def load(path: str | os.PathLike) -> Project:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such project file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProjectFileError(f"{path}: the project file is damaged ({exc}); it was left as it is") from None
    if not isinstance(data, dict):
        raise ProjectFileError(f"{path}: not a LimeLight project file")
    return from_dict(data, str(path))


def source_path(project: Project, project_path: str | os.PathLike | None = None) -> Path:
    """The source video, found where it was or, if the project and the video moved together, beside the
    project; refuses a file at that path that is not the analysed video."""
    candidates = [Path(project.source.path)]
    if project_path is not None:
        candidates.append(Path(project_path).parent / Path(project.source.path).name)
    for candidate in candidates:
        if candidate.is_file():
            if fingerprint(candidate) != project.source.fingerprint:
                raise InputError(
                    f"{candidate}: this is not the video the project was made from "
                    "(size or content differ); analyse it again"
                )
            return candidate
    raise InputError(f"{project.source.path}: the project's source video is missing")
