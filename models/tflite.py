"""Converted models on disk: the shipped ones first, then the user's cache, converting only when neither has it.

The installed app carries TFLite files converted at build time (its runtime hook sets `LIMELIGHT_MODELS`) and no
TensorFlow at all, so it must never need to convert; a development checkout converts on first use and keeps the
result in the cache. Files are named by the hash of the weights they came from, so new weights never meet a stale
conversion."""

import contextlib
import io
import os
from pathlib import Path
from typing import Callable

from common import atomic
from models.errors import MissingModelError
from models.tensorflow import tensorflow


def cache_dir() -> Path:
    base = os.environ.get("LIMELIGHT_CACHE") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "limelight"


def folders() -> list[Path]:
    shipped = os.environ.get("LIMELIGHT_MODELS")
    return ([Path(shipped)] if shipped else []) + [cache_dir()]


def converted(name: str, convert: Callable[[], bytes]) -> bytes:
    """The flatbuffer `name` from the first folder that has it, or `convert()`ed now and cached atomically (two
    processes converting at once each write their own temporary file)."""
    for folder in folders():
        if (folder / name).is_file():
            return (folder / name).read_bytes()
    try:
        data = convert()
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in ("tensorflow", "keras"):
            raise MissingModelError(
                f"The converted model {name}, and TensorFlow to convert it,", "tensorflow"
            ) from None
        raise
    path = cache_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, data)
    return data


def from_keras(model) -> bytes:
    """`model` as a TFLite flatbuffer, without the converter's progress lines on the CLI's stdout."""
    tf = tensorflow()
    with contextlib.redirect_stdout(io.StringIO()):
        return tf.lite.TFLiteConverter.from_keras_model(model).convert()
