"""Noise transition matrices for loss correction: checking one, estimating one.

``T[i, j] = P(noisy label j | true class i)``, K x K, row-stochastic.  Loss correction
(:mod:`kerasnoise.losses.correction`) needs it invertible; this module checks a matrix for
that (:func:`check_correction_matrix`, also what a config's ``loss.transition`` is
checked with before any data loads) and estimates T from a model trained on the noisy
labels, by one of :data:`ESTIMATORS`:

- ``anchor`` (:func:`estimate_anchor`): Patrini et al.'s anchor points — per class the
  example the model is surest of, after dropping the top 3 % (their code's filter);
- ``confident_joint`` (:func:`estimate_confident_joint`): cleanlab's confident joint
  (Northcutt et al., JAIR 2021) — count the examples whose predicted probability of a
  class clears that class's mean self-confidence, calibrate the counts to the label
  counts, and read ``P(noisy | true)`` from them.  cleanlab asks for out-of-sample
  probabilities; the two-stage correction gives it the stage-1 model's on its own
  training images, as the anchor estimator gets them.

NumPy only (cleanlab is imported when its estimator runs): no Keras, so the config
checks run before Keras is imported.

References: Patrini, Rozza, Menon, Nock, Qu, CVPR 2017 (Sec. 4.1); Northcutt, Jiang,
Chuang, "Confident Learning: Estimating Uncertainty in Dataset Labels", JAIR 2021.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kerasnoise.noise.base import check_transition_matrix

__all__ = [
    "CONDITION_LIMIT",
    "ESTIMATORS",
    "SOURCES",
    "check_correction_matrix",
    "check_transition_param",
    "estimate",
    "estimate_anchor",
    "estimate_confident_joint",
    "transition_error",
]

#: The names ``loss.transition`` may take instead of a matrix.
SOURCES = ("oracle", "estimated")
#: The estimators of T-hat ``loss.estimator`` may name.
ESTIMATORS = ("anchor", "confident_joint")
#: Above this condition number (2-norm) ``T`` counts as singular: backward needs
#: ``T^-1`` and forward's correction is not identifiable.
CONDITION_LIMIT = 1e6
_NAME = "loss.transition"


def check_correction_matrix(matrix: Any, num_classes: int | None = None) -> np.ndarray:
    """A transition matrix fit for correction, as ``float64``.

    Raises:
        ValueError: not square K x K (or not ``num_classes`` x ``num_classes``),
            entries outside [0, 1], rows not summing to 1 (within 1e-5), or singular /
            ill-conditioned (condition number above :data:`CONDITION_LIMIT`); the
            message names ``loss.transition``.
        TypeError: not an array of numbers.
    """
    t = check_transition_matrix(matrix, _NAME, atol=1e-5)
    if num_classes is not None and t.shape[0] != num_classes:
        raise ValueError(
            f"{_NAME} is {t.shape[0]} x {t.shape[0]} but the task has {num_classes} classes"
        )
    cond = np.linalg.cond(t)
    if not np.isfinite(cond) or cond > CONDITION_LIMIT:
        raise ValueError(
            f"{_NAME} is singular or ill-conditioned (condition number {cond:.3g} > "
            f"{CONDITION_LIMIT:.0e}): loss correction needs an invertible T (e.g. flips at "
            "rate 0.5 make T singular)"
        )
    return t


def check_transition_param(value: Any, num_classes: int | None = None) -> str | np.ndarray:
    """``loss.transition`` checked: one of :data:`SOURCES`, or a matrix fit for
    correction (for ``num_classes`` classes when given)."""
    if isinstance(value, str):
        if value not in SOURCES:
            raise ValueError(
                f"{_NAME} must be a K x K matrix, 'oracle' or 'estimated'; got {value!r}"
            )
        return value
    return check_correction_matrix(value, num_classes)


def check_estimator(value: Any) -> str:
    """``loss.estimator`` checked: one of :data:`ESTIMATORS`."""
    if value not in ESTIMATORS:
        raise ValueError(f"loss.estimator must be one of {', '.join(ESTIMATORS)}; got {value!r}")
    return value


def _probs(probs: Any, num_classes: int) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != num_classes or p.shape[0] == 0:
        raise ValueError(f"probs must have shape (N, {num_classes}), got {p.shape}")
    return p


def estimate_anchor(
    probs: Any, num_classes: int, filter_outliers: bool = True, percentile: float = 97
) -> np.ndarray:
    """T-hat from a model's softmax outputs by anchor points (Patrini et al., Sec. 4.1).

    For each class ``i`` the anchor is the example with the highest ``p_i`` — after
    discarding those with ``p_i`` at or above the ``percentile``-th percentile
    (``method="higher"``) when ``filter_outliers``; row ``i`` of T-hat is ``p`` at
    the anchor, normalised to sum to 1.

    Args:
        probs: ``(N, K)`` probabilities (a model trained on the noisy labels).
        num_classes: K.
        filter_outliers: the 97th-percentile filter of the authors' code.
        percentile: in (0, 100].

    Returns:
        ``(K, K)`` float64, row-stochastic.
    """
    p = _probs(probs, num_classes)
    if not isinstance(filter_outliers, bool):
        raise ValueError(f"filter_outliers must be True or False, got {filter_outliers!r}")
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile}")
    t = np.empty((num_classes, num_classes))
    for i in range(num_classes):
        column = p[:, i]
        if filter_outliers:
            threshold = np.percentile(column, percentile, method="higher")
            column = np.where(column >= threshold, 0.0, column)
        t[i] = p[int(np.argmax(column))]
    sums = t.sum(axis=1, keepdims=True)
    return t / np.where(sums > 0, sums, 1.0)


def estimate_confident_joint(probs: Any, labels: Any, num_classes: int) -> np.ndarray:
    """T-hat by cleanlab's confident joint: ``cleanlab.count.compute_confident_joint``
    (calibrated counts of ``(noisy label, confidently true class)``) and
    ``estimate_latent``'s noise matrix ``P(noisy | true)``, transposed to rows of true
    classes.

    Args:
        probs: ``(N, K)`` probabilities of a model trained on the noisy labels.
        labels: ``(N,)`` the noisy labels it was trained on.
        num_classes: K.

    Returns:
        ``(K, K)`` float64, row-stochastic.
    """
    from cleanlab.count import compute_confident_joint, estimate_latent

    p = _probs(probs, num_classes)
    y = np.asarray(labels).reshape(-1).astype(np.int64)
    if y.shape[0] != p.shape[0]:
        raise ValueError(f"labels must have one entry per row of probs: {y.shape[0]} != {len(p)}")
    joint = compute_confident_joint(y, p)
    _, noise_matrix, _ = estimate_latent(joint, y)  # [noisy, true]
    t = np.asarray(noise_matrix, dtype=np.float64).T
    sums = t.sum(axis=1, keepdims=True)
    return t / np.where(sums > 0, sums, 1.0)


def estimate(
    estimator: str,
    probs: Any,
    labels: Any,
    num_classes: int,
    anchor_filter: bool = True,
) -> np.ndarray:
    """T-hat by the named estimator (:data:`ESTIMATORS`); ``labels`` are the noisy
    labels the model was trained on (the confident joint needs them)."""
    check_estimator(estimator)
    if estimator == "anchor":
        return estimate_anchor(probs, num_classes, filter_outliers=anchor_filter)
    return estimate_confident_joint(probs, labels, num_classes)


def transition_error(estimate: Any, reference: Any) -> dict:
    """``{"mean_absolute_error", "max_abs_error"}`` of an estimate against a matrix."""
    diff = np.abs(np.asarray(estimate, dtype=np.float64) - np.asarray(reference, dtype=np.float64))
    return {"mean_absolute_error": float(diff.mean()), "max_abs_error": float(diff.max())}
