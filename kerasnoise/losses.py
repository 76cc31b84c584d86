"""Robust classification losses as Keras 3 losses, identical on TensorFlow, JAX and PyTorch.

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

from kerasnoise.registry import Registry

__all__ = [
    "clip_log_probs",
    "CrossEntropy",
    "GeneralizedCrossEntropy",
    "LinearLoss",
    "PHuberCrossEntropy",
    "PHuberGeneralizedCrossEntropy",
    "SymmetricCrossEntropy",
    "ReverseCrossEntropy",
    "NormalizedCrossEntropy",
    "NCEAndRCE",
    "MeanAbsoluteError",
    "BootstrapSoft",
    "BootstrapHard",
    "cross_entropy",
    "generalized_cross_entropy",
    "linear_loss",
    "phuber_cross_entropy",
    "phuber_generalized_cross_entropy",
    "symmetric_cross_entropy",
    "reverse_cross_entropy",
    "normalized_cross_entropy",
    "nce_and_rce",
    "mean_absolute_error",
    "bootstrap_soft",
    "bootstrap_hard",
    "available",
    "get",
    "register",
]

# --------------------------------------------------------------------------- checks


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _check_q(q: Any) -> float:
    q = _number(q, "q")
    if not 0.0 < q <= 1.0:
        raise ValueError(f"q must be in (0, 1], got {q}")
    return q


def _check_tau(tau: Any) -> float:
    tau = _number(tau, "tau")
    if not tau > 1.0:
        raise ValueError(f"tau must be > 1, got {tau}")
    return tau


def _check_weight(value: Any, name: str) -> float:
    value = _number(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def _check_unit(value: Any, name: str) -> float:
    value = _number(value, name)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


def _check_log_clamp(value: Any) -> float:
    value = _number(value, "A")
    if value >= 0:
        raise ValueError(f"A (the value that replaces log 0) must be < 0, got {value}")
    return value


# --------------------------------------------------------------------------- helpers


def _compute_dtype(x) -> str:
    return "float64" if keras.backend.standardize_dtype(x.dtype) == "float64" else "float32"


def _log_probs(y_pred, from_logits: bool):
    """``log p`` over the last axis, in float32 (or float64)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_pred = ops.cast(y_pred, _compute_dtype(y_pred))
    if from_logits:
        return ops.log_softmax(y_pred, axis=-1)
    eps = keras.config.epsilon()
    probs = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    return ops.log(ops.clip(probs, eps, 1.0 - eps))


def _targets(y_true, log_p):
    """Labels as rows of the same shape and dtype as ``log_p`` (one-hot for indices)."""
    y_true = ops.convert_to_tensor(y_true)
    num_classes = log_p.shape[-1]
    if len(y_true.shape) == len(log_p.shape) and y_true.shape[-1] == num_classes:
        return ops.cast(y_true, log_p.dtype)
    if len(y_true.shape) == len(log_p.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    return ops.one_hot(ops.cast(y_true, "int32"), num_classes, dtype=log_p.dtype)


def _check_clip(clip: Any) -> float | None:
    """``clip``: None, or a number in (0, 0.5)."""
    if clip is None:
        return None
    clip = _number(clip, "clip")
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


def _prepare(y_true, y_pred, from_logits: bool):
    log_p = _log_probs(y_pred, from_logits)
    t = _targets(y_true, log_p)
    return t, log_p, ops.sum(t * log_p, axis=-1)  # log p_y for hard labels


def _one_minus_p(log_p_y):
    """``1 - p_y`` without cancellation when ``p_y`` is close to 1."""
    return -ops.expm1(log_p_y)


def _gce_from_log_p(log_p_y, q: float):
    return -ops.expm1(q * log_p_y) / q


# --------------------------------------------------------------------------- functions


def cross_entropy(y_true, y_pred, from_logits: bool = True, clip: float | None = None):
    """Cross-entropy ``-sum_k t_k log p_k`` (``-log p_y`` for hard labels); soft targets ok.

    ``clip``: ``p`` clipped to ``[clip, 1 - clip]`` before the log (Keras 2's
    ``K.epsilon()`` = 1e-7 in Patrini et al.'s code), in log space
    (:func:`clip_log_probs`); None: no clip."""
    t, log_p, _ = _prepare(y_true, y_pred, from_logits)
    return -ops.sum(t * clip_log_probs(log_p, _check_clip(clip)), axis=-1)


def generalized_cross_entropy(y_true, y_pred, q: float = 0.7, from_logits: bool = True):
    """Generalized cross-entropy ``(1 - p_y ** q) / q``, ``q`` in (0, 1]."""
    q = _check_q(q)
    _, _, log_p_y = _prepare(y_true, y_pred, from_logits)
    return _gce_from_log_p(log_p_y, q)


def linear_loss(y_true, y_pred, from_logits: bool = True):
    """Linear (unhinged) loss ``1 - p_y``."""
    _, _, log_p_y = _prepare(y_true, y_pred, from_logits)
    return _one_minus_p(log_p_y)


def phuber_cross_entropy(y_true, y_pred, tau: float = 10.0, from_logits: bool = True):
    """Partially Huberised CE.

    ``-tau p_y + log(tau) + 1`` if ``p_y <= 1 / tau``, else ``-log p_y``; ``tau > 1``.
    """
    tau = _check_tau(tau)
    _, _, log_p_y = _prepare(y_true, y_pred, from_logits)
    p_y = ops.exp(log_p_y)
    linear = -tau * p_y + (math.log(tau) + 1.0)
    return ops.where(p_y <= 1.0 / tau, linear, -log_p_y)


def _phuber_gce_threshold(tau: float, q: float) -> float:
    """``p* = tau ** (1 / (q - 1))``, where the GCE gradient ``-p ** (q - 1)`` reaches ``-tau``."""
    return 0.0 if q == 1.0 else tau ** (1.0 / (q - 1.0))


def phuber_generalized_cross_entropy(
    y_true, y_pred, tau: float = 10.0, q: float = 0.7, from_logits: bool = True
):
    """Partially Huberised GCE.

    With ``p* = tau ** (1 / (q - 1))``: ``-tau p_y + tau p* + (1 - p* ** q) / q`` if
    ``p_y <= p*``, else ``(1 - p_y ** q) / q``.  At ``q = 1`` it is the linear loss.
    """
    tau, q = _check_tau(tau), _check_q(q)
    _, _, log_p_y = _prepare(y_true, y_pred, from_logits)
    p_y = ops.exp(log_p_y)
    p_star = _phuber_gce_threshold(tau, q)
    linear = -tau * p_y + (tau * p_star + (1.0 - p_star**q) / q)
    return ops.where(p_y <= p_star, linear, _gce_from_log_p(log_p_y, q))


def reverse_cross_entropy(y_true, y_pred, A: float = -4.0, from_logits: bool = True):  # noqa: N803
    """Reverse CE ``-sum_k p_k log t_k`` with ``log 0 := A``: ``-A (1 - p_y)``."""
    A = _check_log_clamp(A)  # noqa: N806
    _, _, log_p_y = _prepare(y_true, y_pred, from_logits)
    return -A * _one_minus_p(log_p_y)


def symmetric_cross_entropy(
    y_true,
    y_pred,
    alpha: float = 0.1,
    beta: float = 1.0,
    A: float = -4.0,  # noqa: N803
    from_logits: bool = True,
):
    """Symmetric CE ``alpha * CE + beta * RCE``."""
    alpha, beta = _check_weight(alpha, "alpha"), _check_weight(beta, "beta")
    A = _check_log_clamp(A)  # noqa: N806
    t, log_p, log_p_y = _prepare(y_true, y_pred, from_logits)
    ce = -ops.sum(t * log_p, axis=-1)
    return alpha * ce + beta * (-A) * _one_minus_p(log_p_y)


def _nce(log_p, log_p_y):
    denominator = ops.minimum(ops.sum(log_p, axis=-1), -1e-30)  # < 0 for K >= 2
    return log_p_y / denominator


def normalized_cross_entropy(y_true, y_pred, from_logits: bool = True):
    """Normalised CE ``log p_y / sum_k log p_k`` (in [0, 1])."""
    _, log_p, log_p_y = _prepare(y_true, y_pred, from_logits)
    return _nce(log_p, log_p_y)


def nce_and_rce(
    y_true,
    y_pred,
    alpha: float = 1.0,
    beta: float = 1.0,
    A: float = -4.0,  # noqa: N803
    from_logits: bool = True,
):
    """Active-passive loss ``alpha * NCE + beta * RCE``."""
    alpha, beta = _check_weight(alpha, "alpha"), _check_weight(beta, "beta")
    A = _check_log_clamp(A)  # noqa: N806
    _, log_p, log_p_y = _prepare(y_true, y_pred, from_logits)
    return alpha * _nce(log_p, log_p_y) + beta * (-A) * _one_minus_p(log_p_y)


def mean_absolute_error(y_true, y_pred, from_logits: bool = True):
    """MAE over the probability vector, ``sum_k |t_k - p_k| = 2 (1 - p_y)``."""
    _, _, log_p_y = _prepare(y_true, y_pred, from_logits)
    return 2.0 * _one_minus_p(log_p_y)


def bootstrap_soft(y_true, y_pred, beta: float = 0.95, from_logits: bool = True):
    """Soft bootstrapping ``-sum_k (beta t_k + (1 - beta) p_k) log p_k``.

    The prediction inside the target is not detached (as in Reed et al. and
    Patrini et al.'s Keras code), so the second term acts as entropy regularisation.
    """
    beta = _check_unit(beta, "beta")
    t, log_p, _ = _prepare(y_true, y_pred, from_logits)
    target = beta * t + (1.0 - beta) * ops.exp(log_p)
    return -ops.sum(target * log_p, axis=-1)


def bootstrap_hard(y_true, y_pred, beta: float = 0.8, from_logits: bool = True):
    """Hard bootstrapping ``-sum_k (beta t_k + (1 - beta) z_k) log p_k``, z = onehot(argmax p)."""
    beta = _check_unit(beta, "beta")
    t, log_p, _ = _prepare(y_true, y_pred, from_logits)
    z = ops.one_hot(ops.argmax(log_p, axis=-1), log_p.shape[-1], dtype=log_p.dtype)
    target = beta * t + (1.0 - beta) * z
    return -ops.sum(target * log_p, axis=-1)


# --------------------------------------------------------------------------- classes


class _Base(keras.losses.Loss):
    """Shared plumbing: ``from_logits``, parameters in ``get_config``."""

    _fn = staticmethod(cross_entropy)
    _params: tuple[str, ...] = ()

    def __init__(
        self,
        from_logits: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(name=name or self._default_name, reduction=reduction, dtype=dtype)
        if not isinstance(from_logits, bool):
            raise TypeError(f"from_logits must be True or False, got {from_logits!r}")
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        params = {key: getattr(self, key) for key in self._params}
        return self._fn(y_true, y_pred, from_logits=self.from_logits, **params)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(from_logits=self.from_logits, dtype=self.dtype)
        config.update({key: getattr(self, key) for key in self._params})
        return config


def _register(cls):
    return keras.saving.register_keras_serializable(package="kerasnoise")(cls)


@_register
class CrossEntropy(_Base):
    """Cross-entropy ``-log p_y`` (soft targets: ``-sum_k t_k log p_k``).

    Args:
        clip: None (default), or ``p`` clipped to ``[clip, 1 - clip]`` before the log,
            as Keras 2's cross-entropy of probabilities did (``K.epsilon()`` = 1e-7):
            the loss of a sure wrong prediction stops at ``-log clip``.
        from_logits: ``y_pred`` are logits (default) or probabilities.
        reduction, name, dtype: as in :class:`keras.losses.Loss`.
    """

    _default_name = "cross_entropy"
    _fn = staticmethod(cross_entropy)
    _params = ("clip",)

    def __init__(self, clip: float | None = None, **kwargs):
        self.clip = _check_clip(clip)
        super().__init__(**kwargs)


@_register
class GeneralizedCrossEntropy(_Base):
    """Generalized cross-entropy ``(1 - p_y ** q) / q``.

    ``q -> 0`` gives CE, ``q = 1`` the linear loss.

    Args:
        q: in (0, 1]; 0.7 in Zhang & Sabuncu and Menon et al.

    Reference: Zhang & Sabuncu, "Generalized Cross Entropy Loss for Training Deep
    Neural Networks with Noisy Labels", NeurIPS 2018.
    """

    _default_name = "generalized_cross_entropy"
    _fn = staticmethod(generalized_cross_entropy)
    _params = ("q",)

    def __init__(self, q: float = 0.7, **kwargs):
        self.q = _check_q(q)
        super().__init__(**kwargs)


@_register
class LinearLoss(_Base):
    """Linear ("unhinged") loss ``1 - p_y``; its gradient in ``p`` is bounded by 1.

    Reference: van Rooyen, Menon, Williamson, "Learning with Symmetric Label
    Noise: The Importance of Being Unhinged", NeurIPS 2015.
    """

    _default_name = "linear_loss"
    _fn = staticmethod(linear_loss)


@_register
class PHuberCrossEntropy(_Base):
    """Partially Huberised cross-entropy.

    ``-tau p_y + log(tau) + 1`` if ``p_y <= 1 / tau``, else ``-log p_y``: CE
    linearised where ``p_y`` is small, so ``|d loss / d p_y| <= tau``.  Continuous
    with a continuous derivative at ``p_y = 1 / tau``; ``tau -> inf`` gives CE.

    Args:
        tau: > 1; Menon et al. use 2 (CIFAR-10) and 10 (MNIST, CIFAR-100).

    Reference: Menon, Rawat, Reddi, Kumar, "Can gradient clipping mitigate label
    noise?", ICLR 2020.
    """

    _default_name = "phuber_cross_entropy"
    _fn = staticmethod(phuber_cross_entropy)
    _params = ("tau",)

    def __init__(self, tau: float = 10.0, **kwargs):
        self.tau = _check_tau(tau)
        super().__init__(**kwargs)


@_register
class PHuberGeneralizedCrossEntropy(_Base):
    """Partially Huberised generalized cross-entropy.

    With ``p* = tau ** (1 / (q - 1))``: ``-tau p_y + tau p* + (1 - p* ** q) / q``
    if ``p_y <= p*``, else ``(1 - p_y ** q) / q``.

    Args:
        tau: > 1 (10 in Menon et al.).
        q: in (0, 1] (0.7).

    Reference: Menon, Rawat, Reddi, Kumar, ICLR 2020.
    """

    _default_name = "phuber_generalized_cross_entropy"
    _fn = staticmethod(phuber_generalized_cross_entropy)
    _params = ("tau", "q")

    def __init__(self, tau: float = 10.0, q: float = 0.7, **kwargs):
        self.tau, self.q = _check_tau(tau), _check_q(q)
        super().__init__(**kwargs)


@_register
class ReverseCrossEntropy(_Base):
    """Reverse cross-entropy ``-sum_k p_k log t_k`` with ``log 0 := A``, i.e. ``-A (1 - p_y)``.

    Args:
        A: < 0, the value of ``log 0`` (-4 in Wang et al.).

    Reference: Wang et al., "Symmetric Cross Entropy for Robust Learning with
    Noisy Labels", ICCV 2019.
    """

    _default_name = "reverse_cross_entropy"
    _fn = staticmethod(reverse_cross_entropy)
    _params = ("A",)

    def __init__(self, A: float = -4.0, **kwargs):  # noqa: N803
        self.A = _check_log_clamp(A)
        super().__init__(**kwargs)


@_register
class SymmetricCrossEntropy(_Base):
    """Symmetric cross-entropy ``alpha * CE + beta * RCE``.

    Args:
        alpha: CE weight, >= 0 (0.1 for CIFAR-10 in Wang et al.).
        beta: RCE weight, >= 0 (1.0).
        A: < 0, ``log 0`` in RCE (-4).

    Reference: Wang et al., ICCV 2019.
    """

    _default_name = "symmetric_cross_entropy"
    _fn = staticmethod(symmetric_cross_entropy)
    _params = ("alpha", "beta", "A")

    def __init__(self, alpha: float = 0.1, beta: float = 1.0, A: float = -4.0, **kwargs):  # noqa: N803
        self.alpha, self.beta = _check_weight(alpha, "alpha"), _check_weight(beta, "beta")
        self.A = _check_log_clamp(A)
        super().__init__(**kwargs)


@_register
class NormalizedCrossEntropy(_Base):
    """Normalised cross-entropy ``log p_y / sum_k log p_k``.

    Reference: Ma et al., "Normalized Loss Functions for Deep Learning with Noisy
    Labels", ICML 2020.
    """

    _default_name = "normalized_cross_entropy"
    _fn = staticmethod(normalized_cross_entropy)


@_register
class NCEAndRCE(_Base):
    """Active-passive loss NCE+RCE: ``alpha * NCE + beta * RCE``.

    Args:
        alpha: NCE weight, >= 0 (1 for CIFAR-10, 10 for CIFAR-100 in Ma et al.).
        beta: RCE weight, >= 0 (1 and 0.1).
        A: < 0, ``log 0`` in RCE (-4).

    Reference: Ma et al., ICML 2020.
    """

    _default_name = "nce_and_rce"
    _fn = staticmethod(nce_and_rce)
    _params = ("alpha", "beta", "A")

    def __init__(self, alpha: float = 1.0, beta: float = 1.0, A: float = -4.0, **kwargs):  # noqa: N803
        self.alpha, self.beta = _check_weight(alpha, "alpha"), _check_weight(beta, "beta")
        self.A = _check_log_clamp(A)
        super().__init__(**kwargs)


@_register
class MeanAbsoluteError(_Base):
    """MAE between the one-hot label and the probability vector: ``2 (1 - p_y)``.

    Not Keras's regression MAE: this one reads logits and class labels.

    Reference: Ghosh, Kumar, Sastry, "Robust Loss Functions under Label Noise for
    Deep Neural Networks", AAAI 2017.
    """

    _default_name = "mean_absolute_error"
    _fn = staticmethod(mean_absolute_error)


@_register
class BootstrapSoft(_Base):
    """Soft bootstrapping ``-sum_k (beta t_k + (1 - beta) p_k) log p_k``.

    Args:
        beta: weight of the given label in [0, 1] (0.95 in Reed et al.).

    Reference: Reed et al., "Training Deep Neural Networks on Noisy Labels with
    Bootstrapping", ICLR 2015 workshop.
    """

    _default_name = "bootstrap_soft"
    _fn = staticmethod(bootstrap_soft)
    _params = ("beta",)

    def __init__(self, beta: float = 0.95, **kwargs):
        self.beta = _check_unit(beta, "beta")
        super().__init__(**kwargs)


@_register
class BootstrapHard(_Base):
    """Hard bootstrapping ``-sum_k (beta t_k + (1 - beta) z_k) log p_k``, z = one-hot argmax.

    Args:
        beta: weight of the given label in [0, 1] (0.8 in Reed et al.).

    Reference: Reed et al., ICLR 2015 workshop.
    """

    _default_name = "bootstrap_hard"
    _fn = staticmethod(bootstrap_hard)
    _params = ("beta",)

    def __init__(self, beta: float = 0.8, **kwargs):
        self.beta = _check_unit(beta, "beta")
        super().__init__(**kwargs)


# --------------------------------------------------------------------------- lookup


def _check_plugin(name: str, loss: Any) -> type[keras.losses.Loss]:
    """A plug-in loss is a ``keras.losses.Loss`` subclass; one that Keras does not know
    yet is registered for ``.keras`` saving as ``kerasnoise.losses>{name}``."""
    if not (isinstance(loss, type) and issubclass(loss, keras.losses.Loss)):
        raise TypeError(f"a loss must be a keras.losses.Loss subclass, got {loss!r} for {name!r}")
    if keras.saving.get_registered_name(loss) == loss.__name__:  # not registered with Keras
        keras.saving.register_keras_serializable(package="kerasnoise.losses", name=name)(loss)
    return loss


_REGISTRY = Registry(
    "loss",
    "kerasnoise.losses",
    {
        "cross_entropy": CrossEntropy,
        "ce": CrossEntropy,
        "gce": GeneralizedCrossEntropy,
        "linear": LinearLoss,
        "unhinged": LinearLoss,
        "phuber_ce": PHuberCrossEntropy,
        "phuber_gce": PHuberGeneralizedCrossEntropy,
        "sce": SymmetricCrossEntropy,
        "rce": ReverseCrossEntropy,
        "nce": NormalizedCrossEntropy,
        "nce_rce": NCEAndRCE,
        "mae": MeanAbsoluteError,
        "bootstrap_soft": BootstrapSoft,
        "bootstrap_hard": BootstrapHard,
    },
    check=_check_plugin,
    modules=("kerasnoise.correction",),  # forward, backward: registered there
)


#: Names that moved to :mod:`kerasnoise.correction` (its losses are registered there,
#: through the plug-in route); ``losses.ForwardCorrection`` still finds them.
_MOVED = {
    "ForwardCorrection",
    "BackwardCorrection",
    "forward_correction",
    "backward_correction",
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module("kerasnoise.correction"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register(name: str, loss: type[keras.losses.Loss] | None = None, *, replace: bool = False):
    """Make a loss class available by name to :func:`get`, configs (``loss=NAME``,
    ``loss.PARAM=...``), sweeps, experiments and ``kerasnoise train``.

    A decorator, or a plain call::

        @losses.register("focal")
        class Focal(keras.losses.Loss): ...

        losses.register("focal", Focal)

    The contract: a ``keras.losses.Loss`` subclass whose constructor's keyword
    arguments are the config's ``loss.*`` parameters, computing from logits and integer
    labels as ours do.  A class Keras does not know yet is registered with
    ``keras.saving.register_keras_serializable(package="kerasnoise.losses", name=name)``
    (one registered by its author keeps its own name), so a model compiled with it
    saves to ``.keras`` and loads again wherever the class is registered.

    Args:
        name: the loss's name (case-insensitive, ``-`` counts as ``_``).
        loss: the class; omitted, ``register`` returns a decorator.
        replace: whether ``name`` may replace a loss that exists (ours included).

    Returns:
        ``loss``, unchanged (or the decorator).

    Raises:
        ValueError: ``name`` exists and ``replace`` is false.
        TypeError: ``loss`` is not a ``keras.losses.Loss`` subclass.
    """
    return _REGISTRY.register(name, loss, replace=replace)


def available() -> list[str]:
    """Names accepted by :func:`get` (aliases, registered losses and installed plug-ins
    included)."""
    return _REGISTRY.available()


def get(identifier: str, /, **params: Any) -> keras.losses.Loss:
    """A loss by name with its parameters, e.g. ``get("phuber_ce", tau=10)``.

    ``params`` go to the class, Keras's ``name``, ``reduction`` and ``dtype`` included.
    A name that is neither ours nor registered is looked up among the installed
    plug-ins (entry-point group ``kerasnoise.losses``).
    """
    return _REGISTRY.build(identifier, params)
