"""The window shows before the heavy native libraries load: on a cold start reading them from disk took longer
than everything else the window needs (tests/test_package.py times the installed app)."""

import os
import subprocess
import sys

from tests.helpers import ROOT

# Not needed until a video is opened or analysed: OpenCV and PyAV with their FFmpeg builds, the detectors' and
# recognition's runtimes, PySceneDetect (with tqdm).
HEAVY = ("cv2", "av", "dlib", "ai_edge_litert", "scenedetect", "tqdm")


def fresh_python(code: str) -> list[str]:
    """What `code` prints, run in an interpreter that has imported nothing yet (this one has)."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_window_shows_without_opencv_pyav_or_the_models(tmp_path):
    loaded = fresh_python(
        "import sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtCore import QSettings\n"
        "from gui.app import create_app\n"
        "from gui.main_window import MainWindow\n"
        "app = create_app([])\n"
        f"settings = QSettings(r'{tmp_path / 'settings.ini'}', QSettings.Format.IniFormat)\n"
        f"window = MainWindow(settings, store=Path(r'{tmp_path / 'store'}'))\n"
        "window.show()\n"
        "app.processEvents()\n"
        f"print(*[name for name in {HEAVY!r} if name in sys.modules], window.isVisible())\n"
    )
    assert loaded == ["True"]


def test_lazy_modules_load_on_first_use():
    assert fresh_python(
        "import sys\n"
        "from engine.lazy import av, cv2\n"
        "print('cv2' in sys.modules, 'av' in sys.modules)\n"
        "print(cv2.resize is sys.modules['cv2'].resize, av.open is sys.modules['av'].open, cv2.INTER_AREA)\n"
    ) == ["False", "False", "True", "True", "3"]
