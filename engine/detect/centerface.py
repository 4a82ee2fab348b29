"""CenterFace, the default detector: best recall per millisecond of the models we can ship (see engine.bench).

It runs on the LiteRT interpreter, which starts in milliseconds; TensorFlow is only loaded the first time, to
convert the model."""
import logging
import os

import cv2
import numpy as np

from engine.detect.base import Detection, Detector, clip_box
from models import centerface
from models.tensorflow import quiet_stderr


class CenterFaceDetector(Detector):
    name = "centerface"
    default_threshold = 0.2

    def __init__(self, threshold: float | None = None, max_side: int | None = 1280, backend: str = "tflite",
                 threads: int | None = None):
        super().__init__(threshold, max_side)
        self.weak_threshold = self.threshold / 4
        self.backend = backend
        self.threads = threads or os.cpu_count() or 1
        self._runners = {}

    def _runner(self, height: int, width: int):
        """A callable from a (1, h, w, 3) float batch to the four output maps, built once per input size."""
        key = (height, width)
        if key not in self._runners:
            if self.backend == "tflite":
                try:
                    self._runners[key] = self._tflite(height, width)
                except (ImportError, RuntimeError, ValueError) as exc:
                    logging.getLogger(__name__).warning("TFLite unavailable (%s); running CenterFace in Keras, "
                                                        "about half as fast", exc)
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
            box = clip_box((x0[i], y0[i], x0[i] + w[i], y0[i] + h[i]), width, height)
            found.append(Detection(box, float(scores[i]), tuple((float(x), float(y)) for x, y in points)))
        return found
