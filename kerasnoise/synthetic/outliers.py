"""Menon et al. 2020's outlier experiment as a declaration: the mean loss of a 1-D
scorer θx over a grid of θ, with and without Ding's outliers
(:func:`kerasnoise.synthetic.data.outliers`); the table is each loss's minimiser, the
figure the curves.

    EXPERIMENT = Outliers(name="menon-outliers", title="...",
                          losses={"logistic": {}, "partially_huberised": {"tau": 1.1}})
    outcome = EXPERIMENT.run(seed=0, points=400)
    outcome.table, outcome.curves            # DataFrames: per loss, per loss x data x θ

Outputs in ``--out``: ``table.md``, ``table.csv``
(:class:`~kerasnoise.tables.ComputedTable`), ``curves.csv`` and the figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kerasnoise._args import declaring_module
from kerasnoise._checks import non_negative_int, positive_int
from kerasnoise._io import atomic_write_text
from kerasnoise.report import markdown_table, new_figure, save_figure
from kerasnoise.synthetic import linear
from kerasnoise.synthetic.data import outliers as outlier_data
from kerasnoise.synthetic.declaration import (
    SyntheticTable,
    margin_losses,
    percent,
    tau_cell,
    tau_of,
)

__all__ = ["Outliers", "OutliersOutcome", "plot_loss_curves"]


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
class Outliers(SyntheticTable):
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
        margin_losses(self.losses)
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
        losses = self.margin_losses()
        start = time.perf_counter()
        data = outlier_data(o["seed"], inliers=self.inliers, outliers=self.outliers)
        grid = np.linspace(self.low, self.high, o["points"], endpoint=False)
        inner = ~data.outlier
        sets = {"inliers": (data.x[inner], data.y[inner]), "with outliers": (data.x, data.y)}
        curves, rows = [], []
        for name, loss in losses.items():
            row: dict[str, Any] = {"loss": name, "label": loss.label, "tau": tau_of(loss)}
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
                tau_cell(r.tau),
                f"{r.theta_inliers:.2f}",
                f"{r.theta_outliers:.2f}",
                f"{r.loss_inliers:.4f}",
                f"{r.loss_outliers:.4f}",
                percent(r.accuracy_outliers),
            ]
            for r in outcome.table.itertuples()
        ]
        return markdown_table(header, rows)

    def describe(self, outcome: OutliersOutcome) -> list[str]:
        p = outcome.parameters
        step = (p["high"] - p["low"]) / p["points"]
        return [
            "θ*: the grid's minimiser of the mean loss of the scorer θx; *inlier accuracy*: "
            "the accuracy (%) of sign(θ* x) on the inliers, at the minimiser with the "
            "outliers (at the minimiser without them it is that of any θ > 0); θ = 0 scores "
            "every point 0, which counts as an error. A θ* on the grid's last point means the "
            "minimum is there or beyond the grid.",
            f"Parameters: {p['inliers']} points from N(1, 1) labelled +1 and {p['inliers']} "
            f"from N(−1, 1) labelled −1; {p['outliers']} outliers from N(−200, 1) labelled +1 "
            f"and {p['outliers']} from N(200, 1) labelled −1; seed {p['seed']}; θ on "
            f"{p['points']} points of [{p['low']:g}, {p['high']:g}) (step {step:g}).",
        ]

    def write_files(self, outcome: OutliersOutcome, out: Path) -> dict[str, Path]:
        """``curves.csv`` and the figure."""
        return {
            "curves": atomic_write_text(out / "curves.csv", outcome.curves.to_csv(index=False)),
            "figure": plot_loss_curves(outcome, out / self.figure, title=self.title),
        }


def plot_loss_curves(outcome: OutliersOutcome, path: str | os.PathLike, *, title="") -> Path:
    """One panel per loss: its mean loss against θ without and with the outliers, on
    the loss's own scale (no normalisation), the minimisers dotted."""
    table = outcome.table
    fig, axes = new_figure(1, len(table), figsize=(4.2 * len(table), 3.8))
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
    return save_figure(fig, path)
