"""The face descriptor on LiteRT (models.dlib_resnet) against dlib's own network, on real faces.

Recognition's thresholds are distances of 0.45 to 0.6 between descriptors of norm about 1.4; the rebuilt network
must give dlib's descriptor to within float rounding, and one wrong layer (a shortcut a pixel off, a padding, a
transposed kernel) moves it by tenths."""

import threading

import numpy as np
import pytest

from engine.errors import MissingModelError
from engine.stills import read_image
from models import dlib_resnet
from models.dlib_files import DESCRIPTOR, SHAPES_5, model_file
from tests.helpers import LFW, PERFORMER, PIANIST

PHOTOS = [
    PERFORMER,
    PIANIST,
    LFW / "Junichiro_Koizumi" / "Junichiro_Koizumi_0001.jpg",
    LFW / "Laura_Bush" / "Laura_Bush_0001.jpg",
    LFW / "Ben_Affleck" / "Ben_Affleck_0001.jpg",
]


@pytest.fixture(scope="module")
def faces():
    """Per photo, its largest face as dlib's own pipeline sees it: the image and the 5 landmarks."""
    import dlib

    detector, shapes = dlib.get_frontal_face_detector(), dlib.shape_predictor(model_file(SHAPES_5, "test"))
    found = []
    for path in PHOTOS:
        rgb = read_image(path)
        box = max(detector(rgb, 0), key=lambda r: r.area())
        found.append((rgb, shapes(rgb, box)))
    return found


def test_litert_descriptor_is_dlibs(faces):
    """dlib cuts the chip itself in compute_face_descriptor; describe() cuts it with get_face_chip."""
    import dlib

    network = dlib.face_recognition_model_v1(model_file(DESCRIPTOR, "test"))
    expected = np.array([network.compute_face_descriptor(rgb, landmarks, 0) for rgb, landmarks in faces])
    got = np.array([dlib_resnet.descriptor(dlib.get_face_chip(rgb, landmarks, 150, 0.25)) for rgb, landmarks in faces])
    assert got.dtype == np.float64 and got.shape == (len(PHOTOS), 128)
    difference, distance = np.abs(got - expected).max(), np.linalg.norm(got - expected, axis=1).max()
    print(f"\nmax |difference| {difference:.2e}, max distance {distance:.2e}")
    assert difference < 1e-5
    assert min(np.linalg.norm(a - b) for i, a in enumerate(expected) for b in expected[i + 1 :]) > 0.3


def test_threads_share_the_network_safely(faces):
    import dlib

    chips = [dlib.get_face_chip(rgb, landmarks, 150, 0.25) for rgb, landmarks in faces[:2]]
    alone = [dlib_resnet.descriptor(chip) for chip in chips]
    results: list[list[np.ndarray]] = [[], []]

    def work(index: int) -> None:
        results[index] = [dlib_resnet.descriptor(chips[index]) for _ in range(20)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for vectors, reference in zip(results, alone):
        assert len(vectors) == 20 and all(np.array_equal(v, reference) for v in vectors)


def test_damaged_weights_are_refused(monkeypatch, tmp_path):
    fake = tmp_path / DESCRIPTOR
    fake.write_bytes(b"not the weights")
    monkeypatch.setattr(dlib_resnet, "model_file", lambda name, what: str(fake))
    with pytest.raises(MissingModelError, match="face-recognition-models"):
        dlib_resnet.verified_dat()
