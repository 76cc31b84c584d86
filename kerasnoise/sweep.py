"""Sweeps: named methods × axes × seeds over a preset, each point an ordinary run.

A :class:`Sweep` expands to :class:`SweepRun` s, each a complete
:class:`~kerasnoise.config.ExperimentConfig` trained by
:func:`kerasnoise.training.train` into the same run directories and results store
as ``kerasnoise train`` — so a sweep and a single run never disagree, finished
runs are skipped and an interrupted one resumes at its last finished epoch.
Every run is tagged with the sweep's name, its method and its axis values
(:meth:`kerasnoise.results.ResultsStore.tag`), which is what reports group by.

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
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import itertools
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from kerasnoise import config as cfg
from kerasnoise import presets
from kerasnoise._checks import non_negative_int

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


@dataclasses.dataclass(frozen=True)
class SweepRun:
    """One point of a sweep: its position, method, axis values, seed and config."""

    index: int
    method: str
    axes: dict[str, Any]
    seed: int
    config: cfg.ExperimentConfig

    def tag(self, sweep: str) -> dict:
        return {"sweep": sweep, "method": self.method, "axes": dict(self.axes)}


@dataclasses.dataclass
class Sweep:
    """A name, a base preset, named methods (override sets), axes and seeds.

    Args:
        name: the sweep's name, recorded with every run (tables select by it).
        preset: the base configuration: a preset's name (``kerasnoise presets``) or
            an :class:`~kerasnoise.config.ExperimentConfig` (left unchanged).
        methods: method name -> overrides, e.g. ``{"loss": "gce"}``.
        axes: config key -> the values it takes, e.g. ``{"noise.rate": [0, 0.2]}``.
        seeds: training seeds (``seed``); the noise seed stays the preset's.
        overrides: applied to every run before the method's and the axes' own.
        data_dir: where the data files are (not part of any run's identity).
    """

    name: str
    preset: str | cfg.ExperimentConfig
    methods: dict[str, dict[str, Any]]
    axes: dict[str, list]
    seeds: list[int]
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    data_dir: str | None = None

    def expand(self) -> list[SweepRun]:
        """Every run of the sweep, validated, in order; clear errors before any training."""
        self._check_shape()
        base = self.base_config()
        keys = list(self.axes)
        runs: list[SweepRun] = []
        seen: dict[str, str] = {}
        for seed in self.seeds:
            for values in itertools.product(*(self.axes[k] for k in keys)):
                axes = dict(zip(keys, values, strict=True))
                for method, method_overrides in self.methods.items():
                    config = self._config(base, method, method_overrides, axes, seed)
                    key = config.run_id()
                    if key in seen:
                        raise ValueError(
                            f"methods {seen[key]!r} and {method!r} expand to the same config "
                            f"at {axes} (seed {seed}); give them different overrides"
                        )
                    seen[key] = method
                    runs.append(SweepRun(len(runs), method, axes, seed, config))
        return runs

    def base_config(self) -> cfg.ExperimentConfig:
        """A fresh copy of the base configuration."""
        return presets.config_of(self.preset)

    def _check_shape(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"sweep name must be a non-empty string, got {self.name!r}")
        if not self.methods:
            raise ValueError("methods must name at least one method")
        if not self.seeds:
            raise ValueError("seeds must not be empty (e.g. seeds=[0, 1, 2])")
        for seed in self.seeds:
            non_negative_int(seed, "seeds")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {self.seeds}")
        for key, values in self.axes.items():
            if isinstance(values, str) or not isinstance(values, Sequence) or not values:
                raise ValueError(f"axis {key!r} must be a non-empty list of values, got {values!r}")

    def _config(self, base, method: str, method_overrides, axes, seed) -> cfg.ExperimentConfig:
        overrides = {**self.overrides, **method_overrides, **axes, "seed": seed}
        try:
            config = cfg.apply_overrides(base, overrides)
            config.validate()
        except (ValueError, TypeError) as err:
            raise type(err)(f"method {method!r} at {axes}: {err}") from None
        config.data_dir = self.data_dir
        return config


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> ``(I, N)`` with ``0 <= I < N``."""
    index, sep, count = str(text).partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = -1
    if not sep or n < 1 or not 0 <= i < n:
        raise ValueError(f"shard must be I/N with 0 <= I < N (e.g. 0/4), got {text!r}")
    return i, n


def select_shard(runs: Sequence[SweepRun], shard: tuple[int, int]) -> list[SweepRun]:
    """The runs of shard ``(i, n)``: those whose index is ``i`` modulo ``n``."""
    index, count = shard
    return [r for r in runs if r.index % count == index]


def shard_from_env(environ: dict | None = None) -> tuple[int, int] | None:
    """``(SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT)`` when both are set, else ``None``.

    Array indices are taken as 0-based (``#SBATCH --array=0-3``); with
    ``SLURM_ARRAY_TASK_MIN`` set, the index is counted from it.
    """
    env = os.environ if environ is None else environ
    if "SLURM_ARRAY_TASK_ID" not in env or "SLURM_ARRAY_TASK_COUNT" not in env:
        return None
    first = int(env.get("SLURM_ARRAY_TASK_MIN", 0))
    task, count = int(env["SLURM_ARRAY_TASK_ID"]) - first, env["SLURM_ARRAY_TASK_COUNT"]
    return parse_shard(f"{task}/{count}")


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


# --------------------------------------------------------------------------- running


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
    from kerasnoise.execution import accelerator_device

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
    from kerasnoise.results import ResultsStore

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
    bar = _progress(len(todo), sweep.name, len(outcome.skipped), enabled=progress)

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

    try:
        if jobs == 1 or len(todo) <= 1:
            for r in todo:
                try:
                    record = training.train(
                        r.config, out, force=force, verbose=0, quiet=True, tag=r.tag(sweep.name)
                    )
                except Exception as err:  # noqa: BLE001 - one bad run must not stop the sweep
                    done(r, None, err)
                else:
                    done(r, record, None)
        else:
            _run_parallel(todo, out, sweep.name, backend, jobs, force, done)
    finally:
        bar.close()
    return outcome


def _run_parallel(todo, out, name, backend, jobs, force, done) -> None:
    threads = max(1, (os.cpu_count() or 1) // jobs)
    with cf.ProcessPoolExecutor(
        max_workers=min(jobs, len(todo)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(worker_environment(threads, backend),),
    ) as pool:
        futures = {
            pool.submit(_train_one, r.config.to_dict(), str(out), r.tag(name), force): r
            for r in todo
        }
        try:
            for future in cf.as_completed(futures):
                error = future.exception()
                done(futures[future], None if error else future.result(), error)
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _postfix(r: SweepRun, record: dict) -> str:
    accuracy = record.get("test_accuracy_last")
    shown = "n/a" if accuracy is None else f"{100 * accuracy:.2f}%"
    axes = " ".join(f"{k}={v}" for k, v in r.axes.items())
    return f"last: {r.method} {axes} seed {r.seed} -> {shown}"


def _progress(total: int, name: str, skipped: int, *, enabled: bool):
    from tqdm.auto import tqdm

    desc = f"{name}: {skipped} done before" if skipped else name
    return tqdm(total=total, desc=desc, unit="run", disable=not enabled, file=sys.stderr)
