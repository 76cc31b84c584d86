"""Training methods: how a run chooses, weighs or relabels its examples while it trains.

A config's ``method`` section names one (``method=coteaching``); plain training is
``standard``.  Write your own as a subclass of :class:`Method` and register it with
:func:`register`, or install it as the entry point group ``kerasnoise.methods``
(``docs/extending.md``); ours are registered the same way.

- :class:`Method`, :class:`PipelineNeeds`: the interface (:mod:`kerasnoise.methods.base`);
- :func:`register`, :func:`get`, :func:`available`, :func:`has`, :func:`from_config`;
- ``standard`` (:class:`Standard`), ``coteaching`` and ``coteaching_plus``
  (:mod:`kerasnoise.methods.coteaching`).
"""

from kerasnoise.methods.base import (
    STANDARD,
    Method,
    PipelineNeeds,
    Standard,
    available,
    from_config,
    get,
    has,
    register,
)

__all__ = [
    "STANDARD",
    "Method",
    "PipelineNeeds",
    "Standard",
    "available",
    "from_config",
    "get",
    "has",
    "register",
]
