"""The keras-tuner tuner whose trials are kerasnoise runs, and one level's search."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kerasnoise import sweep as sweep_lib
from kerasnoise.search._kt import BaseTuner, kt
from kerasnoise.search.oracle import build_oracle, level_done, saved_space_matches
from kerasnoise.search.plan import DONE_MARKER, HP_NAME, OBJECTIVE, LRSearch, project_dir
from kerasnoise.search.results import trials_frame
from kerasnoise.search.roles import LOCAL, Role, serve_oracle

__all__ = ["RunTuner", "search_level"]


class RunTuner(BaseTuner):
    """A keras-tuner tuner whose trial is kerasnoise runs at one noise level.

    While the oracle has no trial to give yet (``IDLE``), it asks again every
    ``poll_s`` seconds instead of keras-tuner's loop without a pause, which kept a
    core busy on a waiting worker and its chief.  As the chief it serves the oracle
    with :func:`~kerasnoise.search.roles.serve_oracle`, which sees the last worker
    leave within ``poll_s`` seconds (keras-tuner's own server waits 20 s at a time).

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
            build_oracle(search),
            directory=str(directory),
            project_name=project_name,
            overwrite=False,
        )

    def search(self, *fit_args, **fit_kwargs) -> None:
        if not self._is_chief():
            return super().search(*fit_args, **fit_kwargs)
        if "verbose" in fit_kwargs:
            self.oracle.verbose = fit_kwargs["verbose"]
        self.save()
        serve_oracle(self.oracle, self.poll_s)

    @staticmethod
    def _is_chief() -> bool:
        from keras_tuner.src.distribute import utils

        return utils.is_chief_oracle()

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
        sweep = self.search_plan.trial_sweep(self.level, values[HP_NAME], epochs)
        scores, run_ids = [], []
        for r in sweep.expand():
            try:
                record = training.train(
                    r.config, self.out, verbose=0, quiet=True, tag=r.tag(sweep.name)
                )
            except Exception as err:
                raise kt.errors.FatalError(
                    f"trial {trial.trial_id} ({self.search_plan.axis}={self.level}, "
                    f"learning rate {values[HP_NAME]:g}): {err!r}"
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


def search_level(
    search: LRSearch,
    level: Any,
    out: str | os.PathLike,
    *,
    index: int = 0,
    role: Role = LOCAL,
    on_trial: Callable[[dict], None] | None = None,
) -> None:
    """Run (or resume, or serve as chief) the keras-tuner search of one level.

    A level searched before over another grid or range (``--learning-rates`` widened
    or narrowed) is searched again from a fresh project: its keras-tuner state is
    removed, its runs stay, so the trials of rates already run read their records back
    and only the new rates train.  So is a level whose ended trials have no finished
    runs on this backend (searched with another ``KERAS_BACKEND`` into the same folder:
    a run id includes the backend), which would otherwise count as searched and give
    this backend no choice and no final runs; the other backend's runs stay, and each
    backend's report reads its own.
    """
    folder = project_dir(out, search, level)
    if role.kind != "worker":
        if saved_space_matches(search, folder) is False:
            _start_afresh(folder, "searched before over another learning-rate space")
        elif _trials_without_runs(search, level, out):
            _start_afresh(folder, "its ended trials have no finished runs on this backend")
    if level_done(search, folder):
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
        (folder / DONE_MARKER).write_text("")


def _trials_without_runs(search: LRSearch, level: Any, out: str | os.PathLike) -> bool:
    """Some ended trial of the level has no finished run on this backend to read back."""
    trials = trials_frame(dataclasses.replace(search, levels=[level]), out)
    ended = trials[trials["status"] == "COMPLETED"]
    return bool(ended["val_accuracy"].isna().any())


def _start_afresh(folder: Path, why: str) -> None:
    """Remove a level's keras-tuner project (oracle, trials, done marker); not its runs."""
    print(
        f"{folder}: {why}; searching it again (finished runs are read back, not trained)",
        file=sys.stderr,
    )
    stale = folder.with_name(f".stale-{folder.name}")
    shutil.rmtree(stale, ignore_errors=True)
    folder.rename(stale)  # one step: the folder is either the old project or gone
    shutil.rmtree(stale)
