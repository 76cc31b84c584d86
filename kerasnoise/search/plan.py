"""What a learning-rate search is: the plan (:class:`LRSearch`), the command-line values
it is made of, and where its keras-tuner state lives.  No keras-tuner import here."""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

from kerasnoise import config as cfg
from kerasnoise import presets
from kerasnoise import sweep as sweep_lib
from kerasnoise._args import TUNERS
from kerasnoise._checks import positive_int
from kerasnoise.config import SELECT_ON

__all__ = [
    "TUNERS",
    "SELECT_ON",
    "LR_KEY",
    "OBJECTIVE",
    "HP_NAME",
    "DONE_MARKER",
    "LRSearch",
    "parse_learning_rates",
    "parse_lr_range",
    "parse_axis",
    "project_dir",
]

LR_KEY = "optimizer.learning_rate"
OBJECTIVE = "val_accuracy"  # the trial's value: its runs' ``val_accuracy_best``, averaged
HP_NAME = "learning_rate"  # the keras-tuner hyperparameter
DONE_MARKER = "search-done"  # written into a level's project folder when its search has ended


def parse_learning_rates(text: str) -> list[float]:
    """``"0.01,0.05"`` -> ``[0.01, 0.05]``: positive, distinct, at least one."""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    try:
        rates = [float(t) for t in items]
    except ValueError:
        raise ValueError(f"learning rates must be numbers like 0.01,0.05; got {text!r}") from None
    if not rates:
        raise ValueError("learning rates: expected a comma-separated list, got nothing")
    bad = [r for r in rates if not math.isfinite(r) or r <= 0]
    if bad:
        raise ValueError(f"learning rates must be > 0, got {bad[0]}")
    if len(set(rates)) != len(rates):
        raise ValueError(f"learning rates must be distinct, got {text!r}")
    return rates


def parse_lr_range(text: str) -> tuple[float, float]:
    """``"1e-3:1"`` -> ``(0.001, 1.0)`` with ``0 < low < high``."""
    low, sep, high = str(text).partition(":")
    try:
        lo, hi = float(low), float(high)
    except ValueError:
        lo = hi = float("nan")
    if not sep or not (math.isfinite(lo) and math.isfinite(hi)) or not 0 < lo < hi:
        raise ValueError(f"learning-rate range must be LOW:HIGH with 0 < LOW < HIGH, got {text!r}")
    return lo, hi


def parse_axis(text: str) -> tuple[str, list]:
    """``"noise.alpha=0,20,50"`` -> ``("noise.alpha", [0, 20, 50])`` (values as literals)."""
    key, sep, values = str(text).partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"axis must be KEY=V1,V2,... (e.g. noise.alpha=0,20,50), got {text!r}")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not items:
        raise ValueError(f"axis {key!r} has no values (e.g. {key}=0,20,50)")
    return key, [cfg.parse_overrides([f"{key}={v}"])[key] for v in items]


@dataclasses.dataclass
class LRSearch:
    """A learning-rate search per level of one axis over a preset.

    Args:
        preset: the base configuration: a preset's name or an ``ExperimentConfig``.
        axis: the config key of the levels (``"noise.alpha"``); ``levels`` its values.
        learning_rates: the grid (a Choice for the random and Bayesian tuners too).
        lr_range: ``(low, high)``, searched on a log scale (random, Bayesian, Hyperband).
        tuner: one of :data:`TUNERS`; ``grid`` needs ``learning_rates``.
        trials: trials per level (random and Bayesian; ``None``: the grid's size, or 10).
        executions_per_trial: runs per trial, with training seeds ``seed``, ``seed+1``, ...
        select_on: a key of :data:`SELECT_ON`.
        seeds: training seeds of the best learning rate's final runs.
        overrides: applied to every run (``{"model": "mlp1"}``).
        name: the sweep name the final runs are tagged with; the trials' runs are
            tagged ``<name>/trials``, so ``report.runs_frame(out, sweep=name)`` holds
            exactly the chosen rates' runs and ``report.summarise`` tabulates them.
        data_dir: where the data files are.
        method: the final runs' method tag (default: ``select_on``), e.g. an
            experiment's method when one search runs per method.
        fixed: config key -> value of axes held fixed in this search, tagged as axes
            (an experiment's other axes, e.g. ``{"model": "mlp1"}``).
    """

    preset: str | cfg.ExperimentConfig
    axis: str
    levels: list
    learning_rates: list[float] | None = None
    lr_range: tuple[float, float] | None = None
    tuner: str = "grid"
    trials: int | None = None
    executions_per_trial: int = 1
    select_on: str = "noisy-validation"
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0, 1, 2])
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    name: str = "lr-search"
    data_dir: str | None = None
    method: str | None = None
    fixed: dict[str, Any] = dataclasses.field(default_factory=dict)

    def validate(self) -> LRSearch:
        """Check everything, and expand every level's configs, before any training."""
        if self.tuner not in TUNERS:
            raise ValueError(f"tuner must be one of {', '.join(TUNERS)}; got {self.tuner!r}")
        if self.select_on not in SELECT_ON:
            raise ValueError(
                f"select_on must be one of {', '.join(SELECT_ON)}; got {self.select_on!r}"
            )
        if (self.learning_rates is None) == (self.lr_range is None):
            raise ValueError("give exactly one of learning_rates (a list) and lr_range (LOW:HIGH)")
        if self.learning_rates is not None:
            parse_learning_rates(",".join(map(str, self.learning_rates)))
        else:
            parse_lr_range(f"{self.lr_range[0]}:{self.lr_range[1]}")
        if self.tuner == "grid" and self.learning_rates is None:
            raise ValueError(
                "the grid tuner needs learning_rates; use random/bayesian with a range"
            )
        if self.trials is not None:
            positive_int(self.trials, "trials")
            if self.tuner in ("grid", "hyperband"):
                raise ValueError(f"trials does not apply to the {self.tuner} tuner; leave it out")
        positive_int(self.executions_per_trial, "executions_per_trial")
        base = self.base_config()
        if self.tuner == "hyperband" and base.epochs < 2:
            raise ValueError("hyperband needs epochs >= 2 (its largest budget)")
        for lr in self._bounds():  # unknown keys and bad values raise here
            self.as_sweep({self.axis: self.levels, LR_KEY: [float(lr)]}, self.seeds).expand()
        return self

    def base_config(self) -> cfg.ExperimentConfig:
        """The preset with the overrides and the selection's validation labels."""
        if not isinstance(self.levels, list | tuple) or not self.levels:
            raise ValueError(
                f"axis {self.axis!r} must have at least one level, got {self.levels!r}"
            )
        if len(set(map(repr, self.levels))) != len(self.levels):
            raise ValueError(f"axis {self.axis!r} levels must be distinct, got {self.levels!r}")
        base = presets.config_of(self.preset)
        config = cfg.apply_overrides(base, {**self.run_overrides, **self.fixed})
        if not config.validation:
            raise ValueError(
                f"--select-on {self.select_on} needs a validation split, and preset "
                f"{getattr(self.preset, 'preset', self.preset)!r} has validation=0: add "
                "validation=5000 (or a fraction)"
            )
        cfg.apply_overrides(config, {self.axis: self.levels[0]})  # the axis key exists
        return config.validate()

    def _bounds(self) -> list[float]:
        return list(self.learning_rates or self.lr_range)

    @property
    def run_overrides(self) -> dict[str, Any]:
        """The overrides of every run: the user's and the selection's validation labels."""
        return {**self.overrides, "validation_labels": SELECT_ON[self.select_on]}

    @property
    def method_tag(self) -> str:
        """The final runs' method tag."""
        return self.method or self.select_on

    @property
    def trials_name(self) -> str:
        """The sweep name the trials' runs are tagged with."""
        return f"{self.name}/trials"

    def execution_seeds(self) -> list[int]:
        base = self.base_config().seed
        return [base + j for j in range(self.executions_per_trial)]

    def trial_sweep(self, level: Any, lr: float, epochs: int | None = None) -> sweep_lib.Sweep:
        """The runs of one trial: this level and learning rate, one per execution seed."""
        axes = {self.axis: [level], LR_KEY: [float(lr)]}
        if epochs is not None:
            axes["epochs"] = [int(epochs)]
        return self.as_sweep(axes, self.execution_seeds(), name=self.trials_name)

    def final_runs(self, best: dict) -> list[sweep_lib.SweepRun]:
        """Every level's best learning rate with every seed, numbered for sharding."""
        runs = [
            r
            for level, lr in best.items()
            for r in self.as_sweep({self.axis: [level], LR_KEY: [float(lr)]}, self.seeds).expand()
        ]
        return [dataclasses.replace(r, index=i) for i, r in enumerate(runs)]

    def as_sweep(self, axes: dict, seeds: list[int], name: str | None = None) -> sweep_lib.Sweep:
        """A sweep of this search's runs (its name, method, fixed axes and overrides)
        over ``axes``."""
        return sweep_lib.Sweep(
            name=name or self.name,
            preset=self.preset,
            methods={self.method_tag: {}},
            axes={**{k: [v] for k, v in self.fixed.items()}, **axes},
            seeds=list(seeds),
            overrides=self.run_overrides,
            data_dir=self.data_dir,
        )


def project_dir(out: str | os.PathLike, search: LRSearch, level: Any) -> Path:
    """Where level ``level``'s keras-tuner project lives:
    ``out/search/<name>/<select_on>[/<method>,<key>=<value>...]/<axis>=<level>``."""
    folder = Path(out) / "search" / search.name / search.select_on
    if search.method is not None or search.fixed:
        parts = [search.method_tag, *(f"{k}={v}" for k, v in search.fixed.items())]
        folder = folder / ",".join(parts)
    return folder / f"{search.axis}={level}"
