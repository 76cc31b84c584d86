"""The preset registry and the record of a paper's published numbers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from kerasnoise.config import ExperimentConfig

_BUILDERS: dict[str, Callable[[], ExperimentConfig]] = {}


def register(name: str, builder: Callable[[], ExperimentConfig]) -> None:
    """Add a preset: ``builder()`` returns a fresh, complete config named ``name``."""
    if name in _BUILDERS:
        raise ValueError(f"preset {name!r} is registered already")
    _BUILDERS[name] = builder


def available() -> list[str]:
    """The registered preset names, in registration order."""
    return list(_BUILDERS)


def config_of(preset: str | ExperimentConfig) -> ExperimentConfig:
    """A fresh config from a preset's name or from a config (copied, left unchanged)."""
    if isinstance(preset, ExperimentConfig):
        return ExperimentConfig.from_dict(preset.to_dict())
    if not isinstance(preset, str):
        raise TypeError(f"preset must be a preset name or an ExperimentConfig, got {preset!r}")
    return get(preset)


def get(name: str) -> ExperimentConfig:
    """A fresh copy of the preset ``name`` (change it freely)."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown preset {name!r}; available: {', '.join(_BUILDERS)}")
    config = _BUILDERS[name]()
    if config.preset != name:  # pragma: no cover - a registration mistake
        raise AssertionError(f"preset {name!r} built a config named {config.preset!r}")
    return config


@dataclasses.dataclass(frozen=True)
class Reference:
    """One set of published numbers to compare against, with where they come from.

    Args:
        name: the column it becomes in a table (``"paper"``, ``"reproduction"``).
        source: who reported them and where (paper, figure or table, and how read).
        values: ``{method: {axis value: percent}}``; the axis value is a scalar, or a
            tuple for several axes in the experiment's axis order.
    """

    name: str
    source: str
    values: Mapping[str, Mapping[Any, float]]

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"Reference name must be an identifier, got {self.name!r}")
        if not self.source.strip():
            raise ValueError(f"Reference {self.name!r} needs a source")
