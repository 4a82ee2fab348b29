"""CenterFace, the default detector: best recall per millisecond of the models we can ship (see tools.bench).

It runs on the LiteRT interpreter, which starts in milliseconds; TensorFlow is only loaded the first time, to
convert the model."""

import logging
import os
from dataclasses import replace
from typing import Any, Callable

import cv2
import numpy as np

from engine.detect.base import Detector, as_rgb
from engine.geometry import clipped, iou_matrix
from engine.records import Detection
from models import centerface
from models.tensorflow import quiet_stderr

RUNNERS = 8
CELL = 128  # pixels of the detector's input; zoomed areas are whole cells, so few input sizes recur
SMALL = 24  # a face this small (a weak one too) at the detector's input says smaller ones may be near it
# Magnified pixels are interpolated, and the network takes more textures in them for faces: a face found only
# on a closer look must score a quarter higher to be blurred (tuned on 70 images of WIDER's tuning half; on 50
# held-out images false boxes rose from 3.4 to 4.5 per image, deface's rule 3.2, while hidden hard-set faces under
# 16 px rose from 0.70 to 0.90); weaker ones stay below the threshold, for the tracker to continue faces it follows.
ZOOM_TRUST = 0.8
# A still gets a whole second look at twice the size, and a small face scores AGREEMENT times the sum of its two
# looks' scores (0 where one missed it): chance textures rarely score in both. Hard-set faces hidden, false boxes
# per image, against one look and the zoom: WIDER's tuning half 0.943 at 5.0 (was 0.936 at 5.4), the held-out
# half 0.916 at 4.4 (was 0.914 at 4.7). A full 2x look at the zoom's trust hid no more; at face value, 0.946 at 7.1.
AGREEMENT = 0.64
LARGE = 64  # input pixels: faces this big are found at once, and the closer look only crops them


class CenterFaceDetector(Detector):
    name = "centerface"
    default_threshold = 0.2

    def __init__(
        self,
        threshold: float | None = None,
        max_side: int | None = 1280,
        backend: str = "tflite",
        threads: int | None = None,
        zoom: float | None = None,
    ):
        super().__init__(threshold, max_side)
        self.zoom = zoom
        self.weak_threshold = self.threshold / 4
        self.backend = backend
        self.threads = threads or os.cpu_count() or 1
        self._runners: dict[tuple[int, int], Callable[[np.ndarray], Any]] = {}

    def _runner(self, height: int, width: int):
        """A callable from a (1, h, w, 3) float batch to the four output maps, built once per input size. Video
        needs a few sizes (coarse, fine, tiles); a folder of stills has a new one per image, and each interpreter
        holds its tensors (20 MB at 1 megapixel), so only the most recently used few are kept."""
        key = (height, width)
        if key in self._runners:
            self._runners[key] = self._runners.pop(key)
        else:
            while len(self._runners) >= RUNNERS:
                self._runners.pop(next(iter(self._runners)))
            if self.backend == "tflite":
                try:
                    self._runners[key] = self._tflite(height, width)
                except (ImportError, RuntimeError, ValueError) as exc:
                    logging.getLogger(__name__).warning(
                        "TFLite unavailable (%s); running CenterFace in Keras, about half as fast", exc
                    )
                    self.backend = "keras"
            if key not in self._runners:
                self._runners[key] = self._keras(height, width)
        return self._runners[key]

    def _keras(self, height: int, width: int):
        model = centerface.build_keras(height, width)
        return lambda batch: [np.asarray(t) for t in model(batch, training=False)]

    def _tflite(self, height: int, width: int):
        from ai_edge_litert.interpreter import Interpreter

        model = centerface.tflite_model()
        with quiet_stderr():
            interpreter = Interpreter(model_content=model, num_threads=self.threads)
            source = interpreter.get_input_details()[0]["index"]
            interpreter.resize_tensor_input(source, (1, height, width, 3), strict=True)
            interpreter.allocate_tensors()
        # The converter names outputs "<graph>:<position in the Keras output list>" but emits them in any order.
        outputs = sorted(interpreter.get_output_details(), key=lambda d: int(d["name"].rsplit(":", 1)[1]))
        indices = [d["index"] for d in outputs]

        def run(batch):
            interpreter.set_tensor(source, batch)
            interpreter.invoke()
            return [interpreter.get_tensor(i) for i in indices]

        return run

    def detect(self, image: np.ndarray, scale: float = 1.0) -> list[Detection]:
        """With `zoom`, a second look, magnified, at the areas where the first found small faces: CenterFace
        misses most faces under about 12 pixels, and small faces come in crowds and far fields, next to
        others it did find."""
        found = super().detect(image, scale)
        if not self.zoom or not found:
            return found
        image = as_rgb(image)
        seen = self.input_scale(*image.shape[:2])
        factor = self.zoom * seen
        closer = []
        for x0, y0, x1, y1 in small_face_areas([d.scaled(scale * seen) for d in found], image.shape[:2], seen):
            crop = cv2.resize(image[y0:y1, x0:x1], None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
            closer += [
                replace(d.scaled(1 / factor).shifted(x0, y0).scaled(1 / scale), score=d.score * ZOOM_TRUST)
                for d in self._detect(crop)
                if d.size < 2 * SMALL * self.zoom
            ]
        return merge(found + closer)

    def detect_still(self, image: np.ndarray) -> list[Detection]:
        """A photo is one picture, not one frame of thousands: it can afford a look at twice the size everywhere
        (about four times the work of the first) instead of the zoom around small faces (see AGREEMENT)."""
        image = as_rgb(image)
        seen = self.input_scale(*image.shape[:2])
        first = Detector.detect(self, image)
        factor = 2 * seen
        closer = cv2.resize(
            image, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR if factor > 1 else cv2.INTER_AREA
        )
        second = [d.scaled(1 / factor) for d in self._detect(closer)]
        return merge(agreed(first, second, LARGE / seen))

    def _detect(self, image: np.ndarray) -> list[Detection]:
        """Faces down to `weak_threshold`, a quarter of the threshold: the tracker uses the weak ones only to
        continue faces it already follows."""
        height, width = image.shape[:2]
        net_h, net_w = int(np.ceil(height / 32) * 32), int(np.ceil(width / 32) * 32)
        batch = np.zeros((1, net_h, net_w, 3), np.float32)
        batch[0, :height, :width] = image
        heatmap, sizes, offsets, landmarks = self._runner(net_h, net_w)(batch)
        return self._decode(heatmap[0, :, :, 0], sizes[0], offsets[0], landmarks[0], width, height)

    def _decode(self, heatmap, sizes, offsets, landmarks, width, height) -> list[Detection]:
        rows, cols = np.nonzero(heatmap > self.weak_threshold)
        if not len(rows):
            return []
        h = np.exp(sizes[rows, cols, 0]) * 4
        w = np.exp(sizes[rows, cols, 1]) * 4
        cy = (rows + offsets[rows, cols, 0] + 0.5) * 4
        cx = (cols + offsets[rows, cols, 1] + 0.5) * 4
        x0, y0 = cx - w / 2, cy - h / 2
        scores = heatmap[rows, cols]
        lms = landmarks[rows, cols]
        keep = cv2.dnn.NMSBoxes(np.stack([x0, y0, w, h], 1).tolist(), scores.tolist(), self.weak_threshold, 0.3)
        found = []
        for i in np.asarray(keep, dtype=int).reshape(-1):
            points = tuple((x0[i] + lms[i, 2 * j + 1] * w[i], y0[i] + lms[i, 2 * j] * h[i]) for j in range(5))
            box = clipped((x0[i], y0[i], x0[i] + w[i], y0[i] + h[i]), width, height)
            found.append(Detection(box, float(scores[i]), tuple((float(x), float(y)) for x, y in points)))
        return found


def small_face_areas(found: list[Detection], shape: tuple[int, int], seen: float) -> list[tuple[int, int, int, int]]:
    """Areas of an image worth a closer look: the grid cells around faces under SMALL pixels (`found` in the
    detector's input pixels, `seen` = input pixels per image pixel), merged where they touch; image pixels."""
    cell = CELL / seen
    height, width = shape
    grid = np.zeros((int(np.ceil(height / cell)), int(np.ceil(width / cell))), np.uint8)
    for d in found:
        if d.size < SMALL:
            x, y = (d.box[0] + d.box[2]) / 2 / CELL, (d.box[1] + d.box[3]) / 2 / CELL
            grid[min(int(y), grid.shape[0] - 1), min(int(x), grid.shape[1] - 1)] = 1
    count, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(grid, np.ones((3, 3), np.uint8)))
    return [
        (int(x * cell), int(y * cell), min(width, int((x + w) * cell)), min(height, int((y + h) * cell)))
        for x, y, w, h, _ in stats[1:count]
    ]


def agreed(first: list[Detection], second: list[Detection], large: float) -> list[Detection]:
    """Both looks at a still as one list: faces of `large` image pixels or more as the first look saw them; smaller
    ones, most confident first in either look, each scored AGREEMENT times its own score plus that of the most
    confident unclaimed box of the other look that overlaps it by IoU 0.4 or more."""
    kept = [d for d in first if d.size >= large]
    small = sorted(
        [(d, 0) for d in first if d.size < large] + [(d, 1) for d in second if d.size < large],
        key=lambda pair: -pair[0].score,
    )
    if not small:
        return kept
    boxes = np.array([d.box for d, _ in small], float)
    overlaps = iou_matrix(boxes, boxes)
    looks = np.array([look for _, look in small])
    claimed = np.zeros(len(small), bool)
    for i, (face, look) in enumerate(small):
        if claimed[i]:
            continue
        claimed[i] = True
        partners = np.nonzero(~claimed & (overlaps[i] >= 0.4) & (looks != look))[0]
        partner = small[partners[0]][0].score if len(partners) else 0.0
        claimed[partners[:1]] = True
        kept.append(replace(face, score=AGREEMENT * (face.score + partner)))
    return kept


def merge(found: list[Detection], overlap: float = 0.3) -> list[Detection]:
    """One detection per face when two looks found it: the more confident one."""
    boxes = [[d.box[0], d.box[1], d.box[2] - d.box[0], d.box[3] - d.box[1]] for d in found]
    keep = cv2.dnn.NMSBoxes(boxes, [d.score for d in found], 0.0, overlap)
    return [found[i] for i in sorted(np.asarray(keep, dtype=int).reshape(-1))]
