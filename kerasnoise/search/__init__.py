"""Learning-rate searches per noise level with keras-tuner; every trial an ordinary run.

An :class:`LRSearch` says what to search: a preset, one axis of noise levels, the
learning rates (a list for a grid, or a log range), the tuner, and what the choice
is made on.  :func:`run_search` runs one keras-tuner search per level (its oracle
proposes learning rates; :class:`RunTuner` trains each as a kerasnoise run with
:func:`kerasnoise.training.train`, so it has a run directory, a store record and a
tag like any sweep's run), then retrains each level's best learning rate with the
``seeds`` through :func:`kerasnoise.sweep.run_sweep`.  Re-running resumes: the
oracle reloads (``overwrite=False``) and finished runs are not trained again.

Distributed: keras-tuner's own chief/worker mode.  The chief serves each level's
oracle in turn, on ``port + level index``; workers train the trials.  The roles
come from :class:`Role` (``KERASTUNER_TUNER_ID``, ``KERASTUNER_ORACLE_IP``,
``KERASTUNER_ORACLE_PORT``), the output folder is shared.  A worker that cannot
reach its chief stops with :class:`ChiefUnreachableError` after ``chief_timeout``
seconds instead of waiting for keras-tuner's hour-long gRPC deadline.

Selection is on the validation split of the noisy training data by default
(``validation_labels=noisy``: a user without clean labels has nothing else);
``select_on="clean-validation"`` scores against the true labels, an oracle.

One idea per module, importing in one direction: :mod:`~kerasnoise.search.plan` (what
to search; no keras-tuner), :mod:`~kerasnoise.search.oracle`,
:mod:`~kerasnoise.search.roles`, :mod:`~kerasnoise.search.tuner`,
:mod:`~kerasnoise.search.results` (what a search found) and
:mod:`~kerasnoise.search.search` (the whole search).

Needs the ``tuner`` extra: ``pip install "kerasnoise[tuner]"``.
"""

from kerasnoise.search.oracle import (
    EagerGridOracle,
    build_oracle,
    hyperparameters,
    level_done,
    saved_space_matches,
    searched_grid,
)
from kerasnoise.search.plan import (
    LR_KEY,
    OBJECTIVE,
    SELECT_ON,
    TUNERS,
    LRSearch,
    parse_axis,
    parse_learning_rates,
    parse_lr_range,
    project_dir,
)
from kerasnoise.search.results import (
    TEST_METRIC,
    best_frame,
    best_learning_rates,
    best_markdown,
    trials_frame,
    write_outputs,
)
from kerasnoise.search.roles import ChiefUnreachableError, Role, parse_port, wait_for_chief
from kerasnoise.search.search import run_search
from kerasnoise.search.tuner import RunTuner, search_level

__all__ = [
    "TUNERS",
    "SELECT_ON",
    "LR_KEY",
    "OBJECTIVE",
    "TEST_METRIC",
    "LRSearch",
    "Role",
    "RunTuner",
    "EagerGridOracle",
    "ChiefUnreachableError",
    "build_oracle",
    "hyperparameters",
    "saved_space_matches",
    "level_done",
    "searched_grid",
    "parse_learning_rates",
    "parse_lr_range",
    "parse_axis",
    "parse_port",
    "wait_for_chief",
    "run_search",
    "search_level",
    "project_dir",
    "trials_frame",
    "best_learning_rates",
    "best_frame",
    "best_markdown",
    "write_outputs",
]
