"""Tiny source files of every container, codec, time base, display matrix and audio layout editors bring, made
with PyAV, and a project that blurs a drawn region on all their frames: the export tests' inputs."""

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine import project, video
from engine.records import Project, Source, Track


@dataclass(frozen=True)
class Audio:
    codec: str
    layout: str = "stereo"
    rate: int = 48000
    language: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Case:
    container: str
    suffix: str
    codec: str = "libx264"
    pix_fmt: str = "yuv420p"
    size: tuple[int, int] = (64, 48)
    frames: int = 12
    rate: int = 25
    time_base: Fraction | None = None
    pts: tuple[int, ...] | None = None  # in time_base units; default: constant rate
    rotation: int = 0
    hflip: bool = False
    audio: tuple[Audio, ...] = ()
    options: dict = field(default_factory=dict, hash=False)
    timecode: str | None = None
    subtitles: bool = False
    output: str = ".mp4"
    recoded: tuple[int, ...] = ()  # audio tracks (by order) that the output cannot hold: re-encoded, with a warning
    dropped: int = 0  # streams the output cannot hold at all, named in a warning


AAC, MP3, OPUS, PCM = Audio("aac"), Audio("libmp3lame"), Audio("libopus"), Audio("pcm_s16le")
QUIET_X265 = {"x265-params": "log-level=none"}
CASES = {
    "mp4-h264-bframes-tb1000-aac": Case("mp4", ".mp4", time_base=Fraction(1, 1000), audio=(AAC,), options={"bf": "3"}),
    "mov-hevc-tb600-aac (iPhone)": Case(
        "mov", ".mov", "libx265", time_base=Fraction(1, 600), audio=(AAC,), options=QUIET_X265
    ),
    "mov-prores-pcm": Case("mov", ".mov", "prores_ks", "yuv422p10le", audio=(PCM,), recoded=(0,)),
    "mov-prores-pcm to .mov": Case("mov", ".mov", "prores_ks", "yuv422p10le", audio=(PCM,), output=".mov"),
    "mkv-h264-aac": Case("matroska", ".mkv", audio=(AAC,)),
    "mkv-h264-no-audio": Case("matroska", ".mkv"),
    "mkv-hevc-10bit": Case("matroska", ".mkv", "libx265", "yuv420p10le", options=QUIET_X265),
    "mkv-av1-opus": Case("matroska", ".mkv", "libsvtav1", size=(64, 64), audio=(OPUS,), options={"preset": "12"}),
    "webm-vp9-opus": Case("webm", ".webm", "libvpx-vp9", audio=(OPUS,), options={"deadline": "realtime"}),
    "webm-vp8-opus": Case("webm", ".webm", "libvpx", audio=(OPUS,), options={"deadline": "realtime"}),
    "avi-mpeg4-bframes-mp3": Case("avi", ".avi", "mpeg4", audio=(MP3,), options={"bf": "2"}),
    "avi-mjpeg-pcm": Case("avi", ".avi", "mjpeg", "yuvj420p", audio=(PCM,), recoded=(0,)),
    "mpegts-h264-aac": Case("mpegts", ".ts", audio=(AAC,)),
    "mpegts-start-10s (broadcast)": Case(
        "mpegts", ".ts", time_base=Fraction(1, 90000), audio=(MP3,), pts=tuple(900000 + 3600 * i for i in range(12))
    ),
    "mp4-start-2s": Case(
        "mp4", ".mp4", time_base=Fraction(1, 1000), pts=tuple(2000 + 40 * i for i in range(12)), audio=(AAC,)
    ),
    "mkv-vfr": Case(
        "matroska",
        ".mkv",
        pts=(0, 33, 67, 150, 183, 300, 317, 400, 433, 700, 733, 767),
        time_base=Fraction(1, 1000),
        audio=(AAC,),
    ),
    "mp4-odd-size-vfr": Case(
        "mp4",
        ".mp4",
        size=(65, 49),
        pix_fmt="yuv444p",
        time_base=Fraction(1, 30000),
        pts=(0, 1001, 2002, 5005, 6006, 6507, 9009, 12012, 12513, 15015, 20020, 21021),
    ),
    "mp4-h264-10bit": Case("mp4", ".mp4", pix_fmt="yuv420p10le"),
    "mp4-two-audio-tracks": Case(
        "mp4",
        ".mp4",
        audio=(Audio("aac", language="eng", title="camera"), Audio("aac", "mono", 44100, "fra", "lavalier")),
    ),
    "mkv-aac+opus+pcm to .mkv": Case("matroska", ".mkv", audio=(AAC, OPUS, PCM), output=".mkv"),
    **{
        f"mp4-rotate-{angle}{'-audio' if sound else ''}": Case(
            "mp4", ".mp4", rotation=angle, audio=(AAC,) if sound else ()
        )
        for angle in (90, 180, 270)
        for sound in (False, True)
    },
    "mp4-rotate-90-mirrored-audio": Case("mp4", ".mp4", rotation=90, hflip=True, audio=(AAC,)),
    "mov-timecode (camera)": Case("mov", ".mov", audio=(AAC,), timecode="01:02:03:04"),
    "mkv-subtitles": Case("matroska", ".mkv", audio=(AAC,), subtitles=True, dropped=1),
    "mkv-subtitles to .mkv": Case("matroska", ".mkv", audio=(AAC,), subtitles=True, output=".mkv"),
}
SUBTITLES = "1\n00:00:00,100 --> 00:00:00,300\nHallo\n\n2\n00:00:00,300 --> 00:00:00,400\nWelt\n"


def _picture(index: int, width: int, height: int) -> np.ndarray:
    """A moving gradient, so encoders make real P- and B-frames."""
    x = (np.arange(width)[None, :] * 4 + index * 9) % 256
    y = (np.arange(height)[:, None] * 3) % 256
    return np.stack(
        [
            np.broadcast_to(x, (height, width)),
            np.broadcast_to(y, (height, width)),
            np.full((height, width), index * 20 % 256),
        ],
        axis=-1,
    ).astype(np.uint8)


def _audio_frames(stream, seconds: float):
    ctx = stream.codec_context
    channels, rate, size = ctx.layout.nb_channels, ctx.sample_rate, 1024
    dtype = {
        "s16": np.int16,
        "s32": np.int32,
        "flt": np.float32,
        "fltp": np.float32,
        "s16p": np.int16,
        "s32p": np.int32,
    }[ctx.format.name]
    scale = 0.3 if dtype == np.float32 else 0.3 * np.iinfo(dtype).max
    for start in range(0, int(seconds * rate), size):
        wave = np.sin(2 * np.pi * 440 * (start + np.arange(size)) / rate) * scale
        data = np.repeat(wave[None, :], channels, 0) if ctx.format.is_planar else np.repeat(wave, channels)[None, :]
        frame = av.AudioFrame.from_ndarray(data.astype(dtype), format=ctx.format.name, layout=ctx.layout.name)
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        yield frame


def make(case: Case, path: Path) -> None:
    width, height = case.size
    with av.open(str(path), "w", format=case.container) as out:
        stream = out.add_stream(case.codec, rate=case.rate, options=dict(case.options))
        stream.width, stream.height, stream.pix_fmt = width, height, case.pix_fmt
        time_base = case.time_base or Fraction(1, case.rate)
        stream.time_base = stream.codec_context.time_base = time_base
        if case.rotation or case.hflip:
            stream.set_display_rotation(case.rotation, hflip=case.hflip)
        if case.timecode:
            stream.metadata["timecode"] = case.timecode
        sounds = []
        for track in case.audio:
            sound = out.add_stream(track.codec, rate=track.rate, layout=track.layout)
            for tag in ("language", "title"):
                if getattr(track, tag):
                    sound.metadata[tag] = getattr(track, tag)
            sounds.append(sound)
        if case.subtitles:
            path.with_suffix(".srt").write_text(SUBTITLES)
            text = av.open(str(path.with_suffix(".srt")))
            subtitles = out.add_stream_from_template(text.streams.subtitles[0])
            subtitles.metadata["language"] = "deu"
        step = int(1 / (case.rate * time_base))
        for index, stamp in enumerate(case.pts or range(0, case.frames * step, step)):
            frame = av.VideoFrame.from_ndarray(_picture(index, width, height), format="rgb24")
            frame.pts, frame.time_base = stamp, time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        for sound in sounds:
            for frame in _audio_frames(sound, case.frames / case.rate):
                out.mux(sound.encode(frame))
            out.mux(sound.encode(None))
        if case.subtitles:
            for packet in text.demux():
                if packet.dts is not None:
                    packet.stream = subtitles
                    out.mux(packet)
            text.close()


def project_for(path: Path) -> Project:
    """A project with one drawn region over the middle of every frame, as an editor would add by hand."""
    info = video.probe(path)
    source = Source(
        path=str(path),
        fingerprint=project.fingerprint(path),
        width=info.width,
        height=info.height,
        rotation=info.rotation,
        fps=info.fps,
        frame_count=info.frame_count,
    )
    w, h = info.display_size
    box = (w * 0.25, h * 0.25, w * 0.75, h * 0.75)
    region = Track(id=1, start=0, boxes=[box] * info.frame_count, scores=[1.0] * info.frame_count, manual=True)
    return Project(source=source, tracks=[region])
