"""`limelight --selftest`: proves an installed copy works end to end without any user file: every model file loads
from its package and runs, and a few frames of a generated sample are analysed and exported."""

import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from engine import analyze, detect, identities, video
from engine.export import export
from engine.records import DetectorSettings

FRAMES = 12
# Detectors the self-test does not build, and why that proves no less about the installation.
NOT_BUILT = {
    "dlib-hog": "its model is compiled into dlib's library, which the dlib-cnn and recognition checks load; "
    "building it (decoding that model) takes a CPU-second",
}


def sample_frames() -> list[np.ndarray]:
    """A drawn face sliding across a stage: enough structure for every stage of the pipeline to run."""
    pictures = []
    for i in range(FRAMES):
        image = np.full((240, 320, 3), (40, 30, 60), np.uint8)
        cx = 100 + 8 * i
        cv2.ellipse(image, (cx, 120), (45, 60), 0, 0, 360, (200, 160, 140), -1)
        for dx in (-17, 17):
            cv2.circle(image, (cx + dx, 105), 6, (40, 30, 30), -1)
        cv2.line(image, (cx, 112), (cx - 4, 135), (150, 110, 100), 3)
        cv2.ellipse(image, (cx, 150), (15, 6), 0, 0, 180, (120, 50, 60), 3)
        pictures.append(image)
    return pictures


def write_sample(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i, picture in enumerate(sample_frames()):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def run() -> int:
    checks = []

    def check(name, action):
        started = time.perf_counter()
        try:
            detail = action()
            checks.append(True)
            print(f"ok    {name} ({time.perf_counter() - started:.1f} s){': ' + detail if detail else ''}")
        except Exception as exc:  # the point of a self-test is to report every failure, whatever its type
            checks.append(False)
            print(f"FAIL  {name}: {type(exc).__name__}: {exc}")

    image = sample_frames()[0]
    # dlib's CNN on a thumbnail, not upsampled: the check is that its weights load and the network runs, and at
    # the picture's size (upsampled, as for video) it took 0.9 (3.5) of the self-test's CPU-seconds.
    pictures = {"dlib-cnn": cv2.resize(image, (80, 60), interpolation=cv2.INTER_AREA)}
    options = {"dlib-cnn": {"upsample": 0}}
    for name in detect.NAMES:
        if name in NOT_BUILT:
            print(f"skip  detector {name}: {NOT_BUILT[name]}")
            continue
        check(
            f"detector {name}",
            lambda name=name: (
                f"{len(detect.create(name, **options.get(name, {})).detect(pictures.get(name, image)))} face(s)"
            ),
        )

    def embedding() -> str:
        vector = identities.embed(image, (55, 60, 145, 180))
        if vector is None:
            raise ValueError("the sample face is too small to recognise")
        return f"{len(vector)}-d embedding"

    check("face recognition", embedding)
    with tempfile.TemporaryDirectory() as tmp:
        source, output = write_sample(Path(tmp) / "sample.mp4"), Path(tmp) / "out.mp4"

        def pipeline():
            project = analyze.analyze(source, DetectorSettings(stride=1))
            export(project, output)
            count = video.probe(output).frame_count
            if count != FRAMES:
                raise RuntimeError(f"exported {count} frames instead of {FRAMES}")
            return f"{len(project.tracks)} track(s), {count} frames exported"

        check("analyse and export", pipeline)
    print("self-test passed" if all(checks) else "self-test FAILED")
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(run())
