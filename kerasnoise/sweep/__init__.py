"""Sweeps: named methods × axes × seeds over a preset, each point an ordinary run.

A :class:`Sweep` expands to :class:`SweepRun` s, each a complete
:class:`~kerasnoise.config.ExperimentConfig` trained by
:func:`kerasnoise.training.train` into the same run directories and results store
as ``kerasnoise train`` — so a sweep and a single run never disagree, finished
runs are skipped and an interrupted one resumes at its last finished epoch.
Every run is tagged with the sweep's name, its method and its axis values
(:meth:`kerasnoise.results.store.ResultsStore.tag`), which is what reports group by.

    sweep = Sweep(
        name="menon-mnist",
        preset="menon-mnist-lenet",
        methods={"ce": {"loss": "ce"}, "ce_clip": {"loss": "ce", "optimizer.global_clipnorm": 0.1}},
        axes={"noise.rate": [0.0, 0.2, 0.4, 0.6]},
        seeds=[0, 1, 2],
    )
    run_sweep(sweep, "runs", jobs=2)

Order: seeds outermost, then axis values, then methods — a sweep stopped half way
has whole tables for its first seeds.  ``shard=(i, n)`` keeps the runs whose index
is ``i`` modulo ``n``, so ``n`` machines (a SLURM array) run every point once.

One idea per module: :mod:`~kerasnoise.sweep.expansion` (a sweep and its runs),
:mod:`~kerasnoise.sweep.sharding` (which runs a machine of N takes) and
:mod:`~kerasnoise.sweep.running` (training them, side by side through
:mod:`kerasnoise.pool`).
"""

from kerasnoise.sweep.expansion import Sweep, SweepRun
from kerasnoise.sweep.running import (
    SweepOutcome,
    check_writable,
    default_jobs,
    run_sweep,
    worker_environment,
)
from kerasnoise.sweep.sharding import parse_shard, select_shard, shard_from_env

__all__ = [
    "Sweep",
    "SweepRun",
    "SweepOutcome",
    "parse_shard",
    "select_shard",
    "shard_from_env",
    "check_writable",
    "run_sweep",
    "default_jobs",
    "worker_environment",
]
