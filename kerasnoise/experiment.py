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
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kerasnoise._args import (
    BACKENDS,
    CHECKPOINT_DIR_ENV,
    SELECT_ON,
    add_checkpoint_dir,
    choose_backend,
    csv_list,
    declaring_module,
)
from kerasnoise.config import ExperimentConfig, parse_overrides

__all__ = ["Experiment", "LRChoice", "Outcome", "main", "main_among", "run", "build_parser"]


@dataclasses.dataclass(frozen=True)
class LRChoice:
    """Choose the learning rate per cell, as papers that report "the best rate per
    (model, noise level)" do: a keras-tuner grid search (:mod:`kerasnoise.tuning`)
    over ``rates`` for every method and value of the other axes, one search level per
    x-axis value, scored on the validation split ``on`` (``clean-validation``: the
    true labels of held-out training images, an oracle a user of real noisy data
    lacks; ``noisy-validation``: the run's own noise on them).  Each cell's chosen
    rate is then trained with the experiment's seeds and only those runs are
    tabulated, with the rate in a ``learning_rate`` column.  Needs a validation split
    in the preset and the ``tuner`` extra.
    """

    rates: Sequence[float]
    on: str = "clean-validation"
    executions: int = 1

    def __post_init__(self) -> None:
        if self.on not in SELECT_ON:
            raise ValueError(f"LRChoice.on must be one of {', '.join(SELECT_ON)}, got {self.on!r}")
        if not self.rates or any(not isinstance(r, int | float) or r <= 0 for r in self.rates):
            raise ValueError(f"LRChoice.rates must be positive numbers, got {self.rates!r}")


@dataclasses.dataclass
class Experiment:
    """What a paper table or figure is: methods × axes × seeds over a preset, and
    what the paper reported (``references``) and claimed (``claims``).

    Args:
        name: sweep name (recorded with every run) and default output folder name.
        title: heading of the table and figure.
        preset: base configuration: a preset's name or an ``ExperimentConfig``.
        methods: method name -> config overrides.
        axes: config key -> its default values, in order; the last is the x axis.
        flags: config key -> its command-line flag (default: the key's last part,
            pluralised: ``noise.rate`` -> ``--rates``, ``batch_size`` -> ``--batch-sizes``).
        series: the column whose values make the figure's lines and the table's rows:
            ``method`` or one of the axes (e.g. ``model``).
        labels: method or series value -> the paper's label (``"CE + clipping"``).
        seeds: default training seeds.
        references: :class:`kerasnoise.presets.Reference` sets: each is a column of
            the table, keyed ``{series value: {x value: %}}``, cited by its source.
        claims: the paper's qualitative claims (:mod:`kerasnoise.claims`), checked on
            every report.
        metric: the result field tabulated (``test_accuracy_last``: no oracle).
        quick: overrides of ``--quick``, a newcomer's first look; ``quick_seeds`` its seeds.
        figure: file name of the figure.
        panels: draw one panel per line (its own y range, every seed as a dot, the
            references beside ours) instead of all lines on one axis.
        memorisation: file name of a second figure, per epoch, of the accuracy on the
            clean and on the noisy training examples (against their true and their
            given labels) of each line's run at the x axis's highest value (lowest
            seed); empty: none.
        notes: markdown appended to ``table.md`` (how to read the table).
        select_lr: an :class:`LRChoice`: choose the learning rate per cell by a search.
        module: the declaring script's module (found by itself), for the command line.
    """

    name: str
    title: str
    preset: str | ExperimentConfig
    methods: dict[str, dict[str, Any]]
    axes: dict[str, Sequence]
    flags: dict[str, str] = dataclasses.field(default_factory=dict)
    series: str = "method"
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0, 1, 2])
    references: Sequence[Any] = ()
    claims: Sequence[Any] = ()
    metric: str = "test_accuracy_last"
    quick: dict[str, Any] = dataclasses.field(default_factory=dict)
    quick_seeds: list[int] = dataclasses.field(default_factory=lambda: [0])
    figure: str = "accuracy_vs_noise.png"
    panels: bool = False
    memorisation: str = ""
    notes: str = ""
    select_lr: LRChoice | None = None
    module: str = ""

    def __post_init__(self) -> None:
        if not self.module:
            self.module = declaring_module()
        if not self.axes:
            raise ValueError(f"experiment {self.name!r} needs at least one axis")
        for key, values in self.axes.items():
            if isinstance(values, str) or not isinstance(values, Sequence) or not values:
                raise ValueError(f"axis {key!r} must be a non-empty list, got {values!r}")
        unknown = set(self.flags) - set(self.axes)
        if unknown:
            raise ValueError(f"flags name keys that are not axes: {sorted(unknown)}")
        if self.series != "method" and self.series not in self.axes:
            raise ValueError(f"series must be 'method' or an axis, got {self.series!r}")
        if self.series == self.x_axis:
            raise ValueError(f"series {self.series!r} cannot also be the x axis")

    @property
    def x_axis(self) -> str:
        """The last axis: the figure's x axis and the wide table's columns."""
        return list(self.axes)[-1]

    def flag(self, key: str) -> str:
        """The command-line flag of axis ``key``, without the dashes."""
        if key in self.flags:
            return self.flags[key]
        last = key.split(".")[-1].replace("_", "-")
        return last if last.endswith("s") else f"{last}s"

    def sweep(
        self,
        *,
        methods: Sequence[str] | None = None,
        axes: dict[str, Sequence] | None = None,
        seeds: Sequence[int] | None = None,
        overrides: dict[str, Any] | None = None,
        data_dir: str | None = None,
    ):
        """The declared sweep (:class:`kerasnoise.sweep.Sweep`), or the part of it the
        arguments name: ``axes`` replace the declared values key by key."""
        from kerasnoise import sweep as sweep_lib

        chosen = axes or {}
        return sweep_lib.Sweep(
            name=self.name,
            preset=self.preset,
            methods={m: self.methods[m] for m in (methods or self.methods)},
            axes={k: list(chosen.get(k) or v) for k, v in self.axes.items()},
            seeds=list(seeds or self.seeds),
            overrides=dict(overrides or {}),
            data_dir=data_dir,
        )

    def row_keys(self) -> list[str]:
        """The table's row columns: the series, then the axes other than x and the series."""
        others = [k for k in self.axes if k not in (self.x_axis, self.series)]
        return [self.series, *others]


@dataclasses.dataclass
class Outcome:
    """What :func:`run` made: the table, the claims' verdicts, and where it wrote them."""

    table: Any  # pandas.DataFrame
    verdicts: list
    out: Path
    trained: int = 0
    failed: dict = dataclasses.field(default_factory=dict)
    #: cells whose learning rate was chosen from another grid than the declared one
    grids: dict = dataclasses.field(default_factory=dict)


# --------------------------------------------------------------------------- command line


def _axis_type(values: Sequence) -> type:
    kinds = {type(v) for v in values}
    if kinds <= {int}:
        return int
    if kinds <= {int, float}:
        return float
    return str


def build_parser(experiment: Experiment) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m {experiment.module}", description=experiment.title)
    p.add_argument("--backend", choices=BACKENDS, help="Keras backend (default $KERAS_BACKEND)")
    p.add_argument(
        "--methods",
        type=csv_list(str),
        help=f"comma-separated subset of: {', '.join(experiment.methods)} (default all)",
    )
    for key, values in experiment.axes.items():
        p.add_argument(
            f"--{experiment.flag(key)}",
            dest=_dest(experiment, key),
            type=csv_list(_axis_type(values)),
            help=f"{key} values (default {','.join(map(str, values))})",
        )
    p.add_argument(
        "--seeds",
        type=csv_list(int),
        help=f"training seeds (default {','.join(map(str, experiment.seeds))})",
    )
    if experiment.select_lr is not None:
        choice = experiment.select_lr
        p.add_argument(
            "--learning-rates",
            type=csv_list(float),
            help=f"the grid searched per cell (default {','.join(map(str, choice.rates))})",
        )
        p.add_argument(
            "--select-on",
            choices=tuple(SELECT_ON),
            help=f"the validation labels the choice is made on (default {choice.on})",
        )
    p.add_argument(
        "--jobs",
        type=int,
        default=0,
        help="worker processes side by side; 1 trains in this process; default 0: one "
        "single-threaded worker per core (1 on an accelerator), the faster on 2 CPU cores",
    )
    p.add_argument("--shard", help="I/N: run every N-th config from the I-th (default: SLURM's)")
    p.add_argument("--out", help=f"output folder (default runs/{experiment.name})")
    p.add_argument("--data-dir", help="folder with the data files (default $KERASNOISE_DATA_DIR)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a first look: "
        + " ".join(f"{k}={v}" for k, v in experiment.quick.items())
        + f", seeds {','.join(map(str, experiment.quick_seeds))}",
    )
    p.add_argument(
        "--report-only", action="store_true", help="train nothing: table and figure of what is done"
    )
    p.add_argument("--force", action="store_true", help="train again runs that are done")
    add_checkpoint_dir(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="key=value",
        help="overrides for every run, e.g. epochs=1 train_limit=2000",
    )
    return p


def _dest(experiment: Experiment, key: str) -> str:
    return "axis_" + experiment.flag(key).replace("-", "_")


def main(experiment: Experiment, argv: Sequence[str] | None = None) -> int:
    """Run the experiment as the command line says; print and write its table."""
    parser = build_parser(experiment)
    argv = sys.argv[1:] if argv is None else list(argv)
    return _main(experiment, parser, argv)


def main_among(
    experiments: dict[str, Experiment], flag: str, argv: Sequence[str] | None = None
) -> int:
    """The command line of a script that declares one experiment per value of ``--flag``
    (``python -m experiments.menon_cifar --dataset cifar100``; the first is the default)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    names = list(experiments)
    option = dict(choices=names, default=names[0], help=f"which table (default {names[0]})")
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument(f"--{flag}", **option)
    known, _ = pre.parse_known_args(argv)
    experiment = experiments[getattr(known, flag.replace("-", "_"))]
    parser = build_parser(experiment)
    parser.add_argument(f"--{flag}", **option)
    return _main(experiment, parser, argv)


def _main(experiment: Experiment, parser: argparse.ArgumentParser, argv: list[str]) -> int:
    args = parser.parse_args(argv)
    choose_backend(parser, args.backend)
    try:
        outcome = _execute(experiment, args, " ".join(["python -m", experiment.module, *argv]))
    except _PlanError as err:
        parser.error(str(err))
    return 1 if outcome.failed else 0


def run(experiment: Experiment, *, backend: str | None = None, **options: Any) -> Outcome:
    """The command line's work from Python: ``run(EXPERIMENT, rates=[0.6], seeds=[0],
    out="runs/x", data_dir="../shared/data", jobs=1, epochs=1)``.

    Options are the command line's, by name (``methods``, one per axis flag with
    dashes as underscores, ``seeds``, ``jobs``, ``shard``, ``out``, ``data_dir``,
    ``quick``, ``report_only``, ``force``, ``progress``, ``checkpoint_dir``); any
    other keyword is a config override for every run (``epochs=1``,
    ``**{"optimizer.learning_rate": 0.1}``).
    Returns the table (a pandas DataFrame, ``None`` when nothing is finished) and the
    claims' verdicts; writes the same files as the command line.
    """
    parser = build_parser(experiment)
    args = parser.parse_args([])
    flags = {experiment.flag(k).replace("-", "_"): _dest(experiment, k) for k in experiment.axes}
    overrides = dict(options.pop("overrides", {}))
    for name, value in options.items():
        if name in flags:
            setattr(args, flags[name], list(value))
        elif name == "progress":
            args.no_progress = not value
        elif name in vars(args) and name not in ("overrides", "backend"):
            setattr(args, name, list(value) if name in ("methods", "seeds") else value)
        else:
            overrides[name] = value
    args.overrides = [f"{k}={v!r}" for k, v in overrides.items()]
    choose_backend(parser, backend)
    try:
        return _execute(experiment, args, f"experiment.run({experiment.module}, ...)")
    except _PlanError as err:
        raise ValueError(str(err)) from None


class _PlanError(Exception):
    """Bad input, found before any training."""


def _execute(experiment: Experiment, args: argparse.Namespace, command: str) -> Outcome:
    from kerasnoise import sweep as sweep_lib

    if getattr(args, "checkpoint_dir", None):  # run(..., checkpoint_dir=...) as the flag does
        os.environ[CHECKPOINT_DIR_ENV] = os.path.abspath(os.path.expanduser(args.checkpoint_dir))

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
        sweep, shard, out = _plan(experiment, args, sweep_lib)
        runs = sweep.expand()  # every error before any training
    except (ValueError, TypeError) as err:
        raise _PlanError(str(err)) from None

    import keras

    backend = keras.backend.backend()
    sizes = " × ".join(
        [f"{len(sweep.methods)} methods"]
        + [f"{len(v)} {k}" for k, v in sweep.axes.items()]
        + [f"{len(sweep.seeds)} seeds"]
    )
    print(
        f"{experiment.title}: {len(runs)} runs ({sizes}) on {backend}, shard {shard[0]}/"
        f"{shard[1]}, jobs {args.jobs or sweep_lib.default_jobs()}, output {out}",
        file=sys.stderr,
    )
    outcome = Outcome(table=None, verdicts=[], out=out)
    if experiment.select_lr is not None:
        runs = _select_learning_rates(experiment, sweep, args, out, outcome)
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
    _report(experiment, sweep, runs, out, backend, command, outcome)
    for run_id, error in outcome.failed.items():
        print(f"failed: {run_id}: {error}", file=sys.stderr)
    return outcome


def searches(experiment: Experiment, sweep) -> list:
    """One learning-rate search per method and value of the axes other than x
    (:class:`kerasnoise.tuning.LRSearch`), each over the x axis's values."""
    from kerasnoise import tuning

    choice = experiment.select_lr
    x = experiment.x_axis
    others = [k for k in sweep.axes if k != x]
    found = []
    for method, overrides in sweep.methods.items():
        for values in itertools.product(*(sweep.axes[k] for k in others)):
            found.append(
                tuning.LRSearch(
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


def _select_learning_rates(experiment, sweep, args, out, outcome: Outcome) -> list:
    """Search (unless ``--report-only``), then train each cell's chosen rate with every
    seed; returns the chosen runs."""
    from kerasnoise import tuning

    if args.shard:
        raise _PlanError(
            "--shard does not split a learning-rate selection; run its "
            "searches across machines with python -m tuning.lr_search"
        )
    plans = [s.validate() for s in searches(experiment, sweep)]
    declared = [float(r) for r in experiment.select_lr.rates]
    chosen = []
    for search in plans:
        if not args.report_only:
            tuning.run_search(search, out, jobs=args.jobs, progress=not args.no_progress)
        trials = tuning.trials_frame(search, out)
        best = {}
        for level in search.levels:
            # each finished level from the grid it was searched over (a narrower one
            # where lower levels justified it); an unfinished one needs every rate
            grid = tuning.searched_grid(tuning.project_dir(out, search, level)) or declared
            if grid != sorted(declared):
                cell = ", ".join(
                    f"{k}={v}" for k, v in {**search.fixed, search.axis: level}.items()
                )
                outcome.grids[cell] = grid
            rows = trials[trials["noise_level"] == level] if len(trials) else trials
            best.update(tuning.best_learning_rates(rows, grid))
        chosen += search.final_runs(best)
    return chosen


def _plan(experiment: Experiment, args, sweep_lib):
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
    try:
        out = sweep_lib.check_writable(args.out or Path("runs") / experiment.name)
    except ValueError as err:
        raise ValueError(f"--out: {err}") from None
    sweep = experiment.sweep(
        methods=methods,
        axes={key: getattr(args, _dest(experiment, key)) for key in experiment.axes},
        seeds=seeds,
        overrides=overrides,
        data_dir=args.data_dir,
    )
    if args.jobs < 0:
        raise ValueError(f"--jobs must be >= 0 (0 = one per core), got {args.jobs}")
    return sweep, shard or (0, 1), out


# --------------------------------------------------------------------------- report


def reference_table(experiment: Experiment) -> dict:
    """The references as ``report.add_reference`` takes them:
    ``{series value: {x value: {reference name: %}}}``."""
    merged: dict = {}
    for reference in experiment.references:
        for line, by_x in reference.values.items():
            for x, value in by_x.items():
                merged.setdefault(line, {}).setdefault(x, {})[reference.name] = value
    return merged


def _report(experiment, sweep, runs, out, backend, command, outcome: Outcome) -> None:
    from kerasnoise import claims as claims_lib
    from kerasnoise import report
    from kerasnoise._io import atomic_write_json

    wanted = {r.config.run_id(backend) for r in runs}
    frame = report.runs_frame(out, sweep=sweep.name)
    frame = frame[frame["run_id"].isin(wanted)]
    if frame.empty:
        print("no finished runs to tabulate yet", file=sys.stderr)
        return
    x, rows = experiment.x_axis, experiment.row_keys()
    by = [report.column_name(k) for k in rows]
    order = list(sweep.methods if experiment.series == "method" else sweep.axes[experiment.series])
    table = report.summarise(
        frame, x, experiment.metric, by=by, methods=order, axis_order=sweep.axes[x]
    )
    table = _with_cell_columns(
        table, frame, by, report.column_name(x), experiment.select_lr, experiment.metric
    )
    table = report.add_reference(table, reference_table(experiment), x, by=by[0])
    verdicts = claims_lib.check_all(experiment.claims, frame, metric=experiment.metric)
    notes = _notes(experiment, command, backend, len(frame), len(runs), outcome.grids)
    report.write_tables(
        table,
        out,
        title=experiment.title,
        notes=notes,
        axis=x,
        labels=experiment.labels,
        by=by,
        verdicts=verdicts,
    )
    atomic_write_json(Path(out) / "claims.json", [dataclasses.asdict(v) for v in verdicts])
    if experiment.panels:
        report.plot_panels(
            table,
            frame,
            x,
            Path(out) / experiment.figure,
            metric=experiment.metric,
            references=[r.name for r in experiment.references],
            title=f"{experiment.title} ({backend})",
            labels=experiment.labels,
            by=by,
        )
    else:
        report.plot_vs_axis(
            table,
            x,
            Path(out) / experiment.figure,
            title=f"{experiment.title} ({backend})",
            labels=experiment.labels,
            reference="paper" if "paper" in table else None,
            by=by,
        )
    if experiment.memorisation:
        report.plot_memorisation(
            _memorisation_runs(frame, by, report.column_name(x), out, experiment.labels),
            Path(out) / experiment.memorisation,
            title=f"{experiment.title}: memorisation at {x} = {frame[report.column_name(x)].max()}",
        )
    print(report.wide_markdown(table, x, experiment.labels, by=by))
    if verdicts:
        print("\n" + report.verdicts_markdown(verdicts))
    print(
        f"\nwrote {out}/table.md, table.csv, table.json, claims.json, {experiment.figure}",
        file=sys.stderr,
    )
    outcome.table, outcome.verdicts = table, verdicts


def _memorisation_runs(frame, by: list[str], x: str, out, labels) -> dict[str, dict]:
    """``{line label: history}`` of each line's run at the highest x value, lowest seed."""
    from kerasnoise import report, rundir

    top = frame[frame[x] == frame[x].max()].sort_values("seed")
    found = {}
    for key, rows in top.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        path = Path(out) / rows.iloc[0]["run_id"] / rundir.HISTORY
        if path.is_file():
            history = json.loads(path.read_text())
            found[report.line_label(key, by, labels)] = {int(e): h for e, h in history.items()}
    return found


def _with_cell_columns(table, frame, by: list[str], x: str, select_lr, metric: str):
    """Per cell: the chosen learning rate (``learning_rate``, when chosen), the mean
    steps trained (``steps``), the mean step of the weights scored (``best_step``) and
    every seed's value in percent (``per_seed``, ``seed: value``, by seed)."""
    cells = frame.groupby([*by, x], sort=False)
    keys = list(zip(*(table[c] for c in [*by, x]), strict=True))

    def per_seed(rows):
        rows = rows.sort_values("seed")
        return ", ".join(
            f"{s}: {100 * v:.2f}" for s, v in zip(rows["seed"], rows[metric], strict=True)
        )

    columns = {
        "steps": cells["steps_run"].mean(),
        "best_step": cells["best_step"].mean(),
        "per_seed": cells[["seed", metric]].apply(per_seed),
    }
    if select_lr is not None:
        columns = {"learning_rate": cells["optimizer_learning_rate"].first(), **columns}
    return table.assign(**{name: [values.get(k) for k in keys] for name, values in columns.items()})


def _notes(
    experiment: Experiment, command: str, backend: str, done: int, total: int, grids: dict
) -> str:
    cited = "; ".join(f"**{r.name}**: {r.source}" for r in experiment.references)
    lines = [
        f"Metric: `{experiment.metric}` in percent, mean ± sample std over seeds (n runs); "
        f"backend {backend}; {done} of {total} runs finished.",
    ]
    if cited:
        lines.append(f"Reference columns ({cited}); Δ = ours − reference.")
    lines.append(f"Command: `{command}`")
    if experiment.select_lr is not None:
        choice = experiment.select_lr
        lines.append(
            f"Learning rate chosen per cell from {', '.join(map(str, choice.rates))} by a grid "
            f"search scored on the **{choice.on}** split (column `learning_rate`); the runs "
            "tabulated are the chosen rates' runs only."
        )
        if grids:
            lines.append(
                "Cells searched over another grid: "
                + "; ".join(f"{cell}: {', '.join(map(str, g))}" for cell, g in grids.items())
                + "."
            )
    if experiment.notes:
        lines.append(experiment.notes)
    return "\n\n".join(lines)


def check_declaration(experiment: Experiment) -> None:
    """Raise ``ValueError`` unless the declaration is well formed without training:
    the sweep expands, references and claims name known methods and axis values."""
    experiment.sweep().expand()
    lines = (
        experiment.methods if experiment.series == "method" else experiment.axes[experiment.series]
    )
    for reference in experiment.references:
        for line, by_x in reference.values.items():
            if line not in lines:
                raise ValueError(f"reference {reference.name!r} names unknown {line!r}")
            for x in by_x:
                if not any(x == v for v in experiment.axes[experiment.x_axis]):
                    raise ValueError(f"reference {reference.name!r}: {x!r} is not on the x axis")
    for claim in experiment.claims:
        if not isinstance(getattr(claim, "text", None), str) or not hasattr(claim, "check"):
            raise ValueError(f"not a claim: {claim!r}")
