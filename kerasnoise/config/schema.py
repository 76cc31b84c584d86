"""The typed config's schema: :class:`ExperimentConfig` and its sections, as dataclasses.

An :class:`ExperimentConfig` says everything a run depends on.  Components whose
parameters depend on their name (``model``, ``loss``, ``noise``, ``method``) are dicts
``{"name": ..., **params}``; the rest are typed fields.  A field's metadata says whether it
is part of a run's identity (:mod:`kerasnoise.config.identity`).  The methods are the
config's public face; what they do lives in :mod:`~kerasnoise.config.building`
(``from_dict``), :mod:`~kerasnoise.config.identity` (``run_key``, ``run_id``,
``group_id``) and :mod:`~kerasnoise.config.validation` (``validate``,
``validate_without_keras``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from kerasnoise import methods as methods_lib
from kerasnoise.config import building, identity, validation
from kerasnoise.config.choices import NOISE_SEED_PER_RUN
from kerasnoise.config.identity import IDENTITY_UNLESS_DEFAULT, NOT_IDENTITY
from kerasnoise.methods import transition_estimate


@dataclass
class OptimizerConfig:
    """Optimizer, learning-rate schedule, weight decay and gradient clipping.

    ``schedule``: ``constant``; ``exponential`` (``lr * decay_rate ** (step /
    decay_steps)``, continuous unless ``staircase``); ``multistep`` (``lr`` times
    ``gamma`` at each epoch in ``milestones``); ``linear`` (``lr`` until epoch
    ``decay_start``, then ``lr * (epochs - e) / (epochs - decay_start)`` in epoch ``e``:
    down to ``lr / (epochs - decay_start)`` in the last epoch, the Co-teaching code's
    plan).  ``beta_1_after``: Adam's ``beta_1`` from epoch ``decay_start`` on (the
    Co-teaching code sets 0.9 to 0.1 there); None keeps it.  ``weight_decay_mode``:
    ``coupled`` = an L2 term ``wd / 2 ||w||^2`` in the loss on every weight, so ``wd w``
    joins the gradient *before* clipping; ``coupled_after_clip`` = ``wd w`` added to the
    already clipped loss gradient, the order of PyTorch's ``clip_grad_norm_`` followed
    by an optimizer's ``weight_decay`` (:mod:`kerasnoise.optimizers`); without clipping
    the two are the same update, and a run without clipping uses ``coupled`` for either
    (:meth:`effective_decay_mode`, also in the run id); ``decoupled`` = the Keras
    optimizer's ``weight_decay`` (AdamW-style).
    ``global_clipnorm`` clips the global gradient norm (Menon et al.'s "CE +
    clipping"); ``clipnorm`` clips each variable's gradient on its own.
    ``initial_accumulator``: Adagrad's starting sum of squared gradients (Keras 3's
    default 0.1; Keras 2, the code of Patrini et al., started at 0).
    """

    name: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.0
    nesterov: bool = False
    rho: float = 0.95
    epsilon: float = 1e-7
    schedule: str = "constant"
    decay_rate: float = 0.1
    decay_steps: int = 10_000
    staircase: bool = False
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    weight_decay: float = 0.0
    weight_decay_mode: str = "coupled"
    global_clipnorm: float | None = None
    clipnorm: float | None = None
    initial_accumulator: float = field(default=0.1, metadata=IDENTITY_UNLESS_DEFAULT)
    decay_start: int | None = field(default=None, metadata=IDENTITY_UNLESS_DEFAULT)
    beta_1_after: float | None = field(default=None, metadata=IDENTITY_UNLESS_DEFAULT)

    def effective_decay_mode(self) -> str:
        """``coupled_after_clip`` without clipping is ``coupled``: the same update (to float
        rounding, tested), so the same run."""
        clipped = self.global_clipnorm is not None or self.clipnorm is not None
        if self.weight_decay_mode == "coupled_after_clip" and not clipped:
            return "coupled"
        return self.weight_decay_mode


@dataclass
class EarlyStoppingConfig:
    """``keras.callbacks.EarlyStopping`` settings (needs a validation split)."""

    enabled: bool = False
    monitor: str = "val_accuracy"
    patience: int = 5
    restore_best_weights: bool = True


@dataclass
class ExperimentConfig:
    """Everything one training run depends on.

    ``validation``: fraction (0 < v < 1) or count of training examples held out,
    stratified unless ``stratify`` is false, drawn with ``noise_seed`` (data-side
    randomness stays fixed across training seeds); 0 = no validation set.
    ``validation_labels``: ``clean`` scores validation against the true labels (an
    oracle a user of real noisy data does not have); ``noisy`` corrupts the held-out
    examples with the run's noise model (its own draw, seeded from ``noise_seed``; the
    training labels are the same as with ``clean``), as a user's own split would be.
    ``method``: the training method, ``{"name": ..., **params}`` (:mod:`kerasnoise.methods`):
    ``standard`` (plain training, the default), ``coteaching`` / ``coteaching_plus``
    with ``forget_rate`` (a number, or a rule: default the noise's nominal ``rate``, an
    oracle; ``"asymmetric_half"``, ``"realised"``), ``num_gradual`` and ``exponent``
    (and Co-teaching+'s ``init_epoch`` and ``authors_code``), ``jocor`` (the same and
    ``co_lambda``), ``elr`` (``beta``, ``elr_lambda``), or a registered or installed
    one.  Part of the run id only when not ``standard``, under the key ``selection``
    (the section's name before methods were a component, so that the ids
    of runs made then stay); a config written with ``selection`` (``none`` for plain
    training) reads as ``method``.
    ``input_scale``: ``standardize`` feeds ``(x / 255 - mean) / std`` with the data
    set's per-channel statistics, ``unit`` feeds ``x / 255`` (inputs in [0, 1], as
    Patrini et al.'s and the Co-teaching code do).
    ``noise_source_dir``: where the data set named by ``noise.source`` is (default
    ``data_dir``); see :func:`kerasnoise.datasets.noise_images`.
    ``train_limit``: use only the first N training examples (quick runs).
    ``test_limit``: score only the first N test images (smoke runs and tests: the test
    set's evaluation is most of a tiny run's time); a reported test accuracy is then
    not the benchmark's.  Part of the run id only when set.
    ``seed``: weights, example order, augmentation.  ``noise_seed``: label noise, the
    validation split and every other data-side draw; an integer (the same noise for
    every training seed: the Co-teaching code's ``RandomState(0)``), or ``"seed"``: the
    training seed's value, a new draw per seed (Patrini et al.'s ``random_state=run``)
    (:meth:`data_noise_seed`).
    ``steps_per_execution`` and ``jit_compile`` go to ``model.compile`` (speed only;
    16 steps per call cut per-step overhead by 10-35 % on the MNIST models; PyTorch
    always runs 1; ``jit_compile="auto"`` is Keras's choice, except TensorFlow on a
    CPU, where it depends on oneDNN: see :func:`kerasnoise.devices.execution.resolve_jit_compile`).
    ``distribution``: ``none`` (one device) or ``data_parallel`` (every local device,
    each batch split evenly across them; JAX and TensorFlow; see
    :mod:`kerasnoise.devices.distribution`).  Part of the run id only when not ``none``.
    ``train_eval_images``: the clean/noisy-subset accuracies of each epoch are measured
    on this many training images (a sample drawn with ``noise_seed``; None = all).
    ``eval_every_steps``: None = an epoch is one pass over the training set.  An
    integer S: training is one continuous stream of batches (each pass in its own
    order) cut into "epochs" of S steps, so evaluation, early stopping and checkpoints
    come every S steps whatever the training set's size; ``epochs`` then counts
    these evaluations and the budget is ``epochs * S`` steps (Rolnick et al.'s
    training set grows with alpha: count steps, not passes).  Part of the run id
    only when set.
    """

    preset: str | None = None
    source: str = field(default="", metadata=NOT_IDENTITY)
    description: str = field(default="", metadata=NOT_IDENTITY)
    dataset: str = "mnist"
    data_dir: str | None = field(default=None, metadata=NOT_IDENTITY)
    data_file: str | None = None
    noise_source_dir: str | None = field(default=None, metadata=NOT_IDENTITY)
    validation: float | int = 0.0
    validation_labels: str = field(default="clean", metadata=IDENTITY_UNLESS_DEFAULT)
    input_scale: str = field(default="standardize", metadata=IDENTITY_UNLESS_DEFAULT)
    stratify: bool = True
    train_limit: int | None = None
    test_limit: int | None = field(default=None, metadata=IDENTITY_UNLESS_DEFAULT)
    augment: bool = False
    model: dict = field(default_factory=lambda: {"name": "lenet5"})
    loss: dict = field(default_factory=lambda: {"name": "ce"})
    noise: dict = field(default_factory=lambda: {"name": "symmetric_exclusive", "rate": 0.0})
    method: dict = field(
        default_factory=lambda: dict(methods_lib.STANDARD), metadata=IDENTITY_UNLESS_DEFAULT
    )
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    batch_size: int = 128
    eval_batch_size: int = 1000
    epochs: int = 10
    eval_every_steps: int | None = field(default=None, metadata=IDENTITY_UNLESS_DEFAULT)
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    precision: str = "float32"
    train_eval_images: int | None = 10_000
    steps_per_execution: int = field(default=16, metadata=NOT_IDENTITY)
    jit_compile: bool | str = field(default="auto", metadata=NOT_IDENTITY)
    distribution: str = field(default="none", metadata=IDENTITY_UNLESS_DEFAULT)
    seed: int = 0
    noise_seed: int | str = 0
    tensorboard: bool = field(default=False, metadata=NOT_IDENTITY)
    preset_params: dict = field(default_factory=dict, metadata=NOT_IDENTITY)

    def __post_init__(self) -> None:
        # ``loss.transition="estimated"`` with plain training is the method
        # ``estimated_transition`` (:func:`kerasnoise.methods.transition_estimate.sections`)
        self.method, self.loss = transition_estimate.sections(self.method, self.loss)

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ExperimentConfig:
        return building.build(cls, building.legacy(data), "")

    def data_noise_seed(self) -> int:
        """The integer seed of the noise and the data-side draws: ``noise_seed``, or the
        training ``seed`` when ``noise_seed="seed"``."""
        return self.seed if self.noise_seed == NOISE_SEED_PER_RUN else self.noise_seed

    def run_key(self) -> dict:
        """The parts of the config that change results: every field not marked
        ``metadata={"identity": False}`` (where data or logs live, speed settings, prose);
        a field marked ``"unless-default"`` only when it differs from its default.  The
        noise's ``source`` counts only when it is not the task's own images: an explicit
        ``noise.source="train"`` is the same run as none.  The method counts as its
        :meth:`kerasnoise.methods.Method.identity` says, under the key ``selection``
        (plain training not at all), so that a forget-rate rule that gives the nominal
        rate is the same run as none."""
        return identity.run_key(self)

    def run_id(self, backend: str | None = None) -> str:
        """A stable id of the run: preset (or 'custom') and a hash of :meth:`run_key`.

        The training runner passes the Keras ``backend``: the same config on another
        backend is another run (its numbers differ in the last bits, and comparing
        backends is the point).
        """
        return identity.run_id(self, backend)

    def group_id(self, backend: str | None = None) -> str:
        """Like :meth:`run_id` but without the training seed: runs to average over."""
        return identity.group_id(self, backend)

    # ------------------------------------------------------------------ validation

    def validate(self) -> ExperimentConfig:
        """Check names, parameters and combinations; raise ``ValueError``/``TypeError``.

        Touches no data: safe to call before anything is loaded.  First
        :meth:`validate_without_keras`, then what needs Keras: the distribution on this
        backend, the loss and the model with their parameters.
        """
        return validation.validate(self)

    def validate_without_keras(self) -> ExperimentConfig:
        """The checks that import neither Keras nor TensorFlow: the data set, every number's
        range and every choice, the noise model and its parameters, the optimizer, early
        stopping and the combinations.  ``kerasnoise train`` runs them before it imports
        Keras (which takes seconds), so that a bad value is reported at once."""
        return validation.validate_without_keras(self)
