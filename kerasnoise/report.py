"""Reports: the runs of an output folder as a pandas DataFrame, tables of mean ± std
beside the papers' numbers, and figures like the papers'.

    frame = runs_frame("runs", sweep="menon-mnist")          # one row per run
    table = summarise(frame, "noise.rate")                   # method × rate: mean, std, n
    table = add_reference(table, REFERENCE, "noise.rate")    # paper, reproduction, differences
    write_tables(table, "out")                               # table.md, table.csv, table.json
    plot_vs_axis(table, "noise.rate", "out/accuracy_vs_noise.png")

Accuracies are in percent in tables and figures.  Standard deviations are sample
standard deviations over seeds (ddof = 1; 0 for a single seed).  A run whose metric
is absent (``None`` in the record, e.g. the noisy-subset accuracy at noise rate 0) is
left out of that metric's mean and count, never counted as 0.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kerasnoise._io import atomic_write_json, atomic_write_text
from kerasnoise.results import ResultsStore

__all__ = [
    "RESULT_COLUMNS",
    "ID_COLUMNS",
    "column_name",
    "runs_frame",
    "summarise",
    "add_reference",
    "markdown",
    "wide_markdown",
    "write_tables",
    "plot_vs_axis",
    "plot_lines",
]

#: Fields of a result record that become columns of :func:`runs_frame` (``noise_rate``,
#: the realised rate, as ``realised_noise_rate``: ``noise_rate`` is the axis's column).
RESULT_COLUMNS = (
    "val_accuracy_best",
    "test_accuracy_last",
    "test_accuracy_best",
    "test_accuracy_final_model",
    "best_epoch",
    "epochs_run",
    "train_clean_accuracy_last",
    "train_noisy_accuracy_last",
    "train_noisy_memorised_last",
    "realised_noise_rate",
    "wall_time_s",
    "examples_per_second",
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
        result = run["result"] | {"realised_noise_rate": run["result"].get("noise_rate")}
        row.update({k: result.get(k) for k in RESULT_COLUMNS})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=[*ID_COLUMNS, *RESULT_COLUMNS])
    numeric = [c for c in RESULT_COLUMNS if c != "precision"]
    frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce")
    return frame


def summarise(
    frame: pd.DataFrame,
    axis: str,
    metric: str = "test_accuracy_last",
    *,
    by: Sequence[str] = ("method",),
    methods: Sequence[str] | None = None,
    percent: bool = True,
) -> pd.DataFrame:
    """Mean, sample std and count of ``metric`` per ``by`` × ``axis`` value.

    Returns columns ``*by, <axis column>, mean, std, n`` (in percent when
    ``percent``), rows ordered by ``methods`` (default: order of first appearance)
    and then by axis value.
    """
    axis_col = column_name(axis)
    keys = [*by, axis_col]
    scale = 100.0 if percent else 1.0
    values = frame.assign(_value=frame[metric] * scale) if len(frame) else frame.assign(_value=[])
    grouped = values.dropna(subset=["_value"]).groupby(keys, sort=False)["_value"]
    table = grouped.agg(mean="mean", std=lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else 0.0)
    table["n"] = grouped.size()
    table = table.reset_index()
    order = list(methods) if methods is not None else list(dict.fromkeys(frame.get("method", [])))
    if "method" in table and order:
        table["_order"] = table["method"].map({m: i for i, m in enumerate(order)})
        table = table.sort_values(["_order", axis_col], kind="stable").drop(columns="_order")
    table["n"] = table["n"].astype(int)
    return table.reset_index(drop=True)


def add_reference(
    table: pd.DataFrame,
    reference: Mapping[str, Mapping[Any, Mapping[str, float]]],
    axis: str,
) -> pd.DataFrame:
    """Add reference columns: ``reference[method][axis value][source]``, e.g.
    ``{"ce": {0.6: {"paper": 91.1, "reproduction": 98.0}}}``, and for each source a
    ``<source>_diff`` column = ``mean - <source>``."""
    axis_col = column_name(axis)
    sources = sorted({s for by_value in reference.values() for v in by_value.values() for s in v})
    out = table.copy()
    for source in sources:
        out[source] = [
            reference.get(m, {}).get(_key(v, reference.get(m, {})), {}).get(source, np.nan)
            for m, v in zip(out["method"], out[axis_col], strict=True)
        ]
        out[f"{source}_diff"] = out["mean"] - out[source]
    return out


def _key(value: Any, by_value: Mapping[Any, Any]) -> Any:
    """The key of ``by_value`` equal to ``value`` (0.2 matches 0.2 whether float or str)."""
    for key in by_value:
        if key == value or str(key) == str(value):
            return key
    return value


def _fmt(value: Any, digits: int = 2, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, float | np.floating):
        return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return str(value)


def markdown(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> str:
    """The long table as markdown: one row per method × axis value, ``mean ± std``."""
    labels = labels or {}
    shown = pd.DataFrame()
    for column in table.columns:
        if column == "method":
            shown["method"] = [labels.get(m, m) for m in table["method"]]
        elif column == "mean":
            shown["mean ± std"] = [
                f"{_fmt(m)} ± {_fmt(s)}" for m, s in zip(table["mean"], table["std"], strict=True)
            ]
        elif column == "std":
            continue
        elif column.endswith("_diff"):
            shown[f"Δ {column[:-5]}"] = [_fmt(v, signed=True) for v in table[column]]
        else:
            shown[column] = [
                _fmt(v, 2 if column in ("paper", "reproduction") else 4) for v in table[column]
            ]
    return _markdown_grid(list(shown.columns), shown.astype(str).values.tolist())


def wide_markdown(table: pd.DataFrame, axis: str, labels: Mapping[str, str] | None = None) -> str:
    """Methods as rows, axis values as columns, ``mean ± std (n)`` cells: the papers' layout."""
    labels = labels or {}
    axis_col = column_name(axis)
    values = list(dict.fromkeys(table[axis_col]))
    header = ["method", *[f"{axis} = {v}" for v in values]]
    body = []
    for method in dict.fromkeys(table["method"]):
        rows = table[table["method"] == method]
        cells = [labels.get(method, method)]
        for v in values:
            hit = rows[rows[axis_col] == v]
            if hit.empty:
                cells.append("-")
            else:
                r = hit.iloc[0]
                cells.append(f"{_fmt(r['mean'])} ± {_fmt(r['std'])} ({int(r['n'])})")
        body.append(cells)
    return _markdown_grid(header, body)


def _markdown_grid(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in body)])


def write_tables(
    table: pd.DataFrame,
    folder: str | os.PathLike,
    *,
    name: str = "table",
    title: str = "",
    notes: str = "",
    axis: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """``<name>.md`` (wide and long tables), ``<name>.csv`` and ``<name>.json``, atomically."""
    folder = Path(folder)
    parts = [f"# {title}\n" if title else ""]
    if axis is not None:
        parts.append(wide_markdown(table, axis, labels) + "\n")
    parts.append(markdown(table, labels) + "\n")
    if notes:
        parts.append(notes.rstrip() + "\n")
    paths = {
        "md": atomic_write_text(folder / f"{name}.md", "\n".join(p for p in parts if p)),
        "csv": atomic_write_text(folder / f"{name}.csv", table.round(4).to_csv(index=False)),
        "json": atomic_write_json(
            folder / f"{name}.json",
            [
                {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
                for row in table.to_dict(orient="records")
            ],
        ),
    }
    return paths


def plot_vs_axis(
    table: pd.DataFrame,
    axis: str,
    path: str | os.PathLike,
    *,
    title: str = "",
    ylabel: str = "test accuracy (%)",
    labels: Mapping[str, str] | None = None,
    reference: str | None = None,
) -> Path:
    """Accuracy vs ``axis``: one line per method with error bars (std over seeds);
    with ``reference`` (a column such as ``"paper"``) dashed lines of the same colour."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = labels or {}
    axis_col = column_name(axis)
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for method in dict.fromkeys(table["method"]):
        rows = table[table["method"] == method].sort_values(axis_col)
        line = ax.errorbar(
            rows[axis_col],
            rows["mean"],
            yerr=rows["std"],
            marker="o",
            capsize=3,
            label=labels.get(method, method),
        )
        if reference is not None and reference in rows and rows[reference].notna().any():
            ax.plot(
                rows[axis_col],
                rows[reference],
                linestyle="--",
                color=line.lines[0].get_color(),
                alpha=0.6,
            )
    ax.set_xlabel(axis)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(textwrap.fill(title, 70), fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="lower left")
    if reference is not None:
        ax.text(
            0.99, 0.01, f"dashed: {reference}", transform=ax.transAxes, ha="right", fontsize="small"
        )
    return _save(fig, path)


def plot_lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    path: str | os.PathLike,
    *,
    by: str | None = None,
    logx: bool = False,
    logy: bool = False,
    title: str = "",
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: str = "",
) -> Path:
    """``y`` against ``x``, one marked line per value of ``by`` (rows sorted by ``x``);
    rows where ``y`` is missing are left out.  Written atomically as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    frame = frame[frame[y].notna()]
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=True))
    for value, rows in groups:
        rows = rows.sort_values(x)
        label = None if by is None else f"{legend or by} = {value}"
        ax.plot(rows[x], rows[y], marker="o", label=label)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    if title:
        ax.set_title(textwrap.fill(title, 70), fontsize="medium")
    ax.grid(alpha=0.3, which="both")
    if by is not None:
        ax.legend(fontsize="small")
    return _save(fig, path)


def _save(fig, path: str | os.PathLike) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
    return path
