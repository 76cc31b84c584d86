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
from keras import ops

from kerasnoise.config import OptimizerConfig

__all__ = [
    "build",
    "learning_rate_schedule",
    "LinearDecay",
    "AdamBeta1Switch",
    "DecayAfterClip",
    "AdamDecayAfterClip",
    "AdadeltaDecayAfterClip",
    "AdagradDecayAfterClip",
    "SGDDecayAfterClip",
]


def learning_rate_schedule(
    opt: OptimizerConfig, steps_per_epoch: int, epochs: int | None = None
) -> Any:
    """A float (constant) or a ``keras.optimizers.schedules`` schedule over steps
    (``epochs``: the run's, for the ``linear`` schedule)."""
    if opt.schedule == "linear":
        if epochs is None:
            raise ValueError("optimizer.schedule='linear' needs the run's epochs")
        return LinearDecay(opt.learning_rate, opt.decay_start, epochs, steps_per_epoch)
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


@keras.saving.register_keras_serializable(package="kerasnoise")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``lr`` until epoch ``start``, then ``lr * (epochs - e) / (epochs - start)`` for the
    updates of epoch ``e`` (a staircase per epoch, as the Co-teaching code's
    ``alpha_plan``; its last epoch trains at ``lr / (epochs - start)``).

    Args:
        learning_rate: the rate before the decay.
        start: the first epoch of the decay (0-based).
        epochs: the run's epochs.
        steps_per_epoch: updates per epoch.
    """

    def __init__(self, learning_rate: float, start: int, epochs: int, steps_per_epoch: int):
        if not 0 <= start < epochs:
            raise ValueError(f"start must be in [0, epochs={epochs}), got {start}")
        self.learning_rate, self.start = float(learning_rate), int(start)
        self.epochs, self.steps_per_epoch = int(epochs), int(steps_per_epoch)

    def __call__(self, step):
        epoch = ops.floor(ops.cast(step, "float32") / self.steps_per_epoch)
        factor = (self.epochs - epoch) / (self.epochs - self.start)
        return self.learning_rate * ops.clip(factor, 0.0, 1.0)

    def get_config(self) -> dict:
        return {
            "learning_rate": self.learning_rate,
            "start": self.start,
            "epochs": self.epochs,
            "steps_per_epoch": self.steps_per_epoch,
        }


@keras.saving.register_keras_serializable(package="kerasnoise")
class AdamBeta1Switch(keras.optimizers.Adam):
    """Adam whose ``beta_1`` becomes ``beta_1_after`` from update ``switch_step`` on, as
    the Co-teaching code sets ``betas=(0.1, 0.999)`` from its decay epoch.  The bias
    correction uses the current ``beta_1``: ``1 - beta_1 ** t`` (PyTorch's Adam does
    the same when its ``betas`` change).

    Args:
        beta_1_after: ``beta_1`` from ``switch_step`` on, in [0, 1).
        switch_step: the first update (``iterations`` count) with ``beta_1_after``.
        **kwargs: ``keras.optimizers.Adam``'s arguments.
    """

    def __init__(self, *args, beta_1_after: float = 0.1, switch_step: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta_1_after, self.switch_step = float(beta_1_after), int(switch_step)

    def update_step(self, gradient, variable, learning_rate):
        before = self.beta_1
        switched = ops.greater_equal(self.iterations, self.switch_step)
        self.beta_1 = ops.where(switched, self.beta_1_after, before)
        try:
            super().update_step(gradient, variable, learning_rate)
        finally:
            self.beta_1 = before

    def get_config(self) -> dict:
        return super().get_config() | {
            "beta_1_after": self.beta_1_after,
            "switch_step": self.switch_step,
        }


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


def build(
    opt: OptimizerConfig, steps_per_epoch: int, epochs: int | None = None
) -> keras.optimizers.Optimizer:
    """The optimizer with its learning-rate schedule, clipping and weight decay (the
    ``coupled`` kind is the models' regulariser, not the optimizer's); ``epochs``: the
    run's, for the ``linear`` schedule."""
    rate = learning_rate_schedule(opt, steps_per_epoch, epochs)
    common: dict[str, Any] = {"learning_rate": rate}
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
    if opt.name == "adam" and opt.beta_1_after is not None:
        switch = opt.decay_start * steps_per_epoch
        return AdamBeta1Switch(
            epsilon=opt.epsilon, beta_1_after=opt.beta_1_after, switch_step=switch, **common
        )
    if opt.name == "adam":
        return cls(epsilon=opt.epsilon, **common)
    if opt.name == "adadelta":
        return cls(rho=opt.rho, epsilon=opt.epsilon, **common)
    if opt.name == "adagrad":
        return cls(initial_accumulator_value=opt.initial_accumulator, epsilon=opt.epsilon, **common)
    return cls(momentum=opt.momentum, nesterov=opt.nesterov, **common)
