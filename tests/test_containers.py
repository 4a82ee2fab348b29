"""Export keeps timing, size, display matrix and every audio track of the files editors bring.

Each source is generated here with PyAV (tiny, a few frames) and both files are read back with plain PyAV, so a
bug in LimeLight's reader cannot hide the same bug in its writer. A drawn region is blurred on every frame, so
both the in-place (8-bit 4:2:0) and the RGB (anything else) render paths write the frames."""

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from engine.export import export
from tests.sources import CASES, make, project_for


def payload(packet: bytes) -> bytes:
    """AAC without its ADTS header: MPEG-TS carries one on every packet, MP4 keeps it once in the stream."""
    if packet[:1] == b"\xff" and packet[1] & 0xF6 == 0xF0:
        return packet[7 if packet[1] & 1 else 9 :]
    return packet


@dataclass
class Facts:
    times: list[float]
    size: tuple[int, int]
    matrix: bytes | None
    audio: list[tuple[str, dict, list[bytes]]]  # codec, tags, packets
    subtitles: list[tuple[str, dict, list[bytes]]]
    timecode: str | None


def facts(path: Path) -> Facts:
    """What an editor's app sees in a file, read with plain PyAV."""
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    first = frames[0]
    matrix = (
        bytes(first.side_data["DISPLAYMATRIX"]) if "DISPLAYMATRIX" in [d.type.name for d in first.side_data] else None
    )
    with av.open(str(path)) as container:
        timecode = next((s.metadata["timecode"] for s in container.streams if "timecode" in s.metadata), None)
    audio, subtitles = _packets(path, "audio"), _packets(path, "subtitles")
    return Facts([float(f.time) for f in frames], (first.width, first.height), matrix, audio, subtitles, timecode)


def _packets(path: Path, kind: str) -> list[tuple[str, dict, list[bytes]]]:
    with av.open(str(path)) as container:
        return _demuxed(container, getattr(container.streams, kind))


def _demuxed(container, streams) -> list[tuple[str, dict, list[bytes]]]:
    found = []
    for stream in streams:
        tags = {k: v for k, v in stream.metadata.items() if k in ("language", "title") and v != "und"}
        found.append((stream.codec_context.codec.canonical_name, tags, []))
    index = {s.index: i for i, s in enumerate(streams)}
    for packet in container.demux(*streams) if index else ():
        if packet.size:
            found[index[packet.stream_index]][2].append(payload(bytes(packet)))
    return found


@pytest.fixture(scope="session")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("containers")


@pytest.mark.parametrize("name", list(CASES))
def test_export_matches_source(name, folder):
    case = CASES[name]
    try:
        av.codec.Codec(case.codec, "w")
    except av.FFmpegError:
        pytest.skip(f"PyAV's FFmpeg has no {case.codec} encoder")
    slug = "".join(c if c.isalnum() else "_" for c in name)
    source, output = folder / f"{slug}{case.suffix}", folder / f"{slug}.out{case.output}"
    make(case, source)
    result = export(project_for(source), output)
    before, after = facts(source), facts(output)

    assert len(after.times) == len(before.times) == (len(case.pts) if case.pts else case.frames)
    shift = after.times[0] - before.times[0]
    assert abs(shift) < 0.001, f"output starts {shift:.4f} s off"
    assert np.allclose(np.subtract(after.times, before.times), shift, atol=1e-4), (before.times, after.times)
    assert after.size == before.size == case.size
    assert after.matrix == before.matrix
    assert (before.matrix is not None) == bool(case.rotation or case.hflip)
    assert len(after.audio) == len(before.audio) == len(case.audio)
    for number, ((codec, tags, packets), (out_codec, out_tags, out_packets)) in enumerate(
        zip(before.audio, after.audio)
    ):
        assert out_tags == tags
        if number in case.recoded:
            assert out_codec == "aac"
            assert any(f"#{number + 1} ({codec}" in w and "re-encoded as AAC" in w for w in result.warnings)
        else:
            assert out_packets == packets, f"audio track {number} not copied packet for packet"
    if case.subtitles and case.dropped:
        assert after.subtitles == [] and [w for w in result.warnings if "subtitle stream #2 (subrip, deu)" in w]
    else:
        assert after.subtitles == before.subtitles and len(before.subtitles) == case.subtitles
    assert after.timecode == before.timecode == case.timecode
    assert len(result.warnings) == len(case.recoded) + case.dropped, result.warnings
    assert not [p for p in folder.iterdir() if "limelight" in p.name]
