"""Reports: the runs of an output folder as a pandas DataFrame, tables of mean ± std
beside the papers' numbers, and figures like the papers'.

    frame = runs_frame("runs", sweep="menon-mnist")          # one row per run
    table = summarise(frame, "noise.rate")                   # method × rate: mean, std, n
    table = add_reference(table, REFERENCE, "noise.rate")    # paper, reproduction, differences
    write_tables(table, "out")                               # table.md, table.csv, table.json
    plot_vs_axis(table, "noise.rate", "out/accuracy_vs_noise.png")
    print(summary_markdown(store_summary("out")))            # one row per run group

Every mean ± std of the library comes from :func:`aggregate`, and every markdown table
from :func:`markdown_table`.

Accuracies are in percent in tables and figures.  Standard deviations are sample
standard deviations over seeds (ddof = 1; 0 for a single seed).  A run whose metric
is absent (``None`` in the record, e.g. the noisy-subset accuracy at noise rate 0) is
left out of that metric's mean and count, never counted as 0.
"""

from __future__ import annotations

import dataclasses
import json
import numbers
import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kerasnoise._io import atomic_write_figure, atomic_write_json, atomic_write_text, pyplot
from kerasnoise._stats import Aggregate, aggregate
from kerasnoise.results import ResultsStore

__all__ = [
    "RESULT_COLUMNS",
    "ID_COLUMNS",
    "Aggregate",
    "aggregate",
    "column_name",
    "runs_frame",
    "summarise",
    "store_summary",
    "describe",
    "summary_markdown",
    "markdown_table",
    "add_reference",
    "markdown",
    "wide_markdown",
    "verdicts_markdown",
    "write_tables",
    "plot_vs_axis",
    "plot_lines",
    "plot_panels",
    "plot_memorisation",
    "line_label",
]

#: The metrics :func:`store_summary` averages unless told otherwise.
DEFAULT_METRICS = ("test_accuracy_best", "test_accuracy_last")

#: Fields of a result record that become columns of :func:`runs_frame` (``noise_rate``,
#: the realised rate, as ``realised_noise_rate``: ``noise_rate`` is the axis's column).
RESULT_COLUMNS = (
    "val_accuracy_best",
    "test_accuracy_last",
    "test_accuracy_best",
    "test_accuracy_final_model",
    "best_epoch",
    "epochs_run",
    "steps_run",
    "best_step",
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
) -> pd.DataFrame:
    """Add reference columns: ``reference[line][axis value][source]``, where ``line``
    is a value of the column ``by``, e.g. ``{"ce": {0.6: {"paper": 91.1,
    "reproduction": 98.0}}}``, and for each source a ``<source>_diff`` column =
    ``mean - <source>``."""
    axis_col = column_name(axis)
    sources = sorted({s for by_value in reference.values() for v in by_value.values() for s in v})
    out = table.copy()
    for source in sources:
        out[source] = [
            reference.get(m, {}).get(_key(v, reference.get(m, {})), {}).get(source, np.nan)
            for m, v in zip(out[by], out[axis_col], strict=True)
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


def markdown(
    table: pd.DataFrame, labels: Mapping[str, str] | None = None, *, by: str = "method"
) -> str:
    """The long table as markdown: one row per line × axis value, ``mean ± std``;
    ``labels`` name the values of the column ``by``.  The key columns (those before
    ``mean``: the line's and the axis value) show as written in the config."""
    labels = labels or {}
    shown = pd.DataFrame()
    keys = list(table.columns[: list(table.columns).index("mean")]) if "mean" in table else []
    for column in table.columns:
        if column == by:
            shown[by] = [labels.get(m, m) for m in table[by]]
        elif column in keys:  # the cell's config values, as in the wide table's header
            shown[column] = [_fmt_key(v) for v in table[column]]
        elif column == "mean":
            shown["mean ± std"] = [
                f"{_fmt(m)} ± {_fmt(s)}" for m, s in zip(table["mean"], table["std"], strict=True)
            ]
        elif column == "std":
            continue
        elif column.endswith("_diff"):
            shown[f"Δ {column[:-5]}"] = [_fmt(v, signed=True) for v in table[column]]
        else:
            shown[column] = [_fmt_cell(column, v) for v in table[column]]
    return markdown_table(list(shown.columns), shown.astype(str).values.tolist())


# Columns of step counts (means over seeds, shown to the step) and of the chosen rate
# (shown as written in the grid: 0.05, not 0.0500).
_STEP_COLUMNS = ("steps", "best_step")


def _fmt_key(value: Any) -> str:
    """A config value as written: ``0.2``, not ``0.2000``."""
    return str(float(value)) if isinstance(value, np.floating) else str(value)


def _fmt_cell(column: str, value: Any) -> str:
    """One cell of the long table: the paper's numbers to 2 decimals, step counts as
    whole steps, the learning rate as in the grid, other numbers to 4 decimals."""
    if isinstance(value, float | np.floating) and not np.isnan(value):
        if column in _STEP_COLUMNS:
            return f"{round(float(value)):d}"
        if column == "learning_rate":
            return f"{float(value):g}"
    return _fmt(value, 2 if column in ("paper", "reproduction") else 4)


def wide_markdown(
    table: pd.DataFrame,
    axis: str,
    labels: Mapping[str, str] | None = None,
    *,
    by: Sequence[str] = ("method",),
) -> str:
    """One row per line (a value of each ``by`` column; ``labels`` name the first's),
    axis values as columns, ``mean ± std (n)`` cells: the papers' layout."""
    labels = labels or {}
    axis_col = column_name(axis)
    values = list(dict.fromkeys(table[axis_col]))
    if all(isinstance(v, numbers.Real) for v in values):
        values = sorted(values)  # numeric axes left to right, whichever line came first
    header = [*by, *[f"{axis} = {v}" for v in values]]
    body = []
    for line, rows in _lines(table, by):
        cells = [labels.get(line[0], line[0]), *line[1:]]
        for v in values:
            hit = rows[rows[axis_col] == v]
            if hit.empty:
                cells.append("-")
            else:
                r = hit.iloc[0]
                cells.append(f"{_fmt(r['mean'])} ± {_fmt(r['std'])} ({int(r['n'])})")
        body.append(cells)
    return markdown_table(header, body)


def _lines(table: pd.DataFrame, by: Sequence[str]):
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


def verdicts_markdown(verdicts: Sequence[Any]) -> str:
    """The claims' verdicts (:class:`kerasnoise.claims.Verdict`) as a markdown table."""
    rows = [[v.claim, f"**{v.verdict}**", v.detail, v.test] for v in verdicts]
    return markdown_table(["claim", "verdict", "on our runs", "test"], rows)


def markdown_table(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    r"""A markdown table, cells padded to their column's width: the one table style.

    ``markdown_table(["a", "b"], [[1, "x"]])`` is the three lines ``| a | b |``,
    ``|---|---|`` and ``| 1 | x |``.  Cells are written with ``str``; a ``|`` inside a
    cell is escaped as ``\|``.

    Raises:
        ValueError: ``header`` is empty, or a row has not one cell per column.
    """
    if not len(header):
        raise ValueError("markdown_table needs at least one column")
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"row {i} has {len(row)} cells for {len(header)} columns: {row!r}")
    cells = [[str(c).replace("|", "\\|") for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _is_fraction_metric(rows: Sequence[Mapping[str, Any]], metric: str) -> bool:
    """Accuracies in [0, 1] are shown in percent."""
    values = [row.get(f"{metric}_mean") for row in rows] + [
        row.get(f"{metric}_std") for row in rows
    ]
    values = [v for v in values if v is not None]
    return "acc" in metric.lower() and all(0.0 <= v <= 1.0 for v in values)


def summary_markdown(
    rows: Sequence[Mapping[str, Any]], metrics: Sequence[str] = DEFAULT_METRICS
) -> str:
    """A markdown table of :func:`store_summary` rows.

    Columns: label (the group id if the label is empty), n, each metric as
    ``mean ± std`` and diverged.  Accuracy metrics whose values lie in [0, 1] are
    shown in percent with 2 decimals (``98.71 ± 0.12``), others with 4 decimals;
    a metric with no value shows ``-``.
    """
    percent = {m: _is_fraction_metric(rows, m) for m in metrics}
    header = ["label", "n"] + [f"{m} (%)" if percent[m] else m for m in metrics] + ["diverged"]
    body = []
    for row in rows:
        cells = [row.get("label") or row["group"], row["n"]]
        for m in metrics:
            mean, std = row.get(f"{m}_mean"), row.get(f"{m}_std")
            if mean is None:
                cells.append("-")
            elif percent[m]:
                cells.append(f"{100 * mean:.2f} ± {100 * std:.2f}")
            else:
                cells.append(f"{mean:.4f} ± {std:.4f}")
        cells.append(row.get("diverged", 0))
        body.append(cells)
    return markdown_table(header, body)


def write_tables(
    table: pd.DataFrame,
    folder: str | os.PathLike,
    *,
    name: str = "table",
    title: str = "",
    notes: str = "",
    axis: str | None = None,
    labels: Mapping[str, str] | None = None,
    by: Sequence[str] = ("method",),
    verdicts: Sequence[Any] = (),
) -> dict[str, Path]:
    """``<name>.md`` (wide and long tables, the claims' verdicts, the notes),
    ``<name>.csv`` and ``<name>.json``, atomically."""
    folder = Path(folder)
    parts = [f"# {title}\n" if title else ""]
    if axis is not None:
        parts.append(wide_markdown(table, axis, labels, by=by) + "\n")
    parts.append(markdown(table, labels, by=by[0]) + "\n")
    if verdicts:
        parts.append("## The paper's claims on these runs\n\n" + verdicts_markdown(verdicts) + "\n")
    if notes:
        parts.append(notes.rstrip() + "\n")
    paths = {
        "md": atomic_write_text(folder / f"{name}.md", "\n".join(p for p in parts if p)),
        "csv": atomic_write_text(folder / f"{name}.csv", table.round(4).to_csv(index=False)),
        "json": atomic_write_json(folder / f"{name}.json", table.to_dict(orient="records")),
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
    by: Sequence[str] = ("method",),
) -> Path:
    """Accuracy vs ``axis``: one line per value of the ``by`` columns with error bars
    (std over seeds); with ``reference`` (a column such as ``"paper"``) dashed lines
    of the same colour."""
    plt = pyplot()

    labels = labels or {}
    axis_col = column_name(axis)
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for key, rows in _lines(table, by):
        rows = rows.sort_values(axis_col)
        line = ax.errorbar(
            rows[axis_col],
            rows["mean"],
            yerr=rows["std"],
            marker="o",
            capsize=3,
            label=line_label(key, by, labels),
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


def plot_panels(
    table: pd.DataFrame,
    frame: pd.DataFrame,
    axis: str,
    path: str | os.PathLike,
    *,
    metric: str,
    references: Sequence[str] = (),
    title: str = "",
    ylabel: str = "test accuracy (%)",
    labels: Mapping[str, str] | None = None,
    by: Sequence[str] = ("method",),
) -> Path:
    """One panel per line of ``table`` (a value of the ``by`` columns), each with its own
    y range: our mean ± std over seeds, every seed's value as a dot (from ``frame``, the
    runs), and the ``references`` columns (e.g. ``paper``, ``reproduction``) as dashed and
    dotted lines, so differences of a point stay visible where a shared 0-100 axis would
    stack every line at the top."""
    plt = pyplot()

    labels = labels or {}
    axis_col = column_name(axis)
    lines = list(_lines(table, by))
    cols = min(3, len(lines))
    rows_n = -(-len(lines) // cols)
    fig, axes = plt.subplots(
        rows_n, cols, figsize=(3.6 * cols, 2.9 * rows_n), dpi=120, squeeze=False
    )
    styles = ["--", ":", "-."]
    for ax, (key, rows) in zip(axes.flat, lines, strict=False):
        rows = rows.sort_values(axis_col)
        ax.errorbar(
            rows[axis_col], rows["mean"], yerr=rows["std"], marker="o", capsize=3, label="ours"
        )
        mask = np.logical_and.reduce([frame[c] == v for c, v in zip(by, key, strict=True)])
        runs = frame[mask]
        ax.scatter(
            runs[axis_col],
            100 * runs[metric],
            s=12,
            color="black",
            alpha=0.5,
            zorder=3,
            label="our seeds",
        )
        for name, style in zip(references, styles, strict=False):
            if name in rows and rows[name].notna().any():
                ax.plot(rows[axis_col], rows[name], linestyle=style, marker=".", label=name)
        ax.set_title(line_label(key, by, labels), fontsize="medium")
        ax.set_xlabel(axis)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(lines) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize="x-small")
    if title:
        fig.suptitle(textwrap.fill(title, 100), fontsize="medium")
    return _save(fig, path)


def plot_memorisation(
    histories: Mapping[str, Mapping[int, Mapping[str, Any]]],
    path: str | os.PathLike,
    *,
    title: str = "",
) -> Path:
    """Per epoch and per run (``{label: history}``, histories as ``history.json`` holds
    them): accuracy on the training examples whose label is right
    (``train_clean_accuracy``, solid) and the share of those whose label is wrong that
    the model predicts *with their wrong label* (``train_noisy_memorised``, dashed):
    rising dashed lines are memorised noise."""
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for label, history in histories.items():
        epochs = sorted(history)
        clean = [100 * (history[e].get("train_clean_accuracy") or np.nan) for e in epochs]
        noisy = [100 * (history[e].get("train_noisy_memorised") or np.nan) for e in epochs]
        shown = [e + 1 for e in epochs]
        line = ax.plot(shown, clean, marker=".", label=f"{label}: clean labels")[0]
        ax.plot(
            shown,
            noisy,
            linestyle="--",
            marker=".",
            color=line.get_color(),
            label=f"{label}: wrong labels memorised",
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("training examples (%)")
    if title:
        ax.set_title(textwrap.fill(title, 70), fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="x-small")
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
    plt = pyplot()

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
    return atomic_write_figure(fig, path)


# --------------------------------------------------------------------------- a store's groups


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


def _format_component(part: Any) -> str:
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
        parts.append(_format_component(config["preset"]))
    for key in _DESCRIBED[1:]:
        if config.get(key) is not None:
            parts.append(f"{key}={_format_component(config[key])}")
    flat = _flatten(config)
    parts += [f"{key}={flat.get(key, '-')}" for key in extra]
    return " | ".join(parts)
