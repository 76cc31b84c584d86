"""The preset registry and the record of a paper's published numbers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from kerasnoise.config import ExperimentConfig
from kerasnoise.registry import Registry, normalize


def _check(name: str, builder: Any) -> Callable[..., ExperimentConfig]:
    if not callable(builder):
        raise TypeError(
            f"a preset is a function that returns an ExperimentConfig, got {builder!r} for {name!r}"
        )
    return builder


_REGISTRY = Registry("preset", "kerasnoise.presets", {}, check=_check)


def register(
    name: str, builder: Callable[..., ExperimentConfig] | None = None, /, *, replace: bool = False
) -> Any:
    """Add a preset: ``builder(**params)`` returns a fresh, complete config whose
    ``preset`` is ``name``.  A decorator without ``builder``; installed packages declare
    theirs as entry points of the group ``kerasnoise.presets``.

    Raises:
        ValueError: ``name`` exists and ``replace`` is false.
        TypeError: ``builder`` is not callable.
    """
    return _REGISTRY.register(name, builder, replace=replace)


def available() -> list[str]:
    """The preset names, ours in registration order, then plug-ins'."""
    return _REGISTRY.available()


def has(name: Any) -> bool:
    """Whether ``name`` names a preset (case-insensitive, ``_`` for ``-``)."""
    return _REGISTRY.has(name)


def config_of(preset: str | ExperimentConfig) -> ExperimentConfig:
    """A fresh config from a preset's name or from a config (copied, left unchanged)."""
    if isinstance(preset, ExperimentConfig):
        return ExperimentConfig.from_dict(preset.to_dict())
    if not isinstance(preset, str):
        raise TypeError(f"preset must be a preset name or an ExperimentConfig, got {preset!r}")
    return get(preset)


def get(name: str, /, **params: Any) -> ExperimentConfig:
    """A fresh copy of the preset ``name`` (change it freely); ``params`` go to its
    builder (ours take none).

    Raises:
        ValueError: an unknown name (the message lists the available ones), or a
            builder whose config names another preset.
    """
    config = _REGISTRY.build(name, params)
    if not isinstance(config, ExperimentConfig):
        raise TypeError(f"preset {name!r} built {config!r}, not an ExperimentConfig")
    if normalize(config.preset or "") != normalize(name):
        raise ValueError(f"preset {name!r} built a config named {config.preset!r}")
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
