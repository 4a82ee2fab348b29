"""Video decoding and encoding with PyAV, built so an export drops back into an edit frame for frame:
every output frame keeps its input timestamp, size and display matrix, and audio packets are copied, not
re-encoded."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable, Generator

import numpy as np

from engine.errors import InputError, OutputError
from engine.lazy import av
from engine.outfile import OutputFile


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    rotation: int
    fps: float
    frame_count: int
    duration: float
    has_audio: bool

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
        small = self.decoded.reformat(
            width=max(1, round(self.decoded.width * scale)),
            height=max(1, round(self.decoded.height * scale)),
            format="rgb24",
            interpolation="AREA",
        )
        return display(small.to_ndarray(), self.rotation)

    @property
    def black_level(self) -> int | None:
        """Luma of black when the frame can still be edited in its 8-bit 4:2:0 planes, else None."""
        return PLANAR.get(self.decoded.format.name) if self._raw is None else None

    def planes(self) -> list[np.ndarray]:
        """Writable Y, U, V views into the decoded picture."""
        self.decoded.make_writable()
        return [
            np.frombuffer(memoryview(p), np.uint8)[: p.line_size * p.height].reshape(p.height, p.line_size)[
                :, : p.width
            ]
            for p in self.decoded.planes
        ]


def display(raw: np.ndarray, rotation: int) -> np.ndarray:
    return np.rot90(raw, rotation // 90) if rotation else raw


def to_raw_box(box, rotation: int, width: int, height: int):
    """A display-oriented box in the coordinates of the stored (raw, width x height) picture."""
    x0, y0, x1, y1 = box
    return {
        0: (x0, y0, x1, y1),
        90: (width - y1, x0, width - y0, x1),
        180: (width - x1, height - y1, width - x0, height - y0),
        270: (y0, height - x1, y1, height - x0),
    }[rotation]


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
            raise InputError(
                f"{path}: the video stream cannot be decoded (corrupt file or unsupported codec "
                f"'{stream.codec_context.name}')"
            ) from None
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        duration = (
            float(stream.duration * stream.time_base)
            if stream.duration
            else (container.duration / av.time_base if container.duration else 0.0)
        )
        frames = stream.frames or int(round(duration * float(rate)))
        return VideoInfo(
            width=first.width,
            height=first.height,
            rotation=rotation_of(first),
            fps=float(rate),
            frame_count=max(frames, 1),
            duration=duration,
            has_audio=bool(container.streams.audio),
        )


def read_frames(
    path: str | os.PathLike,
    packet_sink: Callable[[av.Packet], None] | None = None,
    start: int = 0,
    warn: Callable[[str], None] | None = None,
    seek: int | None = None,
) -> Generator[Frame, None, None]:
    """Decode every frame in presentation order; the packets of every other stream (audio, subtitles, data) go
    to `packet_sink` as they are demuxed, so an export can copy them in the same pass. A file that ends before
    the frame count its header announces is read to its end and `warn` is told how many frames are missing.
    With `seek`, frame `start`'s presentation time, decoding starts at the keyframe before it instead of at the
    first frame (the caller checks the times it gets: a container may seek only roughly)."""
    with open_container(path) as container:
        video = container.streams.video[0]
        video.thread_type = "AUTO"
        streams = list(container.streams) if packet_sink else [video]
        rate = video.average_rate or video.guessed_rate or Fraction(25)
        index, position = 0, 0.0
        if seek is not None:
            try:
                container.seek(seek, stream=video)
                index = start
            except av.FFmpegError:
                seek = None  # a stream without an index (raw H.264): decoded from its start
        try:
            for packet in container.demux(*streams):
                if packet.stream.index != video.index:  # flush packets all say stream_index 0
                    if packet.dts is not None:
                        assert packet_sink is not None  # only then are other streams demuxed
                        packet_sink(packet)
                    continue
                if packet.pts is not None:
                    position = float(packet.pts * packet.time_base)
                for frame in packet.decode():
                    if seek is not None and (frame.pts is None or frame.pts < seek):
                        continue  # the leading frames of the keyframe's group, or no times to tell
                    if frame.pts is None:  # raw elementary streams (.h264) carry no times: frames at the rate
                        frame.pts, frame.time_base = round(index / rate / video.time_base), video.time_base
                    if index >= start:
                        yield Frame(
                            index=index,
                            pts=frame.pts,
                            time=float(frame.time),
                            rotation=rotation_of(frame),
                            decoded=frame,
                        )
                    index += 1
        except av.FFmpegError as exc:
            raise InputError(
                f"{path}: decoding failed at {timecode(position)} (frame {index}: "
                f"{exc.strerror or exc}); the file is damaged or uses an unsupported codec"
            ) from None
        if warn and video.frames > index:
            warn(
                f"{path}: the video ends early: {video.frames - index} of the {video.frames} frames its header "
                f"announces are missing (after {timecode(position)}); exported the {index} that decode"
            )


def timecode(seconds: float) -> str:
    minutes, seconds = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes // 60)}:{int(minutes % 60):02d}:{seconds:06.3f}"


# Output container by the output's suffix; any other name is written as MP4, what editors expect.
CONTAINERS = {".mov": "mov", ".mkv": "matroska"}
# Audio and subtitle codecs editing apps read from MP4. FFmpeg also writes PCM and Vorbis into MP4, which most of
# them refuse, so those are re-encoded there (with a warning) and copied into MOV or MKV.
MP4_CODECS = {"aac", "mp3", "ac3", "eac3", "alac", "flac", "opus", "mp2", "mov_text"}
AAC_BITRATE_PER_CHANNEL = 160_000
# AAC needs named channels; AVI and WAV often leave them unnamed ("2 channels").
NAMED_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def container_format(target: str | os.PathLike) -> str:
    return CONTAINERS.get(Path(target).suffix.lower(), "mp4")


def display_matrix(frame: av.VideoFrame) -> list[int] | None:
    """The frame's whole display matrix (rotation and mirroring), not just the angle `rotation_of` reads."""
    try:
        data = frame.side_data["DISPLAYMATRIX"]  # type: ignore[typeddict-item]  # PyAV's stub lists one key
    except KeyError:
        return None
    return np.frombuffer(bytes(data), np.int32).tolist()


def codec_name(stream: av.stream.Stream) -> str | None:
    """The format's name (mp3), not the decoder's (mp3float)."""
    return stream.codec_context.codec.canonical_name if stream.codec_context else None


def describe(stream: av.stream.Stream) -> str:
    """How a warning names a stream: its kind, number, codec, language and title, as an editor's app lists it."""
    tags = stream.metadata
    extra = ", ".join(v for v in (tags.get("language"), tags.get("title")) if v and v != "und")
    codec = codec_name(stream) or getattr(stream, "name", None) or "unknown codec"
    return f"{stream.type} stream #{stream.index} ({codec}{', ' + extra if extra else ''})"


def _ignore(message: str) -> None:
    return None


class VideoWriter:
    """H.264 writer that mirrors an input file's video timing and display matrix and copies every audio and
    subtitle stream packet for packet, with its language and title.

    Frames keep their decoded timestamps in the source's time base; the encoder works in that time base and the
    muxer rescales into whatever its container picks (MP4 turns 1/1000 into 1/16000 when it writes its header).
    The header, with the display matrix, is written before the first packet, audio or video. It writes into an
    `OutputFile`, so a crash, cancel or signal never leaves a half-written video where the user expects one."""

    def __init__(
        self,
        source: str | os.PathLike,
        target: str | os.PathLike,
        crf: int = 18,
        preset: str = "veryfast",
        keep_audio: bool = True,
        size: tuple[int, int] | None = None,
        warn: Callable[[str], None] = _ignore,
        encoded: av.VideoStream | None = None,
    ):
        """With `encoded`, a stream of video encoded elsewhere (engine.segments): its packets are muxed as they
        are, through `write_packet`, instead of frames encoded here."""
        self.target = Path(target)
        self._encoded_video = encoded
        if self.target.is_dir():
            raise OutputError(f"{target}: is a folder, give a file name ending in .mp4")
        self._warn = warn
        self._source = open_container(source)
        try:
            self._file = OutputFile(self.target)
        except OutputError:
            self._source.close()
            raise
        self._closed = False
        try:
            self._open(crf, preset, keep_audio, size)
        except BaseException:
            self._close_output(report=False)
            self._source.close()
            self._file.discard()
            raise

    def _open(self, crf: int, preset: str, keep_audio: bool, size: tuple[int, int] | None) -> None:
        src_video = self._source.streams.video[0]
        try:
            first = next(self._source.decode(src_video), None)
        except av.FFmpegError:
            first = None  # read_frames reports the damage, with its time
        fmt = container_format(self.target)
        try:
            self._out = av.open(str(self._file.partial), "w", format=fmt)
        except (av.FFmpegError, OSError) as exc:
            raise OutputError(f"{self.target}: cannot write here ({getattr(exc, 'strerror', None) or exc})") from None
        self._time_base = src_video.time_base
        if self._encoded_video is not None:
            self._video = self._out.add_stream_from_template(self._encoded_video)
        else:
            self._add_encoder(src_video, crf, preset, size)
        timecode = src_video.metadata.get("timecode")
        if timecode:  # MP4 and MOV store it as a timecode track, which they rebuild from this tag
            self._video.metadata["timecode"] = timecode
        matrix = display_matrix(first) if first is not None else None
        if matrix:
            self._video.set_display_matrix(matrix)
        self._copied: dict[int, av.stream.Stream] = {}
        self._encoded: dict[int, tuple[av.AudioCodecContext, av.AudioStream]] = {}
        for stream in self._source.streams:
            if stream.index != src_video.index and (keep_audio or stream.type != "audio"):
                self._add(stream, fmt)
        try:
            self._out.start_encoding()
        except (av.FFmpegError, OSError) as exc:
            raise OutputError(
                f"{self.target}: cannot write this video ({getattr(exc, 'strerror', None) or exc})"
            ) from None

    def _add_encoder(self, src_video: av.VideoStream, crf: int, preset: str, size: tuple[int, int] | None) -> None:
        rate = src_video.average_rate or src_video.guessed_rate or Fraction(25)
        self._video = self._out.add_stream("libx264", rate=rate)
        self._video.width, self._video.height = size or (src_video.codec_context.width, src_video.codec_context.height)
        # 4:2:0 needs even sizes; an odd-sized source keeps its exact size in 4:4:4 instead.
        odd = self._video.width % 2 or self._video.height % 2
        self._video.pix_fmt = "yuv444p" if odd else "yuv420p"
        self._video.time_base = self._video.codec_context.time_base = self._time_base
        self._video.options = {"crf": str(crf), "preset": preset}
        # Same colour tags as the source, or an editor would show BT.709 footage with BT.601 colours.
        for tag in ("colorspace", "color_range", "color_primaries", "color_trc"):
            setattr(self._video.codec_context, tag, getattr(src_video.codec_context, tag))

    def _add(self, stream: av.stream.Stream, fmt: str) -> None:
        codec = codec_name(stream)
        holds = codec in self._out.supported_codecs and (fmt != "mp4" or codec in MP4_CODECS)
        if holds and stream.type in ("audio", "subtitle"):
            out = self._out.add_stream_from_template(stream)
            self._copied[stream.index] = out
        elif isinstance(stream, av.AudioStream):
            layout = stream.codec_context.layout
            channels = layout.nb_channels or 2
            name = NAMED_LAYOUTS.get(channels, "stereo") if layout.name.endswith("channels") else layout.name
            out = self._out.add_stream("aac", rate=stream.codec_context.sample_rate, layout=name)
            out.bit_rate = AAC_BITRATE_PER_CHANNEL * channels
            self._encoded[stream.index] = (stream.codec_context, out)
            self._warn(
                f"{describe(stream)} cannot be copied into {fmt.upper()}: re-encoded as AAC at "
                f"{out.bit_rate // 1000} kb/s; export to a .mov or .mkv file to keep it untouched"
            )
        elif stream.type == "data" and stream.metadata.get("timecode") == self._video.metadata.get("timecode"):
            return  # the timecode track, written anew from the video's tag
        else:
            where = "" if fmt == "matroska" else "; export to a .mkv file to keep it"
            self._warn(f"{describe(stream)} is not in the output: {fmt.upper()} cannot hold it{where}")
            return
        for tag in ("language", "title"):
            if tag in stream.metadata:
                out.metadata[tag] = stream.metadata[tag]

    def copy(self, packet: av.Packet) -> None:
        """Mux a packet of the source's other streams. It may come after the reader closed its file (export reads
        ahead), so only the packet's own fields are read, never `packet.stream`, which points into the closed
        file; one to re-encode is decoded by this writer's own copy of its stream."""
        index = packet.stream_index
        if index in self._copied:
            packet.stream = self._copied[index]
            self._mux(packet)
        elif index in self._encoded:
            decoder, out = self._encoded[index]
            for frame in decoder.decode(packet):
                self._encode_audio(frame, out)

    def _encode_audio(self, frame: av.AudioFrame, out: av.AudioStream) -> None:
        """Timestamps in samples: the encoder cuts frames of its own size, which in a coarse time base (AVI's
        one-MP3-frame units) would round two of them to the same time."""
        if frame.pts is not None:
            assert frame.time_base is not None, "a decoder's frames carry its time base"
            frame.pts = round(frame.pts * frame.time_base * frame.sample_rate)
        frame.time_base = Fraction(1, frame.sample_rate)
        self._mux(out.encode(frame))

    def write(self, frame: Frame) -> None:
        if frame._raw is not None:
            context = self._video.codec_context
            out = av.VideoFrame.from_ndarray(frame._raw, format="rgb24").reformat(
                format=self._video.pix_fmt, dst_colorspace=context.colorspace, dst_color_range=context.color_range
            )
        else:
            out = frame.decoded
            out.pict_type = av.video.frame.PictureType.NONE
        out.pts = frame.pts
        out.time_base = self._time_base
        self._mux(self._video.encode(out))

    def write_packet(self, packet: av.Packet) -> None:
        """Mux a packet of the `encoded` stream."""
        packet.stream = self._video
        self._mux(packet)

    def _mux(self, packets) -> None:
        try:
            self._out.mux(packets)
        except (av.FFmpegError, OSError) as exc:
            raise self._failed(exc) from None

    def _failed(self, exc: Exception) -> OutputError:
        return OutputError(
            f"{self.target}: writing failed ({getattr(exc, 'strerror', None) or exc}); nothing was written"
        )

    def _flush(self) -> None:
        if self._encoded_video is None:
            self._mux(self._video.encode(None))
        for decoder, out in self._encoded.values():
            for frame in decoder.decode(None):
                self._encode_audio(frame, out)
            self._mux(out.encode(None))

    def _close_output(self, report: bool) -> None:
        """Closing writes MP4's index, so a full disk often shows up only here."""
        if self._closed or getattr(self, "_out", None) is None:
            return
        self._closed = True
        try:
            self._out.close()
        except (av.FFmpegError, OSError) as exc:
            if report:
                raise self._failed(exc) from None

    def close(self, success: bool) -> None:
        try:
            if success:
                self._flush()
            self._close_output(report=success)
        except BaseException:
            self._close_output(report=False)
            self._file.discard()
            raise
        finally:
            self._source.close()
        (self._file.commit if success else self._file.discard)()

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(success=exc_type is None)
