"""The optimizer a config describes: Adam, Adadelta or SGD with its learning-rate
schedule, gradient clipping and decoupled weight decay (coupled decay is the models'
L2 regulariser, :mod:`kerasnoise.models`)."""

from __future__ import annotations

from typing import Any

import keras

from kerasnoise.config import OptimizerConfig

__all__ = ["build", "learning_rate_schedule"]


def learning_rate_schedule(opt: OptimizerConfig, steps_per_epoch: int) -> Any:
    """A float (constant) or a ``keras.optimizers.schedules`` schedule over steps."""
    if opt.schedule == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(
            opt.learning_rate, opt.decay_steps, opt.decay_rate, staircase=opt.staircase
        )
    if opt.schedule == "multistep":
        # the update with iterations == m * steps_per_epoch is epoch m's first
        boundaries = [m * steps_per_epoch - 1 for m in opt.milestones]
        values = [opt.learning_rate * opt.gamma**i for i in range(len(boundaries) + 1)]
        return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
    return opt.learning_rate


def build(opt: OptimizerConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The optimizer with its learning-rate schedule, clipping and decoupled decay."""
    common: dict[str, Any] = {"learning_rate": learning_rate_schedule(opt, steps_per_epoch)}
    if opt.global_clipnorm is not None:
        common["global_clipnorm"] = opt.global_clipnorm
    if opt.clipnorm is not None:
        common["clipnorm"] = opt.clipnorm
    if opt.weight_decay_mode == "decoupled" and opt.weight_decay:
        common["weight_decay"] = opt.weight_decay
    if opt.name == "adam":
        return keras.optimizers.Adam(epsilon=opt.epsilon, **common)
    if opt.name == "adadelta":
        return keras.optimizers.Adadelta(rho=opt.rho, epsilon=opt.epsilon, **common)
    return keras.optimizers.SGD(momentum=opt.momentum, nesterov=opt.nesterov, **common)
