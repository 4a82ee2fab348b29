"""A video analysed in segments side by side gives the unsplit run's project: the same tracks (some crossing a
segment boundary), people and decisions, on this machine's pool and on a Ray cluster; so its export is the unsplit
run's, frame for frame and audio packet for packet.

Tracks are what segments could get wrong, so they are compared on the clip's opening (tests/conftest.py): three
keyframes to split at, two shot changes, a crowd, tracks across the boundaries. Recognition runs once, on the joined
tracks, as unsplit; people and decisions are compared on the performer's close-up, which recognises in a tenth of
the time, split in two: on this machine's pool and through the command line here, and on a Ray cluster by the
driver that runs the batch there (tests/test_batch.py)."""

import json
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from engine import analyze, audit, batch, decisions, export, pools, project, segments, video
from engine.job import Job
from engine.records import Action, DetectorSettings, ExportSettings, Project
from tests.helpers import CLIP, OPENING_FRAMES, PERFORMER, audio_packets, cli, clip_part, frames, times

SETTINGS = DetectorSettings()
PARTS = 3


@pytest.fixture(scope="module")
def split(opening) -> Project:
    return segments.analyze_segmented(
        opening, pools.LocalPool(2, segments.detect_segment), PARTS, SETTINGS, job=Job(), recognise=False
    )


def boundaries(path: Path, parts: int = PARTS) -> list[int]:
    first = segments.first_pass(path, SETTINGS, video.probe(path), Job())
    return segments.split(first, parts)[1:]


def test_the_video_is_split_where_faces_cross(opening, opening_analysed):
    """Otherwise the next test could not fail: segments at keyframes, and tracks running across them."""
    cuts = boundaries(opening)
    assert len(cuts) == PARTS - 1
    crossing = [t for t in opening_analysed.tracks if any(t.start < c <= t.end for c in cuts)]
    assert crossing, (cuts, [(t.start, t.end) for t in opening_analysed.tracks])


def test_segments_give_the_unsplit_project(opening_analysed, split):
    """Against the unsplit analysis of the opening (tests/conftest.py), with the default settings as SETTINGS."""
    assert project.to_dict(split) == project.to_dict(opening_analysed)
    assert len(split.tracks) > 20 and split.cuts == [20, 82]


def test_segments_give_the_unsplit_people_and_decisions(close_up, close_up_analysed, known):
    """Also on a Ray cluster, in tests/test_batch.py."""
    (cut,) = boundaries(close_up, 2)
    assert any(t.start < cut <= t.end for t in close_up_analysed.tracks), "a face crosses the segments' boundary"
    found = segments.analyze_segmented(close_up, pools.LocalPool(2, segments.detect_segment), 2, SETTINGS, known, Job())
    assert project.to_dict(found) == project.to_dict(close_up_analysed)
    assert any(person.decision == Action.KEEP for person in found.identities) and len(found.identities) > 1


def test_parts_encoded_apart_join_frame_exact_with_the_sources_audio(opening, split, tmp_path):
    """Exported in parts and joined without re-encoding: every frame at its source time, the source's audio
    packets copied once, the temporary parts gone, and the faces blurred as in a one-pass export (the two differ
    by encoding noise: a fifth of what blurring changes, at most)."""
    proj = replace(split, export=ExportSettings())
    whole, parts = tmp_path / "whole.mp4", tmp_path / "parts.mp4"
    export.export(proj, whole)
    segments.export_segmented(proj, parts, pools.LocalPool(2, segments.encode_part), PARTS)
    assert times(parts) == times(whole) == times(opening) and len(times(opening)) == OPENING_FRAMES
    assert audio_packets(parts) == audio_packets(whole) == audio_packets(opening)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["whole.mp4", "parts.mp4", audit.report_path(whole).name, audit.report_path(parts).name]
    )
    plan = decisions.by_frame(proj)
    noise, blurred = [], []
    for index, decoded in enumerate(zip(*map(frames, (opening, whole, parts)), strict=True)):
        original, one_pass, joined = (f.to_ndarray(format="rgb24").astype(np.float32) for f in decoded)
        for decision in plan.get(index, []):
            x0, y0, x1, y1 = (int(v) for v in decision.box)
            noise.append(np.abs(joined[y0:y1, x0:x1] - one_pass[y0:y1, x0:x1]).mean())
            blurred.append(np.abs(one_pass[y0:y1, x0:x1] - original[y0:y1, x0:x1]).mean())
    assert len(noise) > 1000 and np.mean(noise) < np.mean(blurred) / 5, (np.mean(noise), np.mean(blurred))


def test_a_stream_without_timestamps_is_decoded_from_its_start(tmp_path):
    """A raw H.264 stream cannot seek by time: each segment decodes from the start, and still finds the same."""
    raw = tmp_path / "clip.h264"
    with av.open(str(CLIP)) as inp, av.open(str(raw), "w", format="h264") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for count, packet in enumerate(inp.demux(video=0)):
            if packet.dts is None or count >= 70:
                break
            packet.stream = stream
            out.mux(packet)
    settings = DetectorSettings()
    expected = analyze.analyze(raw, settings, recognise=False)
    found = segments.analyze_segmented(raw, pools.LocalPool(2, segments.detect_segment), 2, settings, recognise=False)
    assert project.to_dict(found) == project.to_dict(expected) and found.tracks


def test_a_container_that_seeks_past_the_frame_is_decoded_from_its_start(monkeypatch):
    """Some containers (MPEG-TS) seek only roughly: a segment that lands after its first frame notices by the
    times and decodes from the video's start instead."""
    first = segments.first_pass(CLIP, SETTINGS, video.probe(CLIP), Job())
    start, end = first.keyframes[2], first.keyframes[3]
    exact = video.read_frames
    monkeypatch.setattr(
        video,
        "read_frames",
        lambda path, start, seek: exact(path, start=start, seek=None if seek is None else seek + 4000),
    )
    assert [f.pts for f in segments._frames(str(CLIP), start, tuple(first.pts[start:end]))] == first.pts[start:end]


def test_batch_splits_each_video_over_the_pool(tmp_path):
    """`limelight batch --split`: the video is done in segments, with its frame times and audio exact and
    the performer kept; a broken file beside it is handled as in any batch, and no parts are left. On the
    close-up's first 51 frames: its two keyframes, in half the time of the whole close-up."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    close_up = clip_part(inputs / "close_up.mp4", 120, 171)
    assert len(boundaries(close_up, 2)) == 1, "a keyframe to split at"
    (inputs / "notes.mp4").write_text("this is not a video\n")
    out = tmp_path / "out"
    done = cli("batch", inputs, "-o", out, "--split", "2", "--workers", "2", "--known-faces", PERFORMER)
    assert done.returncode == batch.SOME_FAILED, done.stderr
    assert "each video in 2 segments" in done.stdout + done.stderr
    rows = {row["file"]: row for row in json.loads((out / "limelight-batch.json").read_text())["files"]}
    assert {name: row["status"] for name, row in rows.items()} == {"close_up.mp4": "ok", "notes.mp4": "failed"}
    assert rows["close_up.mp4"]["people_kept"] == ["lin-manuel-miranda"] and rows["close_up.mp4"]["frames"] == 51
    assert times(out / "close_up.mp4") == times(close_up)
    assert audio_packets(out / "close_up.mp4") == audio_packets(close_up)
    assert not [p for p in out.rglob(".limelight-parts-*")]


def test_split_needs_two_parts_or_more(limelight, tmp_path):
    done = limelight("batch", CLIP, "-o", tmp_path / "out", "--split", "1")
    assert done.returncode == 2 and done.stderr.strip() == "limelight: error: --split must be 2 or more"
