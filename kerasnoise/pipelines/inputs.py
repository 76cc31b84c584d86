"""What the training and evaluation pipelines share: image arrays, standardisation, finishing.

:func:`as_nhwc` checks an image array (uint8 ``(N, H, W)`` or ``(N, H, W, C)``) and views
it as NHWC without a copy; :func:`standardizer` is ``x -> (x / 255 - mean) / std`` per
channel as TensorFlow ops; :func:`finish` makes a ``tf.data.Dataset`` deterministic and
prefetching.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE


def as_nhwc(images: Any, name: str = "images") -> np.ndarray:
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., np.newaxis]  # a view, not a copy
    if x.ndim != 4 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, H, W) or (N, H, W, C), got {x.shape}")
    if x.dtype != np.uint8:
        raise TypeError(f"{name} must be uint8 pixels in 0..255, got dtype {x.dtype}")
    return x


def standardizer(mean: Sequence[float] | None, std: Sequence[float] | None, channels: int):
    """``x -> (x / 255 - mean) / std`` as one multiply-add, per channel."""
    if (mean is None) != (std is None):
        raise ValueError(
            "give both mean and std, or neither (then images are only scaled to [0, 1])"
        )
    mean = (
        np.zeros(channels) if mean is None else np.broadcast_to(np.asarray(mean, float), channels)
    )
    std = np.ones(channels) if std is None else np.broadcast_to(np.asarray(std, float), channels)
    if np.any(std <= 0):
        raise ValueError(f"std must be positive, got {std.tolist()}")
    scale = tf.constant(1.0 / (255.0 * std), tf.float32)
    offset = tf.constant(-mean / std, tf.float32)
    return lambda x: tf.cast(x, tf.float32) * scale + offset


def finish(ds: tf.data.Dataset) -> tf.data.Dataset:
    options = tf.data.Options()
    options.deterministic = True
    return ds.with_options(options).prefetch(AUTOTUNE)


def check_seed(seed: Any) -> int:
    """A pipeline's order and augmentation ``seed`` as an ``int``: an integer in
    ``[0, 2**63)`` (not a bool), else ``ValueError``."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be an integer in [0, 2**63), got {seed!r}")
    return int(seed)


def feed_for_backend() -> str:
    """Which feed a pipeline gives ``model.fit`` on the active backend: ``tf.data``
    (TensorFlow pulls it inside its compiled loop) or ``PyDataset`` (JAX and PyTorch
    pull every batch through Python, where chunked NumPy batches cost less)."""
    return "tf.data" if keras.backend.backend() == "tensorflow" else "PyDataset"


class SetEpoch(keras.callbacks.Callback):
    """Sets ``pipeline``'s epoch (its ``set_epoch``) at the start of each ``fit`` epoch,
    so the batches follow fit's epoch on every backend and on resume."""

    def __init__(self, pipeline: Any):
        super().__init__()
        self.pipeline = pipeline

    def on_epoch_begin(self, epoch, logs=None):
        self.pipeline.set_epoch(epoch)
