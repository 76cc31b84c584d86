"""Results on disk: the files of each run, the store that indexes them, and merging
the output folders of several machines.

An output folder (``--out``) holds one run directory per run, ``<out>/<run_id>/``, the
source of truth, and one SQLite store, ``<out>/results.sqlite``, that indexes them and
can be rebuilt from them:

    store = ResultsStore("runs")                  # the store of an output folder
    store.runs(status="finished")                 # one record per run
    rebuild("runs")                               # a new store from the run directories
    merge_folders("all", ["machine-a", "machine-b"])
    (Path("runs") / run_id / rundir.MODEL)        # a run directory's files, by name

One idea per module, importing in one direction: :mod:`~kerasnoise.results.rundir` (a
run directory's files) → :mod:`~kerasnoise.results.store` (the SQLite store of run
records, :class:`ResultsStore`) → :mod:`~kerasnoise.results.merging` (merging the output
folders of several machines).  Evaluating a saved run again is
:mod:`kerasnoise.reevaluation` (it rebuilds the run's data through training, a layer above).
"""

from kerasnoise.results import rundir
from kerasnoise.results.merging import merge_folders
from kerasnoise.results.store import (
    DONE_STATUSES,
    FILENAME,
    STATUSES,
    ResultsStore,
    StoreError,
    rebuild,
)

__all__ = [
    "rundir",
    "FILENAME",
    "STATUSES",
    "DONE_STATUSES",
    "ResultsStore",
    "StoreError",
    "rebuild",
    "merge_folders",
]
