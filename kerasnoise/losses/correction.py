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
of the same config, then T-hat from its softmax: the training method
``estimated_transition``, :mod:`kerasnoise.methods.transition_estimate`).  Before it
builds the loss, a run replaces ``"oracle"`` by the matrix
(:meth:`ForwardCorrection.for_run`, through :func:`kerasnoise.losses.for_run`) and its
method replaces ``"estimated"``; a loss that still holds a name refuses to compute.

A singular or ill-conditioned ``T`` (condition number above
:data:`CONDITION_LIMIT`), a matrix of the wrong size, with negative entries or
rows that do not sum to 1 is a ``ValueError`` naming ``loss.transition`` when the
loss is built, before any training.

Both losses are ``forward`` and ``backward`` by name (:func:`kerasnoise.losses.get`)
and keep the Keras names ``kerasnoise>ForwardCorrection`` and
``kerasnoise>BackwardCorrection``.

Reference: Patrini, Rozza, Menon, Nock, Qu, "Making Deep Neural Networks Robust to
Label Noise: a Loss Correction Approach", CVPR 2017.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from kerasnoise.losses.base import (
    Loss,
    check_clip,
    clip_log_probs,
    log_probs_and_targets,
    register_serializable,
)
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
    t, log_p, _ = log_probs_and_targets(y_true, y_pred, from_logits)
    log_p = clip_log_probs(log_p, check_clip(clip))
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
    t, log_p, _ = log_probs_and_targets(y_true, y_pred, from_logits)
    log_p = clip_log_probs(log_p, check_clip(clip))
    inverse = np.linalg.inv(_matrix_for(transition, log_p))
    rows = ops.matmul(t, ops.convert_to_tensor(inverse, dtype=log_p.dtype))  # (T^-1)[y, :]
    return -ops.sum(rows * log_p, axis=-1)


# --------------------------------------------------------------------------- classes


class _Correction(Loss):
    """A corrected cross-entropy with ``transition``: a matrix, or a name a run
    resolves (:meth:`for_run`)."""

    parameters = ("transition", "anchor_filter", "estimator", "clip")

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
        self.clip = check_clip(clip)
        super().__init__(**kwargs)

    @property
    def transition(self) -> list[list[float]] | str:
        """The matrix as nested lists (for ``get_config``), or the unresolved name."""
        return self._source if self._matrix is None else self._matrix.tolist()

    @property
    def matrix(self) -> np.ndarray | None:
        """The matrix (``float64``), ``None`` while ``transition`` is a name."""
        return None if self._matrix is None else self._matrix.copy()

    @classmethod
    def for_run(cls, params: dict, noise: NoiseResult) -> tuple[dict, dict]:
        """The constructor parameters for a run with ``noise``, and what they add to its
        result record (:func:`kerasnoise.losses.for_run`): ``transition="oracle"``
        becomes the run's realised transition (``noise.transition``, over the training
        examples), checked for the task's K; a matrix stays.  ``"estimated"`` is the
        method ``estimated_transition``'s to resolve (it replaces the name by T-hat
        from its earlier stage first).

        Returns:
            ``(params, record)``; for ``"oracle"`` the record holds
            ``transition_source`` and ``transition_used``.
        """
        source = params.get("transition")
        if not isinstance(source, str):
            return dict(params), {}
        if source == "oracle":
            realised = np.asarray(noise.transition, dtype=np.float64)
            matrix = check_correction_matrix(realised, noise.num_classes)
            record = {"transition_source": "oracle", "transition_used": matrix.tolist()}
            return {**params, "transition": matrix.tolist()}, record
        if source == "estimated":
            raise ValueError(
                f"{_NAME}='estimated' is T-hat from an earlier cross-entropy run: the method "
                "estimated_transition resolves it (a config with loss.transition='estimated' "
                "trains with it)"
            )
        _transition_arg(source)  # the error naming the allowed values
        raise AssertionError("unreachable")

    def call(self, y_true, y_pred):
        if self._matrix is None:
            raise ValueError(
                f"{_NAME}={self._source!r} is resolved from a run's noise when a run builds "
                "the loss (kerasnoise.training); to use this loss on its own pass the matrix"
            )
        return self.fn(y_true, y_pred, self._matrix, from_logits=self.from_logits, clip=self.clip)


@register_serializable
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

    default_name = "forward_correction"
    fn = staticmethod(forward_correction)


@register_serializable
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

    default_name = "backward_correction"
    fn = staticmethod(backward_correction)
