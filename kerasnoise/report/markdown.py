"""Markdown: every table of the library in one style (:func:`markdown_table`), the wide
and long forms of a results table, the claims' verdicts, a store's groups."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kerasnoise.report.frames import DEFAULT_METRICS, column_name, table_lines


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
    for line, rows in table_lines(table, by):
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
