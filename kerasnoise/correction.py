"""Loss correction with a noise transition matrix (Patrini et al., CVPR 2017).

With ``T[i, j] = P(noisy label j | true class i)`` (K x K, row-stochastic) and
``p = softmax(logits)``, for a given (noisy) label ``y~``:

- **forward**: ``-log (T^T p)[y~] = -log sum_i p_i T[i, y~]``: the model's
  clean-class probabilities pushed through the noise before the log loss;
- **backward**: ``sum_j (T^-1)[y~, j] * (-log p_j)``: the vector of per-class
  losses pre-multiplied by ``T^-1``, the given label's entry taken; unbiased for
  the clean loss, but unbounded below (it can be negative).

``loss.transition`` is a matrix, ``"oracle"`` (the run's realised transition,
from its noise record) or ``"estimated"`` (two stages: a plain cross-entropy run
of the same config, then T-hat from its softmax by :func:`estimate_transition`).
The training runner (:mod:`kerasnoise.training`) replaces the two names by a
matrix before it builds the loss (:func:`resolve_loss_params`); a loss that still
holds a name refuses to compute.

A singular or ill-conditioned ``T`` (condition number above
:data:`CONDITION_LIMIT`), a matrix of the wrong size, with negative entries or
rows that do not sum to 1 is a ``ValueError`` naming ``loss.transition`` when the
loss is built, before any training.

Both losses are registered through the public plug-in route, as a user's would be
(the package's own entry points ``forward`` and ``backward`` in group
``kerasnoise.losses``; importing this module registers them with
:func:`kerasnoise.losses.register`), and keep the Keras names
``kerasnoise>ForwardCorrection`` and ``kerasnoise>BackwardCorrection``.

Reference: Patrini, Rozza, Menon, Nock, Qu, "Making Deep Neural Networks Robust to
Label Noise: a Loss Correction Approach", CVPR 2017.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from kerasnoise import losses
from kerasnoise.noise import NoiseResult, check_transition_matrix

__all__ = [
    "ForwardCorrection",
    "BackwardCorrection",
    "forward_correction",
    "backward_correction",
    "estimate_transition",
    "transition_error",
    "check_correction_matrix",
    "resolve_loss_params",
    "wants_estimate",
    "SOURCES",
    "CONDITION_LIMIT",
]

#: The names ``loss.transition`` may take instead of a matrix.
SOURCES = ("oracle", "estimated")
#: Above this condition number (2-norm) ``T`` counts as singular: backward needs
#: ``T^-1`` and forward's correction is not identifiable.
CONDITION_LIMIT = 1e6
_NAME = "loss.transition"


# --------------------------------------------------------------------------- checks


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


def _transition_arg(transition: Any) -> tuple[str | None, np.ndarray | None]:
    """``(source name, None)`` for ``"oracle"``/``"estimated"``, else ``(None, matrix)``."""
    if isinstance(transition, str):
        if transition not in SOURCES:
            raise ValueError(
                f"{_NAME} must be a K x K matrix, 'oracle' or 'estimated'; got {transition!r}"
            )
        return transition, None
    return None, check_correction_matrix(transition)


def _check_anchor_filter(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"loss.anchor_filter must be True or False, got {value!r}")
    return value


# --------------------------------------------------------------------------- functions


def _matrix_for(transition: Any, log_p) -> np.ndarray:
    matrix = (
        transition if isinstance(transition, np.ndarray) else check_correction_matrix(transition)
    )
    if log_p.shape[-1] is not None and log_p.shape[-1] != matrix.shape[0]:
        raise ValueError(
            f"transition is {matrix.shape[0]} x {matrix.shape[0]} but y_pred has "
            f"{log_p.shape[-1]} classes"
        )
    return matrix


def forward_correction(y_true, y_pred, transition, from_logits: bool = True):
    """Forward-corrected CE ``-log (T^T p)[y] = -log sum_i p_i T[i, y]``, per example.

    Computed as ``-logsumexp_i(log p_i + log T[i, y])`` from ``log_softmax``, with
    ``T[i, y]`` clipped at float32's smallest normal number inside the log.

    Args:
        y_true: integer labels ``(B,)`` / ``(B, 1)`` or one-hot rows ``(B, K)``.
        y_pred: logits (or probabilities with ``from_logits=False``), ``(B, K)``.
        transition: K x K row-stochastic ``T[i, j] = P(noisy j | true i)``, invertible.
    """
    t, log_p, _ = losses._prepare(y_true, y_pred, from_logits)
    matrix = _matrix_for(transition, log_p)
    tiny = np.finfo(np.float32).tiny
    # column of T for the label: T t, per example; its log, floored to avoid log 0
    columns = ops.matmul(t, ops.convert_to_tensor(matrix.T, dtype=log_p.dtype))
    log_columns = ops.log(ops.maximum(columns, tiny))
    return -ops.logsumexp(log_p + log_columns, axis=-1)


def backward_correction(y_true, y_pred, transition, from_logits: bool = True):
    """Backward-corrected CE ``sum_j (T^-1)[y, j] * (-log p_j)``, per example.

    ``-log p`` comes from ``log_softmax`` (finite for logits of +-1e4); ``T^-1`` is
    computed once in float64.  The value can be negative: it is an unbiased estimate
    of the clean cross-entropy, not a bounded loss.

    Args:
        y_true: integer labels ``(B,)`` / ``(B, 1)`` or one-hot rows ``(B, K)``.
        y_pred: logits (or probabilities with ``from_logits=False``), ``(B, K)``.
        transition: K x K row-stochastic ``T[i, j] = P(noisy j | true i)``, invertible.
    """
    t, log_p, _ = losses._prepare(y_true, y_pred, from_logits)
    inverse = np.linalg.inv(_matrix_for(transition, log_p))
    rows = ops.matmul(t, ops.convert_to_tensor(inverse, dtype=log_p.dtype))  # (T^-1)[y, :]
    return -ops.sum(rows * log_p, axis=-1)


# --------------------------------------------------------------------------- classes


class _Correction(losses._Base):
    """A corrected cross-entropy with ``transition``: a matrix, or a name the training
    runner resolves (:func:`resolve_loss_params`)."""

    _params = ("transition", "anchor_filter")

    def __init__(self, transition: Any, anchor_filter: bool = True, **kwargs):
        self._source, self._matrix = _transition_arg(transition)
        self.anchor_filter = _check_anchor_filter(anchor_filter)
        super().__init__(**kwargs)

    @property
    def transition(self) -> list[list[float]] | str:
        """The matrix as nested lists (for ``get_config``), or the unresolved name."""
        return self._source if self._matrix is None else self._matrix.tolist()

    @property
    def matrix(self) -> np.ndarray | None:
        """The matrix (``float64``), ``None`` while ``transition`` is a name."""
        return None if self._matrix is None else self._matrix.copy()

    def call(self, y_true, y_pred):
        if self._matrix is None:
            raise ValueError(
                f"{_NAME}={self._source!r} is resolved from a run's noise by the training "
                "runner (kerasnoise.training); to use this loss on its own pass the matrix"
            )
        return self._fn(y_true, y_pred, self._matrix, from_logits=self.from_logits)


def _register(cls):
    return keras.saving.register_keras_serializable(package="kerasnoise")(cls)


@_register
class ForwardCorrection(_Correction):
    """Forward loss correction ``-log (T^T p)[y~] = -log sum_i p_i T[i, y~]``.

    Args:
        transition: K x K row-stochastic, invertible ``T[i, j] = P(noisy j | true i)``;
            in a config also ``"oracle"`` (the run's realised matrix) or ``"estimated"``
            (T-hat from a cross-entropy run, :func:`estimate_transition`).
        anchor_filter: for ``"estimated"``: discard the probabilities at or above the
            97th percentile before taking each class's anchor (Patrini et al.).
        from_logits, reduction, name, dtype: as for the other losses.

    Reference: Patrini et al., "Making Deep Neural Networks Robust to Label Noise: a
    Loss Correction Approach", CVPR 2017.
    """

    _default_name = "forward_correction"
    _fn = staticmethod(forward_correction)


@_register
class BackwardCorrection(_Correction):
    """Backward loss correction ``sum_j (T^-1)[y~, j] * (-log p_j)``.

    The per-class cross-entropies ``-log p_j`` pre-multiplied by ``T^-1``, the given
    label's entry taken: unbiased for the clean cross-entropy (its expectation over
    the noisy label is the clean loss), unbounded below.

    Args:
        transition: K x K row-stochastic, invertible ``T[i, j] = P(noisy j | true i)``;
            in a config also ``"oracle"`` or ``"estimated"``.
        anchor_filter: for ``"estimated"``, as in :class:`ForwardCorrection`.
        from_logits, reduction, name, dtype: as for the other losses.

    Reference: Patrini et al., CVPR 2017.
    """

    _default_name = "backward_correction"
    _fn = staticmethod(backward_correction)


losses.register("forward", ForwardCorrection)
losses.register("backward", BackwardCorrection)


# --------------------------------------------------------------------------- estimation


def estimate_transition(
    probs: Any, num_classes: int, filter_outliers: bool = True, percentile: float = 97
) -> np.ndarray:
    """T-hat from a model's softmax outputs by anchor points (Patrini et al., Sec. 4.1).

    For each class ``i`` the anchor is the example with the highest ``p_i`` — after
    discarding those with ``p_i`` at or above the ``percentile``-th percentile
    (``method="higher"``) when ``filter_outliers``; row ``i`` of T-hat is ``p`` at
    the anchor, normalised to sum to 1.  Pure NumPy.

    Args:
        probs: ``(N, K)`` probabilities (a model trained on the noisy labels).
        num_classes: K.
        filter_outliers: the 97th-percentile filter of the authors' code.
        percentile: in (0, 100].

    Returns:
        ``(K, K)`` float64, row-stochastic.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != num_classes or p.shape[0] == 0:
        raise ValueError(f"probs must have shape (N, {num_classes}), got {p.shape}")
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


def transition_error(estimate: Any, reference: Any) -> dict:
    """``{"mean_absolute_error", "max_abs_error"}`` of an estimate against a matrix."""
    diff = np.abs(np.asarray(estimate, dtype=np.float64) - np.asarray(reference, dtype=np.float64))
    return {"mean_absolute_error": float(diff.mean()), "max_abs_error": float(diff.max())}


# --------------------------------------------------------------------------- runner hooks


def wants_estimate(loss_params: dict) -> bool:
    """Whether a config's loss section asks for T-hat (``loss.transition="estimated"``)."""
    return isinstance(loss_params, dict) and loss_params.get("transition") == "estimated"


def resolve_loss_params(
    loss_params: dict, noise: NoiseResult, estimate: np.ndarray | None = None
) -> tuple[dict, dict]:
    """The loss's constructor parameters with ``transition`` a matrix, and the record.

    ``"oracle"`` becomes the run's realised transition (``noise.transition``, over the
    training examples), ``"estimated"`` the given ``estimate``; a matrix stays.  Any
    other loss is returned as it is.  The matrix is checked for the task's K
    (:func:`check_correction_matrix`): the error comes before training.

    Returns:
        ``(params, record)``: ``params`` without ``name``; ``record`` holds, for a
        named source, ``transition_source``, the matrix used and, for an estimate, its
        ``mean_absolute_error`` / ``max_abs_error`` against the realised matrix
        (``transition_estimate_error``).
    """
    params = {k: v for k, v in loss_params.items() if k != "name"}
    source = params.get("transition")
    if not isinstance(source, str):
        return params, {}
    k = noise.num_classes
    realised = np.asarray(noise.transition, dtype=np.float64)
    if source == "oracle":
        matrix = check_correction_matrix(realised, k)
        record = {"transition_source": "oracle", "transition_used": matrix.tolist()}
    elif source == "estimated":
        if estimate is None:
            raise ValueError(f"{_NAME}='estimated' needs the stage-1 estimate (training does it)")
        matrix = check_correction_matrix(estimate, k)
        record = {
            "transition_source": "estimated",
            "transition_used": matrix.tolist(),
            "transition_estimate_error": transition_error(matrix, realised),
        }
    else:
        _transition_arg(source)  # the error naming the allowed values
        raise AssertionError("unreachable")
    return {**params, "transition": matrix.tolist()}, record
