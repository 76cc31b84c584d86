"""Paper tables as declarations: an :class:`Experiment` says what to run and what the
paper reported; :func:`main` is the command line every script in ``experiments/``
shares (sweep, resume, shard, table, figure).

    EXPERIMENT = Experiment(name="menon-mnist", preset="menon-mnist-lenet",
                            methods={...}, axis="noise.rate", values=[0, 0.2, 0.4, 0.6], ...)
    if __name__ == "__main__":
        sys.exit(main(EXPERIMENT))

Outputs in ``--out``: the run directories and ``results.sqlite``, then ``table.md``,
``table.csv``, ``table.json`` and the figure, made from exactly the runs the command
line describes (its methods, axis values, seeds and overrides, on its backend).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kerasnoise._args import choose_backend, csv_list
from kerasnoise.cli import BACKENDS
from kerasnoise.config import parse_overrides

__all__ = ["Experiment", "main", "build_parser"]


@dataclasses.dataclass
class Experiment:
    """What a paper table is: methods × one axis × seeds over a preset, and its numbers.

    Args:
        name: sweep name (recorded with every run) and default output folder name.
        title: heading of the table and figure.
        preset: base configuration.
        methods: method name -> config overrides.
        labels: method name -> the paper's label (``"CE + clipping"``).
        axis: the config key swept (``"noise.rate"``); ``values`` its default values.
        axis_flag: the command-line flag that sets the values (``rates`` -> ``--rates``).
        seeds: default training seeds.
        reference: ``{method: {value: {"paper": %, "reproduction": %}}}``.
        metric: the result field tabulated (``test_accuracy_last``: no oracle).
        quick: overrides and seeds of ``--quick``, a newcomer's first look.
        figure: file name of the figure.
        notes: markdown appended to ``table.md`` (how to read the table).
    """

    name: str
    title: str
    preset: str
    methods: dict[str, dict[str, Any]]
    axis: str
    values: list
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    axis_flag: str = "values"
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0, 1, 2])
    reference: dict = dataclasses.field(default_factory=dict)
    metric: str = "test_accuracy_last"
    quick: dict[str, Any] = dataclasses.field(default_factory=dict)
    quick_seeds: list[int] = dataclasses.field(default_factory=lambda: [0])
    figure: str = "accuracy_vs_noise.png"
    notes: str = ""


def build_parser(experiment: Experiment) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"python -m experiments.{experiment.name.replace('-', '_')}",
        description=experiment.title,
    )
    p.add_argument("--backend", choices=BACKENDS, help="Keras backend (default $KERAS_BACKEND)")
    p.add_argument(
        "--methods",
        type=csv_list(str),
        help=f"comma-separated subset of: {', '.join(experiment.methods)} (default all)",
    )
    p.add_argument(
        f"--{experiment.axis_flag}",
        dest="values",
        type=csv_list(float),
        help=f"{experiment.axis} values (default {','.join(map(str, experiment.values))})",
    )
    p.add_argument(
        "--seeds",
        type=csv_list(int),
        help=f"training seeds (default {','.join(map(str, experiment.seeds))})",
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
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="key=value",
        help="overrides for every run, e.g. epochs=1 train_limit=2000",
    )
    return p


def main(experiment: Experiment, argv: Sequence[str] | None = None) -> int:
    """Run the experiment's sweep as the command line says; print and write its table."""
    parser = build_parser(experiment)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    choose_backend(parser, args.backend)
    from kerasnoise import sweep as sweep_lib

    try:
        sweep, shard, out = _plan(experiment, args, sweep_lib)
        runs = sweep.expand()  # every error before any training
    except ValueError as err:
        parser.error(str(err))

    import keras

    from kerasnoise import report

    backend = keras.backend.backend()
    print(
        f"{experiment.title}: {len(runs)} runs ({len(sweep.methods)} methods × "
        f"{len(sweep.axes[experiment.axis])} values × {len(sweep.seeds)} seeds) on {backend}, "
        f"shard {shard[0]}/{shard[1]}, jobs {args.jobs or sweep_lib.default_jobs()}, "
        f"output {out}",
        file=sys.stderr,
    )
    failed = {}
    if not args.report_only:
        outcome = sweep_lib.run_sweep(
            sweep,
            out,
            runs=runs,
            jobs=args.jobs,
            shard=shard,
            force=args.force,
            progress=not args.no_progress,
        )
        failed = outcome.failed
        print(
            f"trained {len(outcome.trained)}, already done {len(outcome.skipped)}, "
            f"failed {len(outcome.failed)}",
            file=sys.stderr,
        )
    wanted = {r.config.run_id(backend) for r in runs}
    frame = report.runs_frame(out, sweep=sweep.name)
    frame = frame[frame["run_id"].isin(wanted)]
    if frame.empty:
        print("no finished runs to tabulate yet", file=sys.stderr)
        return 1 if failed else 0
    table = report.summarise(frame, experiment.axis, experiment.metric, methods=list(sweep.methods))
    table = report.add_reference(table, experiment.reference, experiment.axis)
    notes = _notes(experiment, argv, backend, len(frame), len(runs))
    report.write_tables(
        table,
        out,
        title=experiment.title,
        notes=notes,
        axis=experiment.axis,
        labels=experiment.labels,
    )
    report.plot_vs_axis(
        table,
        experiment.axis,
        Path(out) / experiment.figure,
        title=f"{experiment.title} ({backend})",
        labels=experiment.labels,
        reference="paper" if "paper" in table else None,
    )
    print(report.wide_markdown(table, experiment.axis, experiment.labels))
    print(f"\nwrote {out}/table.md, table.csv, table.json, {experiment.figure}", file=sys.stderr)
    for run_id, error in failed.items():
        print(f"failed: {run_id}: {error}", file=sys.stderr)
    return 1 if failed else 0


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
    out = sweep_lib.check_writable(args.out or Path("runs") / experiment.name)
    sweep = sweep_lib.Sweep(
        name=experiment.name,
        preset=experiment.preset,
        methods={m: experiment.methods[m] for m in methods},
        axes={experiment.axis: args.values or list(experiment.values)},
        seeds=seeds,
        overrides=overrides,
        data_dir=args.data_dir,
    )
    if args.jobs < 0:
        raise ValueError(f"--jobs must be >= 0 (0 = one per core), got {args.jobs}")
    return sweep, shard or (0, 1), out


def _notes(experiment: Experiment, argv: list, backend: str, done: int, total: int) -> str:
    module = f"experiments.{experiment.name.replace('-', '_')}"
    command = " ".join(["python -m", module, *argv])
    lines = [
        f"Metric: `{experiment.metric}` in percent, mean ± sample std over seeds (n runs); "
        f"backend {backend}; {done} of {total} runs finished.",
        "Reference columns: the paper's numbers and the PyTorch reproduction's "
        "(`shared/reference/papers.md`); Δ = ours − reference.",
        f"Command: `{command}`",
    ]
    if experiment.notes:
        lines.append(experiment.notes)
    return "\n\n".join(lines)
