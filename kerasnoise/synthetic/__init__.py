"""Menon et al. 2020's two synthetic experiments with linear scorers: NumPy, SciPy,
pandas and matplotlib, no Keras.

    from kerasnoise.synthetic import LongServedio, margins
    EXPERIMENT = LongServedio(name="menon-long-servedio", title="...",
                              losses={"logistic": {}, "huberised": {"tau": margins.HUBER_TAU}})
    outcome = EXPERIMENT.run(repeats=50, rate=0.45, seed=0, jobs=2)
    kerasnoise.tables.main(EXPERIMENT)       # a script's command line: --out, table.md, ...

- :class:`LongServedio`: repeated draws of the Long & Servedio mixture with flipped
  training labels, a linear scorer fitted by SLSQP per loss on each; the table is the
  clean test accuracy's median, mean and quartiles per loss, the figure a box plot.
- :class:`Outliers`: the mean loss of a 1-D scorer θx over a grid of θ, with and
  without Ding's outliers; the table is each loss's minimiser, the figure the curves.

Both are :class:`kerasnoise.tables.ComputedTable` s: the tables framework's command line
(:func:`kerasnoise.tables.main`), ``table.md`` (the table, the exact command, the
parameters, the wall time) and ``table.csv``; each adds its per-draw or per-θ values
(``accuracies.csv``, ``curves.csv``) and its figure.

One idea per module: :mod:`~kerasnoise.synthetic.data` (the Long & Servedio mixture,
Ding's outliers) → :mod:`~kerasnoise.synthetic.margins` (binary margin losses with
their derivatives) → :mod:`~kerasnoise.synthetic.linear` (a linear scorer fitted by
SLSQP, its accuracy, the loss over a θ grid) → :mod:`~kerasnoise.synthetic.declaration`
(what the two declarations share) → :mod:`~kerasnoise.synthetic.long_servedio` and
:mod:`~kerasnoise.synthetic.outliers` (the two experiments, their outcomes and
figures).
"""

from kerasnoise.synthetic import data, linear, margins
from kerasnoise.synthetic.declaration import SyntheticTable
from kerasnoise.synthetic.long_servedio import LongServedio, LongServedioOutcome, plot_accuracy_box
from kerasnoise.synthetic.outliers import Outliers, OutliersOutcome, plot_loss_curves

__all__ = [
    "data",
    "margins",
    "linear",
    "SyntheticTable",
    "LongServedio",
    "LongServedioOutcome",
    "Outliers",
    "OutliersOutcome",
    "plot_accuracy_box",
    "plot_loss_curves",
]
