"""Which frames need a full face detection. Shot boundaries, so tracking never carries a face's box across a cut
onto whoever is in the next shot; and triage, the original LimeLight's idea, so the detector runs on every few
frames and the tracker interpolates between them."""
import numpy as np
from scenedetect import FrameTimecode
from scenedetect.detectors import ContentDetector

THUMB_WIDTH = 160


class Triage:
    """Detect on every `stride`-th frame, on the first frame of each shot and on any frame that changed much
    since the last detection (a pan, a fast move), where interpolating boxes would guess wrong.

    Shots come from PySceneDetect's content detector, fed the small thumbnail decoding makes anyway."""

    def __init__(self, fps: float, stride: int = 1, motion: float = 12.0):
        self.fps = fps
        self.stride = stride
        self.motion = motion
        self._detector = ContentDetector(min_scene_len=4)
        self._last: np.ndarray | None = None
        self.cuts: list[int] = []

    def due(self, index: int, thumbnail: np.ndarray) -> bool:
        found = self._detector.process_frame(FrameTimecode(index, self.fps), thumbnail[:, :, ::-1].copy())
        self.cuts += [cut.frame_num for cut in found]
        grey = thumbnail.mean(axis=2, dtype=np.float32)
        moved = self._last is None or float(np.abs(grey - self._last).mean()) > self.motion
        due = index % self.stride == 0 or moved or index in self.cuts
        if due:
            self._last = grey
        return due
