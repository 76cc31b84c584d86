"""A results store's run groups (the same config over seeds): one row each, averaged,
with a short label that tells the groups apart."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from kerasnoise._stats import aggregate
from kerasnoise.report.frames import DEFAULT_METRICS
from kerasnoise.results.store import ResultsStore


def store_summary(
    out: str | os.PathLike | ResultsStore, metrics: Sequence[str] = DEFAULT_METRICS
) -> list[dict[str, Any]]:
    """One row per run group of a store, ordered by group, averaging the "finished" runs.

    Each row: ``group``; ``label`` (:func:`describe` of the config of the
    group's first finished run, by seed, or of its first diverged run if none
    finished); ``n`` (finished runs); ``seeds`` (their seeds); ``diverged``
    (diverged runs, not part of any mean); and for each metric ``m``:
    ``m_mean`` and ``m_std``, the sample standard deviation (ddof = 1) over
    the finished runs whose result has a numeric ``m``; a run without it (or
    with ``None``, a stored NaN) is skipped for that metric only.  With one
    such run ``m_std`` is 0.0; with none both are ``None``.  Groups with only
    diverged runs have a row with ``n`` = 0.  "running" and "failed" runs are
    ignored.
    """
    store = out if isinstance(out, ResultsStore) else ResultsStore(out)
    records = [r for r in store.runs() if r["status"] in ("finished", "diverged")]
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault(rec["group"], []).append(rec)
    firsts = {}
    for group, recs in groups.items():
        finished = [r for r in recs if r["status"] == "finished"]
        firsts[group] = (finished[0] if finished else recs[0])["config"]
    extra = _distinguishing(list(firsts.values()))
    rows = []
    for group, recs in groups.items():
        finished = [r for r in recs if r["status"] == "finished"]
        row: dict[str, Any] = {
            "group": group,
            "label": describe(firsts[group], extra),
            "n": len(finished),
            "seeds": [r["seed"] for r in finished],
            "diverged": sum(r["status"] == "diverged" for r in recs),
        }
        for m in metrics:
            values = [r["result"].get(m) for r in finished]
            stats = aggregate(v for v in values if _is_number(v))
            row[f"{m}_mean"], row[f"{m}_std"] = stats.mean, stats.std
        rows.append(row)
    return rows


def _is_number(value: Any) -> bool:
    """A real number of a result record (``True``/``False`` and text are not metrics)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, str | int | bool) or value is None:
        return str(value)
    return json.dumps(value, separators=(",", ":"), default=str)


def describe_component(part: Any) -> str:
    """``{"name": n, **params}`` -> ``n(k=v, ...)``; a string stays as it is."""
    if isinstance(part, Mapping):
        params = ", ".join(f"{k}={_format_value(v)}" for k, v in part.items() if k != "name")
        name = part.get("name")
        if name is None:
            return params
        return f"{name}({params})" if params else str(name)
    return _format_value(part)


_DESCRIBED = ("preset", "loss", "noise", "model", "backend")


def _flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            out |= _flatten(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = _format_value(value)
    return out


def _distinguishing(configs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Dotted keys, beyond what :func:`describe` shows, whose values differ between
    ``configs`` (e.g. ``optimizer.global_clipnorm`` for CE and CE + clipping); fields
    that do not identify a run (``metadata={"identity": False}``) and the seed are
    left out."""
    from kerasnoise.config import ExperimentConfig

    ignored = {"seed", *_DESCRIBED}
    ignored |= {
        f.name for f in dataclasses.fields(ExperimentConfig) if not f.metadata.get("identity", True)
    }
    flat = [_flatten(c) for c in configs]
    keys = sorted({k for f in flat for k in f if k.split(".")[0] not in ignored})
    return [k for k in keys if len({f.get(k) for f in flat}) > 1]


def describe(config: Mapping[str, Any], extra: Sequence[str] = ()) -> str:
    """A short label of a run config: preset, loss, noise, model, backend: the parts present.

    ``{"preset": "menon-mnist-lenet", "loss": {"name": "phuber_ce", "tau": 10},
    "noise": {"name": "symmetric_exclusive", "rate": 0.2}}`` ->
    ``menon-mnist-lenet | loss=phuber_ce(tau=10) | noise=symmetric_exclusive(rate=0.2)``.
    Missing (or ``None``) parts are skipped; integral floats print without ``.0``.
    ``extra`` dotted keys are added as ``key=value`` (``optimizer.global_clipnorm=0.1``).
    """
    parts = []
    if config.get("preset") is not None:
        parts.append(describe_component(config["preset"]))
    for key in _DESCRIBED[1:]:
        if config.get(key) is not None:
            parts.append(f"{key}={describe_component(config[key])}")
    flat = _flatten(config)
    parts += [f"{key}={flat.get(key, '-')}" for key in extra]
    return " | ".join(parts)
