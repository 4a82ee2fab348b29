"""PyInstaller runtime hook: the frozen app's environment, set before main.py runs."""

import os
import sys

# Every network as TFLite, converted at build time and shipped in the bundle (models/tflite.py looks here first):
# the installed app has no TensorFlow to convert with, and needs no writable home.
os.environ["LIMELIGHT_MODELS"] = os.path.join(sys._MEIPASS, "models")

# Where Qt finds its plugins (platforms, image formats...), as PyInstaller's PySide6 run-time hook would set it; the
# spec leaves that hook out because it also imports PySide6.QtCore at every start, to check for a qt.conf that the
# PyPI wheels never need: a fifth of a CPU-second and 45 MB read from disk for every command-line run.
os.environ["QT_PLUGIN_PATH"] = os.path.join(
    sys._MEIPASS, "PySide6", *(() if sys.platform == "win32" else ("Qt",)), "plugins"
)

# The bootloader points LD_LIBRARY_PATH at the bundle so the app finds its own Qt, FFmpeg and TensorFlow. This
# process read it at start-up already; left in place it would also reach the programs the app starts (the file
# manager that "Show in folder" opens), which would then load LimeLight's Qt instead of their own and crash.
if sys.platform.startswith("linux"):
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original

# The desktop app's largest libraries (Qt, numpy and its OpenBLAS: 80 of the 105 MB its window needs), read in
# one pass by a background thread while the interpreter starts. Loaded by the dynamic linker on a cold start, they
# arrive page fault by page fault: 1.7 s of waiting here, where reading the same files in order takes 0.5 s. Only
# when the GUI starts (no argument, or a video's path): a command reads other libraries.
READ_AHEAD = (
    "PySide6/Qt/lib/libQt6Core.so.6",
    "PySide6/QtCore.abi3.so",
    "PySide6/Qt/lib/libQt6Gui.so.6",
    "PySide6/QtGui.abi3.so",
    "PySide6/Qt/lib/libQt6Widgets.so.6",
    "PySide6/QtWidgets.abi3.so",
    "numpy/_core/_multiarray_umath.*.so",
    "numpy.libs/libscipy_openblas*.so",
)


def _read_ahead(patterns) -> None:
    import glob

    chunk = bytearray(1 << 20)
    for pattern in patterns:
        for path in glob.glob(os.path.join(sys._MEIPASS, pattern)):
            try:
                with open(path, "rb", buffering=0) as library:
                    while library.readinto(chunk):
                        pass
            except OSError:
                pass


if sys.platform.startswith("linux") and len(sys.argv) <= 2 and not sys.argv[-1].startswith("-"):
    import threading

    threading.Thread(target=_read_ahead, args=(READ_AHEAD,), name="read-ahead", daemon=True).start()
