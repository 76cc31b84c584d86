"""Menon et al. 2020's Long & Servedio experiment as a declaration: repeated draws of
the mixture (:mod:`kerasnoise.synthetic.data`) with flipped training labels; each loss
fits a linear scorer by SLSQP (:mod:`kerasnoise.synthetic.linear`) on the same draw;
the table is the median, mean and quartiles of clean test accuracy per loss, the figure
a box plot.

    EXPERIMENT = LongServedio(name="menon-long-servedio", title="...",
                              losses={"logistic": {}, "huberised": {"tau": HUBER_TAU}})
    if __name__ == "__main__":
        sys.exit(kerasnoise.tables.main(EXPERIMENT))

    outcome = EXPERIMENT.run(repeats=50, rate=0.45, seed=0, jobs=2)
    outcome.table, outcome.accuracies        # DataFrames: per loss, per repeat x loss

Outputs in ``--out``: ``table.md``, ``table.csv``
(:class:`~kerasnoise.tables.ComputedTable`), ``accuracies.csv`` and the box plot.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kerasnoise import pool
from kerasnoise._args import add_jobs, add_no_progress, declaring_module
from kerasnoise._checks import non_negative_int, positive_int
from kerasnoise._io import atomic_write_text
from kerasnoise.report import markdown_table, new_figure, save_figure
from kerasnoise.synthetic import linear
from kerasnoise.synthetic.data import check_rate, check_variance, long_servedio_split
from kerasnoise.synthetic.declaration import (
    SyntheticTable,
    margin_losses,
    percent,
    tau_cell,
    tau_of,
)

__all__ = ["LongServedio", "LongServedioOutcome", "plot_accuracy_box"]


@dataclasses.dataclass
class LongServedioOutcome:
    """What :meth:`LongServedio.run` measured.

    ``table``: one row per loss: ``loss``, ``label``, ``tau``, ``repeats``, ``median``,
    ``mean``, ``q25``, ``q75``, ``min``, ``max`` of the test accuracy (fractions in
    [0, 1]) and ``converged`` (the fraction of fits where SLSQP reported success).
    ``accuracies``: one row per repeat and loss: ``repeat``, ``loss``,
    ``test_accuracy``, ``train_accuracy`` (on the noisy labels), ``theta_0``,
    ``theta_1``, ``iterations``, ``status``.
    """

    table: pd.DataFrame
    accuracies: pd.DataFrame
    parameters: dict[str, Any]
    seconds: float


def _one_draw(
    index: int,
    seed: np.random.SeedSequence,
    losses: dict[str, Any],
    rate: float,
    variance: float,
    train: int,
    test: int,
    maxiter: int,
) -> list[dict[str, Any]]:
    """One repeat: one draw of the data, every loss fitted on it."""
    train_set, test_set = long_servedio_split(
        np.random.default_rng(seed), rate=rate, variance=variance, train=train, test=test
    )
    rows = []
    for name, loss in losses.items():
        fit = linear.fit_linear(loss, train_set.x, train_set.y, maxiter=maxiter)
        rows.append(
            {
                "repeat": index,
                "loss": name,
                "test_accuracy": linear.accuracy(fit.theta, test_set.x, test_set.y),
                "train_accuracy": linear.accuracy(fit.theta, train_set.x, train_set.y),
                "theta_0": float(fit.theta[0]),
                "theta_1": float(fit.theta[1]),
                "iterations": fit.iterations,
                "status": fit.status,
            }
        )
    return rows


def _run_draws(tasks: list[tuple], jobs: int, desc: str, progress: bool) -> list[dict]:
    rows: list[dict] = []
    with pool.progress_bar(len(tasks), desc, "repeat", enabled=progress) as bar:

        def done(index: int, result, error: BaseException | None) -> None:
            if error is not None:
                raise error
            rows.extend(result)
            bar.update()

        pool.run_tasks(_one_draw, tasks, jobs=jobs, on_done=done, catch=())
    return rows


def _summary(accuracies: pd.DataFrame, losses: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for name, loss in losses.items():
        part = accuracies[accuracies["loss"] == name]
        values = part["test_accuracy"].to_numpy()
        rows.append(
            {
                "loss": name,
                "label": loss.label,
                "tau": tau_of(loss),
                "repeats": int(values.size),
                "median": float(np.median(values)),
                "mean": float(np.mean(values)),
                "q25": float(np.percentile(values, 25)),
                "q75": float(np.percentile(values, 75)),
                "min": float(np.min(values)),
                "max": float(np.max(values)),
                "converged": float(np.mean(part["status"].to_numpy() == 0)),
            }
        )
    return pd.DataFrame(rows)


@dataclasses.dataclass
class LongServedio(SyntheticTable):
    """The Long & Servedio experiment: ``repeats`` independent draws of ``train``
    training points (labels flipped at ``rate``) and ``test`` clean test points; on
    each draw every loss of ``losses`` (name -> parameters, :func:`margins.get`)
    fits a linear scorer without bias from θ = 0 by SLSQP (at most ``maxiter``
    iterations); test accuracy is ``mean(sign(x · θ) == y)``.

    The repeats' generators come from ``numpy.random.SeedSequence(seed).spawn(repeats)``,
    so a result depends on ``seed`` and ``repeats`` only, not on ``jobs``.
    """

    name: str
    title: str
    losses: dict[str, dict[str, Any]]
    train: int = 1000
    test: int = 500
    maxiter: int = 100
    figure: str = "accuracy_boxplot.png"
    notes: str = ""
    module: str = ""

    #: ``table.csv``'s numbers to 6 decimals
    csv_digits = 6

    def __post_init__(self) -> None:
        self.module = self.module or declaring_module()
        margin_losses(self.losses)
        positive_int(self.train, "train")
        positive_int(self.test, "test")
        positive_int(self.maxiter, "maxiter")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--repeats", type=int, default=500, help="independent draws")
        parser.add_argument(
            "--rate", type=float, default=0.2, help="training-label flip probability, [0, 0.5)"
        )
        parser.add_argument("--seed", type=int, default=0, help="root of the repeats' seeds")
        add_jobs(parser, default=1, help="processes (1: in this one)")
        parser.add_argument(
            "--variance", type=float, default=1e-4, help="variance of each Gaussian (σ²)"
        )
        add_no_progress(parser)

    def check(
        self,
        *,
        repeats: int = 500,
        rate: float = 0.2,
        seed: int = 0,
        jobs: int = 1,
        variance: float = 1e-4,
        progress: bool = True,
    ) -> dict[str, Any]:
        """The options, checked: ``ValueError``/``TypeError`` naming the bad one."""
        return {
            "repeats": positive_int(repeats, "repeats"),
            "rate": check_rate(rate),
            "seed": non_negative_int(seed, "seed"),
            "jobs": positive_int(jobs, "jobs"),
            "variance": check_variance(variance),
            "progress": bool(progress),
        }

    def run(self, **options: Any) -> LongServedioOutcome:
        """Measure: options ``repeats`` (500), ``rate`` (0.2), ``seed`` (0), ``jobs``
        (1: in this process; more: that many spawned processes), ``variance`` (1e-4),
        ``progress`` (True: a tqdm bar on stderr).  Every option is checked before
        any work."""
        o = self.check(**options)
        losses = self.margin_losses()
        seeds = np.random.SeedSequence(o["seed"]).spawn(o["repeats"])
        tasks = [
            (i, s, losses, o["rate"], o["variance"], self.train, self.test, self.maxiter)
            for i, s in enumerate(seeds)
        ]
        start = time.perf_counter()
        rows = _run_draws(tasks, o["jobs"], self.name, o["progress"])
        seconds = time.perf_counter() - start
        order = {name: i for i, name in enumerate(losses)}
        rows.sort(key=lambda r: (r["repeat"], order[r["loss"]]))  # processes finish in any order
        accuracies = pd.DataFrame(rows)
        parameters = {k: v for k, v in o.items() if k != "progress"}
        parameters |= {"train": self.train, "test": self.test, "maxiter": self.maxiter}
        return LongServedioOutcome(_summary(accuracies, losses), accuracies, parameters, seconds)

    def markdown(self, outcome: LongServedioOutcome) -> str:
        header = ["loss", "τ", "repeats", "median", "mean", "25 %", "75 %", "min", "converged"]
        rows = [
            [
                r.label,
                tau_cell(r.tau),
                r.repeats,
                percent(r.median),
                percent(r.mean),
                percent(r.q25),
                percent(r.q75),
                percent(r.min),
                f"{100 * r.converged:.0f} %",
            ]
            for r in outcome.table.itertuples()
        ]
        return markdown_table(header, rows)

    def describe(self, outcome: LongServedioOutcome) -> list[str]:
        p = outcome.parameters
        return [
            "Test accuracy (%) of a linear scorer without bias on the clean test points, over "
            f"{p['repeats']} independent draws: median, mean, quartiles (NumPy's linear "
            "interpolation) and minimum; *converged*: the share of fits where SLSQP reported "
            "success (status 0; each fit's status is in `accuracies.csv`).",
            f"Parameters: flip rate ρ = {p['rate']}, variance {p['variance']:g} "
            f"(σ = {np.sqrt(p['variance']):.4g}), {p['train']} training and {p['test']} "
            f"clean test points per draw, seed {p['seed']} "
            f"(`numpy.random.SeedSequence({p['seed']}).spawn({p['repeats']})`), SLSQP from "
            f"θ = 0 with the analytic gradient, at most {p['maxiter']} iterations; every "
            "loss is fitted on the same draws.",
        ]

    def timing(self, outcome: LongServedioOutcome) -> str:
        jobs = outcome.parameters["jobs"]
        return f"for the fits ({jobs} process{'es' if jobs > 1 else ''})"

    def write_files(self, outcome: LongServedioOutcome, out: Path) -> dict[str, Path]:
        """``accuracies.csv`` and the box plot."""
        return {
            "accuracies": atomic_write_text(
                out / "accuracies.csv", outcome.accuracies.to_csv(index=False)
            ),
            "figure": plot_accuracy_box(
                outcome, self.margin_losses(), out / self.figure, title=self.title
            ),
        }


def plot_accuracy_box(
    outcome: LongServedioOutcome, losses: Mapping[str, Any], path: str | os.PathLike, *, title=""
) -> Path:
    """A box plot of the repeats' test accuracy (%) per loss (whiskers at 1.5 IQR)."""
    frame = outcome.accuracies
    values = [100 * frame.loc[frame["loss"] == n, "test_accuracy"].to_numpy() for n in losses]
    fig, ax = new_figure()
    ax.boxplot(values)
    names = [loss.label.replace(" (", "\n(") for loss in losses.values()]
    ax.set_xticks(range(1, len(values) + 1), names)
    p = outcome.parameters
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(
        f"{title}\nρ = {p['rate']}, {p['repeats']} draws, variance {p['variance']:g}",
        fontsize="medium",
    )
    ax.grid(alpha=0.3, axis="y")
    return save_figure(fig, path)
