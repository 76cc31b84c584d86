"""The CIFAR ResNets of Menon et al. 2020: :func:`resnet18` and :func:`resnet50`, both
:func:`cifar_resnet` (3x3 stride-1 stem, no max-pool, batch normalisation, basic /
bottleneck blocks), as in the common PyTorch CIFAR implementation.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from kerasnoise._checks import positive_int
from kerasnoise.models.common import check_input_shape, check_widths, coupled_decay, logits
from kerasnoise.models.data_format import channel_axis, channels, image_input, resolve_data_format

__all__ = ["cifar_resnet", "resnet18", "resnet50"]


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
        axis=channel_axis(fmt),
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
    if stride == 1 and channels(x, fmt) == filters:
        return x
    if stride > 1 and channels(x, fmt) < _SUBSAMPLE_SHORTCUT_BELOW_CHANNELS:
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
        data_format: see :func:`~kerasnoise.models.resolve_data_format` (the input is
            ``(H, W, C)`` either way).
    """
    blocks = {"basic": _basic_block, "bottleneck": _bottleneck_block}
    if block not in blocks:
        raise ValueError(f"block must be 'basic' or 'bottleneck', got {block!r}")
    stages = check_widths(blocks_per_stage, "blocks_per_stage")
    shape = check_input_shape(input_shape, rank=3, min_size=2 ** (len(stages) - 1))
    num_classes = positive_int(num_classes, "num_classes")
    width = positive_int(width, "width")
    reg = coupled_decay(weight_decay)
    make_block = blocks[block]
    fmt = resolve_data_format(data_format)
    inputs, x = image_input(shape, fmt)
    x = _conv_bn(x, width, 3, 1, reg, fmt, "stem")
    for s, count in enumerate(stages):
        for b in range(count):
            stride = 2 if s > 0 and b == 0 else 1
            x = make_block(x, width * 2**s, stride, reg, fmt, f"stage{s + 1}_block{b + 1}")
    x = layers.GlobalAveragePooling2D(data_format=fmt, name="pool")(x)
    return keras.Model(inputs, logits(x, num_classes, reg), name=name)


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
