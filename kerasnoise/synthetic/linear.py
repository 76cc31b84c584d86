"""Linear scorers without bias, ``score = x · θ``, fitted by minimising the mean margin
loss (:mod:`kerasnoise.synthetic.margins`) with SciPy's SLSQP and the analytic gradient, as in
Menon et al. 2020's synthetic experiments; NumPy and SciPy only.

    fit = fit_linear(loss, train.x, train.y)            # θ, iterations, status
    accuracy(fit.theta, test.x, test.y)                 # mean(sign(x · θ) == y)
    loss_curve(loss, np.linspace(-2, 2, 400, endpoint=False), data.x, data.y)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import minimize

from kerasnoise._checks import positive_int

__all__ = ["Fit", "mean_loss", "fit_linear", "accuracy", "loss_curve"]


class Fit(NamedTuple):
    """The fitted ``theta``, SLSQP's iteration count and exit status (0: converged,
    9: iteration limit; ``scipy.optimize.minimize``'s ``nit`` and ``status``), and the
    final mean loss."""

    theta: np.ndarray
    iterations: int
    status: int
    loss: float


def _design(x: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x


def mean_loss(loss: Any, theta: Any, x: Any, y: Any) -> tuple[float, np.ndarray]:
    """The mean of ``loss`` over the margins ``y * (x · θ)`` and its gradient in θ,
    ``mean(loss'(m) * y * x)``.  ``x`` is ``(n, d)`` (or ``(n,)`` for ``d = 1``)."""
    x = _design(x)
    y = np.asarray(y, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64).reshape(x.shape[1])
    m = y * (x @ theta)
    value = float(np.mean(loss.value(m)))
    gradient = (loss.derivative(m) * y) @ x / y.size
    return value, gradient


def _objective(theta: np.ndarray, loss: Any, x: np.ndarray, y: Any) -> tuple[float, np.ndarray]:
    return mean_loss(loss, theta, x, y)


def fit_linear(loss: Any, x: Any, y: Any, *, maxiter: int = 100, start: Any = None) -> Fit:
    """Minimise the mean ``loss`` of the margins ``y * (x · θ)`` over θ with
    ``scipy.optimize.minimize(method="SLSQP", jac=True, options={"maxiter": maxiter})``.

    The start is θ = 0 unless ``start`` is given (the PyTorch reproduction starts
    from zeros too, with SciPy's finite-difference gradient).  SLSQP stops when the
    loss changes by less than its tolerance (``ftol`` 1e-6) or after ``maxiter``
    iterations (status 9).  A bounded loss such as the partially Huberised one is not
    convex: SLSQP finds a stationary point near the start, not necessarily the global
    minimum, and may keep growing ``|θ|``; only θ's direction matters for accuracy.
    """
    maxiter = positive_int(maxiter, "maxiter")
    x = _design(x)
    start = np.zeros(x.shape[1]) if start is None else np.asarray(start, dtype=np.float64)
    result = minimize(
        _objective,
        start,
        args=(loss, x, y),
        jac=True,
        method="SLSQP",
        options={"maxiter": maxiter},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    return Fit(theta, int(result.nit), int(result.status), mean_loss(loss, theta, x, y)[0])


def accuracy(theta: Any, x: Any, y: Any) -> float:
    """``mean(sign(x · θ) == y)``: a score of exactly 0 counts as an error."""
    x = _design(x)
    theta = np.asarray(theta, dtype=np.float64).reshape(x.shape[1])
    return float(np.mean(np.sign(x @ theta) == np.asarray(y)))


def loss_curve(loss: Any, thetas: Any, x: Any, y: Any) -> np.ndarray:
    """The mean ``loss`` of the margins ``y * θ * x`` for each scalar θ in ``thetas``
    (one-dimensional ``x``): the loss landscape of a 1-D linear scorer."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    yx = np.asarray(y, dtype=np.float64).reshape(-1) * x
    thetas = np.asarray(thetas, dtype=np.float64).reshape(-1)
    return np.array([np.mean(loss.value(theta * yx)) for theta in thetas])
