"""Patrini et al.'s two stages as a training method: T-hat from an earlier cross-entropy
run, then the corrected loss with it.

``loss=forward loss.transition=estimated`` (or ``backward``) trains with the method
``estimated_transition``: a config that says ``loss.transition="estimated"`` with plain
training gets it (:class:`kerasnoise.config.ExperimentConfig`), and
``method=estimated_transition`` sets ``loss.transition="estimated"``; either way the run
id is the one the loss section names (the method adds nothing to it).

1. :meth:`EstimatedTransition.earlier_stage`: the same config with plain
   cross-entropy, clipped as the corrected loss is (``loss.clip``: the authors' one
   cross-entropy), trained first in the same output folder or found finished there by
   its run id; one such run serves every corrected loss and estimator of its cell;
2. :meth:`EstimatedTransition.use_earlier_stage`: its softmax on every training image
   and the noisy labels it trained on give T-hat by every estimator of
   :data:`kerasnoise.noise.transition.ESTIMATORS` (anchor points with ``loss.anchor_filter``;
   cleanlab's confident joint), so that a cell's estimators are compared on the same
   model;
3. :meth:`EstimatedTransition.loss_section`: the loss with ``transition`` the estimate
   of ``loss.estimator``, and the record of every estimate's error against the run's
   realised transition.

Reference: Patrini, Rozza, Menon, Nock, Qu, "Making Deep Neural Networks Robust to
Label Noise: a Loss Correction Approach", CVPR 2017.  Importing this module imports no
Keras.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from kerasnoise import noise as noise_lib
from kerasnoise.methods.base import STANDARD, EarlierStage, Method, register
from kerasnoise.noise import transition as transition_lib

__all__ = ["ESTIMATED", "EstimatedTransition", "sections"]

#: The value of ``loss.transition`` that asks for this method.
ESTIMATED = "estimated"

#: The corrected loss's parameters this method reads, with the loss's defaults
#: (:class:`kerasnoise.losses.ForwardCorrection`): ``clip`` (kept by the
#: cross-entropy stage), ``anchor_filter`` and ``estimator``.
LOSS_DEFAULTS = {"clip": None, "anchor_filter": True, "estimator": "anchor"}


def _loss_params(config: Any) -> dict[str, Any]:
    """The config's loss section over :data:`LOSS_DEFAULTS`."""
    return {**LOSS_DEFAULTS, **config.loss}


class EstimatedTransition(Method):
    """Train a cross-entropy run first, estimate T from its softmax, then train with
    the corrected loss and T-hat (see the module's docstring)."""

    name = "estimated_transition"

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.estimates: dict[str, np.ndarray] | None = None
        self.stage_run: str | None = None

    def check(self, config: Any) -> None:
        """The loss must take ``transition="estimated"``, and the noise must change some
        labels: a model that draws from the identity leaves nothing to estimate."""
        if config.loss.get("transition") != ESTIMATED:
            raise ValueError(
                "method=estimated_transition trains a corrected loss with T-hat: use "
                "loss=forward or loss=backward (loss.transition='estimated')"
            )
        num_classes = _num_classes(config)
        try:
            expected = noise_lib.from_config(config.noise).expected_transition(num_classes)
        except NotImplementedError:  # a model that does not say what it draws from
            return
        if np.allclose(expected, np.eye(num_classes)):
            raise ValueError(
                "loss.transition='estimated' needs label noise to estimate, but the noise "
                f"{config.noise} changes no label; use loss=ce, loss.transition=oracle or a "
                "matrix"
            )

    def earlier_stage(self, config: Any) -> Any:
        """The same config with plain cross-entropy (``loss.clip`` kept) and plain
        training."""
        clip = _loss_params(config)["clip"]
        return dataclasses.replace(
            config,
            loss={"name": "ce", **({} if clip is None else {"clip": clip})},
            method=dict(STANDARD),
        )

    def use_earlier_stage(self, config: Any, stage: EarlierStage) -> None:
        """T-hat by every estimator from the stage's softmax and noisy labels."""
        if stage.record.get("status") != "finished":
            raise RuntimeError(
                f"loss.transition='estimated': the cross-entropy run {stage.run_id} did not "
                f"finish ({stage.record.get('status')}), so T cannot be estimated"
            )
        from scipy.special import softmax

        probs = softmax(np.asarray(stage.predict(), dtype=np.float64), axis=1)
        labels = np.asarray(stage.noisy_labels())
        anchor_filter = _loss_params(config)["anchor_filter"]
        self.estimates = {
            name: transition_lib.estimate(
                name, probs, labels, probs.shape[1], anchor_filter=anchor_filter
            )
            for name in transition_lib.ESTIMATORS
        }
        self.stage_run = stage.run_id

    def loss_section(self, config: Any, noise: Any) -> tuple[dict, dict]:
        """The loss with ``transition`` T-hat by ``loss.estimator`` (default anchor);
        the record: ``transition_source``,
        ``transition_estimator``, ``transition_used``, the estimate's error against the
        realised transition (``transition_estimate_error``), every estimator's
        (``transition_estimate_errors``) and the earlier run (``transition_stage1_run``)."""
        estimator = _loss_params(config)["estimator"]
        if not self.estimates:
            raise ValueError(
                "loss.transition='estimated' needs the earlier stage's estimate (training "
                "runs the stage first)"
            )
        if estimator not in self.estimates:
            raise ValueError(
                f"loss.estimator must be one of {', '.join(self.estimates)}; got {estimator!r}"
            )
        # T-hat as its estimator gave it: K x K (the stage's softmax has K columns); the
        # corrected loss checks that it is a row-stochastic, invertible matrix
        matrix = np.asarray(self.estimates[estimator], dtype=np.float64)
        realised = np.asarray(noise.transition, dtype=np.float64)
        record = {
            "transition_source": ESTIMATED,
            "transition_estimator": estimator,
            "transition_used": matrix.tolist(),
            "transition_estimate_error": transition_lib.transition_error(matrix, realised),
            "transition_estimate_errors": {
                name: transition_lib.transition_error(other, realised)
                for name, other in self.estimates.items()
            },
            "transition_stage1_run": self.stage_run,
        }
        return {**config.loss, "transition": matrix.tolist()}, record

    def identity(self, noise: Mapping[str, Any]) -> None:
        """Nothing: ``loss.transition="estimated"`` names the run."""
        return None


def sections(method: Any, loss: Any) -> tuple[Any, Any]:
    """A config's ``method`` and ``loss`` sections with the shorthand read: plain
    training with ``loss.transition="estimated"`` is this method, and this method sets
    ``loss.transition="estimated"`` on a loss that names no transition.  Anything else
    (other methods, sections that are not mappings yet) comes back as it was; the
    method's :meth:`~EstimatedTransition.check` refuses what does not fit."""
    if not (isinstance(method, Mapping) and isinstance(loss, Mapping)):
        return method, loss
    name = method.get("name")
    plain = isinstance(name, str) and name.strip().lower() in ("standard", "none")
    if plain and len(method) == 1 and loss.get("transition") == ESTIMATED:
        return {"name": EstimatedTransition.name}, loss
    if name == EstimatedTransition.name and "transition" not in loss:
        return method, {**loss, "transition": ESTIMATED}
    return method, loss


def _num_classes(config: Any) -> int:
    from kerasnoise import datasets

    return datasets.get_info(config.dataset).num_classes


register("estimated_transition", EstimatedTransition)
