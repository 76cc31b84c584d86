"""A sweep: named methods × axes × seeds over a preset, expanded into validated runs in
order (seeds outermost, then axis values, then methods)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

from kerasnoise import config as cfg
from kerasnoise import presets
from kerasnoise._checks import non_negative_int

__all__ = ["Sweep", "SweepRun"]


@dataclasses.dataclass(frozen=True)
class SweepRun:
    """One point of a sweep: its position, method, axis values, seed and config."""

    index: int
    method: str
    axes: dict[str, Any]
    seed: int
    config: cfg.ExperimentConfig

    def tag(self, sweep: str) -> dict:
        return {"sweep": sweep, "method": self.method, "axes": dict(self.axes)}


@dataclasses.dataclass
class Sweep:
    """A name, a base preset, named methods (override sets), axes and seeds.

    Args:
        name: the sweep's name, recorded with every run (tables select by it).
        preset: the base configuration: a preset's name (``kerasnoise presets``) or
            an :class:`~kerasnoise.config.ExperimentConfig` (left unchanged).
        methods: method name -> overrides, e.g. ``{"loss": "gce"}``.
        axes: config key -> the values it takes, e.g. ``{"noise.rate": [0, 0.2]}``.
        seeds: training seeds (``seed``); the noise seed stays the preset's.
        overrides: applied to every run before the method's and the axes' own.
        data_dir: where the data files are (not part of any run's identity).
        exclude: the points left out of the product, each a dict of ``method`` and/or
            axis keys to a value or a list of values; a point matching every key of
            one entry is not run, e.g. ``[{"noise": "instance_dependent",
            "noise.rate": 0.0}]`` or ``[{"method": ["forward", "backward"],
            "noise.rate": 0.0}]``.
    """

    name: str
    preset: str | cfg.ExperimentConfig
    methods: dict[str, dict[str, Any]]
    axes: dict[str, list]
    seeds: list[int]
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    data_dir: str | None = None
    exclude: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def expand(self) -> list[SweepRun]:
        """Every run of the sweep, validated, in order; clear errors before any training."""
        self._check_shape()
        base = self.base_config()
        keys = list(self.axes)
        runs: list[SweepRun] = []
        seen: dict[str, str] = {}
        for seed in self.seeds:
            for values in itertools.product(*(self.axes[k] for k in keys)):
                axes = dict(zip(keys, values, strict=True))
                for method, method_overrides in self.methods.items():
                    if self.excluded(method, axes):
                        continue
                    config = self._config(base, method, method_overrides, axes, seed)
                    key = config.run_id()
                    if key in seen:
                        raise ValueError(
                            f"methods {seen[key]!r} and {method!r} expand to the same config "
                            f"at {axes} (seed {seed}); give them different overrides"
                        )
                    seen[key] = method
                    runs.append(SweepRun(len(runs), method, axes, seed, config))
        return runs

    def excluded(self, method: str, axes: dict[str, Any]) -> bool:
        """Whether the point (``method``, ``axes``) matches an entry of ``exclude``."""
        point = {"method": method, **axes}
        return any(
            all(point[key] in _values(value) for key, value in entry.items())
            for entry in self.exclude
        )

    def base_config(self) -> cfg.ExperimentConfig:
        """A fresh copy of the base configuration."""
        return presets.config_of(self.preset)

    def _check_shape(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"sweep name must be a non-empty string, got {self.name!r}")
        if not self.methods:
            raise ValueError("methods must name at least one method")
        if not self.seeds:
            raise ValueError("seeds must not be empty (e.g. seeds=[0, 1, 2])")
        for seed in self.seeds:
            non_negative_int(seed, "seeds")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {self.seeds}")
        for key, values in self.axes.items():
            if isinstance(values, str) or not isinstance(values, Sequence) or not values:
                raise ValueError(f"axis {key!r} must be a non-empty list of values, got {values!r}")
        for entry in self.exclude:
            if not isinstance(entry, dict) or not entry:
                raise ValueError(f"exclude entries must be non-empty dicts, got {entry!r}")
            unknown = set(entry) - {"method", *self.axes}
            if unknown:
                raise ValueError(
                    f"exclude names {sorted(unknown)}: allowed keys are 'method' and the axes "
                    f"({', '.join(self.axes)})"
                )

    def _config(self, base, method: str, method_overrides, axes, seed) -> cfg.ExperimentConfig:
        overrides = {**self.overrides, **method_overrides, **axes, "seed": seed}
        try:
            config = cfg.apply_overrides(base, overrides)
            config.validate()
        except (ValueError, TypeError) as err:
            raise type(err)(f"method {method!r} at {axes}: {err}") from None
        config.data_dir = self.data_dir
        return config


def _values(value: Any) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]
