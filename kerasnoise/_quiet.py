"""Quiet start-up: TensorFlow's C++ log lines at import time, before any setting can
reach them (``TF_CPP_MIN_LOG_LEVEL`` does not stop the messages written before absl's
logging starts), and its Python warnings about retracing across many runs."""

from __future__ import annotations

import contextlib
import logging
import os
import sys


@contextlib.contextmanager
def _stderr_to_devnull():
    """Point file descriptor 2 at /dev/null for the block (Python's own errors still
    propagate as exceptions and print after the block)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. some notebooks): nothing to hide
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras_quietly() -> None:
    """Import Keras (and TensorFlow, which the pipelines use on every backend) without
    TensorFlow's start-up log; quiet TensorFlow's Python logger to errors."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "keras" not in sys.modules or "tensorflow" not in sys.modules:
        with _stderr_to_devnull():
            import keras  # noqa: F401
            import tensorflow as tf

            tf.config.list_physical_devices()  # device discovery logs too (CUDA probing)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
