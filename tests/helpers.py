"""Shared paths and small readers for the tests; footage comes from ../shared, never from the repository."""

import socket
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine.records import Source

ROOT = Path(__file__).resolve().parents[1]
HAMILTON = ROOT.parent / "shared" / "data" / "hamilton"
CLIP = HAMILTON / "short_hamilton_clip.mp4"
PERFORMER = HAMILTON / "lin-manuel-miranda.png"
PIANIST = HAMILTON / "alex-lacamoire.png"
LFW = HAMILTON.parent / "lfw-people"
OPENING_FRAMES = 144  # tests/conftest.py, `opening`
STILLS = ("two_people.jpg", "obama_and_biden.jpg", "lin-manuel-miranda.png", "alex-lacamoire.png")


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        env=env,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clip_source():
    """The sample clip as a project records it, for projects built by hand in tests."""
    from engine import project

    return Source(
        path=str(CLIP),
        fingerprint=project.fingerprint(CLIP),
        width=640,
        height=360,
        rotation=0,
        fps=29.97,
        frame_count=275,
    )


def frames(path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def times(path) -> list[float]:
    return [float(f.time) for f in frames(path)]


def audio_packets(path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.audio[0]) if p.size]


def images(path) -> list[np.ndarray]:
    return [f.to_ndarray(format="rgb24") for f in frames(path)]


def write_video(
    path, pictures: list[np.ndarray], pts: list[int], time_base=Fraction(1, 30000), rotation: int = 0
) -> None:
    """A synthetic source video: any size, any timestamps, optional display-matrix rotation."""
    height, width = pictures[0].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv444p" if width % 2 or height % 2 else "yuv420p"
        stream.time_base = stream.codec_context.time_base = time_base
        if rotation:
            stream.set_display_rotation(rotation)
        for picture, stamp in zip(pictures, pts):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
            frame.pts, frame.time_base = stamp, time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def clip_part(target: Path, first: int, end: int) -> Path:
    """Frames [first, end) of the clip and the audio beside them, remuxed, not re-encoded: keyframes, pixels and
    audio packets as they were. `first` is one of the clip's keyframes (0, 60, 120, 163, 211, 271). For tests
    whose claim holds on a few seconds as well as on the whole clip: analysing them costs a fraction."""
    with av.open(str(CLIP)) as source:
        shown = sorted(p.pts * p.time_base for p in source.demux(video=0) if p.dts is not None)
    start, stop = shown[first], shown[end] if end < len(shown) else float("inf")
    with av.open(str(CLIP)) as source, av.open(str(target), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if packet.dts is not None and start <= packet.pts * packet.time_base < stop:
                packet.stream = streams[packet.stream_index]
                out.mux(packet)
    return target


def region_change(before: np.ndarray, after: np.ndarray, box) -> float:
    """Mean absolute pixel change inside the central part of a face box (encoding noise is about 1)."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) // 4, (y1 - y0) // 4
    a = before[y0 + dy : y1 - dy, x0 + dx : x1 - dx].astype(float)
    b = after[y0 + dy : y1 - dy, x0 + dx : x1 - dx].astype(float)
    return float(np.abs(a - b).mean())
