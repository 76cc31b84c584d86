"""Overrides: ``key=value`` strings with dotted keys, parsed and applied to a config.

Values are parsed as Python literals (never evaluated as code)::

    epochs=2  noise.rate=0.4  loss=phuber_ce  loss.tau=2  optimizer.learning_rate=0.1

``loss=NAME`` (or ``noise=NAME``, ``model=NAME``) switches the component and takes the
preset's parameters for that name (``preset_params``).  :func:`changes_results` says
whether an override's key is part of a run's identity.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
from typing import Any

from kerasnoise.config.building import legacy_key
from kerasnoise.config.schema import ExperimentConfig


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["epochs=2", "noise.rate=0.4"]`` -> ``{"epochs": 2, "noise.rate": 0.4}``.

    Values are Python literals (``ast.literal_eval``); anything else is a string.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"expected key=value, got {item!r}")
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[key] = text
    return out


COMPONENTS = ("model", "loss", "noise", "method")


def apply_overrides(config: ExperimentConfig, overrides: dict[str, Any]) -> ExperimentConfig:
    """A new config with dotted-key ``overrides`` applied (``loss=NAME`` switches the loss)."""
    data = config.to_dict()
    overrides = {legacy_key(key): value for key, value in overrides.items()}
    # component switches first, so that 'loss=gce loss.q=0.5' works in any order
    for key, value in overrides.items():
        if key in COMPONENTS:
            if not isinstance(value, str):
                raise TypeError(f"{key}=NAME expects a name, got {value!r}")
            defaults = data["preset_params"].get(key, {}).get(value, {})
            data[key] = {"name": value, **copy.deepcopy(defaults)}
    for key, value in overrides.items():
        if key in COMPONENTS:
            continue
        section, _, leaf = key.partition(".")
        if not leaf:
            data[section] = value if section in data else _unknown(section, data)
            continue
        if section not in data or not isinstance(data[section], dict):
            _unknown(section, data)
        target = data[section]
        if section not in COMPONENTS and leaf not in target:
            raise ValueError(
                f"unknown config key {key}; allowed {section} keys: {', '.join(target)}"
            )
        if "." in leaf:
            raise ValueError(f"config keys are at most two levels deep, got {key}")
        target[leaf] = value
    return ExperimentConfig.from_dict(data)


def _unknown(key: str, data: dict):
    raise ValueError(f"unknown config key {key}; allowed keys: {', '.join(data)}")


def changes_results(key: str) -> bool:
    """Whether the top-level config key of a dotted override (``epochs``,
    ``noise.rate``) is part of a run's identity: not where data lives, nor a speed
    setting, nor prose."""
    fields = {f.name: f for f in dataclasses.fields(ExperimentConfig)}
    top = fields.get(key.split(".")[0])
    return top is None or top.metadata.get("identity", True) is not False
