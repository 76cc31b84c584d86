"""The ``kerasnoise`` command line.

    kerasnoise [--backend B] train PRESET [key=value ...] [--out DIR] [--force]
    kerasnoise [--backend B] eval RUN_DIR_OR_MODEL [--split test|val|train]
    kerasnoise presets
    kerasnoise results [--out DIR] [--table] [--sweep NAME]
    kerasnoise results merge TARGET SOURCE [SOURCE ...]
    kerasnoise results rebuild [--out DIR]
    kerasnoise noise DATASET MODEL [key=value ...] [--seed S] [--data-dir D] [--json FILE]

``--backend`` sets ``KERAS_BACKEND`` before Keras is imported (an alternative to
the environment variable).  ``key=value`` parameters are parsed as Python
literals (``rate=0.4``, ``mapping={2: 7}``), never evaluated as code; anything
that is not a literal stays a string.

Errors in what the user asked for (an invalid config, a missing data file, a store
that is not a store) print one line and exit with status 2.  Anything else is a
bug and surfaces as one: a traceback and a non-zero exit.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

import numpy as np

from kerasnoise._args import add_backend, add_checkpoint_dir, add_data_dir, add_out
from kerasnoise.config import parse_overrides


class UsageError(Exception):
    """What the user asked for is invalid: reported in one line, exit status 2."""


@contextlib.contextmanager
def _validating():
    """Turn the validation errors of the block into a :class:`UsageError`."""
    try:
        yield
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from err


def _noise(args: argparse.Namespace) -> int:
    from kerasnoise import datasets, noise

    with _validating():
        model = noise.get(args.model, **parse_overrides(args.params))  # before data loads
    data = datasets.load(args.dataset, args.data_dir, file=args.file, download=args.download)
    images = {"images": data.x_train} if getattr(model, "needs_images", False) else {}
    result = model.apply(data.y_train, num_classes=data.info.num_classes, seed=args.seed, **images)
    print(f"{data!r}")
    print(f"noise model    {model!r}, seed {args.seed}")
    print(f"examples       {result.num_examples:,} ({result.num_clean:,} clean images)")
    print(f"noisy labels   {int(result.is_noisy.sum()):,}")
    print(f"realised rate  {result.rate:.4f}")
    with np.printoptions(precision=3, suppress=True, linewidth=120):
        print("realised transition matrix (row = true class, column = noisy label):")
        print(result.transition)
        try:
            expected = model.expected_transition(data.info.num_classes)
        except NotImplementedError:  # e.g. instance-dependent noise: it depends on the images
            print("the model has no class-level matrix: its flips depend on each image")
        else:
            gap = np.abs(result.transition - expected).max()
            print(f"largest gap to the model's matrix: {gap:.4f}")
    if args.json:
        from kerasnoise._io import atomic_write_json

        atomic_write_json(
            args.json, {"dataset": data.name, "source": data.source, **result.summary()}
        )
        print(f"wrote {args.json}")
    return 0


def _train_config(args: argparse.Namespace) -> None:
    """Before Keras is imported: the preset, the overrides (keys, types) and every value
    that can be checked without Keras, so that a bad one is reported in a fraction of a
    second; the config goes to ``args.config``."""
    from kerasnoise import config as cfg
    from kerasnoise import presets

    with _validating():
        config = cfg.apply_overrides(presets.get(args.preset), parse_overrides(args.overrides))
        if args.data_dir:
            config.data_dir = args.data_dir
        args.config = config.validate_without_keras()


def _train(args: argparse.Namespace) -> int:
    config = args.config
    with _validating():
        config.validate()  # the loss and the model too, before any data is loaded

    from kerasnoise import training

    record = training.train(config, args.out, force=args.force, verbose=args.verbose)
    return 0 if record["status"] in ("finished", "diverged") else 1


def _eval_path(args: argparse.Namespace) -> None:
    """Before Keras is imported: the path the user gave exists."""
    if not os.path.exists(args.path):
        raise UsageError(f"{args.path} not found: give a run directory or the model.keras in one")


def _eval(args: argparse.Namespace) -> int:
    from kerasnoise import reevaluation

    with _validating():
        reevaluation.check_run(args.path, split=args.split)
    result = reevaluation.evaluate_run(args.path, split=args.split, data_dir=args.data_dir)
    for key, value in result.items():
        print(f"{key:24s} {value}")
    return 0


def _presets(args: argparse.Namespace) -> int:
    from kerasnoise import presets

    for name in presets.available():
        preset = presets.get(name)
        print(f"{name}\n    {preset.description}\n    source: {preset.source}")
    print(
        "\ncomponents a config names (key=NAME), ours and plug-ins (docs/extending.md):", flush=True
    )
    from kerasnoise._quiet import import_keras_quietly

    import_keras_quietly()  # the losses and models are Keras's
    from kerasnoise import datasets, losses, methods, models, noise, registry  # noqa: F401

    keys = {
        "losses": "loss",
        "models": "model",
        "noise": "noise",
        "datasets": "dataset",
        "methods": "method",
    }
    for kind in registry.registries():
        if kind.group.split(".")[-1] not in keys:  # presets: listed above
            continue
        print(f"{keys[kind.group.split('.')[-1]]}=NAME  ({kind.kind})")
        print(f"    ours: {', '.join(kind.builtins())}")
        for name, origin in kind.plugins().items():
            print(f"    plug-in {name}: {origin}")
    return 0


def _results(args: argparse.Namespace) -> int:
    from kerasnoise.results.store import ResultsStore

    store = ResultsStore(args.out)
    if args.table and args.sweep:
        print(_sweep_table(store, args.sweep, args.metric))
        return 0
    if args.table:
        from kerasnoise import report

        print(report.summary_markdown(report.store_summary(store)))
        return 0
    for run in store.runs():
        result = run["result"] or {}

        def pct(key, result=result):
            value = result.get(key)
            return "    -" if value is None else f"{100 * value:5.2f}"

        print(
            f"{run['run_id']:34s} {run['status']:9s} seed {run['seed']:<4d} "
            f"test last {pct('test_accuracy_last')}  best {pct('test_accuracy_best')}"
        )
    return 0


def _sweep_table(store, sweep: str, metric: str) -> str:
    """Mean ± std per method and axis values of a sweep's tagged runs."""
    from kerasnoise import report

    frame = report.runs_frame(store, sweep=sweep)
    if frame.empty:
        raise UsageError(f"no finished runs tagged with sweep {sweep!r} in {store.folder}")
    known = {*report.RESULT_COLUMNS, *report.ID_COLUMNS}
    axes = [c for c in frame.columns if c not in known]
    if not axes:
        raise UsageError(f"sweep {sweep!r} has no axes to tabulate over")
    return "\n\n".join(report.markdown(report.summarise(frame, a, metric)) for a in axes)


def _merge(args: argparse.Namespace) -> int:
    from kerasnoise.results.merging import merge_folders

    with _validating():
        summary = merge_folders(args.target, args.sources)
    for source, counts in summary.items():
        print(f"{source}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    from kerasnoise.results.store import rebuild

    counts = rebuild(args.out)
    print(f"rebuilt {args.out}/results.sqlite: {counts['runs']} runs, {counts['tags']} tags")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kerasnoise", description=__doc__.splitlines()[0])
    add_backend(parser)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train one preset configuration and record the run")
    p.add_argument("preset", help="a preset name (see `kerasnoise presets`)")
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="key=value",
        help="config overrides, e.g. epochs=2 loss=phuber_ce noise.rate=0.2",
    )
    add_out(p, "runs")
    add_data_dir(p)
    p.add_argument("--force", action="store_true", help="train again even if already done")
    add_checkpoint_dir(p)
    p.add_argument(
        "--verbose",
        type=int,
        default=1,
        choices=(0, 1, 2),
        help="Keras progress output: 0 silent, 1 progress bar, 2 one line per epoch",
    )
    p.set_defaults(func=_train, before_keras=_train_config)

    p = sub.add_parser("eval", help="evaluate a finished run's saved model on a split")
    p.add_argument("path", help="a run directory, or the model.keras inside one")
    p.add_argument("--split", choices=("test", "val", "train"), default="test")
    add_data_dir(p, help="folder with the data files, if not the recorded one")
    p.set_defaults(func=_eval, before_keras=_eval_path)

    p = sub.add_parser("presets", help="list the presets with their sources")
    p.set_defaults(func=_presets)

    p = sub.add_parser("results", help="summarise, merge or rebuild an output folder's runs")
    add_out(p, "runs")
    p.add_argument(
        "--table", action="store_true", help="mean ± std over training seeds per configuration"
    )
    p.add_argument("--sweep", help="with --table: per method and axis value of this sweep")
    p.add_argument(
        "--metric", default="test_accuracy_last", help="with --sweep (default %(default)s)"
    )
    p.set_defaults(func=_results)
    actions = p.add_subparsers(dest="action")
    m = actions.add_parser(
        "merge", help="fold the output folders of several machines into one, without duplicates"
    )
    m.add_argument("target", help="the folder to merge into (created if missing)")
    m.add_argument("sources", nargs="+", help="output folders to merge from")
    m.set_defaults(func=_merge)
    r = actions.add_parser(
        "rebuild", help="make results.sqlite anew from the run directories (the source of truth)"
    )
    add_out(r, "runs")
    r.set_defaults(func=_rebuild)

    p = sub.add_parser(
        "noise", help="apply a noise model to a data set's training labels and report what it did"
    )
    p.add_argument("dataset", help="mnist, fashion_mnist, cifar10 or cifar100")
    p.add_argument("model", help="noise model name, e.g. symmetric_exclusive, additive")
    p.add_argument(
        "params",
        nargs="*",
        metavar="key=value",
        help="noise model parameters, e.g. rate=0.4 or alpha=100",
    )
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    add_data_dir(p)
    p.add_argument("--file", help="a named file in the data folder, e.g. cifar10_subset.npz")
    p.add_argument(
        "--no-download",
        dest="download",
        action="store_false",
        help="never fall back to keras.datasets downloads",
    )
    p.add_argument("--json", help="also write the realised-noise summary to this JSON file")
    p.set_defaults(func=_noise)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.backend:
        if "keras" in sys.modules and os.environ.get("KERAS_BACKEND") != args.backend:
            parser.error("--backend must be chosen before Keras is imported")
        os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from kerasnoise.datasets import DatasetNotFoundError
    from kerasnoise.results.store import StoreError

    try:
        if hasattr(args, "before_keras"):
            args.before_keras(args)  # what can be checked without Keras, checked first
        if args.command in ("train", "eval"):
            from kerasnoise._quiet import import_keras_quietly

            import_keras_quietly()
        return args.func(args)
    except (UsageError, DatasetNotFoundError, StoreError) as err:
        print(f"kerasnoise {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
