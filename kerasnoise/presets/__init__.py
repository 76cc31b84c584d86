"""The papers' presets, each paper in its own module beside its facts.

A preset is a complete, typed :class:`~kerasnoise.config.ExperimentConfig`; a paper's
module (:mod:`~kerasnoise.presets.menon2020`, :mod:`~kerasnoise.presets.rolnick2017`,
:mod:`~kerasnoise.presets.patrini2017`, :mod:`~kerasnoise.presets.han2018`)
holds its configurations, its loss parameters (each written once), the methods its
tables compare with labels derived from those parameters, and the numbers it and its
reproductions reported (:class:`Reference`, each with its source).  Importing this
package registers them all::

    from kerasnoise import presets

    config = presets.get("menon-mnist-lenet")
    presets.menon2020.labels("mnist")["phuber_ce"]      # 'PHuber-CE (τ 10)'
"""

from kerasnoise.presets import menon2020, patrini2017, rolnick2017, han2018  # noqa: E402,I001
from kerasnoise.presets._registry import Reference, available, config_of, get, has, register

__all__ = [
    "Reference",
    "available",
    "config_of",
    "get",
    "has",
    "register",
    "han2018",
    "menon2020",
    "patrini2017",
    "rolnick2017",
]
