"""TensorFlow, without its start-up chatter.

TensorFlow's C++ runtime writes CUDA, oneDNN and XNNPACK notices straight to file descriptor 2, before any log
level applies; CLI users read them as errors. They are hidden while TensorFlow starts up only, and failures
still raise as Python exceptions."""

import contextlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def quiet_stderr():
    if sys.stderr is None:  # a windowed app (limelight.exe on Windows) has no stderr to quiet
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def tensorflow():
    if "tensorflow" not in sys.modules:
        with quiet_stderr():
            import tensorflow  # noqa: F401
    return sys.modules["tensorflow"]
