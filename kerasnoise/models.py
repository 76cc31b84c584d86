"""The papers' models, built from Keras layers so they run on every backend.

All builders take ``input_shape`` and ``num_classes`` and return an uncompiled
``keras.Model`` that outputs **logits**; the last layer computes in float32, so
the logits are float32 under a ``mixed_float16`` / ``mixed_bfloat16`` policy.

Rolnick et al. 2017 (MNIST; hidden sizes from a public re-implementation, the
paper gives none): :func:`perceptron`, :func:`mlp1`, :func:`mlp2`, :func:`mlp4`
(256 / 256-128 / 256-128-64 ReLU units) and :func:`conv4` (3x3 convolutions of
32-64-128-256 filters, each followed by ReLU and 2x2 max-pooling, then dense 1000).

Initialisation of the Rolnick models (``init``; the paper does not state one):
``"glorot"`` is Keras's default (Glorot-uniform kernels, zero biases);
``"torch"`` is PyTorch's default for ``nn.Linear`` and ``nn.Conv2d`` (kernel and
bias uniform in ``±1/sqrt(fan_in)``, i.e. ``VarianceScaling(1/3, "fan_in",
"uniform")`` for the kernel).  With Adadelta's small steps the starting scale
decides how far a run gets (docs/papers.md).

Menon et al. 2020: :func:`lenet5` (ReLU, average pooling, truncated-normal
initialisation with std 0.1) and the CIFAR ResNets :func:`resnet18` and
:func:`resnet50` (3x3 stride-1 stem, no max-pool, batch normalisation,
basic / bottleneck blocks), as in the common PyTorch CIFAR implementation.

Weight decay, two kinds:

- **coupled** L2 (``weight_decay=wd`` here): ``wd / 2 * ||w||^2`` is added to the
  loss of every weight (kernels, biases, batch-norm scales and offsets), so
  ``wd * w`` is added to the gradient, exactly like PyTorch's optimizer
  ``weight_decay``.  The Menon et al. presets use this (the reference code is
  PyTorch: Adam with ``weight_decay=1e-3`` on MNIST, SGD with ``5e-4`` on CIFAR).
- **decoupled** decay: the Keras optimizer's own ``weight_decay`` argument
  (AdamW-style, ``w -= lr * wd * w``); pass it to the optimizer, not here.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import layers

from kerasnoise._checks import positive_int as _positive_int
from kerasnoise.devices import execution
from kerasnoise.registry import Registry

__all__ = [
    "perceptron",
    "mlp",
    "mlp1",
    "mlp2",
    "mlp4",
    "conv4",
    "lenet5",
    "resnet18",
    "resnet50",
    "cifar_resnet",
    "available",
    "builder",
    "get",
    "register",
    "RUNNER_ARGUMENTS",
    "DATA_FORMATS",
    "resolve_data_format",
    "data_format_of",
]


# --------------------------------------------------------------------------- checks


def _widths(values: Any, name: str) -> tuple[int, ...]:
    if isinstance(values, numbers.Integral):
        values = (values,)
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise TypeError(f"{name} must be a sequence of positive integers, got {values!r}")
    return tuple(_positive_int(v, f"{name}[{i}]") for i, v in enumerate(values))


def _input_shape(shape: Any, *, rank: int | None = None, min_size: int = 1) -> tuple[int, ...]:
    if not isinstance(shape, Sequence) or isinstance(shape, str):
        raise TypeError(f"input_shape must be a tuple such as (28, 28, 1), got {shape!r}")
    shape = tuple(_positive_int(v, "input_shape entries") for v in shape)
    if rank is not None and len(shape) != rank:
        raise ValueError(f"input_shape must have {rank} entries (H, W, C), got {shape}")
    if rank == 3 and min(shape[:2]) < min_size:
        raise ValueError(
            f"input_shape {shape} is too small: height and width must be >= {min_size}"
        )
    return shape


def _decay(weight_decay: Any) -> keras.regularizers.Regularizer | None:
    """Coupled L2: ``wd / 2 * sum(w^2)`` in the loss, ``wd * w`` in the gradient."""
    if weight_decay is None or weight_decay == 0:
        return None
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real):
        raise TypeError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    return keras.regularizers.L2(float(weight_decay) / 2)


def _regularized(reg) -> dict:
    return {"kernel_regularizer": reg, "bias_regularizer": reg}


#: The initialisations the MLPs and Conv4 offer (``init=``).
INITS = ("glorot", "torch", "he_normal")


def _check_init(init: Any) -> str:
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}; got {init!r}")
    return init


def _initialized(init: str, fan_in: int) -> dict:
    """Initializer arguments of a dense or convolution layer with ``fan_in`` inputs per unit."""
    if init == "glorot":
        return {}
    if init == "he_normal":  # Keras 2's he_normal: truncated normal, std sqrt(2 / fan_in)
        return {"kernel_initializer": "he_normal"}
    bound = 1.0 / fan_in**0.5
    return {
        "kernel_initializer": keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform"),
        "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
    }


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
    TensorFlow on a CPU without oneDNN (:func:`kerasnoise.devices.execution.channels_first_runs`
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


def _image_input(shape: tuple[int, ...], data_format: str):
    """``(inputs, x)``: the ``(H, W, C)`` input, and ``x`` in ``data_format``."""
    inputs = keras.Input(shape)
    if data_format == "channels_first":
        return inputs, layers.Permute((3, 1, 2), name="to_channels_first")(inputs)
    return inputs, inputs


def _channel_axis(data_format: str) -> int:
    return 1 if data_format == "channels_first" else -1


def _channels(x, data_format: str) -> int:
    return x.shape[_channel_axis(data_format)]


def _logits(x, num_classes: int, reg, init: str = "glorot", **kwargs):
    """The output layer: float32 logits whatever the dtype policy."""
    return layers.Dense(
        num_classes,
        dtype="float32",
        name="logits",
        **_regularized(reg),
        **_initialized(init, x.shape[-1]),
        **kwargs,
    )(x)


# --------------------------------------------------------------------------- Rolnick


def mlp(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    hidden: Sequence[int] = (256,),
    *,
    dropout: float = 0.0,
    weight_decay: float | None = None,
    init: str = "glorot",
    name: str = "mlp",
) -> keras.Model:
    """Flatten, then ReLU dense layers of ``hidden`` units, each followed by dropout of
    rate ``dropout`` when it is not 0, then the logits.

    Parameters: ``sum (n_in + 1) n_out`` over the layers; for MNIST (784 inputs)
    and 10 classes: mlp1 203,530, mlp2 235,146, mlp4 242,762, perceptron 7,850.
    ``init``: ``"glorot"`` (Keras), ``"torch"`` (PyTorch), see the module docstring, or
    ``"he_normal"`` (kernels from Keras's ``he_normal``, biases zero: the code of Patrini
    et al.).  ``model=mlp model.hidden=[128,128] model.dropout=0.2 model.init=he_normal``
    is Patrini et al.'s MNIST network (preset ``patrini-mnist-mlp``).
    """
    shape = _input_shape(input_shape)
    num_classes = _positive_int(num_classes, "num_classes")
    hidden = _widths(hidden, "hidden") if len(tuple(hidden)) else ()
    reg = _decay(weight_decay)
    init = _check_init(init)
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    inputs = keras.Input(shape)
    x = layers.Flatten()(inputs)
    for i, units in enumerate(hidden):
        x = layers.Dense(
            units,
            activation="relu",
            name=f"dense_{i + 1}",
            **_regularized(reg),
            **_initialized(init, x.shape[-1]),
        )(x)
        if dropout:
            x = layers.Dropout(float(dropout), name=f"dropout_{i + 1}")(x)
    return keras.Model(inputs, _logits(x, num_classes, reg, init), name=name)


def perceptron(input_shape=(28, 28, 1), num_classes=10, *, weight_decay=None, init="glorot"):
    """One linear layer (Rolnick et al.): 7,850 parameters on MNIST."""
    return mlp(
        input_shape, num_classes, (), weight_decay=weight_decay, init=init, name="perceptron"
    )


def mlp1(
    input_shape=(28, 28, 1), num_classes=10, hidden=(256,), *, weight_decay=None, init="glorot"
):
    """One hidden ReLU layer of 256 units: 203,530 parameters on MNIST."""
    return mlp(input_shape, num_classes, hidden, weight_decay=weight_decay, init=init, name="mlp1")


def mlp2(
    input_shape=(28, 28, 1), num_classes=10, hidden=(256, 128), *, weight_decay=None, init="glorot"
):
    """Hidden ReLU layers of 256 and 128 units: 235,146 parameters on MNIST."""
    return mlp(input_shape, num_classes, hidden, weight_decay=weight_decay, init=init, name="mlp2")


def mlp4(
    input_shape=(28, 28, 1),
    num_classes=10,
    hidden=(256, 128, 64),
    *,
    weight_decay=None,
    init="glorot",
):
    """Hidden ReLU layers of 256, 128, 64 units (Rolnick's "MLP4" re-implementation).

    242,762 parameters on MNIST with the defaults.
    """
    return mlp(input_shape, num_classes, hidden, weight_decay=weight_decay, init=init, name="mlp4")


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
    :func:`resolve_data_format` (the input is ``(H, W, C)`` either way).  ``init``:
    ``"glorot"`` (Keras) or ``"torch"`` (PyTorch), see the module docstring.
    """
    shape = _input_shape(input_shape, rank=3)
    filters = _widths(filters, "filters")
    init = _check_init(init)
    if min(shape[:2]) < 2 ** len(filters):
        raise ValueError(
            f"input_shape {shape} is too small for {len(filters)} 2x2 poolings: "
            f"height and width must be >= {2 ** len(filters)}"
        )
    dense = _positive_int(dense, "dense")
    num_classes = _positive_int(num_classes, "num_classes")
    reg = _decay(weight_decay)
    fmt = resolve_data_format(data_format)
    inputs, x = _image_input(shape, fmt)
    for i, f in enumerate(filters):
        x = layers.Conv2D(
            f,
            3,
            padding="same",
            activation="relu",
            data_format=fmt,
            name=f"conv_{i + 1}",
            **_regularized(reg),
            **_initialized(init, 9 * _channels(x, fmt)),
        )(x)
        x = layers.MaxPooling2D(2, data_format=fmt, name=f"pool_{i + 1}")(x)
    x = layers.Flatten(data_format=fmt)(x)
    x = layers.Dense(
        dense,
        activation="relu",
        name="dense",
        **_regularized(reg),
        **_initialized(init, x.shape[-1]),
    )(x)
    return keras.Model(inputs, _logits(x, num_classes, reg, init), name="conv4")


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
    shape = _input_shape(input_shape, rank=3, min_size=28)
    num_classes = _positive_int(num_classes, "num_classes")
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    reg = _decay(weight_decay)
    init = _check_init(init)
    fmt = resolve_data_format(data_format)
    inputs, x = _image_input(shape, fmt)
    plan = [(128, "same")] * 3 + ["pool"] + [(256, "same")] * 3 + ["pool"]
    plan += [(512, "valid"), (256, "valid"), (128, "valid")]
    for i, step in enumerate(plan):
        if step == "pool":
            x = layers.MaxPooling2D(2, data_format=fmt, name=f"pool_{i}")(x)
            x = layers.SpatialDropout2D(float(dropout), data_format=fmt, name=f"drop_{i}")(x)
            continue
        filters, padding = step
        x = layers.Conv2D(
            filters,
            3,
            padding=padding,
            data_format=fmt,
            name=f"conv_{i + 1}",
            **_regularized(reg),
            **_initialized(init, 9 * _channels(x, fmt)),
        )(x)
        x = layers.BatchNormalization(
            axis=_channel_axis(fmt), momentum=0.9, epsilon=1e-5, name=f"bn_{i + 1}"
        )(x)
        x = layers.LeakyReLU(negative_slope=0.01, name=f"lrelu_{i + 1}")(x)
    x = layers.GlobalAveragePooling2D(data_format=fmt)(x)
    return keras.Model(inputs, _logits(x, num_classes, reg, init), name="coteaching_cnn")


# --------------------------------------------------------------------------- Menon


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
    ``data_format``: see :func:`resolve_data_format` (the input is ``(H, W, C)`` either way).
    """
    shape = _input_shape(input_shape, rank=3, min_size=12)
    num_classes = _positive_int(num_classes, "num_classes")
    reg = _decay(weight_decay)

    def common() -> dict:  # a fresh initializer per layer
        init = keras.initializers.TruncatedNormal(stddev=init_std)
        return dict(kernel_initializer=init, bias_initializer="zeros", **_regularized(reg))

    fmt = resolve_data_format(data_format)
    inputs, x = _image_input(shape, fmt)
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


def _conv_bn(x, filters, kernel, stride, reg, fmt, name, relu=True):
    x = layers.Conv2D(
        filters,
        kernel,
        strides=stride,
        padding="same",
        use_bias=False,
        kernel_regularizer=reg,
        data_format=fmt,
        name=f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(
        axis=_channel_axis(fmt),
        momentum=0.9,
        epsilon=1e-5,
        gamma_regularizer=reg,
        beta_regularizer=reg,
        name=f"{name}_bn",
    )(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


# A strided 1x1 shortcut whose input has fewer channels than this subsamples first and then
# convolves with stride 1 (see _shortcut); only reduced-width ResNets (width < 8) have one.
_SUBSAMPLE_SHORTCUT_BELOW_CHANNELS = 8


def _shortcut(x, filters, stride, reg, fmt, name):
    if stride == 1 and _channels(x, fmt) == filters:
        return x
    if stride > 1 and _channels(x, fmt) < _SUBSAMPLE_SHORTCUT_BELOW_CHANNELS:
        # PyTorch 2.13's CPU build (bundled oneDNN) on CPUs with AVX2 but no AVX-512: the
        # backward pass of a 1x1 stride-2 convolution with few input channels (3-4 on the
        # reported AMD EPYC; 2-6 with ONEDNN_MAX_CPU_ISA=AVX2 on an AVX-512 CPU) on
        # channels-last input, which is what Keras's torch backend passes, never returns
        # (docs/known-issues.md).  A 1x1 'same' convolution with stride s reads only the
        # pixels x[:, ::s, ::s, :], so take them with a 1x1 average pooling of stride s
        # (the mean of one value: the value, gradient passed through unchanged) and
        # convolve with stride 1, which does not hang: the same function and the same
        # weights, on every backend.  Inputs of 8 or more channels (every width the papers
        # use) keep the strided convolution.
        x = layers.AveragePooling2D(
            1, strides=stride, data_format=fmt, name=f"{name}_shortcut_subsample"
        )(x)
        stride = 1
    return _conv_bn(x, filters, 1, stride, reg, fmt, f"{name}_shortcut", relu=False)


def _basic_block(x, width, stride, reg, fmt, name):
    """Two 3x3 convolutions; output width ``width`` (expansion 1)."""
    shortcut = _shortcut(x, width, stride, reg, fmt, name)
    y = _conv_bn(x, width, 3, stride, reg, fmt, f"{name}_1")
    y = _conv_bn(y, width, 3, 1, reg, fmt, f"{name}_2", relu=False)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([y, shortcut]))


def _bottleneck_block(x, width, stride, reg, fmt, name):
    """1x1 reduce, 3x3 (carrying the stride), 1x1 expand to ``4 * width``."""
    shortcut = _shortcut(x, 4 * width, stride, reg, fmt, name)
    y = _conv_bn(x, width, 1, 1, reg, fmt, f"{name}_1")
    y = _conv_bn(y, width, 3, stride, reg, fmt, f"{name}_2")
    y = _conv_bn(y, 4 * width, 1, 1, reg, fmt, f"{name}_3", relu=False)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([y, shortcut]))


def cifar_resnet(
    block: str,
    blocks_per_stage: Sequence[int],
    input_shape: Sequence[int] = (32, 32, 3),
    num_classes: int = 10,
    *,
    width: int = 64,
    weight_decay: float | None = None,
    data_format: str = "auto",
    name: str = "resnet",
) -> keras.Model:
    """A ResNet with the CIFAR stem: 3x3 stride-1 convolution, batch norm, ReLU, no max-pool.

    Four stages of ``blocks_per_stage`` blocks with widths ``width * (1, 2, 4, 8)``,
    the first block of stages 2-4 striding by 2; 1x1 convolution + batch norm on
    the shortcut where the shape changes; global average pooling; logits.
    (Where a strided shortcut's input has fewer than 8 channels, i.e. ``width`` < 8
    for ResNet-18, ``width`` < 2 for ResNet-50, the shortcut takes every second pixel
    with a weightless 1x1 pooling layer, ``*_shortcut_subsample``, before a stride-1
    1x1 convolution: the same function and weights, avoiding a PyTorch CPU hang; see
    docs/known-issues.md.)
    Convolutions have no bias; batch norm uses PyTorch's defaults (momentum 0.1,
    i.e. Keras ``momentum=0.9``, epsilon 1e-5).

    Args:
        block: ``"basic"`` (ResNet-18/34) or ``"bottleneck"`` (ResNet-50/101).
        width: channels of the stem and first stage (64 in the papers; smaller for
            quick tests).
        data_format: see :func:`resolve_data_format` (the input is ``(H, W, C)``
            either way).
    """
    blocks = {"basic": _basic_block, "bottleneck": _bottleneck_block}
    if block not in blocks:
        raise ValueError(f"block must be 'basic' or 'bottleneck', got {block!r}")
    stages = _widths(blocks_per_stage, "blocks_per_stage")
    shape = _input_shape(input_shape, rank=3, min_size=2 ** (len(stages) - 1))
    num_classes = _positive_int(num_classes, "num_classes")
    width = _positive_int(width, "width")
    reg = _decay(weight_decay)
    make_block = blocks[block]
    fmt = resolve_data_format(data_format)
    inputs, x = _image_input(shape, fmt)
    x = _conv_bn(x, width, 3, 1, reg, fmt, "stem")
    for s, count in enumerate(stages):
        for b in range(count):
            stride = 2 if s > 0 and b == 0 else 1
            x = make_block(x, width * 2**s, stride, reg, fmt, f"stage{s + 1}_block{b + 1}")
    x = layers.GlobalAveragePooling2D(data_format=fmt, name="pool")(x)
    return keras.Model(inputs, _logits(x, num_classes, reg), name=name)


def resnet18(
    input_shape=(32, 32, 3), num_classes=10, *, width=64, weight_decay=None, data_format="auto"
):
    """CIFAR ResNet-18 (basic blocks 2-2-2-2): 11,173,962 trainable parameters for 10 classes."""
    return cifar_resnet(
        "basic",
        (2, 2, 2, 2),
        input_shape,
        num_classes,
        width=width,
        weight_decay=weight_decay,
        data_format=data_format,
        name="resnet18",
    )


def resnet50(
    input_shape=(32, 32, 3), num_classes=10, *, width=64, weight_decay=None, data_format="auto"
):
    """CIFAR ResNet-50 (bottleneck blocks 3-4-6-3).

    23,520,842 trainable parameters for 10 classes (batch-norm scales and offsets
    included), the count of the common PyTorch CIFAR ResNet-50; the non-trainable
    weights are the batch-norm moving means and variances (53,120).
    """
    return cifar_resnet(
        "bottleneck",
        (3, 4, 6, 3),
        input_shape,
        num_classes,
        width=width,
        weight_decay=weight_decay,
        data_format=data_format,
        name="resnet50",
    )


# --------------------------------------------------------------------------- lookup

#: The arguments every builder is given by the runner, not by a config's ``model.*``.
RUNNER_ARGUMENTS = ("input_shape", "num_classes", "weight_decay")


def _check_plugin(name: str, builder: Any) -> Callable[..., keras.Model]:
    """A plug-in model is a callable taking ``input_shape`` and ``num_classes``."""
    if not callable(builder):
        raise TypeError(f"a model must be a function returning a keras.Model, got {builder!r}")
    try:
        inspect.signature(builder).bind_partial(input_shape=(1,), num_classes=2)
    except TypeError:
        raise TypeError(
            f"model {name!r}: the builder must take the keyword arguments input_shape and "
            f"num_classes, got {builder.__qualname__}{inspect.signature(builder)}"
        ) from None
    except ValueError:  # a builtin without a signature: trust it
        pass
    return builder


_REGISTRY = Registry(
    "model",
    "kerasnoise.models",
    {
        "perceptron": perceptron,
        "mlp1": mlp1,
        "mlp2": mlp2,
        "mlp4": mlp4,
        "mlp": mlp,
        "conv4": conv4,
        "lenet5": lenet5,
        "resnet18": resnet18,
        "resnet50": resnet50,
        "coteaching_cnn": coteaching_cnn,
    },
    check=_check_plugin,
)


def register(
    name: str, builder: Callable[..., keras.Model] | None = None, *, replace: bool = False
):
    """Make a model builder available by name to :func:`get`, configs (``model=NAME``,
    ``model.PARAM=...``), sweeps, experiments and ``kerasnoise train``.

    A decorator, or a plain call::

        @models.register("small_cnn")
        def small_cnn(input_shape, num_classes, width=32): ...

        models.register("small_cnn", small_cnn)

    The contract: ``builder(input_shape, num_classes, **params) -> keras.Model``, an
    uncompiled model whose input is ``(H, W, C)`` images (standardised floats) and whose
    output is ``num_classes`` logits; ``params`` are the config's ``model.*`` values.
    The runner also passes ``weight_decay`` (the config's coupled decay, or ``None``)
    to a builder that takes it (by name or ``**kwargs``); for one that does not, the
    runner adds that decay itself, as ``wd / 2 * ||w||^2`` on every trainable weight
    without a regulariser of its own (see :func:`get`).  Our other settings (layout,
    initialisation) are parameters of our builders only: a plug-in has whatever
    parameters it declares.  Layers of its own must be registered with
    ``keras.saving.register_keras_serializable`` for the saved ``.keras`` model to load.

    Args:
        name: the model's name (case-insensitive, ``-`` counts as ``_``).
        builder: the function; omitted, ``register`` returns a decorator.
        replace: whether ``name`` may replace a model that exists (ours included).

    Returns:
        ``builder``, unchanged (or the decorator).

    Raises:
        ValueError: ``name`` exists and ``replace`` is false.
        TypeError: ``builder`` does not take ``input_shape`` and ``num_classes``.
    """
    return _REGISTRY.register(name, builder, replace=replace)


def available() -> list[str]:
    """Names accepted by :func:`get` (registered models and installed plug-ins included)."""
    return _REGISTRY.available()


def builder(name: str) -> Callable[..., keras.Model]:
    """The function that builds the model ``name`` (a plug-in's is imported first)."""
    return _REGISTRY.get(name)


def _takes(function: Callable[..., Any], argument: str) -> bool:
    """Whether ``function`` accepts the keyword ``argument`` (by name or ``**kwargs``)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except ValueError:  # no signature to read
        return True
    return any(
        p.kind is p.VAR_KEYWORD
        or (p.name == argument and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        for p in parameters
    )


def get(identifier: str, /, **kwargs: Any) -> keras.Model:
    """A model by name, e.g. ``get("conv4", input_shape=(28, 28, 1), num_classes=10)``.

    A name that is neither ours nor registered is looked up among the installed
    plug-ins (entry-point group ``kerasnoise.models``).  ``weight_decay`` goes to a
    builder that takes it; a builder that does not is given the same coupled decay
    afterwards: an L2 regulariser ``wd / 2`` on every trainable weight that has none.
    """
    function = builder(identifier)
    decay = kwargs.get("weight_decay")
    if not _takes(function, "weight_decay"):
        kwargs.pop("weight_decay", None)
    else:
        decay = None  # the builder applies it
    model = _REGISTRY.build(identifier, kwargs)
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model {identifier!r}: the builder returned {type(model).__name__}, not a keras.Model"
        )
    regularizer = _decay(decay)
    if regularizer is not None:
        for variable in model.trainable_weights:
            if variable.regularizer is None:
                variable.regularizer = regularizer
    return model
