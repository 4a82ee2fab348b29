"""MTCNN's three networks (P-, R- and O-Net) from the `mtcnn` package, converted to TFLite.

The package defines them in Keras and ships their weights; its pipeline runs on TensorFlow. LimeLight takes only
the networks: they are built and loaded here with the package's own code, checked against the weights' hashes,
and converted once (at build time for the installed app, on first use in a development checkout), so that the
detector (engine.detect.mtcnn) runs them on LiteRT with the pipeline in numpy and no TensorFlow at run time."""

import functools
import importlib.util
import io
from pathlib import Path

from models import tflite, weights
from models.errors import MissingModelError
from models.tensorflow import tensorflow

WEIGHTS_SHA256 = {
    "pnet": "ea6b0c3e685ebee3165326ad6484acc95f2ef78f1c94fbf40a55704fa989f7b5",
    "rnet": "cb00e6460f3c98b0bfafaba3c0a0ded4bdf6e62cee7174d969e8670d7e757fee",
    "onet": "94f6ea2f4cf985275ee958cdd762d17b6009348a4fb9d8c6be39ba73ffd22ca3",
}
# P-Net is fully convolutional (any picture size); R-Net and O-Net take 24 and 48 pixel crops, any number of them.
INPUT_SHAPES = {"pnet": (None, None, 3), "rnet": (24, 24, 3), "onet": (48, 48, 3)}
NETS = tuple(WEIGHTS_SHA256)


def tflite_name(net: str) -> str:
    return f"mtcnn-{net}-{WEIGHTS_SHA256[net][:12]}.tflite"


def weights_path(net: str) -> Path:
    """Found without importing the package: `import mtcnn` starts TensorFlow."""
    spec = importlib.util.find_spec("mtcnn")
    if spec is None or not spec.submodule_search_locations:
        raise MissingModelError("The MTCNN detector's weights", "mtcnn==1.0.0")
    path = Path(spec.submodule_search_locations[0]) / "assets" / "weights" / f"{net}.lz4"
    if not path.is_file():
        raise MissingModelError(f"The MTCNN weights ({net}.lz4)", "mtcnn==1.0.0")
    return path


def verified_weights(net: str) -> list:
    """The installed weights, checked before they are unpickled (joblib files are pickles): the bytes checked are
    the bytes unpickled."""
    data = weights.verified(weights_path(net), WEIGHTS_SHA256[net], f"The MTCNN weights ({net}.lz4)", "mtcnn==1.0.0")
    import joblib

    return joblib.load(io.BytesIO(data))


def build_keras(net: str):
    """The package's own network definition with its weights."""
    tensorflow()
    from mtcnn.network.onet import ONet
    from mtcnn.network.pnet import PNet
    from mtcnn.network.rnet import RNet

    model = {"pnet": PNet, "rnet": RNet, "onet": ONet}[net]()
    model.build()
    model.set_weights(verified_weights(net))
    return model


def _convert(net: str) -> bytes:
    """Through a functional wrapper: the package's subclassed models convert with their weights only that way."""
    tensorflow()
    import keras

    inputs = keras.Input(INPUT_SHAPES[net], name="image")
    return tflite.from_keras(keras.Model(inputs, build_keras(net)(inputs), name=net))


@functools.cache
def tflite_model(net: str) -> bytes:
    return tflite.converted(tflite_name(net), lambda: _convert(net))
