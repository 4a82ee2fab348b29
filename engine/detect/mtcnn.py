"""MTCNN on LiteRT: the `mtcnn` package's three networks (converted by models.mtcnn) with its pipeline redone in
numpy, so the detector needs no TensorFlow at run time.

The pipeline follows mtcnn 1.0.0 step for step (pyramid, proposal decoding, its non-maximum suppression, crops,
box regression), because the networks were trained for exactly those inputs; tests compare it with the package."""

import os

import cv2
import numpy as np

from engine.detect.base import Detector
from engine.geometry import clipped
from engine.records import Detection
from models import mtcnn as networks
from models.tensorflow import quiet_stderr

MIN_FACE = 20
SCALE_FACTOR = 0.709
PNET_THRESHOLD, RNET_THRESHOLD = 0.6, 0.7
CELL, STRIDE = 12, 2


class _Network:
    """One converted network on a LiteRT interpreter; its outputs named by their width (4: box regression,
    2: face/not-face, 10: landmarks), since the converter may emit them in any order."""

    def __init__(self, net: str, threads: int):
        from ai_edge_litert.interpreter import Interpreter

        with quiet_stderr():
            self._interpreter = Interpreter(model_content=networks.tflite_model(net), num_threads=threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._outputs = {d["shape_signature"][-1]: d["index"] for d in self._interpreter.get_output_details()}
        self._shape: tuple[int, ...] | None = None

    def __call__(self, batch: np.ndarray) -> dict[int, np.ndarray]:
        if batch.shape != self._shape:
            with quiet_stderr():  # LiteRT announces its XNNPACK delegate on stderr when tensors are allocated
                self._interpreter.resize_tensor_input(self._input, batch.shape)
                self._interpreter.allocate_tensors()
            self._shape = batch.shape
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        return {width: self._interpreter.get_tensor(index) for width, index in self._outputs.items()}


def pyramid(height: int, width: int) -> np.ndarray:
    """mtcnn's scales: the smallest face (20 px) brought to P-Net's 12 px cell, then steps of 0.709."""
    count = round(-(np.log(min(height, width) / CELL) / np.log(SCALE_FACTOR) + 1))
    return CELL / MIN_FACE * SCALE_FACTOR ** np.arange(count)


def suppress(boxes: np.ndarray, threshold: float, method: str = "union") -> np.ndarray:
    """mtcnn's own suppression (rows sorted by score, best first): a box goes if any better box overlaps it by more
    than `threshold`, even one that was itself suppressed; 'min' divides by the smaller area instead of the union."""
    x0, y0, x1, y1 = boxes[:, 0:4].T
    area = (x1 - x0) * (y1 - y0)
    inter = np.maximum(0, np.minimum(x1[:, None], x1) - np.maximum(x0[:, None], x0)) * np.maximum(
        0, np.minimum(y1[:, None], y1) - np.maximum(y0[:, None], y0)
    )
    base = np.minimum(area[:, None], area) if method == "min" else area[:, None] + area - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        overlap = np.triu(inter / base > threshold, k=1)
    return boxes[~overlap.any(axis=0)]


def by_score(boxes: np.ndarray) -> np.ndarray:
    return boxes[np.argsort(boxes[:, 4])[::-1]]


def square(boxes: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    boxes[:, 0] += (w - side) / 2
    boxes[:, 1] += (h - side) / 2
    boxes[:, 2:4] = boxes[:, 0:2] + side[:, None]
    return boxes


def regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    w, h = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
    boxes[:, 0:4] += offsets * np.stack([w, h, w, h], axis=1)
    return boxes


def crops(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Bilinear crops exactly as TensorFlow's crop_and_resize samples them (corner-aligned, zero outside the
    picture), which is what R-Net and O-Net saw in training with this package."""
    height, width = image.shape[:2]
    steps = np.arange(size) / (size - 1)
    ys = (boxes[:, 1:2] + (boxes[:, 3:4] - boxes[:, 1:2]) * steps) / height * (height - 1)
    xs = (boxes[:, 0:1] + (boxes[:, 2:3] - boxes[:, 0:1]) * steps) / width * (width - 1)
    y0, x0 = np.floor(ys), np.floor(xs)
    wy, wx = (ys - y0)[:, :, None, None], (xs - x0)[:, None, :, None]
    top, bottom = (np.clip(y, 0, height - 1).astype(int)[:, :, None] for y in (y0, y0 + 1))
    left, right = (np.clip(x, 0, width - 1).astype(int)[:, None, :] for x in (x0, x0 + 1))
    upper = image[top, left] * (1 - wx) + image[top, right] * wx
    lower = image[bottom, left] * (1 - wx) + image[bottom, right] * wx
    patches = upper * (1 - wy) + lower * wy
    inside = ((ys >= 0) & (ys <= height - 1))[:, :, None] & ((xs >= 0) & (xs <= width - 1))[:, None, :]
    return (patches * inside[..., None]).astype(np.float32)


class MtcnnDetector(Detector):
    name = "mtcnn"
    default_threshold = 0.7

    def __init__(self, threshold: float | None = None, max_side: int | None = None, threads: int | None = None, **_):
        super().__init__(threshold, max_side)
        self._threads = threads or os.cpu_count() or 1
        self._pnets: dict[tuple, _Network] = {}  # one per pyramid level: video frames repeat the same sizes
        self._rnet, self._onet = _Network("rnet", self._threads), _Network("onet", self._threads)

    def _pnet(self, level: np.ndarray) -> dict[int, np.ndarray]:
        if level.shape not in self._pnets:
            self._pnets[level.shape] = _Network("pnet", self._threads)
        return self._pnets[level.shape](level[None])

    def _proposals(self, image: np.ndarray) -> np.ndarray:
        """P-Net over the pyramid: rows (x0, y0, x1, y1, score) in frame coordinates."""
        height, width = image.shape[:2]
        found = []
        for scale in pyramid(height, width):
            size = (int(width * scale), int(height * scale))
            if min(size) < CELL:
                break
            out = self._pnet(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
            faces = out[2][0, :, :, 1]
            ys, xs = np.nonzero(faces > PNET_THRESHOLD)
            if not len(ys):
                continue
            # As mtcnn 1.0.0 places a cell: from (1, 1) to (12, 12), so 11 pixels wide.
            cells = np.stack([xs, ys, xs, ys], axis=1) * STRIDE + np.array([1, 1, CELL, CELL])
            boxes = (cells + out[4][0, ys, xs] * (CELL - 1)) / scale
            found.append(suppress(by_score(np.column_stack([boxes, faces[ys, xs]])), 0.5))
        if not found:
            return np.empty((0, 5))
        return square(suppress(by_score(np.concatenate(found)), 0.7))

    def _detect(self, image: np.ndarray) -> list[Detection]:
        height, width = image.shape[:2]
        normalised = (image.astype(np.float32) - 127.5) / 128
        boxes = self._proposals(normalised)
        if len(boxes):
            out = self._rnet(crops(normalised, boxes, 24))
            boxes = regress(np.column_stack([boxes[:, :4], out[2][:, 1]]), out[4])
            boxes = square(suppress(by_score(boxes[boxes[:, 4] > RNET_THRESHOLD]), 0.7))
        if not len(boxes):
            return []
        out = self._onet(crops(normalised, boxes, 48))
        w, h = boxes[:, 2:3] - boxes[:, 0:1] + 1, boxes[:, 3:4] - boxes[:, 1:2] + 1
        points = np.concatenate([w * out[10][:, :5] + boxes[:, 0:1] - 1, h * out[10][:, 5:] + boxes[:, 1:2] - 1], 1)
        boxes = np.column_stack([regress(np.column_stack([boxes[:, :4], out[2][:, 1]]), out[4]), points])
        boxes = suppress(by_score(boxes[boxes[:, 4] > self.threshold]), 0.7, "min")
        return [
            Detection(
                clipped(row[:4], width, height),
                float(row[4]),
                tuple((float(row[5 + i]), float(row[10 + i])) for i in range(5)),
            )
            for row in boxes
        ]
