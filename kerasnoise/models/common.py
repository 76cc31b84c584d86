"""What every builder of :mod:`kerasnoise.models` shares: the argument checks, the
initialisations, the coupled weight decay and the float32 logits head.

Initialisation (``init``; the MLPs, Conv4 and the Co-teaching CNN; Rolnick et al. do not
state one): ``"glorot"`` is Keras's default (Glorot-uniform kernels, zero biases);
``"torch"`` is PyTorch's default for ``nn.Linear`` and ``nn.Conv2d`` (kernel and bias
uniform in ``±1/sqrt(fan_in)``, i.e. ``VarianceScaling(1/3, "fan_in", "uniform")`` for
the kernel); ``"he_normal"`` is Keras's ``he_normal`` kernels with zero biases (the code
of Patrini et al.).  With Adadelta's small steps the starting scale decides how far a
run gets (docs/papers.md).

Weight decay, two kinds:

- **coupled** L2 (``weight_decay=wd`` on a builder): ``wd / 2 * ||w||^2`` is added to
  the loss of every weight (kernels, biases, batch-norm scales and offsets), so
  ``wd * w`` is added to the gradient, exactly like PyTorch's optimizer
  ``weight_decay``.  The Menon et al. presets use this (the reference code is
  PyTorch: Adam with ``weight_decay=1e-3`` on MNIST, SGD with ``5e-4`` on CIFAR).
- **decoupled** decay: the Keras optimizer's own ``weight_decay`` argument
  (AdamW-style, ``w -= lr * wd * w``); pass it to the optimizer, not here.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from kerasnoise._checks import positive_int

__all__ = [
    "INITS",
    "check_dropout",
    "check_init",
    "check_input_shape",
    "check_widths",
    "coupled_decay",
    "initialized",
    "logits",
    "regularized",
]


# --------------------------------------------------------------------------- checks


def check_widths(values: Any, name: str) -> tuple[int, ...]:
    """``values`` (an integer or a sequence of them) as a tuple of positive integers."""
    if isinstance(values, numbers.Integral):
        values = (values,)
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise TypeError(f"{name} must be a sequence of positive integers, got {values!r}")
    return tuple(positive_int(v, f"{name}[{i}]") for i, v in enumerate(values))


def check_input_shape(shape: Any, *, rank: int | None = None, min_size: int = 1) -> tuple[int, ...]:
    """``shape`` checked: positive entries, ``rank`` of them, height and width of at least
    ``min_size`` for an image (``rank=3``)."""
    if not isinstance(shape, Sequence) or isinstance(shape, str):
        raise TypeError(f"input_shape must be a tuple such as (28, 28, 1), got {shape!r}")
    shape = tuple(positive_int(v, "input_shape entries") for v in shape)
    if rank is not None and len(shape) != rank:
        raise ValueError(f"input_shape must have {rank} entries (H, W, C), got {shape}")
    if rank == 3 and min(shape[:2]) < min_size:
        raise ValueError(
            f"input_shape {shape} is too small: height and width must be >= {min_size}"
        )
    return shape


def check_dropout(dropout: Any) -> float:
    """``dropout`` as a float, if it is a number in ``[0, 1)``."""
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    return float(dropout)


# --------------------------------------------------------------------------- weight decay


def coupled_decay(weight_decay: Any) -> keras.regularizers.Regularizer | None:
    """Coupled L2: ``wd / 2 * sum(w^2)`` in the loss, ``wd * w`` in the gradient."""
    if weight_decay is None or weight_decay == 0:
        return None
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real):
        raise TypeError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    return keras.regularizers.L2(float(weight_decay) / 2)


def regularized(reg) -> dict:
    """The regulariser arguments of a dense or convolution layer: ``reg`` on both weights."""
    return {"kernel_regularizer": reg, "bias_regularizer": reg}


# --------------------------------------------------------------------------- initialisation

#: The initialisations the MLPs and Conv4 offer (``init=``).
INITS = ("glorot", "torch", "he_normal")


def check_init(init: Any) -> str:
    """``init`` if it is one of :data:`INITS`."""
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}; got {init!r}")
    return init


def initialized(init: str, fan_in: int) -> dict:
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


# --------------------------------------------------------------------------- head


def logits(x, num_classes: int, reg, init: str = "glorot", **kwargs):
    """The output layer: float32 logits whatever the dtype policy."""
    return layers.Dense(
        num_classes,
        dtype="float32",
        name="logits",
        **regularized(reg),
        **initialized(init, x.shape[-1]),
        **kwargs,
    )(x)
