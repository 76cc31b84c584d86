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
from kerasnoise.noise import NoiseResult
from kerasnoise.noise import transition as transition_lib
from kerasnoise.noise.transition import (
    CONDITION_LIMIT,
    SOURCES,
    check_correction_matrix,
    transition_error,
)

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

_NAME = "loss.transition"
#: Patrini et al.'s anchor-point estimator (:func:`kerasnoise.noise.transition.estimate_anchor`).
estimate_transition = transition_lib.estimate_anchor


def _transition_arg(transition_value: Any) -> tuple[str | None, np.ndarray | None]:
    """``(source name, None)`` for ``"oracle"``/``"estimated"``, else ``(None, matrix)``."""
    checked = transition_lib.check_transition_param(transition_value)
    return (checked, None) if isinstance(checked, str) else (None, checked)


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


def forward_correction(
    y_true, y_pred, transition, from_logits: bool = True, clip: float | None = None
):
    """Forward-corrected CE ``-log (T^T p)[y] = -log sum_i p_i T[i, y]``, per example.

    Computed as ``-logsumexp_i(log p_i + log T[i, y])`` from ``log_softmax``, with
    ``T[i, y]`` clipped at float32's smallest normal number inside the log.

    Args:
        y_true: integer labels ``(B,)`` / ``(B, 1)`` or one-hot rows ``(B, K)``.
        y_pred: logits (or probabilities with ``from_logits=False``), ``(B, K)``.
        transition: K x K row-stochastic ``T[i, j] = P(noisy j | true i)``, invertible.
        clip: None, or ``p`` clipped to ``[clip, 1 - clip]`` before it meets T, as the
            authors' code does (``K.epsilon()`` = 1e-7; :func:`kerasnoise.losses.clip_log_probs`).
    """
    t, log_p, _ = losses._prepare(y_true, y_pred, from_logits)
    log_p = losses.clip_log_probs(log_p, losses._check_clip(clip))
    matrix = _matrix_for(transition, log_p)
    tiny = np.finfo(np.float32).tiny
    # column of T for the label: T t, per example; its log, floored to avoid log 0
    columns = ops.matmul(t, ops.convert_to_tensor(matrix.T, dtype=log_p.dtype))
    log_columns = ops.log(ops.maximum(columns, tiny))
    return -ops.logsumexp(log_p + log_columns, axis=-1)


def backward_correction(
    y_true, y_pred, transition, from_logits: bool = True, clip: float | None = None
):
    """Backward-corrected CE ``sum_j (T^-1)[y, j] * (-log p_j)``, per example.

    ``-log p`` comes from ``log_softmax`` (finite for logits of +-1e4); ``T^-1`` is
    computed once in float64.  The value can be negative: it is an unbiased estimate
    of the clean cross-entropy, not a bounded loss — unbounded below, as ``-log p_j``
    with a negative coefficient grows without limit, unless ``clip`` bounds it.

    Args:
        y_true: integer labels ``(B,)`` / ``(B, 1)`` or one-hot rows ``(B, K)``.
        y_pred: logits (or probabilities with ``from_logits=False``), ``(B, K)``.
        transition: K x K row-stochastic ``T[i, j] = P(noisy j | true i)``, invertible.
        clip: None, or ``p`` clipped to ``[clip, 1 - clip]`` before the log, as the
            authors' code does (``K.epsilon()`` = 1e-7): each ``-log p_j`` then lies in
            ``[-log(1 - clip), -log clip]``, so the loss is bounded below by
            ``-log(1/clip) * sum of |negative entries of (T^-1)[y]|``, with no
            gradient from a clipped ``p_j``.
    """
    t, log_p, _ = losses._prepare(y_true, y_pred, from_logits)
    log_p = losses.clip_log_probs(log_p, losses._check_clip(clip))
    inverse = np.linalg.inv(_matrix_for(transition, log_p))
    rows = ops.matmul(t, ops.convert_to_tensor(inverse, dtype=log_p.dtype))  # (T^-1)[y, :]
    return -ops.sum(rows * log_p, axis=-1)


# --------------------------------------------------------------------------- classes


class _Correction(losses._Base):
    """A corrected cross-entropy with ``transition``: a matrix, or a name the training
    runner resolves (:func:`resolve_loss_params`)."""

    _params = ("transition", "anchor_filter", "estimator", "clip")

    def __init__(
        self,
        transition: Any,
        anchor_filter: bool = True,
        estimator: str = "anchor",
        clip: float | None = None,
        **kwargs,
    ):
        self._source, self._matrix = _transition_arg(transition)
        self.anchor_filter = _check_anchor_filter(anchor_filter)
        self.estimator = transition_lib.check_estimator(estimator)
        self.clip = losses._check_clip(clip)
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
        return self._fn(y_true, y_pred, self._matrix, from_logits=self.from_logits, clip=self.clip)


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
        estimator: for ``"estimated"``: ``"anchor"`` (Patrini et al., the default) or
            ``"confident_joint"`` (cleanlab; :mod:`kerasnoise.noise.transition`).
        clip: None, or ``p`` clipped to ``[clip, 1 - clip]`` first, as the authors'
            code does (1e-7).
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
        anchor_filter, estimator: for ``"estimated"``, as in :class:`ForwardCorrection`.
        clip: None, or ``p`` clipped to ``[clip, 1 - clip]`` before the log, as the
            authors' code does (1e-7): bounds the loss below.
        from_logits, reduction, name, dtype: as for the other losses.

    Reference: Patrini et al., CVPR 2017.
    """

    _default_name = "backward_correction"
    _fn = staticmethod(backward_correction)


losses.register("forward", ForwardCorrection)
losses.register("backward", BackwardCorrection)


# --------------------------------------------------------------------------- runner hooks


def wants_estimate(loss_params: dict) -> bool:
    """Whether a config's loss section asks for T-hat (``loss.transition="estimated"``)."""
    return isinstance(loss_params, dict) and loss_params.get("transition") == "estimated"


def resolve_loss_params(
    loss_params: dict, noise: NoiseResult, estimates: dict | None = None
) -> tuple[dict, dict]:
    """The loss's constructor parameters with ``transition`` a matrix, and the record.

    ``"oracle"`` becomes the run's realised transition (``noise.transition``, over the
    training examples), ``"estimated"`` the estimate of the loss's ``estimator`` among
    ``estimates`` (estimator name -> T-hat, all from the same stage-1 model); a matrix
    stays.  Any other loss is returned as it is.  The matrix is checked for the task's K
    (:func:`check_correction_matrix`): the error comes before training.

    Returns:
        ``(params, record)``: ``params`` without ``name``; ``record`` holds, for a
        named source, ``transition_source``, the matrix used and, for an estimate, its
        ``mean_absolute_error`` / ``max_abs_error`` against the realised matrix
        (``transition_estimate_error``) and every estimator's
        (``transition_estimate_errors``, by estimator).
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
        estimator = transition_lib.check_estimator(params.get("estimator", "anchor"))
        if not estimates or estimator not in estimates:
            raise ValueError(
                f"{_NAME}='estimated' needs the stage-1 estimate by {estimator!r} "
                "(training does it)"
            )
        matrix = check_correction_matrix(estimates[estimator], k)
        record = {
            "transition_source": "estimated",
            "transition_estimator": estimator,
            "transition_used": matrix.tolist(),
            "transition_estimate_error": transition_error(matrix, realised),
            "transition_estimate_errors": {
                name: transition_error(other, realised) for name, other in estimates.items()
            },
        }
    else:
        _transition_arg(source)  # the error naming the allowed values
        raise AssertionError("unreachable")
    return {**params, "transition": matrix.tolist()}, record
