"""The runs of an output folder as a DataFrame, one row per run, and the tables made
from it: mean ± std per cell, the papers' numbers beside them."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kerasnoise._stats import Aggregate, aggregate
from kerasnoise.results.store import ResultsStore

#: The metrics :func:`store_summary` averages unless told otherwise.
DEFAULT_METRICS = ("test_accuracy_best", "test_accuracy_last")

#: Fields of a result record that become columns of :func:`runs_frame` (``noise_rate``,
#: the realised rate, as ``realised_noise_rate``: ``noise_rate`` is the axis's column;
#: ``transition_mae`` / ``transition_max_error``: an estimated transition matrix's mean
#: and largest absolute entry error against the realised one, loss correction only;
#: ``transition_mae_<estimator>``: each estimator's on the same stage-1 model;
#: ``test_accuracy_both_last10``: the last-10 mean of both networks' test accuracies, a
#: two-network run only, what JoCoR reports).
RESULT_COLUMNS = (
    "val_accuracy_best",
    "test_accuracy_last",
    "test_accuracy_best",
    "test_accuracy_final_model",
    "test_accuracy_last10",
    "test_accuracy_peak",
    "test_accuracy_drop",
    "test_accuracy_2_last",
    "test_accuracy_both_last10",
    "best_epoch",
    "epochs_run",
    "steps_run",
    "best_step",
    "train_clean_accuracy_last",
    "train_noisy_accuracy_last",
    "train_noisy_memorised_last",
    "detection_f1_last",
    "label_precision_1_last",
    "realised_noise_rate",
    "wall_time_s",
    "examples_per_second",
    "transition_mae",
    "transition_max_error",
    "transition_mae_anchor",
    "transition_mae_confident_joint",
    "precision",
)


#: The identifying columns of :func:`runs_frame` (the rest are axes and results).
ID_COLUMNS = ("run_id", "group", "seed", "status", "backend", "sweep", "method")


def column_name(key: str) -> str:
    """A config key as a column name: ``noise.rate`` -> ``noise_rate``."""
    return key.replace(".", "_")


def runs_frame(
    out: str | os.PathLike | ResultsStore,
    sweep: str | None = None,
    statuses: Sequence[str] = ("finished",),
) -> pd.DataFrame:
    """One row per run of ``sweep`` (every tagged run when ``None``) with ``statuses``.

    Columns: ``run_id``, ``group``, ``seed``, ``status``, ``backend``, ``sweep``,
    ``method``, one column per axis (:func:`column_name` of its key), then
    :data:`RESULT_COLUMNS`; missing values are NaN.
    """
    store = out if isinstance(out, ResultsStore) else ResultsStore(out)
    runs = {r["run_id"]: r for r in store.runs() if r["status"] in statuses}
    rows = []
    for tag in store.tags(sweep):
        run = runs.get(tag["run_id"])
        if run is None:
            continue
        row: dict[str, Any] = {k: run.get(k) for k in ("run_id", "group", "seed", "status")}
        row |= {"backend": run["config"].get("backend"), "sweep": tag["sweep"]}
        row["method"] = tag["method"]
        row.update({column_name(k): v for k, v in tag["axes"].items()})
        result = run["result"] | _derived(run["result"])
        row.update({k: result.get(k) for k in RESULT_COLUMNS})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=[*ID_COLUMNS, *RESULT_COLUMNS])
    numeric = [c for c in RESULT_COLUMNS if c != "precision"]
    frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce")
    return frame


def _derived(result: dict) -> dict:
    """The columns renamed or unpacked from a result record."""
    error = result.get("transition_estimate_error") or {}
    peak, tail = result.get("test_accuracy_peak"), result.get("test_accuracy_last10")
    return {
        # how far the test accuracy fell from its peak by the last 10 epochs (memorisation)
        "test_accuracy_drop": None if peak is None or tail is None else peak - tail,
        "realised_noise_rate": result.get("noise_rate"),
        "transition_mae": error.get("mean_absolute_error"),
        "transition_max_error": error.get("max_abs_error"),
        **{
            f"transition_mae_{estimator}": errors.get("mean_absolute_error")
            for estimator, errors in (result.get("transition_estimate_errors") or {}).items()
        },
    }


def summarise(
    frame: pd.DataFrame,
    axis: str,
    metric: str = "test_accuracy_last",
    *,
    by: Sequence[str] = ("method",),
    methods: Sequence[str] | None = None,
    axis_order: Sequence[Any] | None = None,
    percent: bool = True,
) -> pd.DataFrame:
    """Mean, sample std and count of ``metric`` per ``by`` × ``axis`` value.

    Returns columns ``*by, <axis column>, mean, std, n`` (in percent when
    ``percent``), rows ordered by ``methods`` — the order of the first ``by``
    column's values (default: order of first appearance) — then by the other ``by``
    columns and the axis value: in ``axis_order`` (an experiment's declared values,
    e.g. ``train, fashion_mnist, white_noise``; others after them) or else sorted.
    """
    axis_col = column_name(axis)
    keys = [*by, axis_col]
    scale = 100.0 if percent else 1.0
    values = frame.assign(_value=frame[metric] * scale) if len(frame) else frame.assign(_value=[])
    cells = (
        (key if isinstance(key, tuple) else (key,), aggregate(group.tolist()))
        for key, group in values.groupby(keys, sort=False)["_value"]
    )
    # a cell where every run lacks the metric has no row
    rows = [(*key, *stats) for key, stats in cells if stats.n]
    table = pd.DataFrame(rows, columns=[*keys, *Aggregate._fields])
    first = by[0] if by else None
    order = list(methods) if methods is not None else list(dict.fromkeys(frame.get(first, [])))
    if first in table and order:
        table["_order"] = table[first].map({m: i for i, m in enumerate(order)})
        table["_axis"] = table[axis_col]
        if axis_order is not None:
            rank = {v: i for i, v in enumerate(axis_order)}
            table["_axis"] = [rank.get(v, len(rank)) for v in table[axis_col]]
        table = table.sort_values(["_order", *by[1:], "_axis"], kind="stable")
        table = table.drop(columns=["_order", "_axis"])
    table["n"] = table["n"].astype(int)
    return table.reset_index(drop=True)


def add_reference(
    table: pd.DataFrame,
    reference: Mapping[Any, Mapping[Any, Mapping[str, float]]],
    axis: str,
    *,
    by: str = "method",
    axes: Sequence[str] = (),
) -> pd.DataFrame:
    """Add reference columns: ``reference[line][axis value][source]``, where ``line``
    is a value of the column ``by``, e.g. ``{"ce": {0.6: {"paper": 91.1,
    "reproduction": 98.0}}}``, and for each source a ``<source>_diff`` column =
    ``mean - <source>``.  A line whose keys are tuples is matched on the values of the
    config keys ``axes`` (``("symmetric_exclusive", 0.5)`` for ``["noise",
    "noise.rate"]``) instead of ``axis`` alone."""
    axis_col = column_name(axis)
    columns = [column_name(a) for a in axes] or [axis_col]
    sources = sorted({s for by_value in reference.values() for v in by_value.values() for s in v})
    out = table.copy()

    def cell(line, row):
        by_value = reference.get(line, {})
        several = any(isinstance(k, tuple) for k in by_value)
        value = tuple(row[c] for c in columns) if several else row[axis_col]
        return by_value.get(_key(value, by_value), {})

    cells = [cell(line, row) for line, (_, row) in zip(out[by], out.iterrows(), strict=True)]
    for source in sources:
        out[source] = [c.get(source, np.nan) for c in cells]
        out[f"{source}_diff"] = out["mean"] - out[source]
    return out


def _key(value: Any, by_value: Mapping[Any, Any]) -> Any:
    """The key of ``by_value`` equal to ``value`` (0.2 matches 0.2 whether float or str)."""
    for key in by_value:
        if key == value or str(key) == str(value) or _same(key, value):
            return key
    return value


def _same(key: Any, value: Any) -> bool:
    """Tuples equal entry by entry, each as in :func:`_key` (``0.5`` and ``"0.5"``)."""
    if not isinstance(key, tuple) or not isinstance(value, tuple) or len(key) != len(value):
        return False
    return all(k == v or str(k) == str(v) for k, v in zip(key, value, strict=True))


def table_lines(table: pd.DataFrame, by: Sequence[str]):
    """``(values of the by columns, rows)`` per line of ``table``, in table order."""
    keys = list(dict.fromkeys(zip(*(table[c] for c in by), strict=True)))
    for key in keys:
        mask = np.logical_and.reduce([table[c] == v for c, v in zip(by, key, strict=True)])
        yield key, table[mask]


def line_label(key: Sequence[Any], by: Sequence[str], labels: Mapping[str, str]) -> str:
    """A line's name in figures: the first ``by`` value's label, then ``column = value``."""
    first = labels.get(key[0], key[0])
    rest = [f"{c} = {v}" for c, v in zip(by[1:], key[1:], strict=True)]
    return ", ".join([str(first), *rest])
