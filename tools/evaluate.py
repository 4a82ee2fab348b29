"""Detector accuracy on annotated stills: precision, recall and average precision per detector.

Ground truth is read in the WIDER FACE text format so the public WIDER FACE validation set, or any set
annotated with its tools, can be used as is."""

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import detect
from engine.geometry import iou_matrix
from engine.stills import read_image


@dataclass
class Score:
    detector: str
    faces: int
    detections: int
    true_positives: int
    precision: float
    recall: float
    average_precision: float
    ms_per_image: float


def read_wider(path: str | Path) -> dict[str, np.ndarray]:
    """{image path: (n, 4) x0 y0 x1 y1 boxes}; faces marked invalid (8th field) are dropped, as WIDER does."""
    lines = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    truth, i = {}, 0
    while i < len(lines):
        name, count = lines[i], int(lines[i + 1])
        rows = [list(map(float, line.split()[:8])) for line in lines[i + 2 : i + 2 + max(count, 1)]][:count]
        boxes = [(x, y, x + w, y + h) for x, y, w, h, *rest in rows if not (len(rest) >= 4 and rest[3])]
        truth[name] = np.array(boxes, dtype=float).reshape(-1, 4)
        i += 2 + max(count, 1)
    return truth


def _matches(found: list, truth: np.ndarray, iou: float) -> list[tuple[float, bool]]:
    """Each detection, most confident first, claims the best still unclaimed face it overlaps enough."""
    claimed, result = set(), []
    order = sorted(found, key=lambda d: -d.score)
    overlaps = (
        iou_matrix(np.array([d.box for d in order]).reshape(-1, 4), truth) if order else np.zeros((0, len(truth)))
    )
    for k, d in enumerate(order):
        candidates = [(overlaps[k, j], j) for j in range(len(truth)) if j not in claimed and overlaps[k, j] >= iou]
        hit = max(candidates, default=None)
        if hit:
            claimed.add(hit[1])
        result.append((d.score, hit is not None))
    return result


def average_precision(hits: list[tuple[float, bool]], faces: int) -> float:
    """Area under the precision/recall curve with precision made monotonic (the VOC and WIDER rule)."""
    if not faces:
        return float("nan")
    ordered = np.array([hit for _, hit in sorted(hits, key=lambda h: -h[0])], dtype=float)
    if not len(ordered):
        return 0.0
    tp = np.cumsum(ordered)
    recall = np.concatenate([[0], tp / faces])
    precision = np.concatenate([[1], tp / np.arange(1, len(ordered) + 1)])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum(np.diff(recall) * precision[1:]))


def evaluate(truth: dict[str, np.ndarray], images: Path, detector_name: str, iou: float = 0.5) -> Score:
    model = detect.create(detector_name)
    hits, elapsed = [], 0.0
    for name, boxes in truth.items():
        rgb = read_image(images / name)
        started = time.perf_counter()
        found = model.detect(rgb)
        elapsed += time.perf_counter() - started
        hits += _matches([d for d in found if d.score >= model.threshold], boxes, iou)
    faces = sum(len(b) for b in truth.values())
    tp = sum(hit for _, hit in hits)
    return Score(
        detector_name,
        faces,
        len(hits),
        tp,
        tp / len(hits) if hits else 0.0,
        tp / faces if faces else 0.0,
        average_precision(hits, faces),
        1000 * elapsed / max(len(truth), 1),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.evaluate", description=__doc__)
    parser.add_argument("ground_truth", help="WIDER FACE style annotation file")
    parser.add_argument("--images", help="folder the annotated paths are relative to (default: beside the file)")
    parser.add_argument("--detectors", nargs="+", default=list(detect.NAMES), choices=detect.NAMES)
    parser.add_argument("--iou", type=float, default=0.5)
    args = parser.parse_args(argv)
    truth = read_wider(args.ground_truth)
    images = Path(args.images) if args.images else Path(args.ground_truth).parent
    print(
        f"{'detector':<11} {'faces':>5} {'found':>5} {'TP':>4} {'precision':>9} {'recall':>6} {'AP':>6} {'ms/image':>9}"
    )
    for name in args.detectors:
        s = evaluate(truth, images, name, args.iou)
        print(
            f"{s.detector:<11} {s.faces:>5} {s.detections:>5} {s.true_positives:>4} {s.precision:>9.3f} "
            f"{s.recall:>6.3f} {s.average_precision:>6.3f} {s.ms_per_image:>9.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
