"""Menon et al. 2020's two synthetic experiments with linear scorers, as declarations,
and the command line their scripts share; NumPy, SciPy, pandas and matplotlib, no
Keras.

- :class:`LongServedio`: repeated draws of the Long & Servedio mixture
  (:mod:`kerasnoise.synthetic_data`) with flipped training labels; each loss fits a linear
  scorer by SLSQP (:mod:`kerasnoise.linear`) on the same draw; the table is the
  median, mean and quartiles of clean test accuracy per loss, the figure a box plot.
- :class:`Outliers`: the mean loss of a 1-D scorer θx over a grid of θ, with and
  without Ding's outliers; the table is each loss's minimiser, the figure the curves.

    EXPERIMENT = LongServedio(name="menon-long-servedio", title="...",
                              losses={"logistic": {}, "huberised": {"tau": HUBER_TAU}})
    if __name__ == "__main__":
        sys.exit(main(EXPERIMENT))

    outcome = EXPERIMENT.run(repeats=50, rate=0.45, seed=0, jobs=2)
    outcome.table, outcome.accuracies        # DataFrames: per loss, per repeat x loss

Outputs in ``--out`` (every file written atomically): ``table.md`` (the table, the
exact command, the parameters and the wall time), ``table.csv``, the per-repeat or
per-θ values (``accuracies.csv``, ``curves.csv``) and the figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy

from kerasnoise import linear, margins, pool, synthetic_data
from kerasnoise._args import add_jobs, add_no_progress, add_out, declaring_module
from kerasnoise._checks import non_negative_int, positive_int
from kerasnoise._io import atomic_write_figure, atomic_write_text, pyplot
from kerasnoise.report import markdown_table

__all__ = [
    "LongServedio",
    "Outliers",
    "LongServedioOutcome",
    "OutliersOutcome",
    "build_parser",
    "main",
]


def _losses(losses: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    if not losses:
        raise ValueError(f"losses must name at least one of {', '.join(margins.MARGIN_LOSSES)}")
    return {name: margins.get(name, **dict(params)) for name, params in losses.items()}


def _versions() -> str:
    return f"NumPy {np.__version__}, SciPy {scipy.__version__}"


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def _tau(loss: Any) -> float | None:
    return getattr(loss, "tau", None)


# --------------------------------------------------------------------------- Long & Servedio


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
    train_set, test_set = synthetic_data.long_servedio_split(
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
                "tau": _tau(loss),
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
class LongServedio:
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

    def __post_init__(self) -> None:
        self.module = self.module or declaring_module()
        _losses(self.losses)
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
            "rate": synthetic_data.check_rate(rate),
            "seed": non_negative_int(seed, "seed"),
            "jobs": positive_int(jobs, "jobs"),
            "variance": synthetic_data.check_variance(variance),
            "progress": bool(progress),
        }

    def run(self, **options: Any) -> LongServedioOutcome:
        """Measure: options ``repeats`` (500), ``rate`` (0.2), ``seed`` (0), ``jobs``
        (1: in this process; more: that many spawned processes), ``variance`` (1e-4),
        ``progress`` (True: a tqdm bar on stderr).  Every option is checked before
        any work."""
        o = self.check(**options)
        losses = _losses(self.losses)
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
                "" if pd.isna(r.tau) else f"{r.tau:.4g}",
                r.repeats,
                _pct(r.median),
                _pct(r.mean),
                _pct(r.q25),
                _pct(r.q75),
                _pct(r.min),
                f"{100 * r.converged:.0f} %",
            ]
            for r in outcome.table.itertuples()
        ]
        return markdown_table(header, rows)

    def write(self, outcome: LongServedioOutcome, out: str | os.PathLike, command: str) -> dict:
        """``table.md``, ``table.csv``, ``accuracies.csv`` and the box plot in ``out``."""
        out = Path(out)
        p = outcome.parameters
        notes = [
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
            f"Command: `{command}`",
            f"Wall time: {outcome.seconds:.1f} s for the fits ({p['jobs']} process"
            f"{'es' if p['jobs'] > 1 else ''}); {_versions()}.",
        ]
        if self.notes:
            notes.append(self.notes)
        text = f"# {self.title}\n\n{self.markdown(outcome)}\n\n" + "\n\n".join(notes) + "\n"
        return {
            "md": atomic_write_text(out / "table.md", text),
            "csv": atomic_write_text(out / "table.csv", outcome.table.round(6).to_csv(index=False)),
            "accuracies": atomic_write_text(
                out / "accuracies.csv", outcome.accuracies.to_csv(index=False)
            ),
            "figure": plot_accuracy_box(
                outcome, _losses(self.losses), out / self.figure, title=self.title
            ),
        }


def plot_accuracy_box(
    outcome: LongServedioOutcome, losses: Mapping[str, Any], path: str | os.PathLike, *, title=""
) -> Path:
    """A box plot of the repeats' test accuracy (%) per loss (whiskers at 1.5 IQR)."""
    plt = pyplot()

    frame = outcome.accuracies
    values = [100 * frame.loc[frame["loss"] == n, "test_accuracy"].to_numpy() for n in losses]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
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
    return _save(fig, path)


# --------------------------------------------------------------------------- outliers


@dataclasses.dataclass
class OutliersOutcome:
    """What :meth:`Outliers.run` computed.

    ``curves``: one row per loss, data set and θ: ``loss``, ``data`` (``"inliers"``
    or ``"with outliers"``), ``theta``, ``mean_loss``.  ``table``: one row per loss:
    ``loss``, ``label``, ``tau``, ``theta_inliers`` and ``theta_outliers`` (the grid's
    minimiser of the mean loss without and with the outliers), ``loss_inliers`` and
    ``loss_outliers`` (the minimum), ``accuracy_inliers`` and ``accuracy_outliers``
    (the accuracy of ``sign(θ* x)`` on the inliers at each minimiser).
    """

    curves: pd.DataFrame
    table: pd.DataFrame
    parameters: dict[str, Any]
    seconds: float


@dataclasses.dataclass
class Outliers:
    """Ding's outliers: ``inliers`` points from N(1, 1) labelled +1 and as many from
    N(−1, 1) labelled −1, plus ``outliers`` from N(−200, 1) labelled +1 and as many from
    N(200, 1) labelled −1; the mean loss of the scorer θx for ``points`` values of θ
    evenly spaced in [``low``, ``high``), on the inliers alone and with the outliers."""

    name: str
    title: str
    losses: dict[str, dict[str, Any]]
    inliers: int = 5000
    outliers: int = 25
    low: float = -2.0
    high: float = 2.0
    figure: str = "loss_curves.png"
    notes: str = ""
    module: str = ""

    def __post_init__(self) -> None:
        self.module = self.module or declaring_module()
        _losses(self.losses)
        positive_int(self.inliers, "inliers")
        positive_int(self.outliers, "outliers")
        if not self.low < self.high:
            raise ValueError(f"low must be below high, got [{self.low}, {self.high})")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=0, help="seed of the data")
        parser.add_argument(
            "--points", type=int, default=400, help="θ values in [low, high), evenly spaced"
        )

    def check(self, *, seed: int = 0, points: int = 400) -> dict[str, Any]:
        """The options, checked: ``ValueError`` naming the bad one."""
        return {"seed": non_negative_int(seed, "seed"), "points": positive_int(points, "points")}

    def run(self, **options: Any) -> OutliersOutcome:
        """Compute: options ``seed`` (0) and ``points`` (400, a step of 0.01 on
        [−2, 2)), checked before any work."""
        o = self.check(**options)
        losses = _losses(self.losses)
        start = time.perf_counter()
        data = synthetic_data.outliers(o["seed"], inliers=self.inliers, outliers=self.outliers)
        grid = np.linspace(self.low, self.high, o["points"], endpoint=False)
        inner = ~data.outlier
        sets = {"inliers": (data.x[inner], data.y[inner]), "with outliers": (data.x, data.y)}
        curves, rows = [], []
        for name, loss in losses.items():
            row: dict[str, Any] = {"loss": name, "label": loss.label, "tau": _tau(loss)}
            for key, (x, y) in sets.items():
                values = linear.loss_curve(loss, grid, x, y)
                curves.append(pd.DataFrame({"loss": name, "data": key, "theta": grid}))
                curves[-1]["mean_loss"] = values
                best = int(np.argmin(values))
                suffix = "inliers" if key == "inliers" else "outliers"
                row[f"theta_{suffix}"] = float(grid[best])
                row[f"loss_{suffix}"] = float(values[best])
                row[f"accuracy_{suffix}"] = linear.accuracy(
                    [grid[best]], data.x[inner], data.y[inner]
                )
            rows.append(row)
        seconds = time.perf_counter() - start
        parameters = o | {
            "inliers": self.inliers,
            "outliers": self.outliers,
            "low": self.low,
            "high": self.high,
        }
        return OutliersOutcome(
            pd.concat(curves, ignore_index=True), pd.DataFrame(rows), parameters, seconds
        )

    def markdown(self, outcome: OutliersOutcome) -> str:
        header = [
            "loss",
            "τ",
            "θ* inliers",
            "θ* with outliers",
            "min loss inliers",
            "min loss with outliers",
            "inlier accuracy at θ* with outliers",
        ]
        rows = [
            [
                r.label,
                "" if pd.isna(r.tau) else f"{r.tau:.4g}",
                f"{r.theta_inliers:.2f}",
                f"{r.theta_outliers:.2f}",
                f"{r.loss_inliers:.4f}",
                f"{r.loss_outliers:.4f}",
                _pct(r.accuracy_outliers),
            ]
            for r in outcome.table.itertuples()
        ]
        return markdown_table(header, rows)

    def write(self, outcome: OutliersOutcome, out: str | os.PathLike, command: str) -> dict:
        """``table.md``, ``table.csv``, ``curves.csv`` and the figure in ``out``."""
        out = Path(out)
        p = outcome.parameters
        step = (p["high"] - p["low"]) / p["points"]
        notes = [
            "θ*: the grid's minimiser of the mean loss of the scorer θx; *inlier accuracy*: "
            "the accuracy (%) of sign(θ* x) on the inliers, at the minimiser with the "
            "outliers (at the minimiser without them it is that of any θ > 0); θ = 0 scores "
            "every point 0, which counts as an error. A θ* on the grid's last point means the "
            "minimum is there or beyond the grid.",
            f"Parameters: {p['inliers']} points from N(1, 1) labelled +1 and {p['inliers']} "
            f"from N(−1, 1) labelled −1; {p['outliers']} outliers from N(−200, 1) labelled +1 "
            f"and {p['outliers']} from N(200, 1) labelled −1; seed {p['seed']}; θ on "
            f"{p['points']} points of [{p['low']:g}, {p['high']:g}) (step {step:g}).",
            f"Command: `{command}`",
            f"Wall time: {outcome.seconds:.1f} s; {_versions()}.",
        ]
        if self.notes:
            notes.append(self.notes)
        text = f"# {self.title}\n\n{self.markdown(outcome)}\n\n" + "\n\n".join(notes) + "\n"
        return {
            "md": atomic_write_text(out / "table.md", text),
            "csv": atomic_write_text(out / "table.csv", outcome.table.to_csv(index=False)),
            "curves": atomic_write_text(out / "curves.csv", outcome.curves.to_csv(index=False)),
            "figure": plot_loss_curves(outcome, out / self.figure, title=self.title),
        }


def plot_loss_curves(outcome: OutliersOutcome, path: str | os.PathLike, *, title="") -> Path:
    """One panel per loss: its mean loss against θ without and with the outliers, on
    the loss's own scale (no normalisation), the minimisers dotted."""
    plt = pyplot()

    table = outcome.table
    fig, axes = plt.subplots(1, len(table), figsize=(4.2 * len(table), 3.8), dpi=120)
    axes = np.atleast_1d(axes)
    for ax, row in zip(axes, table.itertuples(), strict=True):
        for data, key, style in (("inliers", "inliers", "-"), ("with outliers", "outliers", "--")):
            part = outcome.curves[
                (outcome.curves["loss"] == row.loss) & (outcome.curves["data"] == data)
            ]
            line = ax.plot(part["theta"], part["mean_loss"], style, label=data)[0]
            ax.axvline(getattr(row, f"theta_{key}"), color=line.get_color(), ls=":", alpha=0.8)
        ax.set_title(row.label, fontsize="medium")
        ax.set_xlabel("θ")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean loss of θx (dotted: minimiser)")
    axes[0].legend(fontsize="small")
    if title:
        fig.suptitle(title, fontsize="medium")
    return _save(fig, path)


# --------------------------------------------------------------------------- shared


def _save(fig, path: str | os.PathLike) -> Path:
    return atomic_write_figure(fig, path)


def build_parser(experiment: LongServedio | Outliers) -> argparse.ArgumentParser:
    """The command line of ``experiment``: its own options and ``--out``
    (default ``runs/<name>``)."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {experiment.module}",
        description=experiment.title,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    experiment.add_arguments(parser)
    add_out(parser, f"runs/{experiment.name}")
    return parser


def main(experiment: LongServedio | Outliers, argv: Sequence[str] | None = None) -> int:
    """Run ``experiment`` as the command line says; print its table and write
    ``table.md``, ``table.csv``, the per-repeat (or per-θ) values and the figure in
    ``--out``.  Bad options end with a usage error before any work."""
    parser = build_parser(experiment)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = vars(parser.parse_args(argv))
    out = Path(args.pop("out"))
    if "no_progress" in args:
        args["progress"] = not args.pop("no_progress")
    try:
        experiment.check(**args)
    except (TypeError, ValueError) as err:
        parser.error(str(err))
    try:  # an output folder that cannot be made fails now, not after the work
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        parser.error(f"--out {str(out)!r} cannot be created: {err}")
    outcome = experiment.run(**args)
    command = " ".join(["python -m", experiment.module, *map(shlex.quote, argv)])
    paths = experiment.write(outcome, out, command)
    print(experiment.markdown(outcome))
    print(f"\nwrote {', '.join(str(p) for p in paths.values())}")
    return 0
