"""The runs a command line means, the learning-rate choice per cell, and the order of
the work: plan, search or train, report."""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
from pathlib import Path

from kerasnoise._args import use_checkpoint_dir
from kerasnoise.config import parse_overrides
from kerasnoise.tables.declaration import Experiment, LRChoice, Outcome
from kerasnoise.tables.outputs import Source, what_ran, write_report

__all__ = ["PlanError", "dest", "execute", "searches", "plan", "output_folder"]


def dest(experiment: Experiment, key: str) -> str:
    """The argparse destination of axis ``key``'s flag."""
    return "axis_" + experiment.flag(key).replace("-", "_")


class PlanError(Exception):
    """Bad input, found before any training."""


def execute(experiment: Experiment, args: argparse.Namespace, command: str) -> Outcome:
    from kerasnoise import sweep as sweep_lib

    if getattr(args, "checkpoint_dir", None):  # run(..., checkpoint_dir=...) as the flag does
        use_checkpoint_dir(args.checkpoint_dir)

    if experiment.select_lr is not None:  # the command line's grid and split, if given
        choice = experiment.select_lr
        experiment = dataclasses.replace(
            experiment,
            select_lr=LRChoice(
                tuple(getattr(args, "learning_rates", None) or choice.rates),
                getattr(args, "select_on", None) or choice.on,
                choice.executions,
            ),
        )
    try:
        sweep, shard, out = plan(experiment, args, sweep_lib)
        runs = sweep.expand()  # every error before any training
    except (ValueError, TypeError) as err:
        raise PlanError(str(err)) from None

    import keras

    backend = keras.backend.backend()
    sizes = " × ".join(
        [f"{len(sweep.methods)} methods"]
        + [f"{len(v)} {k}" for k, v in sweep.axes.items()]
        + [f"{len(sweep.seeds)} seeds"]
    )
    title, _ = what_ran(experiment, sweep, runs)
    print(
        f"{title}: {len(runs)} runs ({sizes}) on {backend}, shard {shard[0]}/"
        f"{shard[1]}, jobs {args.jobs or sweep_lib.default_jobs()}, output {out}",
        file=sys.stderr,
    )
    import pandas as pd

    try:
        elsewhere = cells_from(getattr(args, "cells_from", None), out, backend)
    except ValueError as err:
        raise PlanError(str(err)) from None
    outcome = Outcome(table=pd.DataFrame(), verdicts=[], out=out)
    sources = []
    if experiment.select_lr is not None:
        runs = select_learning_rates(experiment, sweep, args, out, outcome)
        for folder, other in elsewhere:
            grids: dict = {}
            chosen = select_learning_rates(
                experiment, sweep, args, folder, outcome, backend=other, grids=grids, read_only=True
            )
            sources.append(Source(folder, other, chosen, grids))
    elif not args.report_only:
        done = sweep_lib.run_sweep(
            sweep,
            out,
            runs=runs,
            jobs=args.jobs,
            shard=shard,
            force=args.force,
            progress=not args.no_progress,
        )
        outcome.trained, outcome.failed = len(done.trained), dict(done.failed)
        print(
            f"trained {len(done.trained)}, already done {len(done.skipped)}, "
            f"failed {len(done.failed)}",
            file=sys.stderr,
        )
    if experiment.select_lr is None:
        sources = [Source(folder, other, runs) for folder, other in elsewhere]
    sources.append(Source(out, backend, runs, outcome.grids))
    write_report(experiment, sweep, sources, command, outcome)
    for run_id, error in outcome.failed.items():
        print(f"failed: {run_id}: {error}", file=sys.stderr)
    return outcome


def searches(experiment: Experiment, sweep) -> list:
    """One learning-rate search per method and value of the axes other than x
    (:class:`kerasnoise.search.LRSearch`), each over the x axis's values."""
    from kerasnoise import search as search_lib

    choice = experiment.select_lr
    x = experiment.x_axis
    others = [k for k in sweep.axes if k != x]
    found = []
    for method, overrides in sweep.methods.items():
        for values in itertools.product(*(sweep.axes[k] for k in others)):
            found.append(
                search_lib.LRSearch(
                    preset=sweep.preset,
                    axis=x,
                    levels=list(sweep.axes[x]),
                    learning_rates=list(choice.rates),
                    tuner="grid",
                    executions_per_trial=choice.executions,
                    select_on=choice.on,
                    seeds=list(sweep.seeds),
                    overrides={**sweep.overrides, **overrides},
                    name=sweep.name,
                    data_dir=sweep.data_dir,
                    method=method,
                    fixed=dict(zip(others, values, strict=True)),
                )
            )
    return found


def cells_from(values, out: Path, backend: str) -> list[tuple[Path, str]]:
    """``--cells-from FOLDER=BACKEND`` (repeatable) as ``[(folder, backend)]``: folders
    whose finished cells on that backend the report takes before ``out``'s own."""
    from kerasnoise._args import BACKENDS

    found = []
    for value in values or ():
        folder, sep, other = str(value).rpartition("=")
        if not sep or not folder or other not in BACKENDS:
            raise ValueError(
                f"--cells-from: expected FOLDER=BACKEND with BACKEND one of "
                f"{', '.join(BACKENDS)}, got {value!r}"
            )
        folder = Path(folder)
        if not folder.is_dir():
            raise ValueError(f"--cells-from: no folder {str(folder)!r}")
        if folder.resolve() == Path(out).resolve() and other == backend:
            raise ValueError(
                f"--cells-from: {value!r} is this command's own output folder and backend"
            )
        found.append((folder, other))
    return found


def select_learning_rates(
    experiment,
    sweep,
    args,
    out,
    outcome: Outcome,
    *,
    backend: str | None = None,
    grids: dict | None = None,
    read_only: bool = False,
) -> list:
    """Search (unless ``--report-only`` or ``read_only``), then train each cell's
    chosen rate with every seed; returns the chosen runs.  ``backend``: the one whose
    runs are read (default: the one loaded); ``grids``: where the cells searched over
    another grid than the declared one go (default ``outcome.grids``)."""
    from kerasnoise import search as search_lib

    grids = outcome.grids if grids is None else grids
    search_here = not (read_only or args.report_only)

    if args.shard:
        raise PlanError(
            "--shard does not split a learning-rate selection; run its "
            "searches across machines with python -m tuning.lr_search"
        )
    plans = [s.validate() for s in searches(experiment, sweep)]
    declared = [float(r) for r in experiment.select_lr.rates]
    chosen = []
    for search in plans:
        if search_here:
            search_lib.run_search(search, out, jobs=args.jobs, progress=not args.no_progress)
        trials = search_lib.trials_frame(search, out, backend)
        best = {}
        for level in search.levels:
            # each finished level from the grid it was searched over (a narrower one
            # where lower levels justified it); an unfinished one needs every rate
            grid = search_lib.searched_grid(search_lib.project_dir(out, search, level)) or declared
            if grid != sorted(declared):
                cell = ", ".join(
                    f"{k}={v}" for k, v in {**search.fixed, search.axis: level}.items()
                )
                grids[cell] = grid
            rows = trials[trials["noise_level"] == level] if len(trials) else trials
            best.update(search_lib.best_learning_rates(rows, grid))
        chosen += search.final_runs(best)
    return chosen


def output_folder(out: str | os.PathLike | None, name: str) -> Path:
    """The output folder a command line means: ``--out``, else ``runs/<name>``,
    created and proven writable; ``ValueError`` (naming ``--out``) otherwise."""
    from kerasnoise.sweep import check_writable

    try:
        return check_writable(out or Path("runs") / name)
    except ValueError as err:
        raise ValueError(f"--out: {err}") from None


def plan(experiment: Experiment, args, sweep_lib):
    methods = args.methods or list(experiment.methods)
    unknown = [m for m in methods if m not in experiment.methods]
    if unknown:
        raise ValueError(
            f"--methods: unknown method {unknown[0]!r}; allowed: {', '.join(experiment.methods)}"
        )
    overrides = dict(experiment.quick) if args.quick else {}
    overrides.update(parse_overrides(args.overrides))
    seeds = args.seeds or (experiment.quick_seeds if args.quick else experiment.seeds)
    shard = sweep_lib.parse_shard(args.shard) if args.shard else sweep_lib.shard_from_env()
    out = output_folder(args.out, experiment.name)
    sweep = experiment.sweep(
        methods=methods,
        axes={key: getattr(args, dest(experiment, key)) for key in experiment.axes},
        seeds=seeds,
        overrides=overrides,
        data_dir=args.data_dir,
    )
    if args.jobs < 0:
        raise ValueError(f"--jobs must be >= 0 (0 = one per core), got {args.jobs}")
    return sweep, shard or (0, 1), out
