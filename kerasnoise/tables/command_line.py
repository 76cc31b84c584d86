"""The command line every script in ``experiments/`` shares (:func:`main`,
:func:`main_among`) and the same from Python (:func:`run`), for an :class:`Experiment`
(training runs) and for a :class:`~kerasnoise.tables.computed.ComputedTable`
(computed in this process) alike."""

from __future__ import annotations

import argparse
import ast
import os
import sys
from collections.abc import Sequence
from typing import Any

from kerasnoise._args import (
    add_backend,
    add_checkpoint_dir,
    add_data_dir,
    add_jobs,
    add_no_progress,
    add_out,
    choose_backend,
    csv_list,
    script_command,
)
from kerasnoise.config import SELECT_ON
from kerasnoise.tables.computed import ComputedTable, computed_parser, main_computed, run_computed
from kerasnoise.tables.declaration import Experiment, Outcome
from kerasnoise.tables.planning import PlanError, dest, execute

__all__ = ["build_parser", "main", "main_among", "run"]


def _axis_type(values: Sequence) -> type:
    kinds = {type(v) for v in values}
    if kinds <= {int}:
        return int
    if kinds <= {int, float}:
        return float
    return str


def build_parser(experiment: Experiment | ComputedTable) -> argparse.ArgumentParser:
    """The command line of ``experiment``: its flags, ``--out`` and the rest."""
    if isinstance(experiment, ComputedTable):
        return computed_parser(experiment)
    p = argparse.ArgumentParser(prog=f"python -m {experiment.module}", description=experiment.title)
    add_backend(p)
    p.add_argument(
        "--methods",
        type=csv_list(str),
        help=f"comma-separated subset of: {', '.join(experiment.methods)} (default all)",
    )
    for key, values in experiment.axes.items():
        p.add_argument(
            f"--{experiment.flag(key)}",
            dest=dest(experiment, key),
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
    add_jobs(p)
    p.add_argument("--shard", help="I/N: run every N-th config from the I-th (default: SLURM's)")
    add_out(p, None, help=f"output folder (default runs/{experiment.name})")
    add_data_dir(p)
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
    p.add_argument(
        "--cells-from",
        action="append",
        metavar="FOLDER=BACKEND",
        help="report the cells FOLDER has finished on BACKEND (another machine's or "
        "backend's runs of this experiment) before this folder's own; repeatable, the "
        "first that has a cell wins; the table's column `backend` says where each came from",
    )
    add_checkpoint_dir(p)
    add_no_progress(p)
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="key=value",
        help="overrides for every run, e.g. epochs=1 train_limit=2000",
    )
    return p


def main(experiment: Experiment | ComputedTable, argv: Sequence[str] | None = None) -> int:
    """Run the experiment as the command line says; print and write its table."""
    parser = build_parser(experiment)
    argv = sys.argv[1:] if argv is None else list(argv)
    return _main(experiment, parser, argv)


def main_among(
    experiments: dict[str, Experiment | ComputedTable], flag: str, argv: Sequence[str] | None = None
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
    return _main(experiment, parser, argv, among=flag.replace("-", "_"))


def _main(
    experiment: Experiment | ComputedTable,
    parser: argparse.ArgumentParser,
    argv: list[str],
    among: str = "",
) -> int:
    if isinstance(experiment, ComputedTable):
        return main_computed(experiment, parser, argv, drop=[among] if among else [])
    args = parser.parse_args(argv)
    choose_backend(parser, args.backend)
    try:
        outcome = execute(experiment, args, script_command(experiment.module, argv))
    except PlanError as err:
        parser.error(str(err))
    return 1 if outcome.failed else 0


def run(
    experiment: Experiment | ComputedTable, *, backend: str | None = None, **options: Any
) -> Outcome | Any:
    """The command line's work from Python: ``run(EXPERIMENT, rates=[0.6], seeds=[0],
    out="runs/x", data_dir="../shared/data", jobs=1, epochs=1)``.

    Options are the command line's, by name (``methods``, one per axis flag with
    dashes as underscores, ``seeds``, ``jobs``, ``shard``, ``out``, ``data_dir``,
    ``quick``, ``report_only``, ``force``, ``progress``, ``checkpoint_dir``,
    ``cells_from``: a list of ``"FOLDER=BACKEND"``); any
    other keyword is a config override for every run (``epochs=1``,
    ``**{"optimizer.learning_rate": 0.1}``).
    Returns the table (a pandas DataFrame, empty when nothing is finished), the claims'
    verdicts and the runs that failed; writes the same files as the command line.
    Raises ``RuntimeError`` when runs failed and none finished.

    Worker processes (``jobs`` > 1, the default on a CPU) import the calling script
    again; called at a script's top level outside ``if __name__ == "__main__":``, or
    from standard input, it trains in this process instead (``jobs=1``) and says so.

    For a :class:`~kerasnoise.tables.computed.ComputedTable` (no Keras, no
    ``backend``): the options of its ``run`` and ``out``; it computes, writes the same
    files as its command line and returns its outcome.
    """
    if isinstance(experiment, ComputedTable):
        if backend is not None:
            raise ValueError(f"{experiment.name} trains no Keras model: it has no backend")
        return run_computed(experiment, **options)
    unguarded = _unguarded_script_call(sys._getframe(1))
    parser = build_parser(experiment)
    args = parser.parse_args([])
    flags = {experiment.flag(k).replace("-", "_"): dest(experiment, k) for k in experiment.axes}
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
    if unguarded and args.jobs != 1:
        print(
            f"kerasnoise: run() {unguarded}: training in this process (jobs=1); call it "
            'under `if __name__ == "__main__":` to train in worker processes',
            file=sys.stderr,
        )
        args.jobs = 1
    choose_backend(parser, backend)
    try:
        outcome = execute(experiment, args, f"experiment.run({experiment.module}, ...)")
    except PlanError as err:
        raise ValueError(str(err)) from None
    if outcome.failed and outcome.table.empty:
        first, error = next(iter(outcome.failed.items()))
        raise RuntimeError(f"{len(outcome.failed)} runs failed and none finished; {first}: {error}")
    return outcome


def _unguarded_script_call(frame) -> str | None:
    """Why worker processes could not import the script that called :func:`run` from
    ``frame`` without running it again (spawned workers re-import ``__main__``):
    ``"at the top level of <file>"`` outside an ``if __name__ == "__main__":`` block,
    ``"from standard input"``; ``None`` for a call from a function, a module that is
    not ``__main__``, a notebook or an interactive session."""
    if frame.f_code.co_name != "<module>" or frame.f_globals.get("__name__") != "__main__":
        return None
    path = frame.f_globals.get("__file__")
    if path is None:  # a notebook, python -c, an interactive prompt: nothing re-imported
        return None
    if not os.path.isfile(path):
        return "from standard input"
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_guard(node.test):
            if node.lineno <= frame.f_lineno <= (node.end_lineno or node.lineno):
                return None
    return f"at the top level of {path}"


def _is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    strings = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and strings)
