"""Batch throughput on this machine with 1 and 2 workers, and one video analysed and exported whole against in
segments on 2 workers (engine.segments), each as a ratio measured in one run.

The runs alternate 1, 2, 2, 1 (whole, segments, segments, whole) so that a load that drifts during the bench (a
shared machine) weighs on both sides alike. Batch inputs are copies of an excerpt of the sample clip, written to
a temporary folder; segments split the sample clip itself, at its own keyframes."""

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

from engine import analyze, export, pools, segments, video  # noqa: E402
from engine.job import Job  # noqa: E402
from engine.records import DetectorSettings  # noqa: E402
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


def cpu_seconds() -> float:
    """This process's and its finished children's (pool workers') user and system time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def segments_vs_whole(clip: Path, parts: int, work: Path) -> str:
    """Analysis (no recognition, as a batch does it) and export, whole and in `parts` segments on 2-worker
    pools (their start included), wall and CPU time of each; the first pass alone, to show what the split
    leaves whole."""
    settings = DetectorSettings()
    runs: dict[str, list[list[float]]] = {"whole": [], "segments": []}
    for kind in ("whole", "segments", "segments", "whole"):
        clock, cpu = time.perf_counter(), cpu_seconds()
        if kind == "whole":
            proj = analyze.analyze(clip, settings, recognise=False)
        else:
            pool = pools.LocalPool(2, segments.detect_segment)
            proj = segments.analyze_segmented(clip, pool, parts, settings, recognise=False)
        analysed, analysed_cpu = time.perf_counter(), cpu_seconds()
        if kind == "whole":
            export.export(proj, work / "whole.mp4")
        else:
            segments.export_segmented(proj, work / "parts.mp4", pools.LocalPool(2, segments.encode_part), parts)
        runs[kind].append(
            [analysed - clock, analysed_cpu - cpu, time.perf_counter() - analysed, cpu_seconds() - analysed_cpu]
        )
    clock = time.perf_counter()
    segments.first_pass(clip, settings, video.probe(clip), Job())
    first = time.perf_counter() - clock
    whole, split = ([sum(v) / 2 for v in zip(*runs[k])] for k in ("whole", "segments"))
    return (
        f"one video ({clip.name}) in {parts} segments on 2 workers, segments / whole (load average "
        f"{os.getloadavg()[0]:.1f}): analysis {split[0] / whole[0]:.2f}x wall time, {split[1] / whole[1]:.2f}x CPU "
        f"time; export {split[2] / whole[2]:.2f}x wall, {split[3] / whole[3]:.2f}x CPU. Whole, export = "
        f"{whole[2] / whole[0]:.2f}x the analysis; the first pass (triage, not split) = {first / whole[0]:.2f}x it"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--parts", type=int, default=2, help="segments of one video")
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
        print(segments_vs_whole(CLIP, args.parts, work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
