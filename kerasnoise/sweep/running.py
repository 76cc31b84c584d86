"""Training a sweep's runs: those not done yet, in this process or in worker processes
side by side (:mod:`kerasnoise.pool`), each an ordinary :func:`kerasnoise.training.train`."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
from collections.abc import Callable, Iterable
from pathlib import Path

from kerasnoise import config as cfg
from kerasnoise import pool
from kerasnoise._checks import non_negative_int
from kerasnoise.sweep.expansion import Sweep, SweepRun
from kerasnoise.sweep.sharding import select_shard

__all__ = [
    "SweepOutcome",
    "check_writable",
    "default_jobs",
    "run_sweep",
    "worker_environment",
]


def check_writable(folder: str | os.PathLike) -> Path:
    """Create ``folder`` if needed and prove it is writable, or raise ``ValueError``."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise ValueError(
            f"output folder {folder}: not a writable folder ({err.strerror})"
        ) from None
    return path


@dataclasses.dataclass
class SweepOutcome:
    """What a call to :func:`run_sweep` did."""

    trained: list[str] = dataclasses.field(default_factory=list)  # run ids trained now
    skipped: list[str] = dataclasses.field(default_factory=list)  # already done
    failed: dict[str, str] = dataclasses.field(default_factory=dict)  # run id -> error
    records: dict[str, dict] = dataclasses.field(default_factory=dict)


def default_jobs() -> int:
    """One single-threaded worker per CPU core, or 1 when the backend sees an accelerator.

    Measured on the 2-core development machine (``benchmarks/sweep_jobs.py``, Menon
    MNIST protocol: LeNet-5, batch 32): two single-threaded processes trained 1.44x
    as many runs per hour as one process with two threads, twice.  Small models at
    small batches leave a second thread idle much of the time; a second process keeps
    both cores busy.  On an accelerator, processes would compete for its memory.
    """
    from kerasnoise.devices.execution import accelerator_device

    return 1 if accelerator_device() else max(1, os.cpu_count() or 1)


def worker_environment(threads: int, backend: str) -> dict[str, str]:
    """Environment variables that give a fresh process ``threads`` compute threads
    on ``backend`` and quiet TensorFlow's start-up log (set before Keras loads)."""
    env = {
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "TF_NUM_INTRAOP_THREADS": str(threads),
        "TF_NUM_INTEROP_THREADS": str(min(threads, 2)),
    }
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        env["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false".strip()
    return env


def _init_worker(env: dict[str, str]) -> None:
    os.environ.update(env)
    from kerasnoise._quiet import import_keras_quietly

    import_keras_quietly()
    with contextlib.suppress(Exception):  # Linux: die with the parent, never orphaned
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _train_one(config: dict, out: str, tag: dict, force: bool) -> dict:
    from kerasnoise import training

    return training.train(
        cfg.ExperimentConfig.from_dict(config),
        out,
        force=force,
        verbose=0,
        quiet=True,
        tag=tag,
    )


def run_sweep(
    sweep: Sweep,
    out: str | os.PathLike,
    *,
    runs: Iterable[SweepRun] | None = None,
    jobs: int = 0,
    shard: tuple[int, int] = (0, 1),
    force: bool = False,
    progress: bool = True,
    on_result: Callable[[SweepRun, dict], None] | None = None,
) -> SweepOutcome:
    """Train every run of ``sweep`` (or ``runs``) in ``shard`` that is not done yet.

    ``jobs`` worker processes (spawned, each with ``cores // jobs`` threads) train
    runs side by side; ``jobs=1`` trains in this process; ``jobs=0`` is
    :func:`default_jobs`.  Finished runs are skipped
    (and tagged), an interrupted one resumes.  A run that raises is recorded as
    failed and the others go on; the outcome lists it.  ``on_result`` is called in
    this process after each run.
    """
    import keras

    from kerasnoise import training
    from kerasnoise.results.store import ResultsStore

    jobs = non_negative_int(jobs, "jobs") or default_jobs()
    out = check_writable(out)
    all_runs = sweep.expand() if runs is None else list(runs)
    mine = select_shard(all_runs, shard)
    store = ResultsStore(out)
    backend = keras.backend.backend()
    outcome = SweepOutcome()
    todo = []
    for r in mine:
        run_id = r.config.run_id(backend)
        if store.is_done(run_id) and not force:
            training.open_run(r.config, out).tag(**r.tag(sweep.name))
            outcome.skipped.append(run_id)
            outcome.records[run_id] = store.get(run_id)["result"]
        else:
            todo.append(r)
    skipped = len(outcome.skipped)
    desc = f"{sweep.name}: {skipped} done before" if skipped else sweep.name
    bar = pool.progress_bar(len(todo), desc, "run", enabled=progress)

    def done(r: SweepRun, record: dict | None, error: BaseException | None) -> None:
        run_id = r.config.run_id(backend)
        if error is not None:
            outcome.failed[run_id] = repr(error)
            bar.write(f"{run_id} ({r.method}, {r.axes}, seed {r.seed}) failed: {error!r}")
        else:
            outcome.trained.append(run_id)
            outcome.records[run_id] = record
            if on_result is not None:
                on_result(r, record)
            bar.set_postfix_str(_postfix(r, record), refresh=False)
        bar.update()

    tasks = [(r.config.to_dict(), str(out), r.tag(sweep.name), force) for r in todo]
    threads = max(1, (os.cpu_count() or 1) // jobs)
    try:  # a run that raises is recorded; the others go on
        pool.run_tasks(
            _train_one,
            tasks,
            jobs=jobs,
            on_done=lambda i, record, error: done(todo[i], record, error),
            initializer=_init_worker,
            initargs=(worker_environment(threads, backend),),
        )
    finally:
        bar.close()
    return outcome


def _postfix(r: SweepRun, record: dict) -> str:
    accuracy = record.get("test_accuracy_last")
    shown = "n/a" if accuracy is None else f"{100 * accuracy:.2f}%"
    axes = " ".join(f"{k}={v}" for k, v in r.axes.items())
    return f"last: {r.method} {axes} seed {r.seed} -> {shown}"
