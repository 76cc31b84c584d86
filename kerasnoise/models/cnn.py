"""The papers' plain convolutional networks (no residual connections).

- :func:`conv4`: Rolnick et al. 2017's Conv4 (3x3 convolutions of 32-64-128-256
  filters, each followed by ReLU and 2x2 max-pooling, then dense 1000);
- :func:`coteaching_cnn`: the 9-layer CNN of the Co-teaching code (Han et al. 2018);
- :func:`lenet5`: Menon et al. 2020's LeNet-5 (ReLU, average pooling, truncated-normal
  initialisation with std 0.1).

Each takes ``data_format`` (:func:`kerasnoise.models.resolve_data_format`); the input
is ``(H, W, C)`` either way.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from kerasnoise._checks import positive_int
from kerasnoise.models.common import (
    check_dropout,
    check_init,
    check_input_shape,
    check_widths,
    coupled_decay,
    initialized,
    logits,
    regularized,
)
from kerasnoise.models.data_format import channel_axis, channels, image_input, resolve_data_format

__all__ = ["conv4", "coteaching_cnn", "lenet5"]


def conv4(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    filters: Sequence[int] = (32, 64, 128, 256),
    dense: int = 1000,
    *,
    weight_decay: float | None = None,
    init: str = "glorot",
    data_format: str = "auto",
) -> keras.Model:
    """Four 3x3 'same' convolutions with ReLU, each followed by 2x2 max-pooling, dense, logits.

    On 28x28x1 the feature maps shrink 28 -> 14 -> 7 -> 3 -> 1, so the dense
    layer sees 256 features: 387,840 convolution + 257,000 dense + 10,010 output
    = 654,850 parameters with the defaults.  ``data_format``: see
    :func:`~kerasnoise.models.resolve_data_format` (the input is ``(H, W, C)`` either
    way).  ``init``: ``"glorot"`` (Keras) or ``"torch"`` (PyTorch), see
    :mod:`kerasnoise.models.common`.
    """
    shape = check_input_shape(input_shape, rank=3)
    filters = check_widths(filters, "filters")
    init = check_init(init)
    if min(shape[:2]) < 2 ** len(filters):
        raise ValueError(
            f"input_shape {shape} is too small for {len(filters)} 2x2 poolings: "
            f"height and width must be >= {2 ** len(filters)}"
        )
    dense = positive_int(dense, "dense")
    num_classes = positive_int(num_classes, "num_classes")
    reg = coupled_decay(weight_decay)
    fmt = resolve_data_format(data_format)
    inputs, x = image_input(shape, fmt)
    for i, f in enumerate(filters):
        x = layers.Conv2D(
            f,
            3,
            padding="same",
            activation="relu",
            data_format=fmt,
            name=f"conv_{i + 1}",
            **regularized(reg),
            **initialized(init, 9 * channels(x, fmt)),
        )(x)
        x = layers.MaxPooling2D(2, data_format=fmt, name=f"pool_{i + 1}")(x)
    x = layers.Flatten(data_format=fmt)(x)
    x = layers.Dense(
        dense,
        activation="relu",
        name="dense",
        **regularized(reg),
        **initialized(init, x.shape[-1]),
    )(x)
    return keras.Model(inputs, logits(x, num_classes, reg, init), name="conv4")


def coteaching_cnn(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    *,
    dropout: float = 0.25,
    weight_decay: float | None = None,
    init: str = "torch",
    data_format: str = "auto",
) -> keras.Model:
    """The 9-layer CNN of the Co-teaching code (Han et al., NeurIPS 2018), for every
    data set: three 3x3 'same' convolutions of 128 filters, 2x2 max-pooling, spatial
    dropout; three of 256, pooling, dropout; 3x3 'valid' convolutions of 512, 256 and
    128; global average pooling; the logits.  Every convolution is followed by batch
    normalisation (PyTorch's momentum 0.1 and epsilon 1e-5) and LeakyReLU 0.01.

    4,436,362 parameters on MNIST (4,432,266 trainable).  Where it differs from the code: its
    ``F.dropout2d`` is called without ``training=self.training``, so it drops channels
    at test time too; here dropout is off at test time, as Keras's layers are.
    """
    shape = check_input_shape(input_shape, rank=3, min_size=28)
    num_classes = positive_int(num_classes, "num_classes")
    dropout = check_dropout(dropout)
    reg = coupled_decay(weight_decay)
    init = check_init(init)
    fmt = resolve_data_format(data_format)
    inputs, x = image_input(shape, fmt)
    plan = [(128, "same")] * 3 + ["pool"] + [(256, "same")] * 3 + ["pool"]
    plan += [(512, "valid"), (256, "valid"), (128, "valid")]
    for i, step in enumerate(plan):
        if step == "pool":
            x = layers.MaxPooling2D(2, data_format=fmt, name=f"pool_{i}")(x)
            x = layers.SpatialDropout2D(dropout, data_format=fmt, name=f"drop_{i}")(x)
            continue
        filters, padding = step
        x = layers.Conv2D(
            filters,
            3,
            padding=padding,
            data_format=fmt,
            name=f"conv_{i + 1}",
            **regularized(reg),
            **initialized(init, 9 * channels(x, fmt)),
        )(x)
        x = layers.BatchNormalization(
            axis=channel_axis(fmt), momentum=0.9, epsilon=1e-5, name=f"bn_{i + 1}"
        )(x)
        x = layers.LeakyReLU(negative_slope=0.01, name=f"lrelu_{i + 1}")(x)
    x = layers.GlobalAveragePooling2D(data_format=fmt)(x)
    return keras.Model(inputs, logits(x, num_classes, reg, init), name="coteaching_cnn")


def lenet5(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    *,
    weight_decay: float | None = None,
    init_std: float = 0.1,
    data_format: str = "auto",
) -> keras.Model:
    """LeNet-5 with ReLU and average pooling, weights ~ truncated normal(std 0.1), zero biases.

    conv 6@5x5 ('same', so 28x28 stays 28x28) -> avg-pool 2 -> conv 16@5x5 ->
    avg-pool 2 -> dense 120 -> dense 84 -> logits.  61,706 parameters for
    28x28x1 input and 10 classes (156 + 2,416 + 48,120 + 10,164 + 850).
    ``data_format``: see :func:`~kerasnoise.models.resolve_data_format` (the input is
    ``(H, W, C)`` either way).
    """
    shape = check_input_shape(input_shape, rank=3, min_size=12)
    num_classes = positive_int(num_classes, "num_classes")
    reg = coupled_decay(weight_decay)

    def common() -> dict:  # a fresh initializer per layer
        init = keras.initializers.TruncatedNormal(stddev=init_std)
        return dict(kernel_initializer=init, bias_initializer="zeros", **regularized(reg))

    fmt = resolve_data_format(data_format)
    inputs, x = image_input(shape, fmt)
    conv = dict(activation="relu", data_format=fmt)
    x = layers.Conv2D(6, 5, padding="same", name="conv_1", **conv, **common())(x)
    x = layers.AveragePooling2D(2, data_format=fmt, name="pool_1")(x)
    x = layers.Conv2D(16, 5, name="conv_2", **conv, **common())(x)
    x = layers.AveragePooling2D(2, data_format=fmt, name="pool_2")(x)
    x = layers.Flatten(data_format=fmt)(x)
    x = layers.Dense(120, activation="relu", name="dense_1", **common())(x)
    x = layers.Dense(84, activation="relu", name="dense_2", **common())(x)
    outputs = layers.Dense(num_classes, dtype="float32", name="logits", **common())(x)
    return keras.Model(inputs, outputs, name="lenet5")
