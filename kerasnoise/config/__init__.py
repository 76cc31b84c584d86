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

What is where (one idea per module, lowest first):

- :mod:`~kerasnoise.config.choices` -- the allowed values of the choices
  (``SELECT_ON``, ``NOISE_SEED_PER_RUN``, the optimizers, schedules, precisions, ...).
- :mod:`~kerasnoise.config.identity` -- which fields change a run's results, its
  ``run_key``, ``run_id`` and ``group_id``.
- :mod:`~kerasnoise.config.validation` -- the checks of every value (``validate``,
  ``validate_without_keras``).
- :mod:`~kerasnoise.config.building` -- a config dataclass built from a dict, typed,
  with clear errors; the old ``selection`` section read as ``method``.
- :mod:`~kerasnoise.config.schema` -- the dataclasses: :class:`ExperimentConfig`,
  :class:`OptimizerConfig`, :class:`EarlyStoppingConfig`.
- :mod:`~kerasnoise.config.overrides` -- :func:`parse_overrides`,
  :func:`apply_overrides`, :func:`changes_results`.

Importing this package imports neither Keras nor TensorFlow: ``kerasnoise train`` checks a
config (:meth:`ExperimentConfig.validate_without_keras`) before it imports Keras.
"""

from kerasnoise.config.choices import SELECT_ON
from kerasnoise.config.overrides import apply_overrides, changes_results, parse_overrides
from kerasnoise.config.schema import EarlyStoppingConfig, ExperimentConfig, OptimizerConfig

__all__ = [
    "ExperimentConfig",
    "OptimizerConfig",
    "EarlyStoppingConfig",
    "parse_overrides",
    "apply_overrides",
    "changes_results",
    "SELECT_ON",
]
