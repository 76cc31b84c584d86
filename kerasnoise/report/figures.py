"""The figures: accuracy against a noise axis (one axis or a panel per line), the
memorisation curves, and lines of any columns; every figure of the library is set up by
:func:`new_figure` and written by :func:`save_figure`."""

from __future__ import annotations

import os
import textwrap
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kerasnoise._io import atomic_write_figure, pyplot
from kerasnoise.report.colours import cycle_colours, line_colours
from kerasnoise.report.frames import column_name, line_label, table_lines

#: The size (inches) of a figure with one axis; figures are drawn at 120 dpi.
FIGURE_SIZE = (6.4, 4.4)


def new_figure(*grid: int, figsize: tuple[float, float] = FIGURE_SIZE, **options: Any):
    """A matplotlib figure and its axes for a file (the Agg backend, no screen needed),
    at 120 dpi: ``new_figure()`` one axis of :data:`FIGURE_SIZE`, ``new_figure(rows,
    cols, figsize=..., squeeze=False)`` a grid; ``options`` go to ``plt.subplots``.
    Returns ``(figure, axes)``; write it with :func:`save_figure`."""
    return pyplot().subplots(*grid, figsize=figsize, dpi=120, **options)


def save_figure(fig: Any, path: str | os.PathLike) -> Path:
    """The figure as a PNG at ``path``, laid out tightly and written atomically; the
    figure is closed afterwards."""
    return atomic_write_figure(fig, path)


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
    colours: Mapping[Any, str] | None = None,
) -> Path:
    """Accuracy vs ``axis``: one line per value of the ``by`` columns with error bars
    (std over seeds); with ``reference`` (a column such as ``"paper"``) dashed lines
    of the same colour.

    With two or more ``by`` columns (a table with two axes besides the method, e.g. the
    noise model and its rate) one panel per value of the second (the noise model; the
    panels share the y axis), each with a line per value of the others.  A line's
    colour is that of its first ``by`` value in ``colours`` (default: :func:`line_colours`
    when the first column is ``method``, so a method has its one colour in every
    figure; else :func:`cycle_colours`); one legend for the figure, outside the data,
    right of the last panel of the first row."""
    from matplotlib.lines import Line2D

    labels = labels or {}
    axis_col = column_name(axis)
    lines = list(table_lines(table, by))
    if colours is None:
        firsts = [key[0] for key, _ in lines]
        colours = line_colours(firsts) if by[0] == "method" else cycle_colours(firsts)
    panels = list(dict.fromkeys(key[1] for key, _ in lines)) if len(by) > 1 else [None]
    cols = min(4, len(panels)) if len(panels) <= 4 else 3
    rows_n = -(-len(panels) // cols)
    single = panels == [None]
    size = (FIGURE_SIZE[0] + 2.4, FIGURE_SIZE[1]) if single else (3.4 * cols + 2.6, 3.4 * rows_n)
    options = {}
    if rows_n == 1 and not single:  # a panel of one x value narrower than one of five
        counts = [table.loc[table[by[1]] == p, axis_col].nunique() for p in panels]
        options["gridspec_kw"] = {"width_ratios": [1 + min(n, 4) for n in counts]}
    fig, axes = new_figure(rows_n, cols, figsize=size, squeeze=False, sharey=True, **options)
    shown = [c for i, c in enumerate(by) if i != 1 or single]  # what a line's label names
    rests = list(dict.fromkeys(tuple(key[2:]) for key, _ in lines))  # further by columns
    handles: dict[str, Any] = {}
    styles: dict[str, Any] = {}  # the reference's style, after the lines
    for ax, panel in zip(axes.flat, panels, strict=False):
        xs = set()
        for key, rows in lines:
            if not single and key[1] != panel:
                continue
            rows = rows.sort_values(axis_col)
            xs.update(rows[axis_col])
            label = line_label(key if single else (key[0], *key[2:]), shown, labels)
            line = ax.errorbar(
                rows[axis_col],
                rows["mean"],
                yerr=rows["std"],
                marker="o",
                capsize=3,
                color=colours[key[0]],
                linestyle=LINE_STYLES[rests.index(tuple(key[2:])) % len(LINE_STYLES)],
                label=label,
            )
            handles.setdefault(label, line)
            if reference is not None and reference in rows and rows[reference].notna().any():
                ax.plot(  # marked too: a reference with one value (one alpha) has no line
                    rows[axis_col],
                    rows[reference],
                    linestyle="--",
                    marker="x",
                    markersize=8,
                    color=colours[key[0]],
                    alpha=0.8,
                )
                styles.setdefault(
                    f"{reference} (dashed, ×)",
                    Line2D([], [], color="black", linestyle="--", marker="x", alpha=0.8),
                )
        if not single:
            ax.set_title(f"{by[1]} = {panel}", fontsize="medium")
            ax.set_xticks(sorted(xs))
        ax.set_xlabel(axis)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    if title and single:
        axes[0, 0].set_title(textwrap.fill(title, 70), fontsize="medium")
    elif title:
        fig.suptitle(textwrap.fill(title, 40 * cols + 20), fontsize="medium")
    legend_outside(axes[0, -1], {**handles, **styles})
    return save_figure(fig, path)


#: Line styles of lines that share a colour (a further ``by`` column).
LINE_STYLES = ("-", "--", ":", "-.")


def legend_outside(ax: Any, handles: Mapping[str, Any], **options: Any) -> Any:
    """A legend of ``handles`` (``{label: artist}``) right of ``ax``, outside every
    axes's data area (:func:`save_figure` lays the figure out around it)."""
    return ax.legend(
        list(handles.values()),
        list(handles),
        loc="upper left",
        bbox_to_anchor=(1.03, 1.0),
        borderaxespad=0.0,
        fontsize="small",
        **options,
    )


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
    y range: our mean ± std over seeds (in the method's colour when the lines are
    methods, :func:`~kerasnoise.report.colours.method_colour`), every seed's value as a
    dot (from ``frame``, the runs), and the ``references`` columns (e.g. ``paper``,
    ``reproduction``) as grey dashed and dotted lines, so differences of a point stay
    visible where a shared 0-100 axis would stack every line at the top; one legend,
    right of the first row, outside the data."""
    from kerasnoise.report.colours import method_colour

    labels = labels or {}
    axis_col = column_name(axis)
    lines = list(table_lines(table, by))
    cols = min(3, len(lines))
    rows_n = -(-len(lines) // cols)
    fig, axes = new_figure(rows_n, cols, figsize=(3.6 * cols, 2.9 * rows_n), squeeze=False)
    styles = ["--", ":", "-."]
    handles: dict[str, Any] = {}
    for ax, (key, rows) in zip(axes.flat, lines, strict=False):
        rows = rows.sort_values(axis_col)
        colour = method_colour(str(key[0])) if tuple(by) == ("method",) else "C0"
        handles.setdefault(
            "ours (mean ± std)",
            ax.errorbar(
                rows[axis_col],
                rows["mean"],
                yerr=rows["std"],
                marker="o",
                capsize=3,
                color=colour,
                label="ours (mean ± std)",
            ),
        )
        mask = np.logical_and.reduce([frame[c] == v for c, v in zip(by, key, strict=True)])
        runs = frame[mask]
        handles.setdefault(
            "our seeds",
            ax.scatter(
                runs[axis_col],
                100 * runs[metric],
                s=12,
                color="black",
                alpha=0.5,
                zorder=3,
                label="our seeds",
            ),
        )
        for name, style in zip(references, styles, strict=False):
            if name in rows and rows[name].notna().any():
                (line,) = ax.plot(
                    rows[axis_col], rows[name], linestyle=style, marker=".", color="0.4", label=name
                )
                handles.setdefault(name, line)
        ax.set_title(line_label(key, by, labels), fontsize="medium")
        ax.set_xlabel(axis)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(lines) :]:
        ax.set_visible(False)
    legend_outside(axes[0, cols - 1], handles)
    if title:
        fig.suptitle(textwrap.fill(title, 100), fontsize="medium")
    return save_figure(fig, path)


#: The memorisation figure's curves: clean labels learnt (solid), wrong labels memorised.
MEMORISATION_KEYS = {
    "train_clean_accuracy": "clean labels",
    "train_noisy_memorised": "wrong labels memorised",
}


History = Mapping[int, Mapping[str, Any]]


def plot_curves(
    histories: Mapping[str, History | Sequence[History]],
    keys: Mapping[str, str],
    path: str | os.PathLike,
    *,
    title: str = "",
    ylabel: str = "%",
    colours: Mapping[str, str] | None = None,
) -> Path:
    """Per epoch and per line (``{label: history}``, histories as ``history.json``
    holds them, or ``{label: [history, ...]}``, e.g. a cell's seeds: their mean with a
    band of ± one sample std): each history key of ``keys`` (``{key: legend text}``)
    in percent, one colour per line (``colours[label]``, default ``C0``, ``C1``, ...)
    and one line style per key; a line without a key draws none for it.  The legend,
    right of the axes, names the lines' colours, then the keys' line styles."""
    from matplotlib.lines import Line2D

    fig, ax = new_figure(figsize=(FIGURE_SIZE[0] + 2.4, FIGURE_SIZE[1]))
    handles: dict[str, Any] = {}
    styles: dict[str, Any] = {}
    for run, (label, runs) in enumerate(histories.items()):
        runs = [runs] if isinstance(runs, Mapping) else list(runs)
        epochs = sorted({int(e) for history in runs for e in history})
        colour = (colours or {}).get(label, f"C{run % 10}")
        for i, (key, text) in enumerate(keys.items()):
            values = np.array(
                [[_percent(history.get(e, {}).get(key)) for e in epochs] for history in runs]
            )
            if np.isnan(values).all():
                continue
            shown = [e + 1 for e in epochs]
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an epoch no run has
                mean = np.nanmean(values, axis=0)
                std = np.nanstd(values, axis=0, ddof=1) if len(runs) > 1 else None
            style = LINE_STYLES[i % len(LINE_STYLES)]
            name = f"{label}: {text}" if len(keys) > 1 else label
            ax.plot(shown, mean, linestyle=style, color=colour, label=name)
            if std is not None:
                ax.fill_between(shown, mean - std, mean + std, color=colour, alpha=0.2, lw=0)
            handles.setdefault(label, Line2D([], [], color=colour))
            if len(keys) > 1:  # the keys' line styles after the lines' colours
                styles.setdefault(text, Line2D([], [], color="black", linestyle=style))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(textwrap.fill(title, 70), fontsize="medium")
    ax.grid(alpha=0.3)
    handles.update(styles)
    if any(not isinstance(r, Mapping) and len(r) > 1 for r in histories.values()):
        handles["band: ± 1 std over seeds"] = _band_handle()
    legend_outside(ax, handles)
    return save_figure(fig, path)


def _percent(value: Any) -> float:
    return np.nan if value is None else 100 * float(value)


def _band_handle() -> Any:
    from matplotlib.patches import Patch

    return Patch(color="grey", alpha=0.2)


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
    return plot_curves(
        histories, MEMORISATION_KEYS, path, title=title, ylabel="training examples (%)"
    )


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
    fig, ax = new_figure()
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
    return save_figure(fig, path)
