"""dlib's face-recognition ResNet rebuilt in Keras from dlib's own weights file, run on LiteRT.

dlib-bin has no BLAS: its network took 0.14 CPU-second a face here, holding the GIL, three quarters of an
analysis; on LiteRT/XNNPACK the same network takes 0.013 CPU-second (7 ms on two cores). The weights file
(`dlib_face_recognition_resnet_model_v1.dat` from `face_recognition_models`) is read here as data, in dlib's
serialisation, and the network replayed layer by layer; the Keras model is converted once to TFLite (shipped or
cached, see models.tflite) and the descriptor is then dlib's to within float rounding (tests/test_descriptor.py).

The network (dlib's dnn_face_recognition_ex): a 7x7/2 convolution, a 3x3/2 max pool, 14 residual units of two 3x3
convolutions (32 to 256 filters; four units halve the size, their shortcut a 2x2/2 average pool), a global
average and a 128-wide projection without bias."""

import functools
import math
import os
import threading
from dataclasses import dataclass

import numpy as np

from models import tflite, weights
from models.dlib_files import DESCRIPTOR, model_file
from models.tensorflow import quiet_stderr, tensorflow

DAT_SHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
TFLITE_NAME = f"dlib-resnet-{DAT_SHA256[:12]}.tflite"
CHIP_SIDE = 150


def verified_dat() -> bytes:
    """The installed weights, checked: the TFLite cache is only ever a faster form of exactly these."""
    return weights.verified(
        model_file(DESCRIPTOR, "Face recognition"),
        DAT_SHA256,
        "The face recognition weights in the installed face_recognition_models package",
        "face-recognition-models==0.3.0",
    )


@dataclass
class Layer:
    """One layer as dlib stored it: `kind` is its serialisation tag without the version ("con", "affine",
    "relu", "max_pool", "avg_pool", "add_prev", "fc"); `params` dlib's flat parameter tensor."""

    kind: str
    params: np.ndarray | None = None
    shape: tuple[int, ...] = ()  # con: (filters, rows, columns); pools: (rows, columns), 0: whole; fc: (in, out)
    stride: int = 1
    padding: int = 0


class _Reader:
    """dlib's serialisation (dlib/serialize.h): an integer is a byte holding its length (0x80 when negative) then
    that many little-endian bytes; a float is an integer mantissa and exponent; a string its length then its bytes;
    a bool the character '0' or '1'; a tensor a version, its four dimensions and raw little-endian float32s."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def integer(self) -> int:
        head = self.data[self.at]
        size = head & 0x0F
        value = int.from_bytes(self.data[self.at + 1 : self.at + 1 + size], "little")
        self.at += 1 + size
        return -value if head & 0x80 else value

    def integers(self, count: int) -> list[int]:
        return [self.integer() for _ in range(count)]

    def peek_integer(self) -> int:
        at = self.at
        value = self.integer()
        self.at = at
        return value

    def real(self) -> float:
        mantissa = self.integer()
        return math.ldexp(mantissa, self.integer())

    def text(self) -> str:
        size = self.integer()
        self.at += size
        return self.data[self.at - size : self.at].decode("ascii")

    def bools(self, count: int) -> None:
        for _ in range(count):
            if self.data[self.at] not in b"01":
                raise ValueError(f"dlib network file: expected a bool at byte {self.at}")
            self.at += 1

    def tensor(self) -> np.ndarray:
        if self.integer() != 2:
            raise ValueError(f"dlib network file: unexpected tensor version at byte {self.at}")
        count = math.prod(self.integers(4))
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.at)
        self.at += 4 * count
        return values.astype(np.float32)

    def skip(self, aliases: int = 0, reals: int = 0) -> None:
        """Alias tensors (a view's version and dimensions: each layer knows its own layout) and training settings."""
        self.integers(5 * aliases + 2 * reals)


def _layer(reader: _Reader, tag: str) -> Layer:
    """The layer details dlib wrote for `tag` (dlib/dnn/layers.h, each type's serialize)."""
    if tag == "con_4":
        params = reader.tensor()
        filters, rows, columns, stride, stride_x, padding, padding_x = reader.integers(7)
        reader.skip(aliases=2, reals=4)  # filters and biases; learning-rate and weight-decay multipliers
        if (stride, padding) != (stride_x, padding_x) or rows != columns:
            raise ValueError("dlib network file: a convolution that is not square")
        return Layer("con", params, (filters, rows, columns), stride, padding)
    if tag == "affine_":
        params = reader.tensor()
        reader.skip(aliases=2)  # gamma and beta
        if reader.integer() != 0:
            raise ValueError("dlib network file: an affine layer not in convolution mode")
        return Layer("affine", params)
    if tag in ("max_pool_2", "avg_pool_2"):
        rows, columns, stride, stride_x, padding, padding_x = reader.integers(6)
        if (stride, padding, padding_x) != (stride_x, 0, 0):
            raise ValueError("dlib network file: a padded or uneven pooling layer")
        return Layer(tag[:-2], shape=(rows, columns), stride=stride)
    if tag == "fc_2":
        outputs, inputs = reader.integers(2)
        params = reader.tensor()
        reader.skip(aliases=2)  # weights and biases
        if reader.integer() != 1:
            raise ValueError("dlib network file: a fully connected layer with a bias")
        reader.skip(reals=4)
        return Layer("fc", params, (inputs, outputs))
    if tag in ("relu_", "add_prev_"):
        return Layer(tag[:-1])
    raise ValueError(f"dlib network file: unexpected layer {tag!r}")


def read_network(data: bytes) -> tuple[np.ndarray, list[Layer]]:
    """The input's channel means and the layers from the input up, as dlib wrote them: the loss layer first, then
    one version number (1 to 3) per nested layer, tags and skips included, the input layer, and each layer's details
    followed by its state (three bools and three tensors, empty in a trained network)."""
    reader = _Reader(data)
    reader.integer()
    if reader.text() != "loss_metric_2":
        raise ValueError("dlib network file: not a metric-learning network")
    reader.skip(reals=2)  # margin and distance threshold, for training only
    while reader.peek_integer() in (1, 2, 3):
        reader.integer()
    if reader.text() != "input_rgb_image_sized":
        raise ValueError("dlib network file: not a network on RGB images")
    means = np.array([reader.real() for _ in range(3)], dtype=np.float32)
    if reader.integers(2) != [CHIP_SIDE, CHIP_SIDE]:
        raise ValueError(f"dlib network file: not a network on {CHIP_SIDE}-pixel chips")
    layers: list[Layer] = []
    while reader.at < len(data):
        layers.append(_layer(reader, reader.text()))
        reader.bools(3)
        for _ in range(3):
            if reader.tensor().size:
                raise ValueError("dlib network file: a layer holds training state")
        if len(layers) == 1:
            reader.integer()  # the layer on the input also records how many tensors an input makes
    return means, layers


def build_keras():
    """The network in Keras (NHWC), from a 150x150 RGB chip (0..255) to the descriptor. Each affine layer (a batch
    normalisation frozen after training) follows a convolution and is folded into it.

    A residual unit is, in file order: convolution, affine, relu, convolution, affine, [2x2/2 average pool of the
    unit's input: the shortcut of a unit that halves the size], add, relu. dlib adds tensors of different shapes
    by padding both with zeros at the end to the larger of each dimension: a shortcut with fewer channels gets
    zero channels, and where a stride-2 convolution gives 3x3 from 8x8 but the pool 4x4, the sum is 4x4."""
    tensorflow()
    import keras

    means, layers = read_network(verified_dat())
    nn = keras.layers
    at = 0

    def take(kind: str) -> Layer:
        nonlocal at
        layer, at = layers[at], at + 1
        if layer.kind != kind:
            raise ValueError(f"dlib network file: a {layer.kind} layer where a {kind} layer belongs")
        return layer

    def convolution(x):
        con, affine = take("con"), take("affine")
        assert con.params is not None and affine.params is not None
        filters, rows, columns = con.shape
        size = filters * x.shape[-1] * rows * columns
        kernel = con.params[:size].reshape(filters, x.shape[-1], rows, columns).transpose(2, 3, 1, 0)
        gamma, beta = affine.params.astype(np.float64).reshape(2, filters)
        if con.padding:
            x = nn.ZeroPadding2D(con.padding)(x)
        layer = nn.Conv2D(filters, (rows, columns), strides=con.stride, padding="valid")
        y = layer(x)
        layer.set_weights([(kernel * gamma).astype(np.float32), (con.params[size:] * gamma + beta).astype(np.float32)])
        return y

    def pool(x, layer: Layer):
        kind = nn.MaxPooling2D if layer.kind == "max_pool" else nn.AveragePooling2D
        return kind(layer.shape, strides=layer.stride, padding="valid")(x)

    def zero_padded(x, shape):
        if tuple(x.shape[1:]) == shape:
            return x
        return keras.ops.pad(x, [(0, 0)] + [(0, s - n) for s, n in zip(shape, x.shape[1:])])

    inputs = keras.Input((CHIP_SIDE, CHIP_SIDE, 3), batch_size=1, name="chip")
    # dlib's input layer: (pixel - channel mean) / 256; the power of two makes both forms round alike.
    x = nn.Rescaling(1 / 256, offset=-means / 256)(inputs)
    x = nn.ReLU()(convolution(x))
    take("relu")
    x = pool(x, take("max_pool"))
    while layers[at].kind == "con":
        unit_input = x
        x = nn.ReLU()(convolution(x))
        take("relu")
        x = convolution(x)
        shortcut = pool(unit_input, take("avg_pool")) if layers[at].kind == "avg_pool" else unit_input
        take("add_prev")
        shape = tuple(max(a, b) for a, b in zip(x.shape[1:], shortcut.shape[1:]))
        x = nn.ReLU()(nn.Add()([zero_padded(x, shape), zero_padded(shortcut, shape)]))
        take("relu")
    if take("avg_pool").shape != (0, 0):
        raise ValueError("dlib network file: expected the global average pool")
    x = nn.GlobalAveragePooling2D()(x)
    fc = take("fc")
    assert fc.params is not None
    dense = nn.Dense(fc.shape[1], use_bias=False, name="descriptor")
    outputs = dense(x)
    dense.set_weights([fc.params.reshape(fc.shape)])
    if at != len(layers):
        raise ValueError("dlib network file: layers after the descriptor")
    return keras.Model(inputs, outputs, name="dlib_resnet")


@functools.cache
def tflite_model() -> bytes:
    """TFLite flatbuffer of the network (models.tflite: shipped, cached or converted now). The weights are checked
    when converting (build_keras), not at every start: a conversion is only ever made from checked weights, so only
    the build reads the 22 MB file, and the installed app neither carries nor reads it."""
    return tflite.converted(TFLITE_NAME, lambda: tflite.from_keras(build_keras()))


_RUNNING = threading.Lock()


@functools.cache
def _interpreter():
    from ai_edge_litert.interpreter import Interpreter

    with quiet_stderr():
        interpreter = Interpreter(model_content=tflite_model(), num_threads=os.cpu_count() or 1)
        interpreter.allocate_tensors()
    return interpreter


def descriptor(chip: np.ndarray) -> np.ndarray:
    """The 128-d descriptor of an aligned 150x150 RGB face chip (as dlib.get_face_chip cuts it), in float64 as
    dlib returns it. One interpreter serves every thread, one face at a time: it uses every core already."""
    with _RUNNING:
        interpreter = _interpreter()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], chip.astype(np.float32)[None])
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0].astype(np.float64)
