"""Paper tables and figures as declarations: an :class:`Experiment` says what to run
(methods × axes × seeds over a preset) and what the paper reported and claimed;
:func:`main` is the command line every script in ``experiments/`` shares, and
:func:`run` the same thing from Python or a notebook.

    EXPERIMENT = Experiment(name="menon-mnist", preset="menon-mnist-lenet",
                            methods={...}, axes={"noise.rate": [0, 0.2, 0.4, 0.6]},
                            flags={"noise.rate": "rates"}, references=[...], claims=[...])
    if __name__ == "__main__":
        sys.exit(main(EXPERIMENT))

    outcome = run(EXPERIMENT, rates=[0.6], seeds=[0], out="runs/x", epochs=1)
    outcome.table, outcome.verdicts          # a DataFrame, and each claim's verdict

Every axis has its own flag (``--rates``, ``--alphas``, ``--batch-sizes``: the last
part of its key, pluralised, unless ``flags`` names it), parsed as the declared
values' type (ints stay ints).  The last axis is the figure's x axis and the wide
table's columns; the table has one row per ``series`` value (``method`` unless
``series`` names an axis, e.g. ``model``) and per value of the other axes.

Outputs in ``--out``: the run directories and ``results.sqlite``, then ``table.md``
(the table, the claims' verdicts, how to read them), ``table.csv``, ``table.json``,
``claims.json`` and the figure, made from exactly the runs the command line
describes (its methods, axis values, seeds and overrides, on its backend).

A table that is not aggregated from training runs (Menon et al.'s synthetic
experiments, :mod:`kerasnoise.synthetic`: NumPy fits in this process) is declared as a
:class:`ComputedTable`; :func:`main` and :func:`run` take it as they take an
:class:`Experiment`, and its ``table.md`` and ``table.csv`` are written by the same
:mod:`kerasnoise.report` functions.

One idea per module: :mod:`~kerasnoise.tables.declaration` (what an experiment
is), :mod:`~kerasnoise.tables.command_line` (its flags, :func:`main` and
:func:`run`), :mod:`~kerasnoise.tables.planning` (the runs a command line means,
the learning-rate choice, the output folder), :mod:`~kerasnoise.tables.outputs` (the
table, claims and figures made from the finished runs) and
:mod:`~kerasnoise.tables.computed` (a table computed in this process: its base class,
command line and files).
"""

from kerasnoise.tables.command_line import build_parser, main, main_among, run
from kerasnoise.tables.computed import ComputedTable
from kerasnoise.tables.declaration import (
    Curves,
    Experiment,
    LRChoice,
    Outcome,
    check_declaration,
    reference_table,
)
from kerasnoise.tables.planning import searches

__all__ = [
    "ComputedTable",
    "Curves",
    "Experiment",
    "LRChoice",
    "Outcome",
    "main",
    "main_among",
    "run",
    "build_parser",
    "check_declaration",
    "reference_table",
    "searches",
]
