"""The figures: accuracy against a noise axis (one axis or a panel per line), the
memorisation curves, and lines of any columns; every figure of the library is set up by
:func:`new_figure` and written by :func:`save_figure`."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kerasnoise._io import atomic_write_figure, pyplot
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
) -> Path:
    """Accuracy vs ``axis``: one line per value of the ``by`` columns with error bars
    (std over seeds); with ``reference`` (a column such as ``"paper"``) dashed lines
    of the same colour."""
    labels = labels or {}
    axis_col = column_name(axis)
    fig, ax = new_figure()
    for key, rows in table_lines(table, by):
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
            ax.plot(  # marked too: a reference with one value (one alpha) has no line
                rows[axis_col],
                rows[reference],
                linestyle="--",
                marker="x",
                markersize=8,
                color=line.lines[0].get_color(),
                alpha=0.8,
            )
    ax.set_xlabel(axis)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(textwrap.fill(title, 70), fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="lower left")
    if reference is not None:
        ax.text(
            0.99,
            0.01,
            f"dashed, ×: {reference}",
            transform=ax.transAxes,
            ha="right",
            fontsize="small",
        )
    return save_figure(fig, path)


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
    labels = labels or {}
    axis_col = column_name(axis)
    lines = list(table_lines(table, by))
    cols = min(3, len(lines))
    rows_n = -(-len(lines) // cols)
    fig, axes = new_figure(rows_n, cols, figsize=(3.6 * cols, 2.9 * rows_n), squeeze=False)
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
    return save_figure(fig, path)


#: The memorisation figure's curves: clean labels learnt (solid), wrong labels memorised.
MEMORISATION_KEYS = {
    "train_clean_accuracy": "clean labels",
    "train_noisy_memorised": "wrong labels memorised",
}


def plot_curves(
    histories: Mapping[str, Mapping[int, Mapping[str, Any]]],
    keys: Mapping[str, str],
    path: str | os.PathLike,
    *,
    title: str = "",
    ylabel: str = "%",
) -> Path:
    """Per epoch and per run (``{label: history}``, histories as ``history.json`` holds
    them): each history key of ``keys`` (``{key: legend text}``) in percent, one colour
    per run and one line style per key; a run without a key draws no line for it."""
    styles = ["-", "--", ":", "-."]
    fig, ax = new_figure()
    for run, (label, history) in enumerate(histories.items()):
        epochs = sorted(history)
        shown = [e + 1 for e in epochs]
        for i, (key, text) in enumerate(keys.items()):
            values = [history[e].get(key) for e in epochs]
            if all(v is None for v in values):
                continue
            ax.plot(
                shown,
                [np.nan if v is None else 100 * v for v in values],
                linestyle=styles[i % len(styles)],
                color=f"C{run % 10}",
                label=f"{label}: {text}",
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(textwrap.fill(title, 70), fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="x-small")
    return save_figure(fig, path)


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
