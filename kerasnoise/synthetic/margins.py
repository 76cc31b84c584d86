"""Binary margin losses in NumPy: the value and the derivative of a loss of the margin
``m = y * score`` (labels ``y`` in {-1, +1}), for the synthetic experiments of Menon,
Rawat, Reddi, Kumar, "Can gradient clipping mitigate label noise?" (ICLR 2020).

    loss = get("partially_huberised", tau=1.1)
    loss.value(m), loss.derivative(m)          # arrays of the shape of m

Each formula is written so that it stays finite for margins of any size (at least
``|m| <= 1e4``): ``log(1 + e^-m)`` is ``np.logaddexp(0, -m)`` and the sigmoid is
``scipy.special.expit``.  No Keras, no TensorFlow: the Keras losses for networks are in
:mod:`kerasnoise.losses`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import numpy as np
from scipy.special import expit

from kerasnoise.registry import lookup

__all__ = [
    "Logistic",
    "Huberised",
    "PartiallyHuberised",
    "MARGIN_LOSSES",
    "get",
    "HUBER_TAU",
    "PHUBER_TAU",
]

#: The Long & Servedio experiment's thresholds (Menon et al. 2020, synthetic experiments):
#: Huberised at tau = sigmoid(-1) and partially Huberised at tau = 1 + e^-1, both of
#: which linearise the logistic loss below the margin m = 1.
HUBER_TAU = float(expit(-1.0))
PHUBER_TAU = 1.0 + math.exp(-1.0)


def _real(value: Any, name: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    return float(value)


def _margins(m: Any) -> np.ndarray:
    return np.asarray(m, dtype=np.float64)


def _logistic(m: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, -m)


@dataclasses.dataclass(frozen=True)
class Logistic:
    """The logistic loss ``log(1 + e^-m)``; derivative ``-sigmoid(-m)``.

    Its derivative's magnitude ``sigmoid(-m)`` tends to 1 as ``m -> -inf``: a wrongly
    labelled point far on the wrong side keeps pulling with full force.
    """

    name = "logistic"

    @property
    def label(self) -> str:
        return "logistic"

    def value(self, m: Any) -> np.ndarray:
        return _logistic(_margins(m))

    def derivative(self, m: Any) -> np.ndarray:
        return -expit(-_margins(m))


@dataclasses.dataclass(frozen=True)
class Huberised:
    """The Huberised logistic loss: the logistic loss with its derivative's magnitude
    clipped at ``tau`` in (0, 1), i.e. what gradient clipping does to one example
    (Menon et al. 2020, the Huberised loss of a base loss φ:
    ``-tau * m - φ*(-tau)`` where ``φ'(m) <= -tau``, else ``φ(m)``).

    With the threshold ``m* = log((1 - tau) / tau)``, where ``sigmoid(-m*) = tau``::

        loss(m) = -tau * (m - m*) - log(1 - tau)   if m <= m*
                  log(1 + e^-m)                    otherwise

    (``log(1 + e^-m*) = -log(1 - tau)``, so the loss is continuous, and its derivative
    ``-tau`` below ``m*`` meets ``-sigmoid(-m)`` at ``m*``: it is differentiable.)
    The loss stays convex, so label noise still defeats it (Long & Servedio 2010).
    """

    tau: float = HUBER_TAU
    name = "huberised"

    def __post_init__(self) -> None:
        tau = _real(self.tau, "tau")
        if not 0.0 < tau < 1.0:
            raise ValueError(f"Huberised loss: tau must be in (0, 1), got {self.tau!r}")
        object.__setattr__(self, "tau", tau)

    @property
    def threshold(self) -> float:
        """The margin ``m*`` below which the loss is linear: ``sigmoid(-m*) = tau``."""
        return math.log((1.0 - self.tau) / self.tau)

    @property
    def label(self) -> str:
        return f"Huberised (τ = {self.tau:.4g})"

    def value(self, m: Any) -> np.ndarray:
        m = _margins(m)
        star = self.threshold
        return np.where(m <= star, -self.tau * (m - star) - math.log1p(-self.tau), _logistic(m))

    def derivative(self, m: Any) -> np.ndarray:
        m = _margins(m)
        return np.where(m <= self.threshold, -self.tau, -expit(-m))


@dataclasses.dataclass(frozen=True)
class PartiallyHuberised:
    """The partially Huberised logistic loss (PHuber-CE of Menon et al. 2020 for two
    classes), ``tau > 1``, of the probability ``p = sigmoid(m)`` of the label::

        loss = -tau * p + log(tau) + 1   if p <= 1 / tau
               -log(p)                   otherwise

    ``p <= 1/tau`` is ``m <= m* = -log(tau - 1)``, and ``-log p = log(1 + e^-m)``.  The
    derivative is ``-tau * p * (1 - p)`` below ``m*`` and ``-sigmoid(-m)`` above; both
    are ``-(1 - 1/tau)`` at ``m*``.  The loss is bounded (by ``log(tau) + 1``) and not
    convex, and its derivative vanishes as ``m -> -inf``: far wrongly labelled points
    stop pulling.
    """

    tau: float = PHUBER_TAU
    name = "partially_huberised"

    def __post_init__(self) -> None:
        tau = _real(self.tau, "tau")
        if not tau > 1.0 or not math.isfinite(tau):
            raise ValueError(
                f"partially Huberised loss: tau must be a finite number > 1, got {self.tau!r}"
            )
        object.__setattr__(self, "tau", tau)

    @property
    def threshold(self) -> float:
        """The margin ``m*`` with ``sigmoid(m*) = 1 / tau``."""
        return -math.log(self.tau - 1.0)

    @property
    def label(self) -> str:
        return f"partially Huberised (τ = {self.tau:.4g})"

    def value(self, m: Any) -> np.ndarray:
        m = _margins(m)
        linear = -self.tau * expit(m) + math.log(self.tau) + 1.0
        return np.where(m <= self.threshold, linear, _logistic(m))

    def derivative(self, m: Any) -> np.ndarray:
        m = _margins(m)
        flat = -self.tau * expit(m) * expit(-m)
        return np.where(m <= self.threshold, flat, -expit(-m))


#: Name -> class; :func:`get` instantiates them.
MARGIN_LOSSES = {
    "logistic": Logistic,
    "huberised": Huberised,
    "partially_huberised": PartiallyHuberised,
}


def get(name: str, **params: Any) -> Logistic | Huberised | PartiallyHuberised:
    """The margin loss ``name`` (case-insensitive, ``-`` for ``_``) with ``params``.

    Raises:
        ValueError: an unknown name (the message lists the available ones) or a bad
            ``tau``.
        TypeError: an unexpected parameter (``logistic`` takes none), or a ``tau``
            that is not a real number.
    """
    return lookup("margin loss", MARGIN_LOSSES, name, params)
