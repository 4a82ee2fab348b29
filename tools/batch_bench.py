"""Batch throughput on this machine with 1 and 2 workers, as a ratio measured in one run.

The runs alternate 1, 2, 2, 1 so that a load that drifts during the bench (a shared machine) weighs on both
sides alike. Inputs are copies of an excerpt of the sample clip, written to a temporary folder."""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import video  # noqa: E402
from tools.bench import CLIP, transcode  # noqa: E402


def timed_batch(inputs: Path, out: Path, workers: int) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the command and its workers) of one whole batch command."""
    shutil.rmtree(out, ignore_errors=True)
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "batch", str(inputs), "-o", str(out), "--workers", str(workers)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - started, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


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
        runs = {1: [], 2: []}
        for workers in (1, 2, 2, 1):
            runs[workers].append(timed_batch(inputs, work / "out", workers))
        (one, one_cpu), (two, two_cpu) = ([sum(v) / 2 for v in zip(*runs[w])] for w in (1, 2))
        print(
            f"batch of {args.files} files x {args.frames} frames, whole commands (load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores): 1 worker {frames / one:.1f} frames/s, "
            f"2 workers {frames / two:.1f} frames/s; 2 workers / 1 worker = {one / two:.2f}x; CPU time per "
            f"frame 2 workers / 1 worker = {two_cpu / one_cpu:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
