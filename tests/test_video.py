"""Frame-exact video I/O on the awkward inputs editors bring: odd sizes, variable frame rate, rotated phone video."""

import numpy as np

from engine import video
from tests.helpers import CLIP, audio_packets, frames, images, region_change, write_video


def _clip_pictures(count: int, start: int = 120) -> list[np.ndarray]:
    return [f.image.copy() for f in video.read_frames(CLIP, start=start) if f.index < start + count]


def test_odd_size_and_variable_frame_rate_survive(limelight, tmp_path):
    pictures = [p[:301, :533] for p in _clip_pictures(12)]
    stamps = [0, 1001, 2002, 5005, 6006, 6507, 9009, 12012, 12513, 15015, 20020, 21021]
    source, output = tmp_path / "odd_vfr.mp4", tmp_path / "out.mp4"
    write_video(source, pictures, stamps)
    done = limelight("anonymize", source, "-o", output, "--no-audio")
    assert done.returncode == 0, done.stderr
    before, after = frames(source), frames(output)
    assert len(after) == 12
    assert (after[0].width, after[0].height) == (533, 301)
    assert [f.time for f in after] == [f.time for f in before]


def test_rotated_phone_video_keeps_rotation_and_blurs_the_right_place(limelight, tmp_path):
    """A portrait phone clip is stored sideways with a display rotation; faces must be found upright and
    the blur must land on them in the stored pixels."""
    upright = _clip_pictures(10, start=150)
    stored = [np.ascontiguousarray(np.rot90(p, 1)) for p in upright]
    source, output = tmp_path / "phone.mp4", tmp_path / "out.mp4"
    write_video(source, stored, list(range(0, 10000, 1000)), rotation=-90)
    assert video.probe(source).rotation == 270
    done = limelight("anonymize", source, "-o", output)
    assert done.returncode == 0, done.stderr
    info = video.probe(output)
    assert (info.width, info.height, info.rotation) == (360, 640, 270)
    shown = [np.rot90(p, 3) for p in images(output)]
    face = (246, 18, 331, 137)
    assert region_change(upright[5], shown[5], face) > 6
    background = (500, 200, 600, 300)
    assert region_change(upright[5], shown[5], background) < 3


def test_plain_copy_is_frame_exact(opening, tmp_path):
    """On the clip's opening (tests/conftest.py): the whole clip's times are the acceptance test's
    (tests/test_anonymize_clip.py)."""
    output = tmp_path / "copy.mp4"
    with video.VideoWriter(opening, output) as writer:
        for frame in video.read_frames(opening, packet_sink=writer.copy):
            writer.write(frame)
    assert [f.time for f in frames(output)] == [f.time for f in frames(opening)]
    assert not list(tmp_path.glob(".*partial*"))


def test_audio_packets_are_copied_after_their_container_is_closed(opening, tmp_path):
    """Export demuxes on a read-ahead thread, so the last audio packets reach the writer after the reader has
    closed the file they came from; the writer must not look at their (freed) source stream."""
    packets = []
    pictures = list(video.read_frames(opening, packet_sink=packets.append))
    del pictures
    churn = [np.ones(64, np.uint8) for _ in range(20000)]  # reuses the memory the closed file freed
    output = tmp_path / "audio.mp4"
    with video.VideoWriter(opening, output) as writer:
        for frame in video.read_frames(opening):
            writer.write(frame)
        for packet in packets:
            writer.copy(packet)
    del churn
    assert audio_packets(output) == audio_packets(opening)
