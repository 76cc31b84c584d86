"""Training methods: how a run chooses, weighs or relabels its examples while it trains.

A config's ``method`` section names one (``method=coteaching``); plain training is
``standard``.  Write your own as a subclass of :class:`Method` and register it with
:func:`register`, or install it as the entry point group ``kerasnoise.methods``
(``docs/extending.md``); ours are registered the same way.

- :mod:`kerasnoise.methods.base`: the interface (:class:`Method`, :class:`PipelineNeeds`,
  :class:`EarlierStage`), plain training (:class:`Standard`) and the registry
  (:func:`register`, :func:`get`, :func:`available`, :func:`has`, :func:`from_config`);
- :mod:`kerasnoise.methods.selection`: sample selection's per-batch rule, forget-rate
  schedule and checks (Co-teaching, Co-teaching+; ``keras.ops``);
- :mod:`kerasnoise.methods.jocor`: ``jocor`` (Wei et al., CVPR 2020), its per-batch
  rule (``keras.ops``) and parameters;
- :mod:`kerasnoise.methods.two_networks`: the two-network Keras models that train by
  those rules, their per-epoch schedule and network 2's evaluation;
- :mod:`kerasnoise.methods.coteaching`: ``coteaching`` and ``coteaching_plus``;
- :mod:`kerasnoise.methods.elr`: ``elr`` (Liu et al., NeurIPS 2020), its regulariser
  (``keras.ops``) and parameters; :mod:`kerasnoise.methods.elr_model`: the Keras model
  holding the network and its per-example targets;
- :mod:`kerasnoise.methods.dividemix`: ``dividemix`` (Li et al., ICLR 2020), with its
  per-batch rule :mod:`kerasnoise.methods.mixmatch` (``keras.ops``), its division
  :mod:`kerasnoise.methods.division` (a Gaussian mixture on the loss, scikit-learn) and
  its model and co-divide callback :mod:`kerasnoise.methods.dividemix_model`;
- :mod:`kerasnoise.methods.transition_estimate`: ``estimated_transition``, Patrini et
  al.'s two stages (``loss.transition="estimated"``).

Importing the package imports no Keras (``two_networks``, ``elr_model`` and
``dividemix_model`` are imported when a run builds its model).
"""

from kerasnoise.methods.base import (
    STANDARD,
    EarlierStage,
    Method,
    PipelineNeeds,
    Standard,
    UnknownParameterError,
    available,
    from_config,
    get,
    has,
    register,
)
from kerasnoise.methods.coteaching import CoTeachingMethod, CoTeachingPlusMethod
from kerasnoise.methods.dividemix import DivideMixMethod
from kerasnoise.methods.elr import ELR
from kerasnoise.methods.jocor import JoCoRMethod
from kerasnoise.methods.transition_estimate import EstimatedTransition

__all__ = [
    "STANDARD",
    "CoTeachingMethod",
    "CoTeachingPlusMethod",
    "DivideMixMethod",
    "ELR",
    "EarlierStage",
    "EstimatedTransition",
    "JoCoRMethod",
    "Method",
    "PipelineNeeds",
    "Standard",
    "UnknownParameterError",
    "available",
    "from_config",
    "get",
    "has",
    "register",
]
