"""Reports: the runs of an output folder as a pandas DataFrame, tables of mean ± std
beside the papers' numbers, and figures like the papers'.

    frame = runs_frame("runs", sweep="menon-mnist")          # one row per run
    table = summarise(frame, "noise.rate")                   # method × rate: mean, std, n
    table = add_reference(table, REFERENCE, "noise.rate")    # paper, reproduction, differences
    write_tables(table, "out")                               # table.md, table.csv, table.json
    plot_vs_axis(table, "noise.rate", "out/accuracy_vs_noise.png")
    print(summary_markdown(store_summary("out")))            # one row per run group

Every mean ± std of the library comes from :func:`aggregate`, every markdown table
from :func:`markdown_table`, every ``table.md`` from :func:`table_document` (written
with ``table.csv`` by :func:`write_table`), and every figure from :func:`new_figure`
(written by :func:`save_figure`).

Accuracies are in percent in tables and figures.  Standard deviations are sample
standard deviations over seeds (ddof = 1; 0 for a single seed).  A run whose metric
is absent (``None`` in the record, e.g. the noisy-subset accuracy at noise rate 0) is
left out of that metric's mean and count, never counted as 0.

Every figure gives a method its one colour of :data:`METHOD_COLOURS` (a name not
listed there a spare colour no listed method has), draws a table with two axes besides
the method as one panel per value of the first (the noise model), and keeps its legend
outside the data.

One idea per module: :mod:`~kerasnoise.report.frames` (runs as a DataFrame, cells
aggregated, references beside them), :mod:`~kerasnoise.report.markdown` (every table's
style), :mod:`~kerasnoise.report.files` (the table files), :mod:`~kerasnoise.report.colours`
(a method's colour), :mod:`~kerasnoise.report.figures` and
:mod:`~kerasnoise.report.groups` (a store's run groups).
"""

from kerasnoise._stats import Aggregate, aggregate
from kerasnoise.report.colours import METHOD_COLOURS, line_colours, method_colour
from kerasnoise.report.figures import (
    legend_outside,
    new_figure,
    plot_curves,
    plot_lines,
    plot_memorisation,
    plot_panels,
    plot_vs_axis,
    save_figure,
)
from kerasnoise.report.files import table_document, write_table, write_tables
from kerasnoise.report.frames import (
    DEFAULT_METRICS,
    ID_COLUMNS,
    RESULT_COLUMNS,
    add_reference,
    column_name,
    line_label,
    runs_frame,
    summarise,
)
from kerasnoise.report.groups import describe, store_summary
from kerasnoise.report.markdown import (
    markdown,
    markdown_table,
    summary_markdown,
    verdicts_markdown,
    wide_markdown,
)

__all__ = [
    "DEFAULT_METRICS",
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
    "write_table",
    "table_document",
    "plot_vs_axis",
    "plot_lines",
    "plot_panels",
    "plot_memorisation",
    "plot_curves",
    "line_label",
    "new_figure",
    "save_figure",
    "legend_outside",
    "METHOD_COLOURS",
    "method_colour",
    "line_colours",
]
