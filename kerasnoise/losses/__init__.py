"""Robust classification losses and loss correction as Keras 3 losses, identical on
TensorFlow, JAX and PyTorch, by name.

- :mod:`kerasnoise.losses.base`: what every loss shares (inputs, numerics, checks) and
  :class:`Loss`, the base class of ours that a user's loss may build on;
- :mod:`kerasnoise.losses.robust`: the robust losses (CE, GCE, linear, PHuber-CE/GCE,
  RCE, SCE, NCE, NCE+RCE, MAE, bootstrapping), each a class and a per-example function;
- :mod:`kerasnoise.losses.correction`: forward and backward loss correction with a
  transition matrix (Patrini et al., CVPR 2017);
- :func:`register`, :func:`get`, :func:`available`, :func:`has`: losses by name, ours,
  registered in code, or installed plug-ins (entry-point group ``kerasnoise.losses``;
  ``docs/extending.md``); :func:`for_run`: a config's loss section for a run's noise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from kerasnoise.losses import base, correction, robust
from kerasnoise.losses.base import Loss, check_clip, clip_log_probs, log_probs_and_targets
from kerasnoise.losses.correction import (
    BackwardCorrection,
    ForwardCorrection,
    backward_correction,
    forward_correction,
)
from kerasnoise.losses.robust import (
    BootstrapHard,
    BootstrapSoft,
    CrossEntropy,
    GeneralizedCrossEntropy,
    LinearLoss,
    MeanAbsoluteError,
    NCEAndRCE,
    NormalizedCrossEntropy,
    PHuberCrossEntropy,
    PHuberGeneralizedCrossEntropy,
    ReverseCrossEntropy,
    SymmetricCrossEntropy,
    bootstrap_hard,
    bootstrap_soft,
    cross_entropy,
    generalized_cross_entropy,
    linear_loss,
    mean_absolute_error,
    nce_and_rce,
    normalized_cross_entropy,
    phuber_cross_entropy,
    phuber_generalized_cross_entropy,
    reverse_cross_entropy,
    symmetric_cross_entropy,
)
from kerasnoise.registry import Registry

__all__ = [
    "CrossEntropy",
    "GeneralizedCrossEntropy",
    "LinearLoss",
    "PHuberCrossEntropy",
    "PHuberGeneralizedCrossEntropy",
    "SymmetricCrossEntropy",
    "ReverseCrossEntropy",
    "NormalizedCrossEntropy",
    "NCEAndRCE",
    "MeanAbsoluteError",
    "BootstrapSoft",
    "BootstrapHard",
    "cross_entropy",
    "generalized_cross_entropy",
    "linear_loss",
    "phuber_cross_entropy",
    "phuber_generalized_cross_entropy",
    "symmetric_cross_entropy",
    "reverse_cross_entropy",
    "normalized_cross_entropy",
    "nce_and_rce",
    "mean_absolute_error",
    "bootstrap_soft",
    "bootstrap_hard",
    "BackwardCorrection",
    "ForwardCorrection",
    "Loss",
    "available",
    "backward_correction",
    "base",
    "check_clip",
    "clip_log_probs",
    "correction",
    "for_run",
    "forward_correction",
    "get",
    "has",
    "log_probs_and_targets",
    "register",
    "robust",
]

# --------------------------------------------------------------------------- lookup


def _check_plugin(name: str, loss: Any) -> type[keras.losses.Loss]:
    """A plug-in loss is a ``keras.losses.Loss`` subclass; one that Keras does not know
    yet is registered for ``.keras`` saving as ``kerasnoise.losses>{name}``."""
    if not (isinstance(loss, type) and issubclass(loss, keras.losses.Loss)):
        raise TypeError(f"a loss must be a keras.losses.Loss subclass, got {loss!r} for {name!r}")
    if keras.saving.get_registered_name(loss) == loss.__name__:  # not registered with Keras
        keras.saving.register_keras_serializable(package="kerasnoise.losses", name=name)(loss)
    return loss


_REGISTRY = Registry(
    "loss",
    "kerasnoise.losses",
    {
        "cross_entropy": CrossEntropy,
        "ce": CrossEntropy,
        "gce": GeneralizedCrossEntropy,
        "linear": LinearLoss,
        "unhinged": LinearLoss,
        "phuber_ce": PHuberCrossEntropy,
        "phuber_gce": PHuberGeneralizedCrossEntropy,
        "sce": SymmetricCrossEntropy,
        "rce": ReverseCrossEntropy,
        "nce": NormalizedCrossEntropy,
        "nce_rce": NCEAndRCE,
        "mae": MeanAbsoluteError,
        "bootstrap_soft": BootstrapSoft,
        "bootstrap_hard": BootstrapHard,
        "forward": ForwardCorrection,
        "backward": BackwardCorrection,
    },
    check=_check_plugin,
)


def register(
    name: str, loss: type[keras.losses.Loss] | None = None, /, *, replace: bool = False
) -> Any:
    """Make a loss class available by name to :func:`get`, configs (``loss=NAME``,
    ``loss.PARAM=...``), sweeps, experiments and ``kerasnoise train``.

    A decorator, or a plain call::

        @losses.register("focal")
        class Focal(keras.losses.Loss): ...

        losses.register("focal", Focal)

    The contract: a ``keras.losses.Loss`` subclass whose constructor's keyword
    arguments are the config's ``loss.*`` parameters, computing from logits and integer
    labels as ours do.  A class Keras does not know yet is registered with
    ``keras.saving.register_keras_serializable(package="kerasnoise.losses", name=name)``
    (one registered by its author keeps its own name), so a model compiled with it
    saves to ``.keras`` and loads again wherever the class is registered.

    Args:
        name: the loss's name (case-insensitive, ``-`` counts as ``_``).
        loss: the class; omitted, ``register`` returns a decorator.
        replace: whether ``name`` may replace a loss that exists (ours included).

    Returns:
        ``loss``, unchanged (or the decorator).

    Raises:
        ValueError: ``name`` exists and ``replace`` is false.
        TypeError: ``loss`` is not a ``keras.losses.Loss`` subclass.
    """
    return _REGISTRY.register(name, loss, replace=replace)


def available() -> list[str]:
    """Names accepted by :func:`get` (aliases, registered losses and installed plug-ins
    included)."""
    return _REGISTRY.available()


def get(identifier: str, /, **params: Any) -> keras.losses.Loss:
    """A loss by name with its parameters, e.g. ``get("phuber_ce", tau=10)``.

    ``params`` go to the class, Keras's ``name``, ``reduction`` and ``dtype`` included.
    A name that is neither ours nor registered is looked up among the installed
    plug-ins (entry-point group ``kerasnoise.losses``).
    """
    return _REGISTRY.build(identifier, params)


def has(name: Any) -> bool:
    """Whether ``name`` names a loss (by :func:`get`'s rule; plug-ins included, an entry
    point is not imported to answer)."""
    return _REGISTRY.has(name)


def for_run(section: Mapping[str, Any], noise: Any) -> tuple[dict, dict]:
    """A config's loss section, ``{"name": ..., **params}``, made ready for a run with
    ``noise`` (its :class:`kerasnoise.noise.NoiseResult`): the parameters to build the
    loss with, and what they add to the run's result record.

    A loss class whose parameter depends on the run's noise defines the classmethod
    ``for_run(params, noise) -> (params, record)`` (loss correction's
    ``transition="oracle"`` becomes the realised matrix); any other loss keeps its
    parameters and adds nothing.
    """
    params = {k: v for k, v in section.items() if k != "name"}
    cls = _REGISTRY.get(section["name"])
    hook = getattr(cls, "for_run", None)
    return hook(params, noise) if hook is not None else (params, {})
