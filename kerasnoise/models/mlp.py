"""Multilayer perceptrons: Rolnick et al. 2017's and Patrini et al. 2017's.

Rolnick et al. (MNIST; hidden sizes from a public re-implementation, the paper gives
none): :func:`perceptron`, :func:`mlp1`, :func:`mlp2`, :func:`mlp4` (0 / 256 /
256-128 / 256-128-64 ReLU units).  :func:`mlp` takes any widths and a dropout rate:
``hidden=(128, 128), dropout=0.2, init="he_normal"`` is Patrini et al.'s MNIST network.
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

__all__ = ["mlp", "mlp1", "mlp2", "mlp4", "perceptron"]


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
    ``init``: ``"glorot"`` (Keras), ``"torch"`` (PyTorch), see
    :mod:`kerasnoise.models.common`, or ``"he_normal"`` (kernels from Keras's
    ``he_normal``, biases zero: the code of Patrini et al.).
    ``model=mlp model.hidden=[128,128] model.dropout=0.2 model.init=he_normal``
    is Patrini et al.'s MNIST network (preset ``patrini-mnist-mlp``).
    """
    shape = check_input_shape(input_shape)
    num_classes = positive_int(num_classes, "num_classes")
    hidden = check_widths(hidden, "hidden") if len(tuple(hidden)) else ()
    reg = coupled_decay(weight_decay)
    init = check_init(init)
    dropout = check_dropout(dropout)
    inputs = keras.Input(shape)
    x = layers.Flatten()(inputs)
    for i, units in enumerate(hidden):
        x = layers.Dense(
            units,
            activation="relu",
            name=f"dense_{i + 1}",
            **regularized(reg),
            **initialized(init, x.shape[-1]),
        )(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    return keras.Model(inputs, logits(x, num_classes, reg, init), name=name)


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
