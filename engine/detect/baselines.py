"""The detectors of the original LimeLight comparison, kept to measure the default against (tools.evaluate)."""

import cv2
import numpy as np

from engine.detect.base import Detector
from engine.errors import MissingModelError
from engine.geometry import clipped
from engine.records import Detection
from models.dlib_files import CNN_DETECTOR, model_file


def _upsampling(image: np.ndarray, upsample: int | None) -> int:
    """dlib finds faces down to about 80 pixels; upsampling finds smaller ones at four times the cost, worth it
    on video-sized frames, not on multi-megapixel stills."""
    return upsample if upsample is not None else int(max(image.shape[:2]) < 1000)


def _dlib():
    try:
        import dlib
    except ImportError:
        raise MissingModelError("The dlib detectors", "dlib-bin") from None
    return dlib


class DlibHogDetector(Detector):
    name = "dlib-hog"
    default_threshold = 0.0

    def __init__(self, threshold: float | None = None, max_side: int | None = None, upsample: int | None = None, **_):
        super().__init__(threshold, max_side)
        self.upsample = upsample
        self._detector = _dlib().get_frontal_face_detector()

    def _detect(self, image: np.ndarray) -> list[Detection]:
        rects, scores, _ = self._detector.run(image, _upsampling(image, self.upsample), self.threshold)
        height, width = image.shape[:2]
        return [
            Detection(clipped((r.left(), r.top(), r.right(), r.bottom()), width, height), float(s))
            for r, s in zip(rects, scores)
        ]


class DlibCnnDetector(Detector):
    name = "dlib-cnn"
    default_threshold = 0.0

    def __init__(self, threshold: float | None = None, max_side: int | None = None, upsample: int | None = None, **_):
        super().__init__(threshold, max_side)
        self.upsample = upsample
        weights = model_file(CNN_DETECTOR, "The dlib-cnn detector")
        self._detector = _dlib().cnn_face_detection_model_v1(weights)

    def _detect(self, image: np.ndarray) -> list[Detection]:
        height, width = image.shape[:2]
        found = self._detector(image, _upsampling(image, self.upsample))
        return [
            Detection(
                clipped((d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom()), width, height),
                float(d.confidence),
            )
            for d in found
            if d.confidence >= self.threshold
        ]


class HaarDetector(Detector):
    name = "haar"
    default_threshold = 0.0

    def __init__(self, threshold: float | None = None, max_side: int | None = None, **_):
        super().__init__(threshold, max_side)
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise MissingModelError(
                "The Haar cascade (haarcascade_frontalface_default.xml)", "opencv-python-headless<5"
            )

    def _detect(self, image: np.ndarray) -> list[Detection]:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        boxes, _, weights = self._cascade.detectMultiScale3(
            grey, scaleFactor=1.1, minNeighbors=5, minSize=(20, 20), outputRejectLevels=True
        )
        return [
            Detection((float(x), float(y), float(x + w), float(y + h)), float(s))
            for (x, y, w, h), s in zip(boxes, np.ravel(weights))
            if s >= self.threshold
        ]
