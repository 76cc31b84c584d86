"""Validation of a config: every name, parameter, number's range, choice and combination.

:meth:`~kerasnoise.config.ExperimentConfig.validate` and
:meth:`~kerasnoise.config.ExperimentConfig.validate_without_keras` are :func:`validate` and
:func:`validate_without_keras` here.  Every name and parameter is checked against the
registries of :mod:`kerasnoise.models`, :mod:`kerasnoise.losses` and
:mod:`kerasnoise.noise` *before* any data is loaded, and every error lists the allowed
values.  Only :func:`validate` imports Keras (inside the function).
"""

from __future__ import annotations

import inspect
import numbers
from typing import TYPE_CHECKING, Any

from kerasnoise import datasets
from kerasnoise import methods as methods_lib
from kerasnoise import noise as noise_lib
from kerasnoise._checks import positive_int as _positive
from kerasnoise.config.choices import (
    DECAY_MODES,
    INPUT_SCALES,
    NOISE_SEED_PER_RUN,
    OPTIMIZERS,
    PRECISIONS,
    SCHEDULES,
    VALIDATION_LABELS,
)
from kerasnoise.noise import transition as transition_lib

if TYPE_CHECKING:
    from kerasnoise.config.schema import ExperimentConfig, OptimizerConfig


def validate(config: ExperimentConfig) -> ExperimentConfig:
    """What :meth:`kerasnoise.config.ExperimentConfig.validate` checks; returns ``config``."""
    from kerasnoise import losses, models
    from kerasnoise.devices import distribution

    config.validate_without_keras()
    distribution.check_supported(config.distribution)
    _check_component(config.loss, "loss", losses, lambda c: losses.get(c["name"], **_params(c)))
    _check_component(config.model, "model", models, _check_model_args)
    return config


def validate_without_keras(config: ExperimentConfig) -> ExperimentConfig:
    """What :meth:`kerasnoise.config.ExperimentConfig.validate_without_keras` checks."""
    datasets.get_info(config.dataset)
    _check_fraction_or_count(config.validation)
    _choice(config.validation_labels, VALIDATION_LABELS, "validation_labels")
    _choice(config.input_scale, INPUT_SCALES, "input_scale")
    if config.validation_labels == "noisy" and not config.validation:
        raise ValueError(
            "validation_labels='noisy' needs a validation split: set validation=0.1 (or a count)"
        )
    for name in ("train_limit", "test_limit", "train_eval_images", "eval_every_steps"):
        if getattr(config, name) is not None:
            _positive(getattr(config, name), name)
    for name in ("batch_size", "eval_batch_size", "epochs"):
        _positive(getattr(config, name), name)
    for name in ("seed", "noise_seed"):
        value = getattr(config, name)
        if name == "noise_seed" and value == NOISE_SEED_PER_RUN:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            also = " or 'seed' (the training seed's value)" if name == "noise_seed" else ""
            raise ValueError(f"{name} must be a non-negative integer{also}, got {value!r}")
    _choice(config.precision, PRECISIONS, "precision")
    _positive(config.steps_per_execution, "steps_per_execution")
    if config.jit_compile not in (True, False, "auto"):
        raise ValueError(f"jit_compile must be True, False or 'auto', got {config.jit_compile!r}")
    _check_component(config.noise, "noise", noise_lib, noise_lib.from_config)
    source = config.noise.get("source", "train")
    datasets.check_noise_source(source, config.dataset)
    if source != "train" and config.validation_labels == "noisy":
        raise ValueError(
            "validation_labels='noisy' needs extra pairs of the training images; with "
            f"noise.source={source!r} use validation_labels='clean'"
        )
    num_classes = datasets.get_info(config.dataset).num_classes
    _check_transition(config.loss, num_classes)
    _check_optimizer(config.optimizer)
    start = config.optimizer.decay_start
    if start is not None and start >= config.epochs:
        raise ValueError(f"optimizer.decay_start={start} must be below epochs={config.epochs}")
    methods_lib.from_config(config.method).check(config)
    es = config.early_stopping
    if es.enabled:
        _positive(es.patience, "early_stopping.patience")
        if es.monitor.startswith("val_") and not config.validation:
            raise ValueError(
                f"early_stopping.monitor={es.monitor!r} needs a validation split: "
                "set validation=0.1 (or a count), or monitor a training metric"
            )
    if config.augment and datasets.get_info(config.dataset).image_shape[-1] != 3:
        raise ValueError("augment=True is the CIFAR crop-and-flip; use it with cifar10/100")
    return config


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
