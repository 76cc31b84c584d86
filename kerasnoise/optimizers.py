"""The optimizer a config describes: Adam, Adadelta, Adagrad or SGD with its learning-rate
schedule, gradient clipping and weight decay in one of three orders.

- ``coupled``: the models' L2 regulariser (:mod:`kerasnoise.models`) puts ``wd w`` into
  the loss gradient, so clipping clips it too.
- ``coupled_after_clip``: ``wd w`` is added to the gradient *after* clipping, as PyTorch
  does when ``clip_grad_norm_`` is followed by an optimizer with ``weight_decay``
  (Menon et al.'s reference code): :class:`DecayAfterClip` optimizers.
- ``decoupled``: the Keras optimizer's own ``weight_decay`` (``w -= lr wd w``).

Under ``mixed_float16`` Keras wraps the optimizer in a ``LossScaleOptimizer``, which
unscales the gradients before calling this optimizer's ``apply``: clipping and the decay
see the unscaled loss gradient.
"""

from __future__ import annotations

from typing import Any

import keras

from kerasnoise.config import OptimizerConfig

__all__ = [
    "build",
    "learning_rate_schedule",
    "DecayAfterClip",
    "AdamDecayAfterClip",
    "AdadeltaDecayAfterClip",
    "AdagradDecayAfterClip",
    "SGDDecayAfterClip",
]


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


class DecayAfterClip:
    """Mixin for a Keras optimizer: coupled weight decay added after gradient clipping.

    The update of variable ``w`` with loss gradient ``g`` is the base optimizer's update
    with the gradient ``clip(g) + wd * w``, where ``clip`` is the optimizer's own
    ``global_clipnorm`` / ``clipnorm`` / ``clipvalue`` (PyTorch's ``clip_grad_norm_``
    then ``torch.optim.*(weight_decay=wd)``).  Every trainable variable is decayed
    (kernels, biases, normalisation scales), as PyTorch's ``weight_decay`` does.

    Args:
        coupled_weight_decay: ``wd >= 0``.
        **kwargs: the base optimizer's arguments.

    The decay is added in ``_backend_update_step``, the step every Keras backend runs
    after clipping and before the per-variable updates; the tests check one step
    against NumPy on every backend.
    """

    def __init__(self, *args, coupled_weight_decay: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        if coupled_weight_decay < 0:
            raise ValueError(f"coupled_weight_decay must be >= 0, got {coupled_weight_decay}")
        self.coupled_weight_decay = float(coupled_weight_decay)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        wd = self.coupled_weight_decay
        if wd:
            grads = [
                g if g is None else g + keras.ops.cast(wd, g.dtype) * keras.ops.cast(v, g.dtype)
                for g, v in zip(grads, trainable_variables, strict=True)
            ]
        return super()._backend_update_step(grads, trainable_variables, learning_rate)

    def get_config(self) -> dict:
        return {**super().get_config(), "coupled_weight_decay": self.coupled_weight_decay}


@keras.saving.register_keras_serializable(package="kerasnoise")
class AdamDecayAfterClip(DecayAfterClip, keras.optimizers.Adam):
    """Adam with coupled weight decay after clipping (torch's ``Adam(weight_decay=)``)."""


@keras.saving.register_keras_serializable(package="kerasnoise")
class AdadeltaDecayAfterClip(DecayAfterClip, keras.optimizers.Adadelta):
    """Adadelta with coupled weight decay after clipping."""


@keras.saving.register_keras_serializable(package="kerasnoise")
class AdagradDecayAfterClip(DecayAfterClip, keras.optimizers.Adagrad):
    """Adagrad with coupled weight decay after clipping (torch's ``Adagrad(weight_decay=)``)."""


@keras.saving.register_keras_serializable(package="kerasnoise")
class SGDDecayAfterClip(DecayAfterClip, keras.optimizers.SGD):
    """SGD (momentum, Nesterov) with coupled weight decay after clipping (torch's
    ``SGD(weight_decay=)``)."""


_CLASSES = {
    ("adam", False): keras.optimizers.Adam,
    ("adadelta", False): keras.optimizers.Adadelta,
    ("adagrad", False): keras.optimizers.Adagrad,
    ("sgd", False): keras.optimizers.SGD,
    ("adam", True): AdamDecayAfterClip,
    ("adadelta", True): AdadeltaDecayAfterClip,
    ("adagrad", True): AdagradDecayAfterClip,
    ("sgd", True): SGDDecayAfterClip,
}


def build(opt: OptimizerConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The optimizer with its learning-rate schedule, clipping and weight decay (the
    ``coupled`` kind is the models' regulariser, not the optimizer's)."""
    common: dict[str, Any] = {"learning_rate": learning_rate_schedule(opt, steps_per_epoch)}
    if opt.global_clipnorm is not None:
        common["global_clipnorm"] = opt.global_clipnorm
    if opt.clipnorm is not None:
        common["clipnorm"] = opt.clipnorm
    mode = opt.effective_decay_mode()
    if mode == "decoupled" and opt.weight_decay:
        common["weight_decay"] = opt.weight_decay
    after_clip = mode == "coupled_after_clip" and bool(opt.weight_decay)
    if after_clip:
        common["coupled_weight_decay"] = opt.weight_decay
    cls = _CLASSES[opt.name, after_clip]
    if opt.name == "adam":
        return cls(epsilon=opt.epsilon, **common)
    if opt.name == "adadelta":
        return cls(rho=opt.rho, epsilon=opt.epsilon, **common)
    if opt.name == "adagrad":
        return cls(initial_accumulator_value=opt.initial_accumulator, epsilon=opt.epsilon, **common)
    return cls(momentum=opt.momentum, nesterov=opt.nesterov, **common)
