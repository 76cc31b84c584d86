"""Experiment configuration: one typed, serialisable config, its validation, overrides.

An :class:`ExperimentConfig` says everything a run depends on.  Components whose
parameters depend on their name (``model``, ``loss``, ``noise``) are dicts
``{"name": ..., **params}``; the rest are typed fields.  ``validate()`` checks
every name and parameter against the registries of :mod:`kerasnoise.models`,
:mod:`kerasnoise.losses` and :mod:`kerasnoise.noise` *before* any data is
loaded, and every error lists the allowed values.

Overrides are ``key=value`` strings with dotted keys, parsed as Python literals
(never evaluated as code)::

    epochs=2  noise.rate=0.4  loss=phuber_ce  loss.tau=2  optimizer.learning_rate=0.1

``loss=NAME`` (or ``noise=NAME``, ``model=NAME``) switches the component and
takes the preset's parameters for that name (``preset_params``), e.g. tau = 10
for PHuber-CE in the MNIST preset.  The papers' presets are in
:mod:`kerasnoise.presets`.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import hashlib
import inspect
import json
import numbers
import types
from dataclasses import dataclass, field
from typing import Any, Union, get_args, get_origin, get_type_hints

from kerasnoise import datasets
from kerasnoise import methods as methods_lib
from kerasnoise import noise as noise_lib
from kerasnoise._checks import positive_int as _positive
from kerasnoise.methods import transition_estimate
from kerasnoise.noise import transition as transition_lib

__all__ = [
    "ExperimentConfig",
    "OptimizerConfig",
    "EarlyStoppingConfig",
    "parse_overrides",
    "apply_overrides",
    "changes_results",
]

OPTIMIZERS = ("adam", "adadelta", "adagrad", "sgd")
#: Field metadata of settings that do not change a run's results (left out of its id).
_NOT_IDENTITY = types.MappingProxyType({"identity": False})
#: Field metadata of a setting added later: part of a run's id only when it is not the
#: default, so the ids of runs made before it existed stay the same.
_IDENTITY_UNLESS_DEFAULT = types.MappingProxyType({"identity": "unless-default"})
VALIDATION_LABELS = ("clean", "noisy")
#: ``noise_seed`` that draws the noise anew for every training seed.
NOISE_SEED_PER_RUN = "seed"
SCHEDULES = ("constant", "exponential", "multistep", "linear")
DECAY_MODES = ("coupled", "coupled_after_clip", "decoupled")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16", "auto")
#: How pixels reach the model: ``standardize`` ``(x / 255 - mean) / std`` per channel
#: (the data set's statistics), ``unit`` ``x / 255`` in [0, 1].
INPUT_SCALES = ("standardize", "unit")


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
    initial_accumulator: float = field(default=0.1, metadata=_IDENTITY_UNLESS_DEFAULT)
    decay_start: int | None = field(default=None, metadata=_IDENTITY_UNLESS_DEFAULT)
    beta_1_after: float | None = field(default=None, metadata=_IDENTITY_UNLESS_DEFAULT)

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
    (and Co-teaching+'s ``init_epoch`` and ``authors_code``), or a registered or
    installed one.  Part of the run id only when not ``standard``, under the key
    ``selection`` (the section's name before methods were a component, so that the ids
    of runs made then stay); a config written with ``selection`` (``none`` for plain
    training) reads as ``method``.
    ``input_scale``: ``standardize`` feeds ``(x / 255 - mean) / std`` with the data
    set's per-channel statistics, ``unit`` feeds ``x / 255`` (inputs in [0, 1], as
    Patrini et al.'s and the Co-teaching code do).
    ``noise_source_dir``: where the data set named by ``noise.source`` is (default
    ``data_dir``); see :func:`kerasnoise.datasets.noise_images`.
    ``train_limit``: use only the first N training examples (quick runs).
    ``seed``: weights, example order, augmentation.  ``noise_seed``: label noise, the
    validation split and every other data-side draw; an integer (the same noise for
    every training seed: the Co-teaching code's ``RandomState(0)``), or ``"seed"``: the
    training seed's value, a new draw per seed (Patrini et al.'s ``random_state=run``)
    (:meth:`data_noise_seed`).
    ``steps_per_execution`` and ``jit_compile`` go to ``model.compile`` (speed only;
    16 steps per call cut per-step overhead by 10-35 % on the MNIST models; PyTorch
    always runs 1; ``jit_compile="auto"`` is Keras's choice, except TensorFlow on a
    CPU, where it depends on oneDNN: see :func:`kerasnoise.execution.resolve_jit_compile`).
    ``distribution``: ``none`` (one device) or ``data_parallel`` (every local device,
    each batch split evenly across them; JAX and TensorFlow; see
    :mod:`kerasnoise.distribution`).  Part of the run id only when not ``none``.
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
    source: str = field(default="", metadata=_NOT_IDENTITY)
    description: str = field(default="", metadata=_NOT_IDENTITY)
    dataset: str = "mnist"
    data_dir: str | None = field(default=None, metadata=_NOT_IDENTITY)
    data_file: str | None = None
    noise_source_dir: str | None = field(default=None, metadata=_NOT_IDENTITY)
    validation: float | int = 0.0
    validation_labels: str = field(default="clean", metadata=_IDENTITY_UNLESS_DEFAULT)
    input_scale: str = field(default="standardize", metadata=_IDENTITY_UNLESS_DEFAULT)
    stratify: bool = True
    train_limit: int | None = None
    augment: bool = False
    model: dict = field(default_factory=lambda: {"name": "lenet5"})
    loss: dict = field(default_factory=lambda: {"name": "ce"})
    noise: dict = field(default_factory=lambda: {"name": "symmetric_exclusive", "rate": 0.0})
    method: dict = field(
        default_factory=lambda: dict(methods_lib.STANDARD), metadata=_IDENTITY_UNLESS_DEFAULT
    )
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    batch_size: int = 128
    eval_batch_size: int = 1000
    epochs: int = 10
    eval_every_steps: int | None = field(default=None, metadata=_IDENTITY_UNLESS_DEFAULT)
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    precision: str = "float32"
    train_eval_images: int | None = 10_000
    steps_per_execution: int = field(default=16, metadata=_NOT_IDENTITY)
    jit_compile: bool | str = field(default="auto", metadata=_NOT_IDENTITY)
    distribution: str = field(default="none", metadata=_IDENTITY_UNLESS_DEFAULT)
    seed: int = 0
    noise_seed: int | str = 0
    tensorboard: bool = field(default=False, metadata=_NOT_IDENTITY)
    preset_params: dict = field(default_factory=dict, metadata=_NOT_IDENTITY)

    def __post_init__(self) -> None:
        # ``loss.transition="estimated"`` with plain training is the method
        # ``estimated_transition`` (:func:`kerasnoise.methods.transition_estimate.sections`)
        self.method, self.loss = transition_estimate.sections(self.method, self.loss)

    # ------------------------------------------------------------------ (de)serialisation

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ExperimentConfig:
        return _build(cls, _legacy(data), "")

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
        key = self.to_dict()
        key["optimizer"]["weight_decay_mode"] = self.optimizer.effective_decay_mode()
        if key["noise"].get("source") == "train":
            key["noise"].pop("source")
        _drop_non_identity(self, key)
        key.pop("method", None)
        named = methods_lib.from_config(self.method).identity(key["noise"])
        if named is not None:
            key["selection"] = named
        for name in ("optimizer", "early_stopping"):
            _drop_non_identity(getattr(self, name), key[name])
        return key

    def run_id(self, backend: str | None = None) -> str:
        """A stable id of the run: preset (or 'custom') and a hash of :meth:`run_key`.

        The training runner passes the Keras ``backend``: the same config on another
        backend is another run (its numbers differ in the last bits, and comparing
        backends is the point).
        """
        key = self.run_key() | ({"backend": backend} if backend else {})
        return f"{self.preset or 'custom'}-{_digest(key)}"

    def group_id(self, backend: str | None = None) -> str:
        """Like :meth:`run_id` but without the training seed: runs to average over."""
        key = self.run_key() | ({"backend": backend} if backend else {})
        key.pop("seed")
        return f"{self.preset or 'custom'}-{_digest(key)}"

    # ------------------------------------------------------------------ validation

    def validate(self) -> ExperimentConfig:
        """Check names, parameters and combinations; raise ``ValueError``/``TypeError``.

        Touches no data: safe to call before anything is loaded.  First
        :meth:`validate_without_keras`, then what needs Keras: the distribution on this
        backend, the loss and the model with their parameters.
        """
        from kerasnoise import distribution, losses, models

        self.validate_without_keras()
        distribution.check_supported(self.distribution)
        _check_component(
            self.loss, "loss", losses, lambda c: losses.get(c["name"], **_params(c))
        )
        _check_component(self.model, "model", models, _check_model_args)
        return self

    def validate_without_keras(self) -> ExperimentConfig:
        """The checks that import neither Keras nor TensorFlow: the data set, every number's
        range and every choice, the noise model and its parameters, the optimizer, early
        stopping and the combinations.  ``kerasnoise train`` runs them before it imports
        Keras (which takes seconds), so that a bad value is reported at once."""
        datasets.get_info(self.dataset)
        _check_fraction_or_count(self.validation)
        _choice(self.validation_labels, VALIDATION_LABELS, "validation_labels")
        _choice(self.input_scale, INPUT_SCALES, "input_scale")
        if self.validation_labels == "noisy" and not self.validation:
            raise ValueError(
                "validation_labels='noisy' needs a validation split: set validation=0.1 "
                "(or a count)"
            )
        for name in ("train_limit", "train_eval_images", "eval_every_steps"):
            if getattr(self, name) is not None:
                _positive(getattr(self, name), name)
        for name in ("batch_size", "eval_batch_size", "epochs"):
            _positive(getattr(self, name), name)
        for name in ("seed", "noise_seed"):
            value = getattr(self, name)
            if name == "noise_seed" and value == NOISE_SEED_PER_RUN:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                also = " or 'seed' (the training seed's value)" if name == "noise_seed" else ""
                raise ValueError(f"{name} must be a non-negative integer{also}, got {value!r}")
        _choice(self.precision, PRECISIONS, "precision")
        _positive(self.steps_per_execution, "steps_per_execution")
        if self.jit_compile not in (True, False, "auto"):
            raise ValueError(f"jit_compile must be True, False or 'auto', got {self.jit_compile!r}")
        _check_component(self.noise, "noise", noise_lib, noise_lib.from_config)
        source = self.noise.get("source", "train")
        datasets.check_noise_source(source, self.dataset)
        if source != "train" and self.validation_labels == "noisy":
            raise ValueError(
                "validation_labels='noisy' needs extra pairs of the training images; with "
                f"noise.source={source!r} use validation_labels='clean'"
            )
        num_classes = datasets.get_info(self.dataset).num_classes
        _check_transition(self.loss, num_classes)
        _check_optimizer(self.optimizer)
        start = self.optimizer.decay_start
        if start is not None and start >= self.epochs:
            raise ValueError(f"optimizer.decay_start={start} must be below epochs={self.epochs}")
        methods_lib.from_config(self.method).check(self)
        es = self.early_stopping
        if es.enabled:
            _positive(es.patience, "early_stopping.patience")
            if es.monitor.startswith("val_") and not self.validation:
                raise ValueError(
                    f"early_stopping.monitor={es.monitor!r} needs a validation split: "
                    "set validation=0.1 (or a count), or monitor a training metric"
                )
        if self.augment and datasets.get_info(self.dataset).image_shape[-1] != 3:
            raise ValueError("augment=True is the CIFAR crop-and-flip; use it with cifar10/100")
        return self


def changes_results(key: str) -> bool:
    """Whether the top-level config key of a dotted override (``epochs``,
    ``noise.rate``) is part of a run's identity: not where data lives, nor a speed
    setting, nor prose."""
    fields = {f.name: f for f in dataclasses.fields(ExperimentConfig)}
    top = fields.get(key.split(".")[0])
    return top is None or top.metadata.get("identity", True) is not False


def _drop_non_identity(obj: Any, key: dict) -> None:
    """Remove from ``key`` (``obj`` as a dict) the fields of ``obj`` that are not part of
    a run's identity, and those marked ``"unless-default"`` that hold their default."""
    for f in dataclasses.fields(obj):
        identity = f.metadata.get("identity", True)
        if not identity or (identity == "unless-default" and key[f.name] == _default(f)):
            key.pop(f.name)


def _default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- checks


def _choice(value: Any, allowed: tuple[str, ...] | list[str], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _check_fraction_or_count(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"validation must be 0, a fraction in (0, 1) or a count, got {value!r}")
    if value >= 1 and int(value) != value:
        raise ValueError(f"validation >= 1 is a count and must be an integer, got {value}")


def _params(component: dict) -> dict:
    return {k: v for k, v in component.items() if k != "name"}


def _check_component(component: Any, section: str, kind: Any, build) -> None:
    """``component`` names a known component (ours, registered or a plug-in: the
    ``kind`` module's ``has`` says) and ``build(component)`` accepts it."""
    if not isinstance(component, dict) or "name" not in component:
        raise TypeError(f"{section} must be a dict with a 'name' key, got {component!r}")
    if not kind.has(component["name"]):
        raise ValueError(
            f"{section}.name must be one of {', '.join(kind.available())}; "
            f"got {component['name']!r}"
        )
    try:
        build(component)
    except (TypeError, ValueError) as err:
        if str(err).startswith(f"{section}."):  # already names its key
            raise
        raise type(err)(f"{section}: {err}") from None


def _check_model_args(component: dict) -> None:
    """Bind the builder's arguments without building the model."""
    from kerasnoise import models

    builder = models.builder(component["name"])
    params = _params(component)
    for reserved in models.RUNNER_ARGUMENTS:
        if reserved in params:
            raise ValueError(f"model.{reserved} is set by the runner, not in the config")
    signature = inspect.signature(builder)
    try:
        signature.bind_partial(**params)
    except TypeError:
        allowed = [
            name
            for name, p in signature.parameters.items()
            if name not in models.RUNNER_ARGUMENTS
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        raise TypeError(
            f"unknown parameter for model {component['name']!r}: {sorted(params)}; "
            f"allowed: {', '.join(allowed)}"
        ) from None
    ours = str(getattr(builder, "__module__", "")).startswith(f"{models.__name__}.")
    if "data_format" in params and ours:
        try:
            models.resolve_data_format(params["data_format"])
        except ValueError as err:
            raise ValueError(f"model.{err}") from None


def _check_transition(loss: dict, num_classes: int) -> None:
    """A loss's ``transition`` (a name, or a matrix for the data set's classes) and
    ``estimator``, checked before any data loads or Keras is imported."""
    if not isinstance(loss, dict):
        return
    if "transition" in loss:
        transition_lib.check_transition_param(loss["transition"], num_classes)
    if "estimator" in loss:
        transition_lib.check_estimator(loss["estimator"])


def _check_optimizer(opt: OptimizerConfig) -> None:
    _choice(opt.name, OPTIMIZERS, "optimizer.name")
    _choice(opt.schedule, SCHEDULES, "optimizer.schedule")
    _choice(opt.weight_decay_mode, DECAY_MODES, "optimizer.weight_decay_mode")
    for name in ("learning_rate", "epsilon", "decay_rate", "gamma"):
        if getattr(opt, name) <= 0:
            raise ValueError(f"optimizer.{name} must be > 0, got {getattr(opt, name)}")
    for name in ("momentum", "weight_decay", "initial_accumulator"):
        if getattr(opt, name) < 0:
            raise ValueError(f"optimizer.{name} must be >= 0, got {getattr(opt, name)}")
    if not 0 <= opt.rho < 1:
        raise ValueError(f"optimizer.rho must be in [0, 1), got {opt.rho}")
    _positive(opt.decay_steps, "optimizer.decay_steps")
    if opt.schedule == "multistep" and not opt.milestones:
        raise ValueError("optimizer.schedule='multistep' needs optimizer.milestones (epochs)")
    if any(not isinstance(m, int) or m < 1 for m in opt.milestones) or sorted(
        opt.milestones
    ) != list(opt.milestones):
        raise ValueError(
            f"optimizer.milestones must be increasing epochs >= 1, got {opt.milestones}"
        )
    if opt.global_clipnorm is not None and opt.clipnorm is not None:
        raise ValueError(
            "set either optimizer.global_clipnorm (global norm, Menon et al.) or "
            "optimizer.clipnorm (per variable), not both"
        )
    for name in ("global_clipnorm", "clipnorm"):
        value = getattr(opt, name)
        if value is not None and value <= 0:
            raise ValueError(f"optimizer.{name} must be > 0 or None, got {value}")
    if opt.nesterov and opt.name != "sgd":
        raise ValueError("optimizer.nesterov applies to optimizer.name='sgd' only")
    if opt.decay_start is not None:
        _positive(opt.decay_start, "optimizer.decay_start")
    if opt.schedule == "linear" and opt.decay_start is None:
        raise ValueError("optimizer.schedule='linear' needs optimizer.decay_start (an epoch)")
    if opt.beta_1_after is not None:
        if opt.name != "adam":
            raise ValueError("optimizer.beta_1_after applies to optimizer.name='adam' only")
        if opt.decay_start is None:
            raise ValueError("optimizer.beta_1_after needs optimizer.decay_start (an epoch)")
        if not 0 <= opt.beta_1_after < 1:
            raise ValueError(f"optimizer.beta_1_after must be in [0, 1), got {opt.beta_1_after}")
        if opt.effective_decay_mode() == "coupled_after_clip" and opt.weight_decay:
            raise ValueError(
                "optimizer.beta_1_after does not combine with "
                "weight_decay_mode='coupled_after_clip'; use 'coupled' or 'decoupled'"
            )


# --------------------------------------------------------------------------- building


def _build(cls, data: Any, prefix: str):
    """Typed construction of a config dataclass from a dict, with clear errors."""
    if not isinstance(data, dict):
        raise TypeError(f"{prefix or 'config'} must be a mapping, got {data!r}")
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        where = f"{prefix}." if prefix else ""
        allowed = f"{prefix} keys" if prefix else "keys"
        raise ValueError(
            f"unknown config key {where}{unknown[0]}; allowed {allowed}: {', '.join(names)}"
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(value, hints[name], f"{prefix}.{name}" if prefix else name)
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, key: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key)
    union = get_origin(hint) in (Union, types.UnionType)
    kinds = set(get_args(hint)) if union else {get_origin(hint) or hint}
    if value is None:
        if type(None) in kinds:
            return None
        raise TypeError(f"{key} must not be None")
    if bool in kinds and (isinstance(value, bool) or str not in kinds):
        if not isinstance(value, bool):
            raise TypeError(f"{key} must be True or False, got {value!r}")
        return value
    if kinds & {int, float} and not (str in kinds and isinstance(value, str)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            kind = "a number" if float in kinds else "an integer"
            raise TypeError(f"{key} must be {kind}, got {value!r}")
        if int in kinds and (float not in kinds or isinstance(value, numbers.Integral)):
            if not isinstance(value, numbers.Integral):
                raise TypeError(f"{key} must be an integer, got {value!r}")
            return int(value)
        return float(value)
    for kind, label in ((str, "a string"), (dict, "a mapping"), (list, "a list")):
        if kind in kinds:
            if kind is list and isinstance(value, tuple):
                value = list(value)
            if not isinstance(value, kind):
                raise TypeError(f"{key} must be {label}, got {value!r}")
            return copy.deepcopy(value)
    return value


# --------------------------------------------------------------------------- overrides


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["epochs=2", "noise.rate=0.4"]`` -> ``{"epochs": 2, "noise.rate": 0.4}``.

    Values are Python literals (``ast.literal_eval``); anything else is a string.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"expected key=value, got {item!r}")
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[key] = text
    return out


COMPONENTS = ("model", "loss", "noise", "method")
#: ``selection``: the ``method`` section's name before methods were a component.
_LEGACY_SECTION = "selection"


def _legacy(data: Any) -> Any:
    """A config dict with a ``selection`` section read as ``method``."""
    if not isinstance(data, dict) or _LEGACY_SECTION not in data:
        return data
    if "method" in data:
        raise ValueError("give the training method as method, not as both method and selection")
    data = dict(data)
    data["method"] = data.pop(_LEGACY_SECTION)
    return data


def _legacy_key(key: str) -> str:
    """An override's key with ``selection`` read as ``method``."""
    section, dot, leaf = key.partition(".")
    return f"method{dot}{leaf}" if section == _LEGACY_SECTION else key


def apply_overrides(config: ExperimentConfig, overrides: dict[str, Any]) -> ExperimentConfig:
    """A new config with dotted-key ``overrides`` applied (``loss=NAME`` switches the loss)."""
    data = config.to_dict()
    overrides = {_legacy_key(key): value for key, value in overrides.items()}
    # component switches first, so that 'loss=gce loss.q=0.5' works in any order
    for key, value in overrides.items():
        if key in COMPONENTS:
            if not isinstance(value, str):
                raise TypeError(f"{key}=NAME expects a name, got {value!r}")
            defaults = data["preset_params"].get(key, {}).get(value, {})
            data[key] = {"name": value, **copy.deepcopy(defaults)}
    for key, value in overrides.items():
        if key in COMPONENTS:
            continue
        section, _, leaf = key.partition(".")
        if not leaf:
            data[section] = value if section in data else _unknown(section, data)
            continue
        if section not in data or not isinstance(data[section], dict):
            _unknown(section, data)
        target = data[section]
        if section not in COMPONENTS and leaf not in target:
            raise ValueError(
                f"unknown config key {key}; allowed {section} keys: {', '.join(target)}"
            )
        if "." in leaf:
            raise ValueError(f"config keys are at most two levels deep, got {key}")
        target[leaf] = value
    return ExperimentConfig.from_dict(data)


def _unknown(key: str, data: dict):
    raise ValueError(f"unknown config key {key}; allowed keys: {', '.join(data)}")
