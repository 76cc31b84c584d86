"""What a learning-rate search found, read from its trials and its runs' records.

    trials = trials_frame(search, "out")     # one row per keras-tuner trial
    best = best_frame(search, "out", trials) # one row per level: the choice and its test
    write_outputs(search, "out", trials, best)

A trial's ``val_accuracy`` is the mean over its runs (executions) of the recorded
``val_accuracy_best``, the number the tuner was given; the choice per level is the
trial with the highest, and its learning rate's final runs (``search.seeds``) give
the test accuracy, mean ± sample std.  Accuracies are in percent.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kerasnoise import report
from kerasnoise._io import atomic_write_text
from kerasnoise._stats import aggregate
from kerasnoise.results.store import ResultsStore
from kerasnoise.search.plan import LR_KEY, LRSearch, project_dir

__all__ = [
    "trials_frame",
    "best_learning_rates",
    "best_frame",
    "best_markdown",
    "write_outputs",
    "TEST_METRIC",
]

#: The test accuracy reported for a choice: at the epoch the run's own validation
#: split (the search's, noisy by default) picked, so no clean label is used.
TEST_METRIC = "test_accuracy_best"
TRIAL_COLUMNS = (
    "noise_level",
    "trial_id",
    "status",
    "learning_rate",
    "epochs",
    "seeds",
    "val_accuracy",
    "test_accuracy",
    "run_ids",
)


def _backend() -> str:
    import keras

    return keras.backend.backend()


def _percent(values: list) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return 100.0 * aggregate(values).mean


def trials_frame(
    search: LRSearch, out: str | os.PathLike, backend: str | None = None
) -> pd.DataFrame:
    """One row per trial of every level, from keras-tuner's trial files and the store:
    the runs on ``backend`` (default: the one loaded; a run id includes it)."""
    import keras_tuner as kt

    store, backend = ResultsStore(out), backend or _backend()
    rows = []
    for level in search.levels:
        for path in sorted(project_dir(out, search, level).glob("trial_*/trial.json")):
            trial = kt.engine.trial.Trial.load(str(path))
            values = trial.hyperparameters.values
            if "learning_rate" not in values:
                continue
            epochs = values.get("tuner/epochs")
            runs = search.trial_sweep(level, values["learning_rate"], epochs).expand()
            ids = [r.config.run_id(backend) for r in runs]
            records = [(store.get(i) or {}).get("result", {}) for i in ids]
            rows.append(
                {
                    "noise_level": level,
                    "trial_id": trial.trial_id,
                    "status": trial.status,
                    "learning_rate": float(values["learning_rate"]),
                    "epochs": epochs if epochs is not None else runs[0].config.epochs,
                    "seeds": " ".join(str(r.seed) for r in runs),
                    "val_accuracy": _percent([r.get("val_accuracy_best") for r in records]),
                    "test_accuracy": _percent([r.get(TEST_METRIC) for r in records]),
                    "run_ids": " ".join(ids),
                }
            )
    frame = pd.DataFrame(rows, columns=list(TRIAL_COLUMNS))
    return (
        frame.sort_values(["noise_level", "learning_rate", "epochs"], kind="stable").reset_index(
            drop=True
        )
        if rows
        else frame
    )


def best_learning_rates(
    trials: pd.DataFrame, rates: Sequence[float] | None = None
) -> dict[Any, float]:
    """``{level: learning rate}`` of the trial with the highest ``val_accuracy`` per level
    (ties: the smaller rate); levels with no scored trial are left out.  With a grid's
    ``rates``, so are levels where one of them is not scored yet: a choice then (while
    the search runs, or from a copy of an unfinished one) would be the best of some
    rates only."""
    best: dict[Any, float] = {}
    scored = trials[trials["val_accuracy"].notna()] if len(trials) else trials
    wanted = {float(r) for r in rates or ()}
    for level, rows in scored.groupby("noise_level", sort=False):
        if not wanted <= {float(r) for r in rows["learning_rate"]}:
            continue
        rows = rows.sort_values(["val_accuracy", "learning_rate"], ascending=[False, True])
        best[level] = float(rows["learning_rate"].iloc[0])
    return best


def best_frame(search: LRSearch, out: str | os.PathLike, trials: pd.DataFrame) -> pd.DataFrame:
    """Per level: the chosen learning rate, its validation accuracy, and the test
    accuracy of its final runs (mean ± sample std over the seeds that finished)."""
    store, backend = ResultsStore(out), _backend()
    best = best_learning_rates(trials)
    runs = search.final_runs(best)
    rows = []
    for level, lr in best.items():
        chosen = trials[(trials["noise_level"] == level) & (trials["learning_rate"] == lr)]
        results = [
            (store.get(r.config.run_id(backend)) or {})
            for r in runs
            if r.axes[search.axis] == level and r.axes[LR_KEY] == lr
        ]
        finished = [r for r in results if r.get("status") == "finished"]
        tests = [r["result"].get(TEST_METRIC) for r in finished]
        mean, std, n = report.aggregate(None if t is None else 100.0 * t for t in tests)
        rows.append(
            {
                "noise_level": level,
                "best_learning_rate": lr,
                "val_accuracy": float(chosen["val_accuracy"].max()),
                "test_accuracy": "n/a" if mean is None else f"{mean:.2f} ± {std:.2f}",
                "test_accuracy_mean": mean,
                "test_accuracy_std": std,
                "n_seeds": n,
                "seeds": " ".join(str(r["seed"]) for r in finished),
                "select_on": search.select_on,
            }
        )
    return pd.DataFrame(rows)


def best_markdown(search: LRSearch, best: pd.DataFrame) -> str:
    """The choice per level as a markdown table (:func:`kerasnoise.report.markdown_table`)."""
    header = [search.axis, "best learning rate", "val accuracy (%)", "test accuracy (%)", "n"]
    body = [
        [
            str(row.noise_level),
            f"{row.best_learning_rate:g}",
            f"{row.val_accuracy:.2f}",
            row.test_accuracy,
            str(row.n_seeds),
        ]
        for row in best.itertuples()
    ]
    return report.markdown_table(header, body)


def write_outputs(
    search: LRSearch, out: str | os.PathLike, trials: pd.DataFrame, best: pd.DataFrame
) -> list[Path]:
    """``best.csv``, ``best.md``, ``trials.csv`` and the figures, in ``out``: validation
    and test accuracy against the learning rate, and the best learning rate per level."""
    out = Path(out)
    written = []
    for name, frame in (("best.csv", best), ("trials.csv", trials)):
        atomic_write_text(out / name, frame.round(4).to_csv(index=False))
        written.append(out / name)
    atomic_write_text(out / "best.md", best_markdown(search, best) + "\n")
    written.append(out / "best.md")
    title = f"{search.preset}: {search.tuner} search, selected on {search.select_on}"
    per_rate = trials.groupby(["noise_level", "learning_rate"], as_index=False)[
        ["val_accuracy", "test_accuracy"]
    ].max()
    for metric, ylabel in (
        ("val_accuracy", f"validation accuracy (%, {search.select_on})"),
        ("test_accuracy", "test accuracy (%, at the validation-chosen epoch)"),
    ):
        if len(trials) and trials[metric].notna().any():
            written.append(
                report.plot_lines(
                    per_rate,
                    "learning_rate",
                    metric,
                    out / f"{metric}_vs_lr.png",
                    by="noise_level",
                    legend=search.axis,
                    logx=True,
                    title=title,
                    xlabel="learning rate",
                    ylabel=ylabel,
                )
            )
    if len(best):
        written.append(
            report.plot_lines(
                best,
                "noise_level",
                "best_learning_rate",
                out / "best_lr_vs_level.png",
                logy=True,
                title=title,
                xlabel=search.axis,
                ylabel="best learning rate",
            )
        )
    return written
