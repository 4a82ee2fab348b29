"""Face detectors behind one interface (`detect(rgb) -> list[Detection]`), chosen by name."""

from engine.errors import UserError
from engine.records import Detection

DEFAULT = "centerface"


def _registry():
    from engine.detect.baselines import DlibCnnDetector, DlibHogDetector, HaarDetector
    from engine.detect.centerface import CenterFaceDetector
    from engine.detect.mtcnn import MtcnnDetector

    return {
        cls.name: cls for cls in (CenterFaceDetector, MtcnnDetector, DlibHogDetector, DlibCnnDetector, HaarDetector)
    }


NAMES = ("centerface", "mtcnn", "dlib-hog", "dlib-cnn", "haar")


def create(name: str = DEFAULT, threshold: float | None = None, **options):
    registry = _registry()
    if name not in registry:
        raise UserError(f"unknown detector '{name}'; choose one of: {', '.join(NAMES)}")
    return registry[name](threshold=threshold, **options)


__all__ = ["Detection", "DEFAULT", "NAMES", "create"]
