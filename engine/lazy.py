"""OpenCV and PyAV, imported on first use instead of with the engine modules that use them:
`from engine.lazy import cv2` in place of `import cv2`, the code and its type checking unchanged.

Together they load 230 MB of shared libraries (their FFmpeg builds, OpenBLAS, x265...). The desktop app imports
the engine modules before its window shows but calls neither library until a video is opened; imported with the
modules, they were two thirds of what the window read from disk on a cold start (350 MB, over a second).
Importlib's own LazyLoader cannot do this on Python 3.11: any later `import cv2` reads the module's `__spec__`,
which loads it."""

import importlib
from types import ModuleType
from typing import TYPE_CHECKING


class LazyModule(ModuleType):
    """Stands in for module `name` and imports it at the first attribute read (thread-safe: the import system
    locks), then holds the real module's attributes so later reads cost what a module's do."""

    def __getattr__(self, attribute: str):
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)
        return getattr(module, attribute)


if TYPE_CHECKING:
    import av as av
    import cv2 as cv2
else:
    av, cv2 = LazyModule("av"), LazyModule("cv2")
