"""Building a config dataclass from a dict: typed, with clear errors, old spellings read.

:func:`build` constructs any config dataclass from a mapping, coercing each value to its
field's type (and naming the key when it cannot); :func:`legacy` and :func:`legacy_key`
read the ``selection`` section of older configs and overrides as ``method``.
"""

from __future__ import annotations

import copy
import dataclasses
import numbers
import types
from typing import Any, Union, get_args, get_origin, get_type_hints


def build(cls, data: Any, prefix: str):
    """Typed construction of a config dataclass from a dict, with clear errors."""
    if not isinstance(data, dict):
        raise TypeError(f"{prefix or 'config'} must be a mapping, got {data!r}")
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        where = f"{prefix}." if prefix else ""
        allowed = f"{prefix} keys" if prefix else "keys"
        raise ValueError(
            f"unknown config key {where}{unknown[0]}; allowed {allowed}: {', '.join(names)}"
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(value, hints[name], f"{prefix}.{name}" if prefix else name)
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, key: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return build(hint, value, key)
    union = get_origin(hint) in (Union, types.UnionType)
    kinds = set(get_args(hint)) if union else {get_origin(hint) or hint}
    if value is None:
        if type(None) in kinds:
            return None
        raise TypeError(f"{key} must not be None")
    if bool in kinds and (isinstance(value, bool) or str not in kinds):
        if not isinstance(value, bool):
            raise TypeError(f"{key} must be True or False, got {value!r}")
        return value
    if kinds & {int, float} and not (str in kinds and isinstance(value, str)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            kind = "a number" if float in kinds else "an integer"
            raise TypeError(f"{key} must be {kind}, got {value!r}")
        if int in kinds and (float not in kinds or isinstance(value, numbers.Integral)):
            if not isinstance(value, numbers.Integral):
                raise TypeError(f"{key} must be an integer, got {value!r}")
            return int(value)
        return float(value)
    for kind, label in ((str, "a string"), (dict, "a mapping"), (list, "a list")):
        if kind in kinds:
            if kind is list and isinstance(value, tuple):
                value = list(value)
            if not isinstance(value, kind):
                raise TypeError(f"{key} must be {label}, got {value!r}")
            return copy.deepcopy(value)
    return value


#: ``selection``: the ``method`` section's name before methods were a component.
LEGACY_SECTION = "selection"


def legacy(data: Any) -> Any:
    """A config dict with a ``selection`` section read as ``method``."""
    if not isinstance(data, dict) or LEGACY_SECTION not in data:
        return data
    if "method" in data:
        raise ValueError("give the training method as method, not as both method and selection")
    data = dict(data)
    data["method"] = data.pop(LEGACY_SECTION)
    return data


def legacy_key(key: str) -> str:
    """An override's key with ``selection`` read as ``method``."""
    section, dot, leaf = key.partition(".")
    return f"method{dot}{leaf}" if section == LEGACY_SECTION else key
