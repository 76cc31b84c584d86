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

Needs the ``tuner`` extra: ``pip install "kerasnoise[tuner]"``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kerasnoise import config as cfg
from kerasnoise import sweep as sweep_lib
from kerasnoise._checks import positive_int

try:
    import keras_tuner as kt
    from keras_tuner.engine.base_tuner import BaseTuner
except ImportError as _err:  # pragma: no cover - the extra is missing
    raise ImportError(
        "kerasnoise.tuning needs keras-tuner: pip install 'kerasnoise[tuner]'"
    ) from _err

__all__ = [
    "TUNERS",
    "SELECT_ON",
    "LR_KEY",
    "OBJECTIVE",
    "LRSearch",
    "Role",
    "RunTuner",
    "EagerGridOracle",
    "ChiefUnreachableError",
    "parse_learning_rates",
    "parse_lr_range",
    "parse_axis",
    "run_search",
    "search_level",
    "project_dir",
]

TUNERS = ("grid", "random", "bayesian", "hyperband")
#: What the choice is made on -> the runs' ``validation_labels``.
SELECT_ON = {"noisy-validation": "noisy", "clean-validation": "clean"}
LR_KEY = "optimizer.learning_rate"
OBJECTIVE = "val_accuracy"  # the trial's value: its runs' ``val_accuracy_best``, averaged
_HP = "learning_rate"
_DONE = "search-done"  # written into a level's project folder when its search has ended


# --------------------------------------------------------------------------- parsing


def parse_learning_rates(text: str) -> list[float]:
    """``"0.01,0.05"`` -> ``[0.01, 0.05]``: positive, distinct, at least one."""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    try:
        rates = [float(t) for t in items]
    except ValueError:
        raise ValueError(f"learning rates must be numbers like 0.01,0.05; got {text!r}") from None
    if not rates:
        raise ValueError("learning rates: expected a comma-separated list, got nothing")
    bad = [r for r in rates if not math.isfinite(r) or r <= 0]
    if bad:
        raise ValueError(f"learning rates must be > 0, got {bad[0]}")
    if len(set(rates)) != len(rates):
        raise ValueError(f"learning rates must be distinct, got {text!r}")
    return rates


def parse_lr_range(text: str) -> tuple[float, float]:
    """``"1e-3:1"`` -> ``(0.001, 1.0)`` with ``0 < low < high``."""
    low, sep, high = str(text).partition(":")
    try:
        lo, hi = float(low), float(high)
    except ValueError:
        lo = hi = float("nan")
    if not sep or not (math.isfinite(lo) and math.isfinite(hi)) or not 0 < lo < hi:
        raise ValueError(f"learning-rate range must be LOW:HIGH with 0 < LOW < HIGH, got {text!r}")
    return lo, hi


def parse_axis(text: str) -> tuple[str, list]:
    """``"noise.alpha=0,20,50"`` -> ``("noise.alpha", [0, 20, 50])`` (values as literals)."""
    key, sep, values = str(text).partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"axis must be KEY=V1,V2,... (e.g. noise.alpha=0,20,50), got {text!r}")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not items:
        raise ValueError(f"axis {key!r} has no values (e.g. {key}=0,20,50)")
    return key, [cfg.parse_overrides([f"{key}={v}"])[key] for v in items]


# --------------------------------------------------------------------------- the plan


@dataclasses.dataclass
class LRSearch:
    """A learning-rate search per level of one axis over a preset.

    Args:
        preset: the base configuration.
        axis: the config key of the levels (``"noise.alpha"``); ``levels`` its values.
        learning_rates: the grid (a Choice for the random and Bayesian tuners too).
        lr_range: ``(low, high)``, searched on a log scale (random, Bayesian, Hyperband).
        tuner: one of :data:`TUNERS`; ``grid`` needs ``learning_rates``.
        trials: trials per level (random and Bayesian; ``None``: the grid's size, or 10).
        executions_per_trial: runs per trial, with training seeds ``seed``, ``seed+1``, ...
        select_on: a key of :data:`SELECT_ON`.
        seeds: training seeds of the best learning rate's final runs.
        overrides: applied to every run (``{"model": "mlp1"}``).
        name: the sweep name every run is tagged with.
        data_dir: where the data files are.
    """

    preset: str
    axis: str
    levels: list
    learning_rates: list[float] | None = None
    lr_range: tuple[float, float] | None = None
    tuner: str = "grid"
    trials: int | None = None
    executions_per_trial: int = 1
    select_on: str = "noisy-validation"
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0, 1, 2])
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    name: str = "lr-search"
    data_dir: str | None = None

    def validate(self) -> LRSearch:
        """Check everything, and expand every level's configs, before any training."""
        if self.tuner not in TUNERS:
            raise ValueError(f"tuner must be one of {', '.join(TUNERS)}; got {self.tuner!r}")
        if self.select_on not in SELECT_ON:
            raise ValueError(
                f"select_on must be one of {', '.join(SELECT_ON)}; got {self.select_on!r}"
            )
        if (self.learning_rates is None) == (self.lr_range is None):
            raise ValueError("give exactly one of learning_rates (a list) and lr_range (LOW:HIGH)")
        if self.learning_rates is not None:
            parse_learning_rates(",".join(map(str, self.learning_rates)))
        else:
            parse_lr_range(f"{self.lr_range[0]}:{self.lr_range[1]}")
        if self.tuner == "grid" and self.learning_rates is None:
            raise ValueError(
                "the grid tuner needs learning_rates; use random/bayesian with a range"
            )
        if self.trials is not None:
            positive_int(self.trials, "trials")
            if self.tuner in ("grid", "hyperband"):
                raise ValueError(f"trials does not apply to the {self.tuner} tuner; leave it out")
        positive_int(self.executions_per_trial, "executions_per_trial")
        base = self.base_config()
        if self.tuner == "hyperband" and base.epochs < 2:
            raise ValueError("hyperband needs epochs >= 2 (its largest budget)")
        for lr in self._bounds():  # unknown keys and bad values raise here
            self.as_sweep({self.axis: self.levels, LR_KEY: [float(lr)]}, self.seeds).expand()
        return self

    def base_config(self) -> cfg.ExperimentConfig:
        """The preset with the overrides and the selection's validation labels."""
        if not isinstance(self.levels, list | tuple) or not self.levels:
            raise ValueError(
                f"axis {self.axis!r} must have at least one level, got {self.levels!r}"
            )
        if len(set(map(repr, self.levels))) != len(self.levels):
            raise ValueError(f"axis {self.axis!r} levels must be distinct, got {self.levels!r}")
        config = cfg.apply_overrides(cfg.preset(self.preset), self.run_overrides)
        if not config.validation:
            raise ValueError(
                f"--select-on {self.select_on} needs a validation split, and preset "
                f"{self.preset!r} has validation=0: add validation=5000 (or a fraction)"
            )
        cfg.apply_overrides(config, {self.axis: self.levels[0]})  # the axis key exists
        return config.validate()

    def _bounds(self) -> list[float]:
        return list(self.learning_rates or self.lr_range)

    @property
    def run_overrides(self) -> dict[str, Any]:
        """The overrides of every run: the user's and the selection's validation labels."""
        return {**self.overrides, "validation_labels": SELECT_ON[self.select_on]}

    @property
    def method(self) -> str:
        return self.select_on

    def execution_seeds(self) -> list[int]:
        base = self.base_config().seed
        return [base + j for j in range(self.executions_per_trial)]

    def trial_sweep(self, level: Any, lr: float, epochs: int | None = None) -> sweep_lib.Sweep:
        """The runs of one trial: this level and learning rate, one per execution seed."""
        axes = {self.axis: [level], LR_KEY: [float(lr)]}
        if epochs is not None:
            axes["epochs"] = [int(epochs)]
        return self.as_sweep(axes, self.execution_seeds())

    def final_runs(self, best: dict) -> list[sweep_lib.SweepRun]:
        """Every level's best learning rate with every seed, numbered for sharding."""
        runs = [
            r
            for level, lr in best.items()
            for r in self.as_sweep({self.axis: [level], LR_KEY: [float(lr)]}, self.seeds).expand()
        ]
        return [dataclasses.replace(r, index=i) for i, r in enumerate(runs)]

    def as_sweep(self, axes: dict, seeds: list[int]) -> sweep_lib.Sweep:
        """A sweep of this search's runs (its name, method and overrides) over ``axes``."""
        return sweep_lib.Sweep(
            name=self.name,
            preset=self.preset,
            methods={self.method: {}},
            axes=axes,
            seeds=list(seeds),
            overrides=self.run_overrides,
            data_dir=self.data_dir,
        )

    # ---------------------------------------------------------------- keras-tuner

    def hyperparameters(self) -> kt.HyperParameters:
        hp = kt.HyperParameters()
        if self.learning_rates is not None:
            hp.Choice(_HP, sorted(float(r) for r in self.learning_rates))
        else:
            hp.Float(_HP, self.lr_range[0], self.lr_range[1], sampling="log")
        return hp

    def oracle(self) -> kt.Oracle:
        """A fresh oracle of the configured tuner over :meth:`hyperparameters`."""
        common = dict(
            objective=kt.Objective(OBJECTIVE, direction="max"),
            hyperparameters=self.hyperparameters(),
            tune_new_entries=False,
        )
        base = self.base_config()
        seed = base.seed
        if self.tuner == "grid":
            return EagerGridOracle(**common)
        if self.tuner == "hyperband":
            return kt.oracles.HyperbandOracle(max_epochs=base.epochs, seed=seed, **common)
        trials = self.trials or (len(self.learning_rates) if self.learning_rates else 10)
        if self.tuner == "random":
            return kt.oracles.RandomSearchOracle(max_trials=trials, seed=seed, **common)
        return kt.oracles.BayesianOptimizationOracle(max_trials=trials, seed=seed, **common)


class EagerGridOracle(kt.oracles.GridSearchOracle):
    """keras-tuner's grid search over one Choice, handing out every untried value at once.

    ``GridSearchOracle`` derives each new trial from a finished one: on a
    one-dimensional grid two workers get the first two values and then wait in turn
    (measured: the Rolnick search's 4 rates ran 2, 1, 1 at a time).  Here a new trial
    takes the first value of the Choice that no trial has had, so N workers run N
    values side by side; when every value is out the answer is ``STOPPED``.  A trial
    cut off by an interruption is retried by the base oracle, as before.
    """

    def populate_space(self, trial_id):
        (hp,) = self.hyperparameters.space
        tried = {t.hyperparameters.values.get(hp.name) for t in self.trials.values()}
        for value in hp.values:
            if value not in tried:
                return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": {hp.name: value}}
        return {"status": kt.engine.trial.TrialStatus.STOPPED, "values": None}


# --------------------------------------------------------------------------- roles


class ChiefUnreachableError(RuntimeError):
    """A worker found no chief oracle to talk to within its time limit."""


@dataclasses.dataclass(frozen=True)
class Role:
    """Who this process is: ``local`` (oracle and trials here), ``chief`` or ``worker``."""

    kind: str = "local"
    tuner_id: str = "tuner0"
    ip: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def from_env(cls, environ: dict | None = None) -> Role:
        """keras-tuner's variables: ``KERASTUNER_TUNER_ID`` (``chief`` or a worker's id),
        ``KERASTUNER_ORACLE_IP``, ``KERASTUNER_ORACLE_PORT``; ``local`` when unset."""
        env = os.environ if environ is None else environ
        if "KERASTUNER_ORACLE_IP" not in env:
            return cls()
        missing = [k for k in ("KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID") if k not in env]
        if missing:
            raise ValueError(f"KERASTUNER_ORACLE_IP is set but {', '.join(missing)} is not")
        tuner_id = env["KERASTUNER_TUNER_ID"]
        kind = "chief" if tuner_id == "chief" else "worker"
        return cls(
            kind, tuner_id, env["KERASTUNER_ORACLE_IP"], _port(env["KERASTUNER_ORACLE_PORT"])
        )

    def level_port(self, index: int) -> int:
        return self.port + index

    @contextlib.contextmanager
    def environment(self, index: int) -> Iterator[None]:
        """keras-tuner's variables for level ``index`` while the block runs."""
        names = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")
        saved = {k: os.environ.get(k) for k in names}
        for k in names:
            os.environ.pop(k, None)
        if self.kind != "local":
            os.environ.update(
                KERASTUNER_TUNER_ID=self.tuner_id,
                KERASTUNER_ORACLE_IP=self.ip,
                KERASTUNER_ORACLE_PORT=str(self.level_port(index)),
            )
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _port(value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = -1
    if not 0 < port < 65536:
        raise ValueError(f"oracle port must be an integer in 1..65535, got {value!r}")
    return port


def _reachable(ip: str, port: int, timeout: float) -> bool:
    import grpc

    channel = grpc.insecure_channel(f"{ip}:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
        return True
    except grpc.FutureTimeoutError:
        return False
    finally:
        channel.close()


def _wait_for_chief(role: Role, index: int, folders: list[Path], timeout: float) -> bool:
    """Until level ``index``'s oracle answers (True) or the chief has ended it (False).

    While the chief still serves the previous level (its port answers), the wait goes
    on; otherwise :class:`ChiefUnreachableError` after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        if (folders[index] / _DONE).exists():
            return False
        if _reachable(role.ip, role.level_port(index), timeout=min(2.0, timeout)):
            return True
        busy = index > 0 and not (folders[index - 1] / _DONE).exists()
        if busy and _reachable(role.ip, role.level_port(index - 1), timeout=1.0):
            deadline = time.monotonic() + timeout
        if time.monotonic() > deadline:
            raise ChiefUnreachableError(
                f"no chief oracle at {role.ip}:{role.level_port(index)} after {timeout:g} s: "
                "start the chief (--chief) with the same --out, IP and port, or raise "
                "--chief-timeout"
            )


# --------------------------------------------------------------------------- the tuner


class RunTuner(BaseTuner):
    """A keras-tuner tuner whose trial is kerasnoise runs at one noise level.

    While the oracle has no trial to give yet (``IDLE``), it asks again every
    ``poll_s`` seconds instead of keras-tuner's loop without a pause, which kept a
    core busy on a waiting worker and its chief.

    ``run_trial`` trains the trial's learning rate (and Hyperband's epoch budget) at
    ``level`` once per execution seed with :func:`kerasnoise.training.train` into
    ``out`` (a finished run is read back, not trained), tags each run with the search,
    and returns the mean ``val_accuracy_best``.  A run that diverges fails the trial
    (``FailedTrialError``: it is out of the choice); any other error stops the search
    (``FatalError``) rather than being retried silently.
    """

    def __init__(
        self,
        search: LRSearch,
        level: Any,
        out: str | os.PathLike,
        *,
        directory: str | os.PathLike,
        project_name: str,
        on_trial: Callable[[dict], None] | None = None,
    ):
        self.search_plan = search
        self.level = level
        self.out = Path(out)
        self.on_trial = on_trial
        self.poll_s = 2.0
        self._waiting = False  # the last request got no trial to run
        super().__init__(
            search.oracle(), directory=str(directory), project_name=project_name, overwrite=False
        )

    def pre_create_trial(self) -> None:
        if self._waiting:
            time.sleep(self.poll_s)
        self._waiting = True  # until on_trial_begin says a trial did start

    def on_trial_begin(self, trial) -> None:
        self._waiting = False
        super().on_trial_begin(trial)

    def run_trial(self, trial, *args, **kwargs) -> dict:
        from kerasnoise import training

        values = trial.hyperparameters.values
        epochs = values.get("tuner/epochs")
        sweep = self.search_plan.trial_sweep(self.level, values[_HP], epochs)
        scores, run_ids = [], []
        for r in sweep.expand():
            try:
                record = training.train(
                    r.config, self.out, verbose=0, quiet=True, tag=r.tag(sweep.name)
                )
            except Exception as err:
                raise kt.errors.FatalError(
                    f"trial {trial.trial_id} ({self.search_plan.axis}={self.level}, "
                    f"learning rate {values[_HP]:g}): {err!r}"
                ) from err
            run_ids.append(record["run_id"])
            self._report(trial, r, record)
            if record.get("status") != "finished" or record.get("val_accuracy_best") is None:
                raise kt.errors.FailedTrialError(
                    f"run {record['run_id']} {record.get('status')}: no validation accuracy"
                )
            scores.append(record["val_accuracy_best"])
        return {OBJECTIVE: float(sum(scores) / len(scores))}

    def _report(self, trial, r: sweep_lib.SweepRun, record: dict) -> None:
        event = {
            "trial": trial.trial_id,
            "level": self.level,
            "learning_rate": r.config.optimizer.learning_rate,
            "seed": r.seed,
            "run_id": record["run_id"],
            "trained": not record.get("skipped", False),
            "val_accuracy": record.get("val_accuracy_best"),
        }
        if self.on_trial is not None:
            self.on_trial(event)


def project_dir(out: str | os.PathLike, search: LRSearch, level: Any) -> Path:
    """Where level ``level``'s keras-tuner project lives: ``out/search/<name>/<axis>=<level>``."""
    return Path(out) / "search" / search.name / search.select_on / f"{search.axis}={level}"


def search_level(
    search: LRSearch,
    level: Any,
    out: str | os.PathLike,
    *,
    index: int = 0,
    role: Role = Role(),
    on_trial: Callable[[dict], None] | None = None,
) -> None:
    """Run (or resume, or serve as chief) the keras-tuner search of one level."""
    folder = project_dir(out, search, level)
    if (folder / _DONE).exists():
        return
    with role.environment(index):
        tuner = RunTuner(
            search,
            level,
            out,
            directory=folder.parent,
            project_name=folder.name,
            on_trial=on_trial,
        )
        tuner.search(verbose=0)
    if role.kind != "worker":  # the oracle lived here: it has ended
        (folder / _DONE).write_text("")


def run_search(
    search: LRSearch,
    out: str | os.PathLike,
    *,
    role: Role = Role(),
    chief_timeout: float = 60.0,
    jobs: int = 0,
    progress: bool = True,
    on_trial: Callable[[dict], None] | None = None,
) -> dict | None:
    """Search every level, then (not on a worker) train the best learning rates' seeds.

    Returns ``{level: best learning rate}`` (``None`` on a worker, whose part ends with
    the trials).  Levels with no finished trial are left out.
    """
    from kerasnoise.tuning_results import best_learning_rates, trials_frame

    search.validate()
    out = sweep_lib.check_writable(out)
    folders = [project_dir(out, search, level) for level in search.levels]
    for index, level in enumerate(search.levels):
        if role.kind == "worker" and not _wait_for_chief(role, index, folders, chief_timeout):
            continue
        search_level(search, level, out, index=index, role=role, on_trial=on_trial)
    if role.kind == "worker":
        return None
    best = best_learning_rates(trials_frame(search, out))
    outcome = sweep_lib.run_sweep(
        search.as_sweep({}, search.seeds),  # its name tags the runs
        out,
        runs=search.final_runs(best),
        jobs=jobs,
        progress=progress,
    )
    for run_id, error in outcome.failed.items():
        print(f"failed: {run_id}: {error}", file=sys.stderr)
    return best
