"""A run's identity: which config fields change its results, its key, its run and group id.

A field marked ``metadata=NOT_IDENTITY`` (where data or logs live, speed settings, prose) is
never part of a run's id; one marked ``IDENTITY_UNLESS_DEFAULT`` (a setting added later) only
when it differs from its default, so that the ids of runs made before it existed stay the
same.  :meth:`~kerasnoise.config.ExperimentConfig.run_key`,
:meth:`~kerasnoise.config.ExperimentConfig.run_id` and
:meth:`~kerasnoise.config.ExperimentConfig.group_id` are :func:`run_key`, :func:`run_id`
and :func:`group_id` here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
from typing import TYPE_CHECKING, Any

from kerasnoise import methods as methods_lib

if TYPE_CHECKING:
    from kerasnoise.config.schema import ExperimentConfig

#: Field metadata of settings that do not change a run's results (left out of its id).
NOT_IDENTITY = types.MappingProxyType({"identity": False})
#: Field metadata of a setting added later: part of a run's id only when it is not the
#: default, so the ids of runs made before it existed stay the same.
IDENTITY_UNLESS_DEFAULT = types.MappingProxyType({"identity": "unless-default"})


def run_key(config: ExperimentConfig) -> dict:
    """:meth:`kerasnoise.config.ExperimentConfig.run_key`: the
    config as a dict, less what does not change results."""
    key = config.to_dict()
    key["optimizer"]["weight_decay_mode"] = config.optimizer.effective_decay_mode()
    if key["noise"].get("source") == "train":
        key["noise"].pop("source")
    drop_non_identity(config, key)
    key.pop("method", None)
    named = methods_lib.from_config(config.method).identity(key["noise"])
    if named is not None:
        key["selection"] = named
    for name in ("optimizer", "early_stopping"):
        drop_non_identity(getattr(config, name), key[name])
    return key


def run_id(config: ExperimentConfig, backend: str | None = None) -> str:
    """:meth:`kerasnoise.config.ExperimentConfig.run_id`: preset
    (or 'custom') and a hash of :func:`run_key` (and the ``backend``)."""
    key = config.run_key() | ({"backend": backend} if backend else {})
    return f"{config.preset or 'custom'}-{digest(key)}"


def group_id(config: ExperimentConfig, backend: str | None = None) -> str:
    """:meth:`kerasnoise.config.ExperimentConfig.group_id`: like
    :func:`run_id` but without the training seed."""
    key = config.run_key() | ({"backend": backend} if backend else {})
    key.pop("seed")
    return f"{config.preset or 'custom'}-{digest(key)}"


def drop_non_identity(obj: Any, key: dict) -> None:
    """Remove from ``key`` (``obj`` as a dict) the fields of ``obj`` that are not part of
    a run's identity, and those marked ``"unless-default"`` that hold their default."""
    for f in dataclasses.fields(obj):
        identity = f.metadata.get("identity", True)
        if not identity or (identity == "unless-default" and key[f.name] == _default(f)):
            key.pop(f.name)


def _default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


def digest(obj: Any) -> str:
    """12 hex digits of the SHA-256 of ``obj`` as canonical JSON."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
