"""Early-learning regularisation, ELR (Liu, Niles-Weed, Razavian, Fernandez-Granda,
NeurIPS 2020, "Early-learning regularization prevents memorization of noisy labels"),
as a training method: ``method=elr``.

Each training example ``i`` keeps a target ``t_i``, a running average of the network's
own predictions: per batch, with ``p = clip(softmax(z), 1e-4, 1 - 1e-4)``,

    t_i <- beta * t_i + (1 - beta) * p_i / sum(p_i)      (p without gradient; t starts at 0)
    loss = CE(z, y) + lambda * mean_i log(1 - <t_i, p_i>)

with the targets updated *before* the regulariser reads them (:func:`elr_terms`).  The
regulariser pulls each prediction towards what the network predicted for that example
early in training, before it memorised a wrong label.  The ``(N, K)`` targets are a
non-trainable weight of the model (:class:`kerasnoise.methods.elr_model.ELRModel`),
saved with it and restored on resume; the pipeline gives each example's index
(:class:`kerasnoise.methods.PipelineNeeds` ``indices``), and :meth:`ELR.use_data` reads
``N``, the number of training examples.

Parameters (``method.<name>``):

- ``beta``: the targets' momentum, in [0, 1); default 0.7;
- ``elr_lambda``: lambda, the regulariser's weight, >= 0; default 3.

The defaults are the authors' CIFAR-10 symmetric-noise config (``config_cifar10.json``);
their asymmetric-noise config (``config_cifar10_asym.json``) sets beta 0.9, lambda 1, and
CIFAR-100's beta 0.9, lambda 7 (:data:`AUTHORS_SETTINGS`): a table under asymmetric noise
sets them (``method.beta=0.9 method.elr_lambda=1``); the defaults do not follow the noise.
Their README: beta is robust (0.7, 0.9, 0.99), lambda needs tuning.  No MNIST numbers
are published.

The regulariser is added to the run's compiled loss (``loss=ce``, the authors', unless
the config names another) and its weight decay; validation and test score the network
with the compiled loss alone.

Refused: ``distribution='data_parallel'`` (under TensorFlow's ``MirroredStrategy`` every
device holds its own copy of the targets and would update only its share of the
batch's rows, so the copies would part).  Additive noise's extra examples and
``eval_every_steps`` work: the index is the example's (extra examples included), whichever
pass or period the batch belongs to; the targets then have ``(1 + alpha) N`` rows.

Where this differs from the authors' code (``ELR/model/loss.py``, ``elr_loss``;
``ELR/trainer/trainer.py``):

- the targets' update writes the batch's rows of the ``(N, K)`` variable with a scatter
  (``keras.ops.scatter_update``), and the regulariser reads the new rows as computed
  (theirs reads ``self.target[index]`` back after writing it: the same values);
- the CE is the run's compiled loss (:class:`kerasnoise.losses.CrossEntropy`, a mean over
  the batch, as their ``F.cross_entropy``), plus the network's weight decay when the
  config couples it into the loss (theirs: SGD's ``weight_decay``);
- the optimizer, schedule, network and data are the run's config (theirs: SGD 0.02,
  momentum 0.9, weight decay 1e-3, cosine annealing or steps, ResNet-34 on CIFAR).

Importing this module imports no Keras.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from kerasnoise.methods.base import Method, PipelineNeeds, register

__all__ = ["AUTHORS_SETTINGS", "ELR", "elr_terms"]

#: The authors' configs: ``{setting: {"beta": ..., "elr_lambda": ...}}``.
AUTHORS_SETTINGS = {
    "cifar10_symmetric": {"beta": 0.7, "elr_lambda": 3.0},
    "cifar10_asymmetric": {"beta": 0.9, "elr_lambda": 1.0},
    "cifar100": {"beta": 0.9, "elr_lambda": 7.0},
}
#: The bounds of the clipped prediction.
CLIP = 1e-4


def elr_terms(logits, targets, beta):
    """One batch of ELR's regulariser, in ``keras.ops``.

    Args:
        logits: ``(B, K)`` outputs of the network.
        targets: ``(B, K)``, the batch's rows of the targets before this batch.
        beta: the targets' momentum (a float in [0, 1)).

    Returns:
        ``(new_targets, regulariser)``: the batch's updated rows,
        ``beta * targets + (1 - beta) * p / sum(p)`` (``p`` the clipped softmax, without
        gradient), and the scalar ``mean(log(1 - sum(new_targets * p)))``, whose
        gradient reaches the logits through ``p``.
    """
    from keras import ops

    p = ops.clip(ops.softmax(ops.cast(logits, "float32"), axis=-1), CLIP, 1.0 - CLIP)
    fixed = ops.stop_gradient(p)
    beta = float(beta)
    new = beta * ops.stop_gradient(ops.cast(targets, "float32")) + (1.0 - beta) * (
        fixed / ops.sum(fixed, axis=-1, keepdims=True)
    )
    return new, ops.mean(ops.log(1.0 - ops.sum(new * p, axis=-1)))


class ELR(Method):
    """ELR: cross-entropy plus a regulariser towards each example's running average of
    the network's own predictions (see the module docstring for the rule, the
    parameters and where it differs from the authors' code)."""

    name = "elr"
    defaults = {"beta": 0.7, "elr_lambda": 3.0}

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.num_examples: int | None = None

    def check(self, config: Any) -> None:
        beta, lam = self.params["beta"], self.params["elr_lambda"]
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0 <= beta < 1:
            raise ValueError(f"method.beta must be a number in [0, 1), got {beta!r}")
        if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or not lam >= 0:
            raise ValueError(f"method.elr_lambda must be a number >= 0, got {lam!r}")
        if config.distribution != "none":
            raise ValueError(
                "method 'elr' keeps one (N, K) variable of targets that every batch updates "
                f"by example index; distribution={config.distribution!r} would give each "
                "device its own copy, updated with its share of the batch only: use "
                "distribution='none'"
            )

    def needs(self, config: Any) -> PipelineNeeds:
        return PipelineNeeds(indices=True)

    def use_data(self, config: Any, run_data: Any) -> None:
        self.num_examples = int(run_data.built.noise.num_examples)

    def saved_objects(self) -> dict:
        from kerasnoise.methods import elr_model

        return {"ELRModel": elr_model.ELRModel}

    def build_model(self, network: Callable[[], Any], config: Any) -> Any:
        from kerasnoise.methods import elr_model

        if self.num_examples is None:
            raise RuntimeError(
                "ELR sizes its targets from the run's data: call use_data(config, run_data) "
                "before build_model (kerasnoise.training.train does)"
            )
        return elr_model.ELRModel(
            network(),
            num_examples=self.num_examples,
            beta=float(self.params["beta"]),
            elr_lambda=float(self.params["elr_lambda"]),
            name=self.name,
        )


register("elr", ELR)
