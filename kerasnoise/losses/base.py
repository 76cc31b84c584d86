"""What every loss of :mod:`kerasnoise.losses` shares: the inputs it reads, its numerics,
the argument checks, and the base class :class:`Loss` (a per-example function and its
parameters as a serializable Keras loss) that ours and a user's may build on.

Every loss is a :class:`keras.losses.Loss` subclass with a functional twin that
returns per-example values, written with ``keras.ops`` only.

Inputs:

- ``y_pred``: logits (default, ``from_logits=True``) or probabilities
  (``from_logits=False``; renormalised over the last axis and clipped to
  ``[eps, 1 - eps]`` with ``eps = keras.config.epsilon()``, as Keras's own
  cross-entropy does).
- ``y_true``: integer class indices of shape ``(B,)`` or ``(B, 1)``, or one-hot
  rows of shape ``(B, K)``.  The losses are defined for hard labels: with a
  one-hot ``t``, ``p_y = sum_k t_k p_k``.  Only the cross-entropy terms
  (:func:`cross_entropy`, the CE parts of SCE and bootstrapping) also read soft
  targets as ``-sum_k t_k log p_k``.

Numerics: everything is computed in float32 (float64 stays float64) from
``log_softmax``, whatever the layer's mixed-precision policy; ``1 - p`` is
``-expm1(log p)`` and ``p ** q`` is ``exp(q log p)``, so logits of +-1e4,
probabilities that underflow to 0 and all-equal logits give finite values and
gradients.

Notation: ``p = softmax(y_pred)``, ``p_y`` the probability of the given label.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import keras
from keras import ops

__all__ = [
    "Loss",
    "check_clip",
    "check_number",
    "clip_log_probs",
    "log_probs",
    "log_probs_and_targets",
    "one_hot_targets",
    "register_serializable",
]

# --------------------------------------------------------------------------- checks


def check_number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


# --------------------------------------------------------------------------- helpers


def _compute_dtype(x) -> str:
    return "float64" if keras.backend.standardize_dtype(x.dtype) == "float64" else "float32"


def log_probs(y_pred, from_logits: bool):
    """``log p`` over the last axis, in float32 (or float64)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_pred = ops.cast(y_pred, _compute_dtype(y_pred))
    if from_logits:
        return ops.log_softmax(y_pred, axis=-1)
    eps = keras.config.epsilon()
    probs = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    return ops.log(ops.clip(probs, eps, 1.0 - eps))


def one_hot_targets(y_true, log_p):
    """Labels as rows of the same shape and dtype as ``log_p`` (one-hot for indices)."""
    y_true = ops.convert_to_tensor(y_true)
    num_classes = log_p.shape[-1]
    if len(y_true.shape) == len(log_p.shape) and y_true.shape[-1] == num_classes:
        return ops.cast(y_true, log_p.dtype)
    if len(y_true.shape) == len(log_p.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    return ops.one_hot(ops.cast(y_true, "int32"), num_classes, dtype=log_p.dtype)


def check_clip(clip: Any) -> float | None:
    """``clip``: None, or a number in (0, 0.5)."""
    if clip is None:
        return None
    clip = check_number(clip, "clip")
    if not 0.0 < clip < 0.5:
        raise ValueError(f"clip must be None or a number in (0, 0.5), got {clip}")
    return clip


def clip_log_probs(log_p, clip: float | None):
    """``log(clip(p, clip, 1 - clip))`` written as ``clip(log p, log clip, log(1 - clip))``
    (the same numbers, as ``log`` is increasing; no gradient where the bound holds, as
    with Keras 2's ``K.clip`` of probabilities); ``log_p`` itself for ``clip=None``."""
    if clip is None:
        return log_p
    return ops.clip(log_p, math.log(clip), math.log1p(-clip))


def log_probs_and_targets(y_true, y_pred, from_logits: bool):
    log_p = log_probs(y_pred, from_logits)
    t = one_hot_targets(y_true, log_p)
    return t, log_p, ops.sum(t * log_p, axis=-1)  # log p_y for hard labels


# --------------------------------------------------------------------------- the base class


class Loss(keras.losses.Loss):
    """A Keras loss made of a per-example function and its parameters: the base class
    of every loss of ours, and one a user's loss may build on (a plain
    ``keras.losses.Loss`` subclass is as welcome: ``docs/extending.md``).

    A subclass sets three class attributes and checks its own parameters in its
    constructor (then calls ``super().__init__(**kwargs)``):

    - ``fn``: ``staticmethod(fn)``, ``fn(y_true, y_pred, from_logits=..., **params)``
      returning the ``(B,)`` per-example losses in ``keras.ops``;
    - ``parameters``: the names of the attributes passed to ``fn`` as keywords and
      written by :meth:`get_config` (so the loss saves and loads with a model);
    - ``default_name``: Keras's ``name`` when none is given.

    Args:
        from_logits: ``y_pred`` are logits (default) or probabilities.
        reduction, name, dtype: as in :class:`keras.losses.Loss`.
    """

    fn: Any = None
    parameters: tuple[str, ...] = ()
    default_name: str = "loss"

    def __init__(
        self,
        from_logits: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(name=name or self.default_name, reduction=reduction, dtype=dtype)
        if not isinstance(from_logits, bool):
            raise TypeError(f"from_logits must be True or False, got {from_logits!r}")
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        """``fn(y_true, y_pred, from_logits=..., **parameters)``, per example."""
        params = {key: getattr(self, key) for key in self.parameters}
        return self.fn(y_true, y_pred, from_logits=self.from_logits, **params)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(from_logits=self.from_logits, dtype=self.dtype)
        config.update({key: getattr(self, key) for key in self.parameters})
        return config


def register_serializable(cls):
    """``keras.saving.register_keras_serializable(package="kerasnoise")``: our losses
    save under ``kerasnoise>ClassName``."""
    return keras.saving.register_keras_serializable(package="kerasnoise")(cls)
