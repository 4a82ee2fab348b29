"""Video decoding and encoding with PyAV, built so an export drops back into an edit frame for frame:
every output frame keeps its input timestamp, size and rotation, and audio packets are copied, not re-encoded."""
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import av
import numpy as np

from engine.errors import InputError, OutputError


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    rotation: int
    fps: float
    frame_count: int
    duration: float
    has_audio: bool
    codec: str

    @property
    def display_size(self) -> tuple[int, int]:
        return (self.height, self.width) if self.rotation % 180 else (self.width, self.height)


@dataclass
class Frame:
    index: int
    pts: int
    time: float
    raw: np.ndarray
    rotation: int

    @property
    def image(self) -> np.ndarray:
        """The frame as the viewer sees it: a rotated view of the raw pixels, so drawing on it edits `raw` too."""
        return np.rot90(self.raw, self.rotation // 90) if self.rotation else self.raw


def _open(path: str | os.PathLike):
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file")
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise InputError(f"{path}: not a readable video or image ({exc.strerror or exc})") from None
    if not container.streams.video:
        container.close()
        raise InputError(f"{path}: contains no video stream")
    return container


def _rotation(frame: av.VideoFrame) -> int:
    """Display-matrix rotation as a multiple of 90 degrees counter-clockwise; phone video is never anything else."""
    return int(round(frame.rotation / 90.0)) * 90 % 360


def probe(path: str | os.PathLike) -> VideoInfo:
    with _open(path) as container:
        stream = container.streams.video[0]
        try:
            first = next(container.decode(stream))
        except (av.FFmpegError, StopIteration):
            raise InputError(f"{path}: the video stream cannot be decoded (corrupt file or unsupported codec "
                             f"'{stream.codec_context.name}')") from None
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        duration = float(stream.duration * stream.time_base) if stream.duration else (
            container.duration / av.time_base if container.duration else 0.0)
        frames = stream.frames or int(round(duration * float(rate)))
        return VideoInfo(width=first.width, height=first.height, rotation=_rotation(first), fps=float(rate),
                         frame_count=max(frames, 1), duration=duration, has_audio=bool(container.streams.audio),
                         codec=stream.codec_context.name)


def read_frames(path: str | os.PathLike, audio_sink: Callable[[av.Packet], None] | None = None,
                start: int = 0) -> Iterator[Frame]:
    """Decode every frame in presentation order as RGB; audio packets go to `audio_sink` as they are demuxed
    so an export can copy them in the same pass."""
    with _open(path) as container:
        video = container.streams.video[0]
        video.thread_type = "AUTO"
        streams = [video] + ([container.streams.audio[0]] if audio_sink and container.streams.audio else [])
        index = 0
        try:
            for packet in container.demux(*streams):
                if packet.stream.type == "audio":
                    if packet.dts is not None:
                        audio_sink(packet)
                    continue
                for frame in packet.decode():
                    if index >= start:
                        yield Frame(index=index, pts=frame.pts, time=float(frame.time or 0.0),
                                    raw=frame.to_ndarray(format="rgb24"), rotation=_rotation(frame))
                    index += 1
        except av.FFmpegError as exc:
            raise InputError(f"{path}: decoding failed at frame {index} ({exc.strerror or exc}); "
                             "the file is corrupt or uses an unsupported codec") from None


def read_frame(path: str | os.PathLike, index: int) -> Frame:
    """One frame by index, for previews; decodes from the start, so callers cache."""
    for frame in read_frames(path, start=index):
        return frame
    raise InputError(f"{path}: has no frame {index}")


class VideoWriter:
    """H.264 MP4 writer that mirrors an input file's video timing and rotation and copies its audio.

    Writes to a temporary file beside the target and renames it on success, so a crash or a cancel never leaves
    a half-written video where the user expects a finished one."""

    def __init__(self, source: str | os.PathLike, target: str | os.PathLike, crf: int = 18,
                 preset: str = "veryfast", keep_audio: bool = True):
        self.target = Path(target)
        if self.target.is_dir():
            raise OutputError(f"{target}: is a folder, give a file name ending in .mp4")
        self.partial = self.target.with_name(f".{self.target.name}.partial.mp4")
        self._source = av.open(str(source))
        src_video = self._source.streams.video[0]
        try:
            self._out = av.open(str(self.partial), "w", format="mp4")
        except (av.FFmpegError, OSError) as exc:
            self._source.close()
            raise OutputError(f"{target}: cannot write here ({getattr(exc, 'strerror', None) or exc})") from None
        rate = src_video.average_rate or src_video.guessed_rate or Fraction(25)
        self._video = self._out.add_stream("libx264", rate=rate)
        self._video.width = src_video.codec_context.width
        self._video.height = src_video.codec_context.height
        # 4:2:0 needs even sizes; an odd-sized source keeps its exact size in 4:4:4 instead.
        odd = self._video.width % 2 or self._video.height % 2
        self._video.pix_fmt = "yuv444p" if odd else "yuv420p"
        self._video.time_base = src_video.time_base
        self._video.codec_context.time_base = src_video.time_base
        self._video.options = {"crf": str(crf), "preset": preset}
        self._rotation_set = False
        self._audio = None
        if keep_audio and self._source.streams.audio:
            self._audio_in = self._source.streams.audio[0]
            self._audio = self._out.add_stream_from_template(self._audio_in)

    def copy_audio(self, packet: av.Packet) -> None:
        if self._audio is not None and packet.stream.index == self._audio_in.index:
            packet.stream = self._audio
            self._out.mux(packet)

    def write(self, frame: Frame) -> None:
        if not self._rotation_set:
            if frame.rotation:
                self._video.set_display_rotation(frame.rotation)
            self._rotation_set = True
        out = av.VideoFrame.from_ndarray(frame.raw, format="rgb24")
        out.pts = frame.pts
        out.time_base = self._video.time_base
        self._mux(self._video.encode(out))

    def _mux(self, packets) -> None:
        try:
            self._out.mux(packets)
        except (av.FFmpegError, OSError) as exc:
            raise OutputError(f"{self.target}: writing failed ({getattr(exc, 'strerror', None) or exc}); "
                              "is the disk full?") from None

    def close(self, success: bool) -> None:
        try:
            if success:
                self._mux(self._video.encode(None))
            self._out.close()
        finally:
            self._source.close()
        if success:
            os.replace(self.partial, self.target)
        else:
            self.partial.unlink(missing_ok=True)

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(success=exc_type is None)
