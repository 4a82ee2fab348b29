"""Video decoding and encoding with PyAV, built so an export drops back into an edit frame for frame:
every output frame keeps its input timestamp, size and rotation, and audio packets are copied, not re-encoded."""
import os
from dataclasses import dataclass, field
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


PLANAR = {"yuv420p": 16, "yuvj420p": 0}


@dataclass(eq=False)
class Frame:
    """A decoded frame that is converted to RGB only if someone needs all of it: analysis asks for a small
    scaled copy and export edits face regions in the decoded planes, so most frames never are."""
    index: int
    pts: int
    time: float
    rotation: int
    decoded: av.VideoFrame = field(repr=False)
    _raw: np.ndarray | None = field(default=None, repr=False)

    @property
    def raw(self) -> np.ndarray:
        if self._raw is None:
            self._raw = self.decoded.to_ndarray(format="rgb24")
        return self._raw

    @property
    def image(self) -> np.ndarray:
        """The frame as the viewer sees it: a rotated view of the raw pixels, so drawing on it edits `raw` too."""
        return display(self.raw, self.rotation)

    def scaled(self, scale: float) -> np.ndarray:
        """Display-oriented RGB at `scale` of full size; swscale resizes while it converts, which costs a
        fraction of converting the full frame."""
        if scale >= 1 or self._raw is not None:
            return self.image
        small = self.decoded.reformat(width=max(1, round(self.decoded.width * scale)),
                                      height=max(1, round(self.decoded.height * scale)), format="rgb24",
                                      interpolation="AREA")
        return display(small.to_ndarray(), self.rotation)

    @property
    def black_level(self) -> int | None:
        """Luma of black when the frame can still be edited in its 8-bit 4:2:0 planes, else None."""
        return PLANAR.get(self.decoded.format.name) if self._raw is None else None

    def planes(self) -> list[np.ndarray]:
        """Writable Y, U, V views into the decoded picture."""
        self.decoded.make_writable()
        return [np.frombuffer(p, np.uint8)[:p.line_size * p.height].reshape(p.height, p.line_size)[:, :p.width]
                for p in self.decoded.planes]


def display(raw: np.ndarray, rotation: int) -> np.ndarray:
    return np.rot90(raw, rotation // 90) if rotation else raw


def to_raw_box(box, rotation: int, width: int, height: int):
    """A display-oriented box in the coordinates of the stored (raw, width x height) picture."""
    x0, y0, x1, y1 = box
    return {0: (x0, y0, x1, y1), 90: (width - y1, x0, width - y0, x1),
            180: (width - x1, height - y1, width - x0, height - y0), 270: (y0, height - x1, y1, height - x0)}[rotation]


def open_container(path: str | os.PathLike):
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


def rotation_of(frame: av.VideoFrame) -> int:
    """Display-matrix rotation as a multiple of 90 degrees counter-clockwise; phone video is never anything else."""
    return int(round(frame.rotation / 90.0)) * 90 % 360


def probe(path: str | os.PathLike) -> VideoInfo:
    with open_container(path) as container:
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
        return VideoInfo(width=first.width, height=first.height, rotation=rotation_of(first), fps=float(rate),
                         frame_count=max(frames, 1), duration=duration, has_audio=bool(container.streams.audio),
                         codec=stream.codec_context.name)


def read_frames(path: str | os.PathLike, audio_sink: Callable[[av.Packet], None] | None = None,
                start: int = 0) -> Iterator[Frame]:
    """Decode every frame in presentation order as RGB; audio packets go to `audio_sink` as they are demuxed
    so an export can copy them in the same pass."""
    with open_container(path) as container:
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
                                    rotation=rotation_of(frame), decoded=frame)
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
                 preset: str = "veryfast", keep_audio: bool = True, size: tuple[int, int] | None = None):
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
        self._video.width, self._video.height = size or (src_video.codec_context.width,
                                                         src_video.codec_context.height)
        # 4:2:0 needs even sizes; an odd-sized source keeps its exact size in 4:4:4 instead.
        odd = self._video.width % 2 or self._video.height % 2
        self._video.pix_fmt = "yuv444p" if odd else "yuv420p"
        self._video.time_base = src_video.time_base
        self._video.codec_context.time_base = src_video.time_base
        self._video.options = {"crf": str(crf), "preset": preset}
        # Same colour tags as the source, or an editor would show BT.709 footage with BT.601 colours.
        for tag in ("colorspace", "color_range", "color_primaries", "color_trc"):
            setattr(self._video.codec_context, tag, getattr(src_video.codec_context, tag))
        self._rotation_set = False
        self._audio = None
        if keep_audio and self._source.streams.audio:
            self._audio_in = self._source.streams.audio[0]
            self._audio = self._out.add_stream_from_template(self._audio_in)

    def copy_audio(self, packet: av.Packet) -> None:
        """Mux a packet of the source's audio. It may come after the reader closed its file (export reads ahead),
        so only the packet's own fields are read, never `packet.stream`, which points into the closed file."""
        if self._audio is not None and packet.stream_index == self._audio_in.index:
            packet.stream = self._audio
            self._out.mux(packet)

    def write(self, frame: Frame) -> None:
        if not self._rotation_set:
            if frame.rotation:
                self._video.set_display_rotation(frame.rotation)
            self._rotation_set = True
        if frame._raw is not None:
            context = self._video.codec_context
            out = av.VideoFrame.from_ndarray(frame._raw, format="rgb24").reformat(
                format=self._video.pix_fmt, dst_colorspace=context.colorspace, dst_color_range=context.color_range)
        else:
            out = frame.decoded
            out.pict_type = av.video.frame.PictureType.NONE
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
