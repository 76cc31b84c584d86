"""The image layout a convolutional model computes in (``channels_last`` or
``channels_first``), and the helpers that let one builder serve both: the input stays
``(H, W, C)`` as the pipelines give it, and a ``channels_first`` model transposes it
once, in its first layer.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from kerasnoise import execution

__all__ = [
    "DATA_FORMATS",
    "channel_axis",
    "channels",
    "data_format_of",
    "image_input",
    "resolve_data_format",
]

DATA_FORMATS = ("auto", "channels_last", "channels_first")


def resolve_data_format(data_format: Any = "auto") -> str:
    """The image layout a convolutional model computes in: ``auto`` is
    ``channels_first`` on PyTorch, ``channels_last`` on TensorFlow and JAX.

    PyTorch's convolutions and poolings are NCHW: Keras's torch backend transposes a
    ``channels_last`` tensor to NCHW and back around every one of them (LeNet-5 and
    Conv4 trained 1.2-1.4x faster built ``channels_first``, benchmarks/README.md).
    On JAX and TensorFlow ``channels_first`` measured slower (TensorFlow LeNet-5
    12.4k -> 7.2-9.4k examples/s), so they stay ``channels_last``.  The layout
    changes neither the weights (Keras stores kernels as ``(kh, kw, in, out)`` and
    flattens in channels-last order whatever the layout) nor the input, which stays
    ``(H, W, C)`` as the pipelines give it: a ``channels_first`` model transposes it
    once, in its first layer.

    Raises ``ValueError`` for ``channels_first`` where the backend cannot run it:
    TensorFlow on a CPU without oneDNN (:func:`kerasnoise.execution.channels_first_runs`
    probes it), whose CPU convolutions are channels-last only.
    """
    if data_format not in DATA_FORMATS:
        raise ValueError(f"data_format must be one of {DATA_FORMATS}, got {data_format!r}")
    if data_format == "auto":
        torch = keras.backend.backend() == "torch"
        return "channels_first" if torch and execution.channels_first_runs() else "channels_last"
    if data_format == "channels_first" and not execution.channels_first_runs():
        raise ValueError(
            "data_format='channels_first' cannot run here: TensorFlow's CPU convolutions "
            "take NCHW only with oneDNN, which is off on this machine (a CPU without "
            "AVX-512, or TF_ENABLE_ONEDNN_OPTS=0); use 'auto' or 'channels_last'"
        )
    return data_format


def data_format_of(model: keras.Model) -> str | None:
    """The layout ``model``'s convolutions compute in; ``None`` for a model without any."""
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            return layer.data_format
    return None


def image_input(shape: tuple[int, ...], data_format: str):
    """``(inputs, x)``: the ``(H, W, C)`` input, and ``x`` in ``data_format``."""
    inputs = keras.Input(shape)
    if data_format == "channels_first":
        return inputs, layers.Permute((3, 1, 2), name="to_channels_first")(inputs)
    return inputs, inputs


def channel_axis(data_format: str) -> int:
    """The axis of the channels of a batch of images in ``data_format``."""
    return 1 if data_format == "channels_first" else -1


def channels(x, data_format: str) -> int:
    """The number of channels of ``x``, a batch of images in ``data_format``."""
    return x.shape[channel_axis(data_format)]
