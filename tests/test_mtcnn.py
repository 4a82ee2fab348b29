"""MTCNN on LiteRT: the converted networks are the package's networks, and the numpy pipeline around them finds
the same faces as the mtcnn package's own TensorFlow pipeline, on real pictures it was not written against."""

import subprocess
import sys
import warnings

import cv2
import numpy as np
import pytest

from engine import detect
from engine.detect.mtcnn import suppress
from engine.errors import MissingModelError
from engine.geometry import iou_matrix
from engine.stills import read_image
from models import mtcnn, tflite
from tests.helpers import HAMILTON, ROOT, STILLS

WIDER = ROOT.parent / "shared" / "data" / "wider-val-dev" / "images"


@pytest.mark.parametrize("net", mtcnn.NETS)
def test_converted_network_equals_the_keras_one(net, tensorflow):
    """A conversion that lost the weights still runs; only comparing outputs catches it (it happened)."""
    from engine.detect.mtcnn import _Network

    shape = {"pnet": (1, 61, 83, 3), "rnet": (7, 24, 24, 3), "onet": (3, 48, 48, 3)}[net]
    batch = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
    lite = _Network(net, threads=1)(batch)
    for expected in mtcnn.build_keras(net)(batch):
        expected = np.asarray(expected)
        assert np.abs(lite[expected.shape[-1]] - expected).max() < 1e-4


@pytest.fixture(scope="module")
def package_mtcnn(tensorflow):
    """The mtcnn package's own pipeline, built once: each instance loads its three Keras networks."""
    from mtcnn import MTCNN

    return MTCNN()


def reference_faces(model, rgb) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        faces = model.detect_faces(rgb, threshold_onet=0.7)
    return np.array([(x, y, x + w, y + h, f["confidence"]) for f in faces for x, y, w, h in [f["box"]]], float).reshape(
        -1, 5
    )


@pytest.mark.parametrize(
    "picture",
    [HAMILTON / STILLS[0], HAMILTON / STILLS[1], *sorted(WIDER.rglob("*.jpg"))[100:106]],
    ids=lambda p: p.name[:30],
)
def test_same_faces_as_the_mtcnn_package(picture, package_mtcnn):
    """Same boxes (the package rounds them to whole pixels), same scores, landmarks inside the box. The 2000-pixel still
    at half size: the package's TensorFlow pipeline took 3.8 CPU-s on it and 0.7 on the half, where it finds the
    same three faces. WIDER's 1024-pixel pictures stay whole: halved, their faces of 12 to 20 pixels are within a
    pixel of the package's rounded boxes, which is under 0.9 overlap."""
    rgb = read_image(picture)
    if max(rgb.shape[:2]) > 1500:
        rgb = cv2.resize(rgb, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    found = detect.create("mtcnn").detect(rgb)
    expected = reference_faces(package_mtcnn, rgb)
    assert len(found) == len(expected)
    if not len(found):
        return
    boxes = np.array([d.box for d in found])
    overlap = iou_matrix(boxes, expected[:, :4])
    assert (overlap.max(axis=0) > 0.9).all()
    best = overlap.argmax(axis=0)
    assert np.allclose([found[i].score for i in best], expected[:, 4], atol=1e-3)
    for face in found:
        x0, y0, x1, y1 = face.box
        assert len(face.landmarks) == 5
        assert sum(x0 - 2 <= x <= x1 + 2 and y0 - 2 <= y <= y1 + 2 for x, y in face.landmarks) >= 4


def test_runs_without_tensorflow():
    """Once converted, detection imports neither TensorFlow nor Keras nor the mtcnn package (which would)."""
    for net in mtcnn.NETS:
        mtcnn.tflite_model(net)
    code = (
        "import sys; from engine import detect; from engine.stills import read_image; "
        f"found = detect.create('mtcnn').detect(read_image({str(HAMILTON / STILLS[0])!r})); "
        "print(len(found), sorted(m for m in ('tensorflow', 'keras', 'mtcnn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "2 []"


def test_shipped_models_come_first_and_conversion_needs_tensorflow(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "x.tflite").write_bytes(b"shipped")
    monkeypatch.setenv("LIMELIGHT_MODELS", str(shipped))
    monkeypatch.setenv("LIMELIGHT_CACHE", str(tmp_path / "cache"))
    assert tflite.converted("x.tflite", lambda: pytest.fail("converted although shipped")) == b"shipped"
    assert tflite.converted("y.tflite", lambda: b"new") == b"new"
    assert (tmp_path / "cache" / "limelight" / "y.tflite").read_bytes() == b"new"
    assert [p.name for p in (tmp_path / "cache" / "limelight").iterdir()] == ["y.tflite"], "no temporary file left"

    def no_tensorflow():
        raise ModuleNotFoundError("No module named 'tensorflow'", name="tensorflow")

    with pytest.raises(MissingModelError, match="tensorflow"):
        tflite.converted("z.tflite", no_tensorflow)


def test_damaged_weights_are_refused(monkeypatch, tmp_path):
    fake = tmp_path / "pnet.lz4"
    fake.write_bytes(b"not the weights")
    monkeypatch.setattr(mtcnn, "weights_path", lambda net: fake)
    with pytest.raises(MissingModelError, match="mtcnn"):
        mtcnn.verified_weights("pnet")


def test_suppression_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10, 0.9], [1, 1, 11, 11, 0.8], [0, 0, 4, 4, 0.7], [50, 50, 60, 60, 0.6]], float)
    assert suppress(boxes, 0.5)[:, 4].tolist() == [0.9, 0.7, 0.6]
    assert suppress(boxes, 0.5, "min")[:, 4].tolist() == [0.9, 0.6]  # the small box lies inside the first
