"""Which frames need a face detection, and how detailed. Shot boundaries, so tracking never carries a face's box
across a cut onto whoever is in the next shot; and triage, the original LimeLight's idea, so the detector runs on
every few frames and the tracker interpolates between them."""

from enum import IntEnum

import numpy as np

THUMB_WIDTH = 160


class Detail(IntEnum):
    """How closely to look at a frame; false when it needs no detection at all."""

    NONE = 0
    COARSE = 1
    FINE = 2


class Triage:
    """Detect on every `stride`-th frame, on the first frame of each shot and on any frame that changed much
    since the last detection (a pan, a fast move), where interpolating boxes would guess wrong.

    Only every `fine_every`-th detection, and the first of each shot, is a fine one: small faces move few pixels
    between frames, so they can wait, while large faces move fast but are found on a coarse frame too. On the
    1080p copy of the test clip this found more faces than looking at every detected frame finely, in 55% of
    the time (see tools.bench).

    Shots come from PySceneDetect's content detector, fed the small thumbnail decoding makes anyway."""

    def __init__(self, fps: float, stride: int = 1, motion: float = 12.0, fine_every: int = 1):
        self.fps = fps
        self.stride = stride
        self.motion = motion
        self.fine_every = fine_every
        # Imported here, not with the module: PySceneDetect brings tqdm, importlib.metadata and asyncio, a fifth of
        # a CPU-second the desktop app would otherwise spend before its window shows.
        from scenedetect import FrameTimecode
        from scenedetect.detectors import ContentDetector

        self._timecode = FrameTimecode
        self._detector = ContentDetector(min_scene_len=4)
        self._last: np.ndarray | None = None
        self._since_fine = fine_every
        self.cuts: list[int] = []

    def due(self, index: int, thumbnail: np.ndarray) -> Detail:
        found = self._detector.process_frame(self._timecode(index, self.fps), thumbnail[:, :, ::-1].copy())
        self.cuts += [cut.frame_num for cut in found]
        new_shot = index in self.cuts
        grey = thumbnail.mean(axis=2, dtype=np.float32)
        moved = self._last is None or float(np.abs(grey - self._last).mean()) > self.motion
        if not (index % self.stride == 0 or moved or new_shot):
            return Detail.NONE
        self._last = grey
        if self._since_fine >= self.fine_every or new_shot:
            self._since_fine = 1
            return Detail.FINE
        self._since_fine += 1
        return Detail.COARSE
