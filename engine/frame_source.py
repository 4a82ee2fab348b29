"""Random access to decoded frames, for scrubbing and thumbnails: seeking costs at most one group of pictures,
playing forward costs one decode per frame, and stepping back hits a cache filled while decoding forward."""

import bisect
import os
from collections import OrderedDict
from typing import Iterator, TypeVar

import numpy as np

from engine import geometry, video
from engine.errors import InputError
from engine.lazy import av
from engine.records import Box

CACHE_BYTES = 256 << 20

Key = TypeVar("Key")


class FrameSource:
    """Frames by index, numbered like `video.read_frames` (presentation order) so analysis results line up.

    Not thread-safe: give each thread its own."""

    def __init__(self, path: str | os.PathLike):
        self.path = path
        self._container = video.open_container(path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._pts, self._keys = self._index(trust_container=True)
        if self._first_pts() != self._pts[0]:
            self._pts, self._keys = self._index(trust_container=False)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._capacity = 8
        self._decoder: Iterator[av.VideoFrame] | None = None
        self._next = 0

    def _index(self, trust_container: bool) -> tuple[list[int], list[int]]:
        """Every frame's pts in presentation order and the indices of keyframes. The container's own index costs
        nothing to read but holds decode timestamps, which equal presentation ones only without B-frames, and it
        may list keyframes alone (Matroska's and WebM's cues), so it is used only when it holds as many frames as
        the container declares; the fallback reads every packet, which for a long file means reading all of it."""
        entries = self._stream.index_entries
        complete = len(entries) == self._stream.frames > 0
        if trust_container and complete and not self._stream.codec_context.has_b_frames:
            pairs = [(e.timestamp, e.is_keyframe) for e in entries if not e.is_discard]
        else:
            self._container.seek(0, stream=self._stream)
            pairs = [(p.pts, p.is_keyframe) for p in self._container.demux(self._stream) if p.pts is not None]
            self._container.seek(0, stream=self._stream)
        pairs.sort()
        if not pairs:
            raise InputError(f"{self.path}: the video stream holds no frames")
        return [pts for pts, _ in pairs], [i for i, (_, key) in enumerate(pairs) if key] or [0]

    def _first_pts(self) -> int | None:
        try:
            first = next(self._container.decode(self._stream), None)
        except av.FFmpegError as exc:
            raise InputError(f"{self.path}: the video stream cannot be decoded ({exc.strerror or exc})") from None
        self._container.seek(0, stream=self._stream)
        return None if first is None else first.pts

    def __len__(self) -> int:
        return len(self._pts)

    def frame(self, index: int) -> np.ndarray:
        """The frame as displayed (rotation applied), read-only: it is shared with the cache."""
        if not 0 <= index < len(self._pts):
            raise InputError(f"{self.path}: has no frame {index}")
        if index in self._cache:
            self._cache.move_to_end(index)
            return self._cache[index]
        keyframe = self._keys[bisect.bisect_right(self._keys, index) - 1]
        if self._decoder is None or not keyframe <= self._next <= index:
            self._seek(index)
        for found, image in self._decode():
            if found == index:
                return image
        raise InputError(f"{self.path}: frame {index} cannot be decoded")

    def frames(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        for index in range(max(0, start), min(stop, len(self._pts))):
            yield index, self.frame(index)

    def _seek(self, index: int) -> None:
        self._container.seek(self._pts[index], stream=self._stream, backward=True)
        self._decoder = self._container.decode(self._stream)
        self._next = -1

    def _decode(self) -> Iterator[tuple[int, np.ndarray]]:
        assert self._decoder is not None, "_seek first"
        try:
            for decoded in self._decoder:
                if decoded.pts is None:  # not in the index either, which lists only timed packets
                    continue
                position = bisect.bisect_left(self._pts, decoded.pts)
                if position == len(self._pts) or self._pts[position] != decoded.pts:
                    continue
                image = video.display(decoded.to_ndarray(format="rgb24"), video.rotation_of(decoded))
                image.flags.writeable = False
                self._remember(position, image)
                self._next = position + 1
                yield position, image
        except av.FFmpegError as exc:
            self._decoder = None
            raise InputError(f"{self.path}: decoding failed ({exc.strerror or exc})") from None
        self._decoder = None

    def _remember(self, index: int, image: np.ndarray) -> None:
        self._capacity = max(8, CACHE_BYTES // max(image.nbytes, 1))
        self._cache[index] = image
        self._cache.move_to_end(index)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)

    def close(self) -> None:
        self._cache.clear()
        self._decoder = None
        self._container.close()

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def crops(
    path: str | os.PathLike, wanted: dict[Key, tuple[int, Box]], padding: float = 1.6
) -> Iterator[tuple[Key, np.ndarray]]:
    """A padded square-ish crop around each (frame, box), in frame order so the decoder mostly runs forward."""
    with FrameSource(path) as source:
        for key, (index, box) in sorted(wanted.items(), key=lambda item: item[1][0]):
            image = source.frame(index)
            height, width = image.shape[:2]
            left, top, right, bottom = geometry.square(box, padding, width, height)
            if right > left and bottom > top:
                yield key, np.ascontiguousarray(image[top:bottom, left:right])
