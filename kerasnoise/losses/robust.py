"""The robust losses (functions and Keras classes): cross-entropy, GCE, the linear
(unhinged) loss, PHuber-CE and PHuber-GCE, RCE, SCE, NCE, NCE+RCE, MAE and Reed et
al.'s bootstrapping.  Inputs and numerics as :mod:`kerasnoise.losses.base` says.

Notation: ``p = softmax(y_pred)``, ``p_y`` the probability of the given label.
"""

from __future__ import annotations

import math
from typing import Any

from keras import ops

from kerasnoise.losses.base import (
    Loss,
    check_clip,
    check_number,
    clip_log_probs,
    log_probs_and_targets,
    register_serializable,
)

__all__ = [
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
]

# --------------------------------------------------------------------------- checks and helpers


def _check_q(q: Any) -> float:
    q = check_number(q, "q")
    if not 0.0 < q <= 1.0:
        raise ValueError(f"q must be in (0, 1], got {q}")
    return q


def _check_tau(tau: Any) -> float:
    tau = check_number(tau, "tau")
    if not tau > 1.0:
        raise ValueError(f"tau must be > 1, got {tau}")
    return tau


def _check_weight(value: Any, name: str) -> float:
    value = check_number(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def _check_unit(value: Any, name: str) -> float:
    value = check_number(value, name)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


def _check_log_clamp(value: Any) -> float:
    value = check_number(value, "A")
    if value >= 0:
        raise ValueError(f"A (the value that replaces log 0) must be < 0, got {value}")
    return value


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
    t, log_p, _ = log_probs_and_targets(y_true, y_pred, from_logits)
    return -ops.sum(t * clip_log_probs(log_p, check_clip(clip)), axis=-1)


def generalized_cross_entropy(y_true, y_pred, q: float = 0.7, from_logits: bool = True):
    """Generalized cross-entropy ``(1 - p_y ** q) / q``, ``q`` in (0, 1]."""
    q = _check_q(q)
    _, _, log_p_y = log_probs_and_targets(y_true, y_pred, from_logits)
    return _gce_from_log_p(log_p_y, q)


def linear_loss(y_true, y_pred, from_logits: bool = True):
    """Linear (unhinged) loss ``1 - p_y``."""
    _, _, log_p_y = log_probs_and_targets(y_true, y_pred, from_logits)
    return _one_minus_p(log_p_y)


def phuber_cross_entropy(y_true, y_pred, tau: float = 10.0, from_logits: bool = True):
    """Partially Huberised CE.

    ``-tau p_y + log(tau) + 1`` if ``p_y <= 1 / tau``, else ``-log p_y``; ``tau > 1``.
    """
    tau = _check_tau(tau)
    _, _, log_p_y = log_probs_and_targets(y_true, y_pred, from_logits)
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
    _, _, log_p_y = log_probs_and_targets(y_true, y_pred, from_logits)
    p_y = ops.exp(log_p_y)
    p_star = _phuber_gce_threshold(tau, q)
    linear = -tau * p_y + (tau * p_star + (1.0 - p_star**q) / q)
    return ops.where(p_y <= p_star, linear, _gce_from_log_p(log_p_y, q))


def reverse_cross_entropy(y_true, y_pred, A: float = -4.0, from_logits: bool = True):  # noqa: N803
    """Reverse CE ``-sum_k p_k log t_k`` with ``log 0 := A``: ``-A (1 - p_y)``."""
    A = _check_log_clamp(A)  # noqa: N806
    _, _, log_p_y = log_probs_and_targets(y_true, y_pred, from_logits)
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
    t, log_p, log_p_y = log_probs_and_targets(y_true, y_pred, from_logits)
    ce = -ops.sum(t * log_p, axis=-1)
    return alpha * ce + beta * (-A) * _one_minus_p(log_p_y)


def _nce(log_p, log_p_y):
    denominator = ops.minimum(ops.sum(log_p, axis=-1), -1e-30)  # < 0 for K >= 2
    return log_p_y / denominator


def normalized_cross_entropy(y_true, y_pred, from_logits: bool = True):
    """Normalised CE ``log p_y / sum_k log p_k`` (in [0, 1])."""
    _, log_p, log_p_y = log_probs_and_targets(y_true, y_pred, from_logits)
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
    _, log_p, log_p_y = log_probs_and_targets(y_true, y_pred, from_logits)
    return alpha * _nce(log_p, log_p_y) + beta * (-A) * _one_minus_p(log_p_y)


def mean_absolute_error(y_true, y_pred, from_logits: bool = True):
    """MAE over the probability vector, ``sum_k |t_k - p_k| = 2 (1 - p_y)``."""
    _, _, log_p_y = log_probs_and_targets(y_true, y_pred, from_logits)
    return 2.0 * _one_minus_p(log_p_y)


def bootstrap_soft(y_true, y_pred, beta: float = 0.95, from_logits: bool = True):
    """Soft bootstrapping ``-sum_k (beta t_k + (1 - beta) p_k) log p_k``.

    The prediction inside the target is not detached (as in Reed et al. and
    Patrini et al.'s Keras code), so the second term acts as entropy regularisation.
    """
    beta = _check_unit(beta, "beta")
    t, log_p, _ = log_probs_and_targets(y_true, y_pred, from_logits)
    target = beta * t + (1.0 - beta) * ops.exp(log_p)
    return -ops.sum(target * log_p, axis=-1)


def bootstrap_hard(y_true, y_pred, beta: float = 0.8, from_logits: bool = True):
    """Hard bootstrapping ``-sum_k (beta t_k + (1 - beta) z_k) log p_k``, z = onehot(argmax p)."""
    beta = _check_unit(beta, "beta")
    t, log_p, _ = log_probs_and_targets(y_true, y_pred, from_logits)
    z = ops.one_hot(ops.argmax(log_p, axis=-1), log_p.shape[-1], dtype=log_p.dtype)
    target = beta * t + (1.0 - beta) * z
    return -ops.sum(target * log_p, axis=-1)


# --------------------------------------------------------------------------- classes


@register_serializable
class CrossEntropy(Loss):
    """Cross-entropy ``-log p_y`` (soft targets: ``-sum_k t_k log p_k``).

    Args:
        clip: None (default), or ``p`` clipped to ``[clip, 1 - clip]`` before the log,
            as Keras 2's cross-entropy of probabilities did (``K.epsilon()`` = 1e-7):
            the loss of a sure wrong prediction stops at ``-log clip``.
        from_logits: ``y_pred`` are logits (default) or probabilities.
        reduction, name, dtype: as in :class:`keras.losses.Loss`.
    """

    default_name = "cross_entropy"
    fn = staticmethod(cross_entropy)
    parameters = ("clip",)

    def __init__(self, clip: float | None = None, **kwargs):
        self.clip = check_clip(clip)
        super().__init__(**kwargs)


@register_serializable
class GeneralizedCrossEntropy(Loss):
    """Generalized cross-entropy ``(1 - p_y ** q) / q``.

    ``q -> 0`` gives CE, ``q = 1`` the linear loss.

    Args:
        q: in (0, 1]; 0.7 in Zhang & Sabuncu and Menon et al.

    Reference: Zhang & Sabuncu, "Generalized Cross Entropy Loss for Training Deep
    Neural Networks with Noisy Labels", NeurIPS 2018.
    """

    default_name = "generalized_cross_entropy"
    fn = staticmethod(generalized_cross_entropy)
    parameters = ("q",)

    def __init__(self, q: float = 0.7, **kwargs):
        self.q = _check_q(q)
        super().__init__(**kwargs)


@register_serializable
class LinearLoss(Loss):
    """Linear ("unhinged") loss ``1 - p_y``; its gradient in ``p`` is bounded by 1.

    Reference: van Rooyen, Menon, Williamson, "Learning with Symmetric Label
    Noise: The Importance of Being Unhinged", NeurIPS 2015.
    """

    default_name = "linear_loss"
    fn = staticmethod(linear_loss)


@register_serializable
class PHuberCrossEntropy(Loss):
    """Partially Huberised cross-entropy.

    ``-tau p_y + log(tau) + 1`` if ``p_y <= 1 / tau``, else ``-log p_y``: CE
    linearised where ``p_y`` is small, so ``|d loss / d p_y| <= tau``.  Continuous
    with a continuous derivative at ``p_y = 1 / tau``; ``tau -> inf`` gives CE.

    Args:
        tau: > 1; Menon et al. use 2 (CIFAR-10) and 10 (MNIST, CIFAR-100).

    Reference: Menon, Rawat, Reddi, Kumar, "Can gradient clipping mitigate label
    noise?", ICLR 2020.
    """

    default_name = "phuber_cross_entropy"
    fn = staticmethod(phuber_cross_entropy)
    parameters = ("tau",)

    def __init__(self, tau: float = 10.0, **kwargs):
        self.tau = _check_tau(tau)
        super().__init__(**kwargs)


@register_serializable
class PHuberGeneralizedCrossEntropy(Loss):
    """Partially Huberised generalized cross-entropy.

    With ``p* = tau ** (1 / (q - 1))``: ``-tau p_y + tau p* + (1 - p* ** q) / q``
    if ``p_y <= p*``, else ``(1 - p_y ** q) / q``.

    Args:
        tau: > 1 (10 in Menon et al.).
        q: in (0, 1] (0.7).

    Reference: Menon, Rawat, Reddi, Kumar, ICLR 2020.
    """

    default_name = "phuber_generalized_cross_entropy"
    fn = staticmethod(phuber_generalized_cross_entropy)
    parameters = ("tau", "q")

    def __init__(self, tau: float = 10.0, q: float = 0.7, **kwargs):
        self.tau, self.q = _check_tau(tau), _check_q(q)
        super().__init__(**kwargs)


@register_serializable
class ReverseCrossEntropy(Loss):
    """Reverse cross-entropy ``-sum_k p_k log t_k`` with ``log 0 := A``, i.e. ``-A (1 - p_y)``.

    Args:
        A: < 0, the value of ``log 0`` (-4 in Wang et al.).

    Reference: Wang et al., "Symmetric Cross Entropy for Robust Learning with
    Noisy Labels", ICCV 2019.
    """

    default_name = "reverse_cross_entropy"
    fn = staticmethod(reverse_cross_entropy)
    parameters = ("A",)

    def __init__(self, A: float = -4.0, **kwargs):  # noqa: N803
        self.A = _check_log_clamp(A)
        super().__init__(**kwargs)


@register_serializable
class SymmetricCrossEntropy(Loss):
    """Symmetric cross-entropy ``alpha * CE + beta * RCE``.

    Args:
        alpha: CE weight, >= 0 (0.1 for CIFAR-10 in Wang et al.).
        beta: RCE weight, >= 0 (1.0).
        A: < 0, ``log 0`` in RCE (-4).

    Reference: Wang et al., ICCV 2019.
    """

    default_name = "symmetric_cross_entropy"
    fn = staticmethod(symmetric_cross_entropy)
    parameters = ("alpha", "beta", "A")

    def __init__(self, alpha: float = 0.1, beta: float = 1.0, A: float = -4.0, **kwargs):  # noqa: N803
        self.alpha, self.beta = _check_weight(alpha, "alpha"), _check_weight(beta, "beta")
        self.A = _check_log_clamp(A)
        super().__init__(**kwargs)


@register_serializable
class NormalizedCrossEntropy(Loss):
    """Normalised cross-entropy ``log p_y / sum_k log p_k``.

    Reference: Ma et al., "Normalized Loss Functions for Deep Learning with Noisy
    Labels", ICML 2020.
    """

    default_name = "normalized_cross_entropy"
    fn = staticmethod(normalized_cross_entropy)


@register_serializable
class NCEAndRCE(Loss):
    """Active-passive loss NCE+RCE: ``alpha * NCE + beta * RCE``.

    Args:
        alpha: NCE weight, >= 0 (1 for CIFAR-10, 10 for CIFAR-100 in Ma et al.).
        beta: RCE weight, >= 0 (1 and 0.1).
        A: < 0, ``log 0`` in RCE (-4).

    Reference: Ma et al., ICML 2020.
    """

    default_name = "nce_and_rce"
    fn = staticmethod(nce_and_rce)
    parameters = ("alpha", "beta", "A")

    def __init__(self, alpha: float = 1.0, beta: float = 1.0, A: float = -4.0, **kwargs):  # noqa: N803
        self.alpha, self.beta = _check_weight(alpha, "alpha"), _check_weight(beta, "beta")
        self.A = _check_log_clamp(A)
        super().__init__(**kwargs)


@register_serializable
class MeanAbsoluteError(Loss):
    """MAE between the one-hot label and the probability vector: ``2 (1 - p_y)``.

    Not Keras's regression MAE: this one reads logits and class labels.

    Reference: Ghosh, Kumar, Sastry, "Robust Loss Functions under Label Noise for
    Deep Neural Networks", AAAI 2017.
    """

    default_name = "mean_absolute_error"
    fn = staticmethod(mean_absolute_error)


@register_serializable
class BootstrapSoft(Loss):
    """Soft bootstrapping ``-sum_k (beta t_k + (1 - beta) p_k) log p_k``.

    Args:
        beta: weight of the given label in [0, 1] (0.95 in Reed et al.).

    Reference: Reed et al., "Training Deep Neural Networks on Noisy Labels with
    Bootstrapping", ICLR 2015 workshop.
    """

    default_name = "bootstrap_soft"
    fn = staticmethod(bootstrap_soft)
    parameters = ("beta",)

    def __init__(self, beta: float = 0.95, **kwargs):
        self.beta = _check_unit(beta, "beta")
        super().__init__(**kwargs)


@register_serializable
class BootstrapHard(Loss):
    """Hard bootstrapping ``-sum_k (beta t_k + (1 - beta) z_k) log p_k``, z = one-hot argmax.

    Args:
        beta: weight of the given label in [0, 1] (0.8 in Reed et al.).

    Reference: Reed et al., ICLR 2015 workshop.
    """

    default_name = "bootstrap_hard"
    fn = staticmethod(bootstrap_hard)
    parameters = ("beta",)

    def __init__(self, beta: float = 0.8, **kwargs):
        self.beta = _check_unit(beta, "beta")
        super().__init__(**kwargs)
