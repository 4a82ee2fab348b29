"""Shot boundaries, so tracking never carries a face's box across a cut onto whoever is in the next shot."""
import cv2
import numpy as np
from scenedetect import FrameTimecode
from scenedetect.detectors import ContentDetector

THUMB_WIDTH = 160


class CutDetector:
    """PySceneDetect's content detector fed one small thumbnail per frame, as frames are decoded anyway."""

    def __init__(self, fps: float):
        self.fps = fps
        self._detector = ContentDetector(min_scene_len=4)
        self.cuts: list[int] = []

    def add(self, index: int, rgb: np.ndarray) -> None:
        scale = THUMB_WIDTH / rgb.shape[1]
        thumb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        for cut in self._detector.process_frame(FrameTimecode(index, self.fps), thumb[:, :, ::-1].copy()):
            self.cuts.append(cut.frame_num)
