"""Batch throughput on this machine with 1 and 2 workers, as a ratio measured in one run.

The runs alternate 1, 2, 2, 1 so that a load that drifts during the bench (a shared machine) weighs on both
sides alike. Inputs are copies of an excerpt of the sample clip, written to a temporary folder."""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import video  # noqa: E402
from engine.bench import CLIP, transcode  # noqa: E402


def timed_batch(inputs: Path, out: Path, workers: int) -> float:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "main.py"), "batch", str(inputs), "-o", str(out), "--workers",
                    str(workers)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs = work / "in"
        inputs.mkdir()
        first = transcode(CLIP, inputs / "clip0.mp4", args.frames)
        for i in range(1, args.files):
            shutil.copy(first, inputs / f"clip{i}.mp4")
        frames = args.files * video.probe(first).frame_count
        seconds = {1: [], 2: []}
        for workers in (1, 2, 2, 1):
            seconds[workers].append(timed_batch(inputs, work / "out", workers))
        one, two = (sum(seconds[w]) / 2 for w in (1, 2))
        print(f"batch of {args.files} files x {args.frames} frames, whole commands: 1 worker {frames / one:.1f} "
              f"frames/s, 2 workers {frames / two:.1f} frames/s; 2 workers / 1 worker = {one / two:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
