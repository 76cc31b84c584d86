"""A keras-tuner learning-rate search per noise level; every trial a kerasnoise run.

    python -m tuning.lr_search rolnick-mnist --axis noise.alpha=0,20,50 \\
        --learning-rates 0.01,0.05,0.1,0.5 --out runs/lr-rolnick model=mlp1

For each level of ``--axis`` a keras-tuner search (grid over ``--learning-rates``;
random, Bayesian or Hyperband over ``--lr-range``) chooses the learning rate on the
validation split — of the noisy training data unless ``--select-on
clean-validation`` — then the choice is trained with ``--seeds`` and tested.  The
same command resumes.  Writes ``best.csv``, ``best.md``, ``trials.csv``,
``val_accuracy_vs_lr.png`` and ``best_lr_vs_level.png`` in ``--out``.

Across machines (keras-tuner's chief/worker mode, a shared ``--out``): one process
with ``--chief`` serves the oracles (ports PORT, PORT+1, ... one per level), any
number with ``--worker ID`` train the trials; or set ``KERASTUNER_TUNER_ID``
(``chief`` or the worker's id), ``KERASTUNER_ORACLE_IP`` and
``KERASTUNER_ORACLE_PORT``.  The chief writes the outputs when all are done.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kerasnoise._args import (
    TUNERS,
    add_backend,
    add_checkpoint_dir,
    add_data_dir,
    add_jobs,
    add_no_progress,
    add_out,
    choose_backend,
    csv_list,
)
from kerasnoise.config import SELECT_ON


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tuning.lr_search",
        description="keras-tuner learning-rate search per noise level (kerasnoise runs)",
    )
    p.add_argument("preset", help="base configuration (kerasnoise presets)")
    p.add_argument(
        "--axis", required=True, help="KEY=V1,V2,...: the levels, e.g. noise.alpha=0,20,50"
    )
    lrs = p.add_mutually_exclusive_group(required=True)
    lrs.add_argument("--learning-rates", help="comma-separated grid, e.g. 0.01,0.05,0.1,0.5")
    lrs.add_argument("--lr-range", help="LOW:HIGH searched on a log scale, e.g. 1e-3:1")
    p.add_argument(
        "--tuner",
        choices=TUNERS,
        help="default: grid with --learning-rates, bayesian with --lr-range",
    )
    p.add_argument("--trials", type=int, help="trials per level (random, bayesian; default 10)")
    p.add_argument(
        "--executions-per-trial",
        type=int,
        default=1,
        help="runs per trial, training seeds seed, seed+1, ... (default 1)",
    )
    p.add_argument(
        "--select-on",
        choices=tuple(SELECT_ON),
        default="noisy-validation",
        help="validation labels the choice is made on; clean-validation is an oracle "
        "(default noisy-validation)",
    )
    p.add_argument(
        "--seeds",
        type=csv_list(int),
        default=[0, 1, 2],
        help="seeds of the final runs (default 0,1,2)",
    )
    add_jobs(p, help="processes for the final runs (0: per core)")
    add_out(p, None, help="output folder, shared by chief and workers (default runs/lr-search)")
    p.add_argument("--name", default="lr-search", help="sweep name the runs are tagged with")
    add_data_dir(p)
    add_checkpoint_dir(p)
    add_backend(p)
    role = p.add_mutually_exclusive_group()
    role.add_argument("--chief", action="store_true", help="serve the oracles; train nothing")
    role.add_argument("--worker", metavar="ID", help="train trials the chief hands out")
    p.add_argument(
        "--oracle-ip", help="chief's address (default $KERASTUNER_ORACLE_IP or 127.0.0.1)"
    )
    p.add_argument(
        "--oracle-port", help="chief's first port (default $KERASTUNER_ORACLE_PORT or 8000)"
    )
    p.add_argument(
        "--chief-timeout",
        type=float,
        default=60.0,
        help="seconds a worker waits for an unreachable chief before it gives up (default 60)",
    )
    p.add_argument("--report-only", action="store_true", help="train nothing: write the outputs")
    add_no_progress(p)
    p.add_argument("overrides", nargs="*", metavar="key=value", help="overrides for every run")
    return p


def _role(args, search_lib):
    if not (args.chief or args.worker):
        role = search_lib.Role.from_env()
        if args.oracle_ip or args.oracle_port:
            if role.kind == "local":
                raise ValueError("--oracle-ip/--oracle-port need --chief or --worker ID")
        return role
    ip = args.oracle_ip or os.environ.get("KERASTUNER_ORACLE_IP", "127.0.0.1")
    port = args.oracle_port or os.environ.get("KERASTUNER_ORACLE_PORT", "8000")
    if args.worker is not None and (not args.worker.strip() or "chief" in args.worker):
        raise ValueError(f"--worker ID must be a non-empty id without 'chief', got {args.worker!r}")
    kind, tuner_id = ("chief", "chief") if args.chief else ("worker", args.worker)
    return search_lib.Role(kind, tuner_id, ip, search_lib.parse_port(port))


def _plan(args, search_lib):
    from kerasnoise.config import parse_overrides

    axis, levels = search_lib.parse_axis(args.axis)
    rates = search_lib.parse_learning_rates(args.learning_rates) if args.learning_rates else None
    lr_range = search_lib.parse_lr_range(args.lr_range) if args.lr_range else None
    if args.chief_timeout <= 0:
        raise ValueError(f"--chief-timeout must be > 0 seconds, got {args.chief_timeout}")
    if args.jobs < 0:
        raise ValueError(f"--jobs must be >= 0 (0 = one per core), got {args.jobs}")
    search = search_lib.LRSearch(
        preset=args.preset,
        axis=axis,
        levels=levels,
        learning_rates=rates,
        lr_range=lr_range,
        tuner=args.tuner or ("grid" if rates else "bayesian"),
        trials=args.trials,
        executions_per_trial=args.executions_per_trial,
        select_on=args.select_on,
        seeds=args.seeds,
        overrides=parse_overrides(args.overrides),
        name=args.name,
        data_dir=args.data_dir,
    )
    return search.validate(), _role(args, search_lib)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_intermixed_args(sys.argv[1:] if argv is None else list(argv))
    choose_backend(parser, args.backend)
    from kerasnoise import search as search_lib
    from kerasnoise import sweep as sweep_lib

    try:
        search, role = _plan(args, search_lib)
        out = sweep_lib.check_writable(args.out or "runs/lr-search")
    except (ValueError, TypeError) as err:
        parser.error(str(err))

    def say(event: dict) -> None:
        what = (
            f"trained {event['run_id']}" if event["trained"] else f"done before: {event['run_id']}"
        )
        val = event["val_accuracy"]
        shown = "n/a" if val is None else f"{100 * val:.2f}%"
        print(
            f"[{role.tuner_id}] trial {event['trial']} {search.axis}={event['level']} "
            f"lr={event['learning_rate']:g} seed {event['seed']}: {what}, val {shown}",
            file=sys.stderr,
            flush=True,
        )

    where = "" if role.kind == "local" else f" {role.tuner_id} at {role.ip}:{role.port}"
    print(
        f"{search.tuner} search of the learning rate per {search.axis} in {search.levels} "
        f"({role.kind}{where}), selected on {search.select_on}, output {out}",
        file=sys.stderr,
    )
    if not args.report_only:
        try:
            search_lib.run_search(
                search,
                out,
                role=role,
                chief_timeout=args.chief_timeout,
                jobs=args.jobs,
                progress=not args.no_progress,
                on_trial=say,
            )
        except search_lib.ChiefUnreachableError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    if role.kind == "worker":
        return 0
    trials = search_lib.trials_frame(search, out)
    best = search_lib.best_frame(search, out, trials)
    search_lib.write_outputs(search, out, trials, best)
    print(search_lib.best_markdown(search, best))
    failed = trials[trials["status"] != "COMPLETED"]
    for row in failed.itertuples():
        print(
            f"trial {row.trial_id} ({search.axis}={row.noise_level}, lr {row.learning_rate:g}) "
            f"{row.status}",
            file=sys.stderr,
        )
    print(f"\nwrote {out}/best.csv, best.md, trials.csv and the figures", file=sys.stderr)
    return 1 if len(best) < len(search.levels) else 0


if __name__ == "__main__":
    sys.exit(main())
