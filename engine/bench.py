"""Speed and recall benchmark: LimeLight's detectors against plain decode+encode and against deface, all measured
in one run on one machine, so the printed ratios mean something wherever they are run.

Recall is counted against a thorough reference (every frame, full resolution, low threshold; with --thorough
also the union with dlib-cnn): a reference face is missed on a frame when less than 80% of it lies inside a blurred
region. deface blurs CenterFace's detections at 0.2 frame by frame with 1.3 padding; its misses are counted the same
way from that rule, because its own output has other frame counts and sizes and cannot be compared frame for frame."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from engine import analyze, decisions, detect, render, video
from engine.export import export
from engine.project import DetectorSettings
from engine.track import Box

CLIP = Path(__file__).resolve().parents[2] / "shared/data/hamilton/short_hamilton_clip.mp4"
SLOW = {"dlib-cnn": 20, "mtcnn": 60}
COVERED = 0.8


def excerpt(source: Path, frames: int, target: Path) -> Path:
    with video.VideoWriter(source, target, keep_audio=False) as writer:
        for frame in video.read_frames(source):
            if frame.index >= frames:
                break
            writer.write(frame)
    return target


def copy_fps(source: Path, work: Path) -> float:
    started, count = time.perf_counter(), 0
    with video.VideoWriter(source, work / "copy.mp4") as writer:
        for frame in video.read_frames(source, audio_sink=writer.copy_audio):
            writer.write(frame)
            count += 1
    return count / (time.perf_counter() - started)


def pipeline_fps(source: Path, name: str, work: Path) -> tuple[float, object]:
    detect.create(name).detect(next(video.read_frames(source)).image)
    started = time.perf_counter()
    project = analyze.analyze(source, DetectorSettings(name=name))
    export(project, work / f"{name}.mp4")
    return project.source.frame_count / (time.perf_counter() - started), project


def command_fps(command: list[str], frames: int) -> float | None:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        print(f"  {' '.join(command[:3])}... failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return frames / (time.perf_counter() - started)


def reference_faces(source: Path, thorough: bool) -> list[list[Box]]:
    models = [detect.create("centerface", 0.1, max_side=None)]
    if thorough:
        models.append(detect.create("dlib-cnn", upsample=1))
    faces = []
    for frame in video.read_frames(source):
        found = [d.box for m in models for d in m.detect(frame.image) if d.score >= m.threshold]
        faces.append(_union(found))
    return faces


def _union(boxes: list[Box]) -> list[Box]:
    """Drop reference boxes that mostly repeat one already kept, so two models finding one face count once."""
    kept: list[Box] = []
    for box in boxes:
        if all(_covered(box, [other]) < 0.5 for other in kept):
            kept.append(box)
    return kept


def _covered(face: Box, regions: list[Box]) -> float:
    """Fraction of `face` inside the union of `regions`, on a pixel grid."""
    x0, y0, x1, y1 = (int(round(v)) for v in face)
    if x1 <= x0 or y1 <= y0:
        return 1.0
    grid = np.zeros((y1 - y0, x1 - x0), bool)
    for r in regions:
        grid[max(0, int(r[1]) - y0):max(0, int(np.ceil(r[3])) - y0),
             max(0, int(r[0]) - x0):max(0, int(np.ceil(r[2])) - x0)] = True
    return float(grid.mean())


def misses(reference: list[list[Box]], regions: list[list[Box]]) -> int:
    return sum(_covered(face, regions[i] if i < len(regions) else []) < COVERED
               for i, faces in enumerate(reference) for face in faces)


def project_regions(project, width: int, height: int) -> list[list[Box]]:
    plan = decisions.by_frame(project)
    pad = project.export.padding
    return [[render.padded(d.box, pad, width, height) for d in plan.get(i, []) if d.action == decisions.BLUR]
            for i in range(project.source.frame_count)]


def deface_regions(source: Path, width: int, height: int) -> list[list[Box]]:
    model = detect.create("centerface", 0.2, max_side=None)
    return [[render.padded(d.box, 1.3, width, height) for d in model.detect(f.image) if d.score >= 0.2]
            for f in video.read_frames(source)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.bench", description=__doc__)
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--detectors", nargs="+", default=list(detect.NAMES), choices=detect.NAMES)
    parser.add_argument("--thorough", action="store_true", help="reference is the union with dlib-cnn (slow)")
    args = parser.parse_args(argv)
    info = video.probe(args.clip)
    width, height = info.display_size
    print(f"clip: {args.clip.name}, {info.frame_count} frames, {info.width}x{info.height}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = copy_fps(args.clip, work)
        print(f"plain decode+encode: {base:.1f} frames/s")
        results, default_project = {}, None
        for name in args.detectors:
            clip = excerpt(args.clip, SLOW[name], work / f"excerpt-{name}.mp4") if name in SLOW else args.clip
            fps, project = pipeline_fps(clip, name, work)
            results[name] = fps
            if name == detect.DEFAULT:
                default_project = project
            note = f" (first {SLOW[name]} frames)" if name in SLOW else ""
            print(f"analyse+export {name:<10} {fps:7.1f} frames/s{note}  = {fps / base:.2f} of decode+encode")
        cli = command_fps([sys.executable, str(Path(__file__).resolve().parents[1] / "main.py"), "anonymize",
                           str(args.clip), "-o", str(work / "cli.mp4")], info.frame_count)
        deface = shutil.which("deface")
        theirs = command_fps([deface, str(args.clip), "-o", str(work / "deface.mp4"), "--keep-audio"],
                             info.frame_count) if deface else None
        if cli:
            print(f"limelight anonymize (whole command): {cli:.1f} frames/s")
        if theirs:
            print(f"deface 1.5 (whole command):          {theirs:.1f} frames/s")
            if cli:
                print(f"speed ratio limelight/deface: {cli / theirs:.2f}x")
        else:
            print("deface: not installed (make bench installs it in .venv-deface)")
        if default_project is not None:
            reference = reference_faces(args.clip, args.thorough)
            total = sum(map(len, reference))
            ours = misses(reference, project_regions(default_project, width, height))
            rule = misses(reference, deface_regions(args.clip, width, height))
            kind = "centerface@0.1 + dlib-cnn" if args.thorough else "centerface@0.1"
            print(f"recall reference ({kind}, every frame, full size): {total} faces")
            print(f"missed faces: limelight {ours} ({1 - ours / max(total, 1):.1%} recall), "
                  f"deface rule {rule} ({1 - rule / max(total, 1):.1%} recall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
