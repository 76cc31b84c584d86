"""Label-noise models that say what they did, by name.

Every model is a small, serialisable description (``get_config``/``from_config``);
``model.apply(labels, num_classes=K, seed=...)`` corrupts a label array with an
explicit seed and returns a :class:`NoiseResult`: the noisy labels, the ``is_noisy``
mask, the realised transition matrix and noise rate, and the seed and generator state
that replay the draw.  A config names a model (``noise=NAME``, ``noise.PARAM=...``);
:func:`get` builds one by name, :func:`register` adds your own (or install it as the
entry point group ``kerasnoise.noise``; ``docs/extending.md``).

What is where:

- :mod:`kerasnoise.noise.base`: :class:`NoiseModel` (the base class and the hooks a
  model implements: :meth:`~NoiseModel.corrupt`,
  :meth:`~NoiseModel.compute_expected_transition`, :meth:`~NoiseModel.check_classes`),
  :class:`NoiseResult`, and the argument checks :func:`check_labels`,
  :func:`check_num_classes`, :func:`check_fraction`, :func:`check_transition_matrix`;
- :mod:`kerasnoise.noise.replacement`: the N examples kept, some labels changed --
  ``symmetric_exclusive`` (:class:`SymmetricExclusive`), ``symmetric_inclusive``,
  ``symmetric_exact``, ``pair_flip``, ``asymmetric`` (a class map; :data:`ASYMMETRIC_MAPS`)
  and ``transition_matrix``;
- :mod:`kerasnoise.noise.additive`: Rolnick et al.'s extra pairs, ``additive`` and
  ``structured`` (:data:`ORDERS`, :func:`plurality_delta`);
- :mod:`kerasnoise.noise.instance`: Xia et al.'s ``instance_dependent`` noise (drawn
  from the images);
- :mod:`kerasnoise.noise.transition`: transition matrices for loss correction, checked
  and estimated (NumPy; what ``kerasnoise.config`` checks ``loss.transition`` with);
- here: the registry of every name above, :func:`register`, :func:`get`,
  :func:`available`, :func:`has`, :func:`from_config`.

No module of this package imports Keras.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerasnoise.noise import transition
from kerasnoise.noise.additive import ORDERS, Additive, Structured, plurality_delta
from kerasnoise.noise.base import (
    NoiseModel,
    NoiseResult,
    check_fraction,
    check_labels,
    check_num_classes,
    check_registered,
    check_transition_matrix,
)
from kerasnoise.noise.instance import InstanceDependent
from kerasnoise.noise.replacement import (
    ASYMMETRIC_MAPS,
    Asymmetric,
    PairFlip,
    SymmetricExact,
    SymmetricExclusive,
    SymmetricInclusive,
    TransitionMatrix,
)
from kerasnoise.registry import Registry

__all__ = [
    "ASYMMETRIC_MAPS",
    "ORDERS",
    "Additive",
    "Asymmetric",
    "InstanceDependent",
    "NoiseModel",
    "NoiseResult",
    "PairFlip",
    "Structured",
    "SymmetricExact",
    "SymmetricExclusive",
    "SymmetricInclusive",
    "TransitionMatrix",
    "available",
    "check_fraction",
    "check_labels",
    "check_num_classes",
    "check_transition_matrix",
    "from_config",
    "get",
    "has",
    "plurality_delta",
    "register",
    "transition",
]

_REGISTRY = Registry(
    "noise model",
    "kerasnoise.noise",
    {
        cls.name: cls
        for cls in (
            SymmetricExclusive,
            SymmetricInclusive,
            SymmetricExact,
            PairFlip,
            Asymmetric,
            TransitionMatrix,
            Additive,
            Structured,
            InstanceDependent,
        )
    },
    check=check_registered,
)


def register(name: str, obj: type[NoiseModel] | None = None, /, *, replace: bool = False) -> Any:
    """Make a noise model available by name to :func:`get`, configs (``noise=NAME``,
    ``noise.PARAM=...``), sweeps, experiments and ``kerasnoise train`` / ``noise``.

    A decorator, or a plain call::

        @noise.register("block_flip")
        class BlockFlip(noise.NoiseModel): ...

        noise.register("block_flip", BlockFlip)

    The contract: a :class:`NoiseModel` subclass whose constructor's keyword arguments
    are the config's ``noise.*`` parameters; it implements ``get_config()`` (``{"name":
    self.name, **those parameters}``) and the hook ``corrupt(y, k, rng) -> (noisy,
    true)``, and optionally ``compute_expected_transition(k)`` (the K x K matrix it
    draws from) and ``check_classes(k)`` (:class:`NoiseModel` documents each).
    :meth:`NoiseModel.apply` then reports the realised rate and transition matrix, the
    mask and the seed, as it does for ours.  A class that does not set ``name`` is
    called ``name`` (``cls.name``, ``get_config()``); registering does not change it.

    Args:
        name: the noise model's name (case-insensitive, ``-`` counts as ``_``).
        obj: the class; omitted, ``register`` returns a decorator.
        replace: whether ``name`` may replace a noise model that exists (ours included).

    Returns:
        ``obj``, unchanged (or the decorator).

    Raises:
        ValueError: ``name`` exists and ``replace`` is false, or the class is named
            otherwise.
        TypeError: ``obj`` is not a :class:`NoiseModel` subclass implementing
            ``corrupt`` and ``get_config``.
    """
    return _REGISTRY.register(name, obj, replace=replace)


def get(name: str, /, **params: Any) -> NoiseModel:
    """A noise model by name, e.g. ``get("symmetric_exclusive", rate=0.4)``.

    A name that is neither ours nor registered is looked up among the installed
    plug-ins (entry-point group ``kerasnoise.noise``).

    Raises:
        ValueError: an unknown name (the message lists the available ones).
        TypeError: a parameter the model does not take (the message names it).
        kerasnoise.registry.PluginError: the name's plug-in failed to import.
    """
    return _REGISTRY.build(name, params)


def available() -> list[str]:
    """Names accepted by :func:`get` (registered models and installed plug-ins included)."""
    return _REGISTRY.available()


def has(name: str) -> bool:
    """Whether ``name`` names a noise model, by :func:`get`'s rule (case-insensitive,
    ``-`` for ``_``; an installed plug-in is not imported to answer)."""
    return _REGISTRY.has(name)


def from_config(config: Mapping[str, Any]) -> NoiseModel:
    """Inverse of ``NoiseModel.get_config``."""
    if "name" not in config:
        raise ValueError("a noise config needs a 'name' key")
    params = {k: v for k, v in config.items() if k != "name"}
    return get(config["name"], **params)
