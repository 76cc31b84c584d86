"""The keras-tuner oracle of a search: its space, the space a saved project holds, and a
grid that hands every rate out at once."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kerasnoise.search._kt import kt
from kerasnoise.search.plan import DONE_MARKER, HP_NAME, OBJECTIVE, LRSearch

__all__ = [
    "hyperparameters",
    "saved_space_matches",
    "level_done",
    "searched_grid",
    "build_oracle",
    "EagerGridOracle",
]

ORACLE_STATE = "oracle.json"  # keras-tuner's saved oracle, in a level's project folder


def hyperparameters(search: LRSearch) -> kt.HyperParameters:
    """The search space: a Choice over the grid, or a log-scaled Float over the range."""
    hp = kt.HyperParameters()
    if search.learning_rates is not None:
        hp.Choice(HP_NAME, sorted(float(r) for r in search.learning_rates))
    else:
        hp.Float(HP_NAME, search.lr_range[0], search.lr_range[1], sampling="log")
    return hp


def _learning_rate_entry(space: list[dict]) -> dict | None:
    entry = next((e for e in space if e.get("config", {}).get("name") == HP_NAME), None)
    return json.loads(json.dumps(entry))  # the form it takes in the saved JSON


def saved_space_matches(search: LRSearch, folder: str | os.PathLike) -> bool | None:
    """Whether the keras-tuner project in ``folder`` was made over this search's space
    (the grid's rates, or the range); ``None`` when it has no saved oracle yet.

    keras-tuner reloads a project with the space it was made with and ignores the one it
    is given, so a project made for another grid would neither try the new rates nor
    drop the removed ones: :func:`kerasnoise.search.search_level` starts it afresh.
    """
    path = Path(folder) / ORACLE_STATE
    if not path.is_file():
        return None
    saved = json.loads(path.read_text()).get("hyperparameters", {}).get("space", [])
    wanted = hyperparameters(search).get_config()["space"]
    return _learning_rate_entry(saved) == _learning_rate_entry(wanted)


def level_done(search: LRSearch, folder: str | os.PathLike) -> bool:
    """The level's search has ended, over this search's space.

    The marker first (once it is written the oracle's file no longer changes), then the
    saved space, which must be there and match: a chief starting a stale level afresh
    removes the folder in one rename, so a worker asking meanwhile never sees "ended"."""
    ended = (Path(folder) / DONE_MARKER).exists()
    return ended and saved_space_matches(search, folder) is True


def searched_grid(folder: str | os.PathLike) -> list[float] | None:
    """The grid the level in ``folder`` was searched over, when its search has ended
    over a grid (its saved Choice's rates, sorted); ``None`` otherwise.  What a report
    of finished searches chooses from, whatever grid the report is asked with: cells
    searched over different grids (a narrower grid where lower noise levels justified
    it) are tabulated side by side."""
    folder = Path(folder)
    if not (folder / DONE_MARKER).exists() or not (folder / ORACLE_STATE).is_file():
        return None
    saved = json.loads((folder / ORACLE_STATE).read_text()).get("hyperparameters", {})
    entry = _learning_rate_entry(saved.get("space", []))
    if entry is None or "values" not in entry.get("config", {}):
        return None
    return sorted(float(v) for v in entry["config"]["values"])


def build_oracle(search: LRSearch) -> kt.Oracle:
    """A fresh oracle of the configured tuner over :meth:`hyperparameters`."""
    common = dict(
        objective=kt.Objective(OBJECTIVE, direction="max"),
        hyperparameters=hyperparameters(search),
        tune_new_entries=False,
    )
    base = search.base_config()
    seed = base.seed
    if search.tuner == "grid":
        return EagerGridOracle(**common)
    if search.tuner == "hyperband":
        return kt.oracles.HyperbandOracle(max_epochs=base.epochs, seed=seed, **common)
    trials = search.trials or (len(search.learning_rates) if search.learning_rates else 10)
    if search.tuner == "random":
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
