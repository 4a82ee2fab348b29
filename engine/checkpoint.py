"""Per-frame detections written as analysis goes, so analysis stopped by closing the window (or a crash) resumes
where it stopped instead of starting over: detection is nearly all of analysis time, and everything after it
(tracking, recognition) is recomputed from the detections in seconds.

One JSON line per frame after a header naming the video's fingerprint and the detector settings; a checkpoint of
another video or other settings is ignored, and a line cut short by a crash ends what is trusted."""

import json
import os
from dataclasses import asdict
from pathlib import Path

from engine.project import fingerprint
from engine.records import Detection, DetectorSettings

SUFFIX = ".analysis-checkpoint"


def _header(video: str | os.PathLike, settings: DetectorSettings) -> dict:
    return {"fingerprint": fingerprint(video), "detector": asdict(settings)}


def _row(frame: int, faces: list[Detection]) -> str:
    rows = [
        [
            *map(float, f.box),
            float(f.score),
            None if f.landmarks is None else [[float(x), float(y)] for x, y in f.landmarks],
        ]
        for f in faces
    ]
    return json.dumps([frame, rows], separators=(",", ":"))


def _faces(rows: list) -> list[Detection]:
    return [Detection(tuple(r[:4]), r[4], None if r[5] is None else tuple(map(tuple, r[5]))) for r in rows]


def read(path: Path, header: dict) -> list[list[Detection]]:
    """The detections of frames 0..k-1 this checkpoint vouches for (empty if it is of something else)."""
    found: list[list[Detection]] = []
    try:
        with path.open(encoding="utf-8") as f:
            if json.loads(f.readline()) != header:
                return []
            for line in f:
                frame, rows = json.loads(line)
                if frame != len(found):
                    break
                found.append(_faces(rows))
    except (OSError, ValueError, TypeError, IndexError):
        pass
    return found


class Checkpoint:
    """Frames already detected, and the file that grows as more are; without a path, neither."""

    def __init__(self, path: str | os.PathLike | None, video: str | os.PathLike, settings: DetectorSettings):
        self.done: list[list[Detection]] = []
        self._file = None
        if path is None:
            return
        self.path = Path(path)
        header = _header(video, settings)
        self.done = read(self.path, header)
        partial = self.path.with_name(self.path.name + ".partial")
        with partial.open("w", encoding="utf-8") as f:
            f.write(json.dumps(header) + "\n")
            f.writelines(_row(i, faces) + "\n" for i, faces in enumerate(self.done))
        os.replace(partial, self.path)
        self._file = self.path.open("a", encoding="utf-8")

    def has(self, frame: int) -> bool:
        return frame < len(self.done)

    def add(self, frame: int, faces: list[Detection]) -> None:
        if self._file is not None and not self.has(frame):
            self._file.write(_row(frame, faces) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def discard(path: str | os.PathLike) -> None:
    Path(path).unlink(missing_ok=True)
