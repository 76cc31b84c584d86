"""A paper's qualitative claims, declared as data and checked on our runs.

An experiment lists what the paper says in words — "PHuber-CE beats CE at ρ = 0.6",
"perceptron < MLP1 < Conv4 at the largest alpha", "the best learning rate does not
rise with alpha" — and every report ends with each claim's :class:`Verdict` on the
runs: ``supported``, ``contradicted`` or ``undecided``, with the test that decided it.

- :class:`Compare`: one group of runs against another (Welch's t-test over seeds,
  ``scipy.stats.ttest_ind(equal_var=False)``, two-sided at ``level``).  Supported when
  the difference is significant in the claimed direction, contradicted when it is
  significant the other way, undecided when either side has fewer than 2 runs or the
  difference is within noise (p >= level).
- :class:`Order`: a chain ``a < b < c`` of :class:`Compare` on neighbours: supported
  when every link is, contradicted when any link is, else undecided.
- :class:`Close`: one group within ``tolerance`` of another (equivalence: two
  one-sided Welch tests, TOST): supported when the ``1 - 2 level`` confidence interval
  of the difference lies inside ``±tolerance``, contradicted when it lies outside,
  undecided otherwise.
- :class:`Gain`: a method's gain over a baseline (paired by seed) is smaller (or
  larger) under one condition than under another: Welch's t-test on the per-seed gains.
- :class:`Monotone`: a per-cell value (e.g. the chosen learning rate) along an axis
  never rises (or never falls): supported or contradicted by inspection, undecided
  with fewer than 2 cells.

Selections name config keys as the sweep does (``{"method": "ce", "noise.rate":
0.6}``); a frame is :func:`kerasnoise.report.runs_frame`'s, metric values in [0, 1].
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kerasnoise._stats import aggregate
from kerasnoise.report import column_name

__all__ = [
    "select",
    "Verdict",
    "Compare",
    "Order",
    "Close",
    "Gain",
    "Monotone",
    "check_all",
    "LEVEL",
    "DEFAULT_METRIC",
]

#: The significance level of every test unless a claim states its own.
LEVEL = 0.05
#: What a claim declared without a metric is judged on when no experiment names one.
DEFAULT_METRIC = "test_accuracy_last"
VERDICTS = ("supported", "contradicted", "undecided")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """A claim's verdict on the runs, and how it was reached (``test``, ``detail``)."""

    claim: str
    verdict: str
    test: str
    detail: str
    source: str = ""


def _matches(series: pd.Series, value: Any) -> pd.Series:
    if isinstance(value, float | int) and not isinstance(value, bool):
        numeric = pd.to_numeric(series, errors="coerce")
        return pd.Series(np.isclose(numeric, value), index=series.index) & numeric.notna()
    return series.astype(str) == str(value)


def select(frame: pd.DataFrame, selection: Mapping[str, Any]) -> pd.DataFrame:
    """The rows of ``frame`` whose columns match ``selection`` (config keys -> values;
    numbers compared with a float tolerance); none when a key is not a column."""
    mask = pd.Series(True, index=frame.index)
    for key, value in selection.items():
        column = column_name(key)
        if column not in frame:
            return frame.iloc[0:0]
        mask &= _matches(frame[column], value)
    return frame[mask]


def _describe(values: np.ndarray) -> str:
    mean, std, n = aggregate(100 * values)
    if not n:
        return "no runs"
    return f"{mean:.2f}{f' ± {std:.2f}' if n > 1 else ''} (n {n})"


def _welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Welch's t and two-sided p; two constant samples differ with p 0 or agree with p 1."""
    import scipy.stats

    if np.std(a) == 0 and np.std(b) == 0:
        return (math.inf if a[0] != b[0] else 0.0), (0.0 if a[0] != b[0] else 1.0)
    t, p = scipy.stats.ttest_ind(a, b, equal_var=False)
    return float(t), float(p)


def _check_relation_and_level(relation: str, level: float) -> None:
    if relation not in (">", "<"):
        raise ValueError(f"relation must be '>' or '<', got {relation!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")


def _welch_verdict(
    a: np.ndarray, b: np.ndarray, relation: str, level: float, sides: str, what: str
) -> tuple[str, str]:
    """``a`` ``relation`` ``b`` by Welch's t-test: the verdict and its detail (``sides``,
    then t and p; ``what`` names the samples when either has fewer than 2)."""
    if len(a) < 2 or len(b) < 2:
        return "undecided", f"{sides} fewer than 2 {what} on a side"
    t, p = _welch(a, b)
    detail = f"{sides} t = {t:.2f}, p = {p:.3g}"
    if p >= level:
        return "undecided", f"{detail}: within noise"
    claimed = (aggregate(a).mean > aggregate(b).mean) == (relation == ">")
    return ("supported" if claimed else "contradicted"), detail


@dataclasses.dataclass(frozen=True)
class Compare:
    """``left`` ``relation`` ``right`` (``">"`` or ``"<"``) on ``metric``, where both
    also satisfy ``where``; e.g. ``Compare("PHuber-CE beats CE at ρ 0.6",
    {"method": "phuber_ce"}, {"method": "ce"}, where={"noise.rate": 0.6})``.
    ``metric=None``: the metric :func:`check_all` is given (an experiment's own)."""

    text: str
    left: Mapping[str, Any]
    right: Mapping[str, Any]
    where: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    relation: str = ">"
    metric: str | None = None
    level: float = LEVEL
    source: str = ""

    def __post_init__(self) -> None:
        _check_relation_and_level(self.relation, self.level)

    def check(self, frame: pd.DataFrame) -> Verdict:
        a = self._values(frame, self.left)
        b = self._values(frame, self.right)
        sides = f"{_describe(a)} {self.relation} {_describe(b)}?"
        test = f"Welch's t-test over seeds, two-sided, level {self.level:g}"
        verdict, detail = _welch_verdict(a, b, self.relation, self.level, sides, "runs")
        return self._verdict(verdict, test, detail)

    def _values(self, frame: pd.DataFrame, side: Mapping[str, Any]) -> np.ndarray:
        rows = select(frame, {**self.where, **side})
        metric = self.metric or DEFAULT_METRIC
        if metric not in rows:
            return np.array([])
        return pd.to_numeric(rows[metric], errors="coerce").dropna().to_numpy(float)

    def _verdict(self, verdict: str, test: str, detail: str) -> Verdict:
        return Verdict(self.text, verdict, test, detail, self.source)


def _metric_values(rows: pd.DataFrame, metric: str | None) -> pd.Series:
    """``rows``' metric as numbers, indexed by seed (no NaN)."""
    metric = metric or DEFAULT_METRIC
    if metric not in rows:
        return pd.Series(dtype=float)
    values = pd.to_numeric(rows[metric], errors="coerce")
    return pd.Series(values.to_numpy(float), index=rows["seed"].to_numpy()).dropna()


def _welch_interval(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, float]:
    """The Welch confidence interval of ``mean(a) - mean(b)``."""
    import scipy.stats

    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    diff = float(np.mean(a) - np.mean(b))
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(scipy.stats.t.ppf(0.5 + confidence / 2, dof)) * se
    return diff - half, diff + half


@dataclasses.dataclass(frozen=True)
class Close:
    """``left`` within ``tolerance`` (metric units: 0.01 = one point) of ``right``, where
    both satisfy ``where``; e.g. forward correction with an estimated T within one point
    of the oracle's.  Equivalence by two one-sided Welch tests at ``level`` (TOST): the
    ``1 - 2 level`` confidence interval of ``mean(left) - mean(right)`` inside
    ``±tolerance`` supports, wholly outside contradicts, anything else is undecided."""

    text: str
    left: Mapping[str, Any]
    right: Mapping[str, Any]
    tolerance: float
    where: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    metric: str | None = None
    level: float = LEVEL
    source: str = ""

    def __post_init__(self) -> None:
        if not self.tolerance > 0:
            raise ValueError(f"tolerance must be > 0, got {self.tolerance}")
        if not 0 < self.level < 0.5:
            raise ValueError(f"level must be in (0, 0.5), got {self.level}")

    def check(self, frame: pd.DataFrame) -> Verdict:
        a = _metric_values(select(frame, {**self.where, **self.left}), self.metric).to_numpy()
        b = _metric_values(select(frame, {**self.where, **self.right}), self.metric).to_numpy()
        confidence = 1 - 2 * self.level
        test = (
            f"equivalence within ±{100 * self.tolerance:g} points: {100 * confidence:g} % "
            "Welch interval of the difference (two one-sided tests)"
        )
        sides = f"{_describe(a)} vs {_describe(b)}"
        if len(a) < 2 or len(b) < 2:
            return Verdict(
                self.text, "undecided", test, f"{sides}: fewer than 2 runs on a side", self.source
            )
        lo, hi = _welch_interval(a, b, confidence)
        detail = f"{sides}: difference in [{100 * lo:.2f}, {100 * hi:.2f}] points"
        if -self.tolerance < lo and hi < self.tolerance:
            verdict = "supported"
        elif lo >= self.tolerance or hi <= -self.tolerance:
            verdict = "contradicted"
        else:
            verdict = "undecided"
        return Verdict(self.text, verdict, test, detail, self.source)


@dataclasses.dataclass(frozen=True)
class Gain:
    """``method``'s gain over ``baseline`` (its metric minus the baseline's, paired by
    seed) ``relation`` (``"<"`` or ``">"``) under ``where`` than under ``than``; e.g. loss
    correction helps less under instance-dependent noise than under class flips.  Welch's
    t-test over the per-seed gains, two-sided at ``level``."""

    text: str
    method: Mapping[str, Any]
    baseline: Mapping[str, Any]
    where: Mapping[str, Any]
    than: Mapping[str, Any]
    relation: str = "<"
    metric: str | None = None
    level: float = LEVEL
    source: str = ""

    def __post_init__(self) -> None:
        _check_relation_and_level(self.relation, self.level)

    def gains(self, frame: pd.DataFrame, condition: Mapping[str, Any]) -> np.ndarray:
        """Per seed with both runs: the method's metric minus the baseline's."""
        mine = _metric_values(select(frame, {**condition, **self.method}), self.metric)
        base = _metric_values(select(frame, {**condition, **self.baseline}), self.metric)
        mine = mine[~mine.index.duplicated()]
        base = base[~base.index.duplicated()]
        seeds = mine.index.intersection(base.index)
        return (mine[seeds] - base[seeds]).to_numpy(float)

    def check(self, frame: pd.DataFrame) -> Verdict:
        a, b = self.gains(frame, self.where), self.gains(frame, self.than)
        test = f"Welch's t-test over per-seed gains, two-sided, level {self.level:g}"
        sides = f"gain {_describe(a)} {self.relation} gain {_describe(b)}?"
        verdict, detail = _welch_verdict(a, b, self.relation, self.level, sides, "seeds")
        return Verdict(self.text, verdict, test, detail, self.source)


@dataclasses.dataclass(frozen=True)
class Order:
    """``key``'s ``values`` in increasing order of ``metric``: ``values[0] < values[1] <
    …`` where ``where`` holds (e.g. models at the largest alpha).  ``metric=None``: the
    metric :func:`check_all` is given."""

    text: str
    key: str
    values: Sequence[Any]
    where: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    metric: str | None = None
    level: float = LEVEL
    source: str = ""

    def __post_init__(self) -> None:
        if len(self.values) < 2:
            raise ValueError(f"Order needs at least 2 values, got {list(self.values)}")

    def check(self, frame: pd.DataFrame) -> Verdict:
        links = [
            Compare(
                f"{lo} < {hi}",
                {self.key: lo},
                {self.key: hi},
                where=self.where,
                relation="<",
                metric=self.metric,
                level=self.level,
            ).check(frame)
            for lo, hi in zip(self.values[:-1], self.values[1:], strict=True)
        ]
        found = {v.verdict for v in links}
        verdict = (
            "contradicted"
            if "contradicted" in found
            else "supported"
            if found == {"supported"}
            else "undecided"
        )
        detail = "; ".join(f"{v.claim}: {v.verdict} ({v.detail})" for v in links)
        return Verdict(
            self.text, verdict, links[0].test + ", each neighbouring pair", detail, self.source
        )


@dataclasses.dataclass(frozen=True)
class Monotone:
    """``column`` (one value per cell, e.g. the chosen learning rate) never rises
    (``direction="non-increasing"``) or never falls along the axis ``along``, in every
    group of ``per`` (e.g. per model) where ``where`` holds."""

    text: str
    column: str
    along: str
    per: Sequence[str] = ()
    where: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    direction: str = "non-increasing"
    source: str = ""

    def __post_init__(self) -> None:
        if self.direction not in ("non-increasing", "non-decreasing"):
            raise ValueError(
                f"direction must be 'non-increasing' or 'non-decreasing', got {self.direction!r}"
            )

    def check(self, frame: pd.DataFrame) -> Verdict:
        rows = select(frame, self.where)
        along, column = column_name(self.along), column_name(self.column)
        test = f"inspection: {self.column} {self.direction} in {self.along}"
        if rows.empty or along not in rows or column not in rows:
            return Verdict(self.text, "undecided", test, "no runs", self.source)
        per = [column_name(k) for k in self.per]
        groups = rows.groupby(per, sort=True) if per else [((), rows)]
        broken, shown, cells = [], [], 0
        for name, group in groups:
            series = group.groupby(along, sort=True)[column].median()
            cells = max(cells, len(series))
            steps = np.diff(series.to_numpy(float))
            bad = steps > 0 if self.direction == "non-increasing" else steps < 0
            label = ", ".join(map(str, name if isinstance(name, tuple) else (name,)))
            trace = " → ".join(f"{v:g}" for v in series)
            shown.append(f"{label + ': ' if label else ''}{trace}")
            if bad.any():
                broken.append(label or "all")
        if cells < 2:
            return Verdict(self.text, "undecided", test, "fewer than 2 cells", self.source)
        verdict = "contradicted" if broken else "supported"
        return Verdict(self.text, verdict, test, "; ".join(shown), self.source)


def check_all(
    claims: Sequence[Any], frame: pd.DataFrame, metric: str = DEFAULT_METRIC
) -> list[Verdict]:
    """Every claim's verdict on ``frame``, in the claims' order; a claim declared without
    a metric is judged on ``metric`` (an experiment passes the one its table shows)."""
    return [_with_metric(claim, metric).check(frame) for claim in claims]


def _with_metric(claim: Any, metric: str) -> Any:
    if getattr(claim, "metric", metric) is None:
        return dataclasses.replace(claim, metric=metric)
    return claim
