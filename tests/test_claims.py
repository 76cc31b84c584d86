"""Claims: verdicts from hand-built run frames, the t-test checked against its formula."""

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from kerasnoise import claims

# pandas and SciPy on hand-made frames: never a Keras backend (tox runs it once)
pytestmark = pytest.mark.backend_free


def frame(cells: dict) -> pd.DataFrame:
    """``{(method, rate): [accuracies]}`` -> a runs frame's columns."""
    rows = [
        {"method": m, "noise_rate": r, "seed": i, "test_accuracy_last": v}
        for (m, r), values in cells.items()
        for i, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


def welch_p(a, b) -> float:
    """Welch's two-sided p from its formula (Welch-Satterthwaite degrees of freedom)."""
    a, b = np.asarray(a), np.asarray(b)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(2 * scipy.stats.t.sf(abs(t), df))


RUNS = frame(
    {
        ("phuber", 0.6): [0.976, 0.977, 0.975],
        ("ce", 0.6): [0.911, 0.905, 0.920],
        ("gce", 0.6): [0.9760, 0.9780, 0.9770],
        ("phuber", 0.0): [0.985],
        ("ce", 0.0): [0.987],
    }
)


def test_compare_supported_with_the_formulas_p():
    claim = claims.Compare(
        "phuber > ce", {"method": "phuber"}, {"method": "ce"}, where={"noise.rate": 0.6}
    )
    verdict = claim.check(RUNS)
    assert verdict.verdict == "supported"
    p = welch_p([0.976, 0.977, 0.975], [0.911, 0.905, 0.920])
    assert p < 0.05 and f"p = {p:.3g}" in verdict.detail
    assert "97.60 ± 0.10 (n 3)" in verdict.detail and "Welch" in verdict.test


def test_compare_contradicted_undecided_and_too_few_runs():
    wrong_way = claims.Compare(
        "ce > phuber", {"method": "ce"}, {"method": "phuber"}, where={"noise.rate": 0.6}
    )
    assert wrong_way.check(RUNS).verdict == "contradicted"
    close = claims.Compare(
        "phuber > gce", {"method": "phuber"}, {"method": "gce"}, where={"noise.rate": 0.6}
    )
    result = close.check(RUNS)
    assert welch_p([0.976, 0.977, 0.975], [0.976, 0.978, 0.977]) >= 0.05
    assert (result.verdict, "within noise" in result.detail) == ("undecided", True)
    one_seed = claims.Compare(
        "phuber > ce at 0", {"method": "phuber"}, {"method": "ce"}, where={"noise.rate": 0.0}
    )
    assert one_seed.check(RUNS).verdict == "undecided"  # n = 1 a side
    nothing = claims.Compare("x > ce", {"method": "x"}, {"method": "ce"})
    assert "no runs" in nothing.check(RUNS).detail


def test_compare_relation_less_and_constant_samples():
    less = claims.Compare(
        "ce < phuber",
        {"method": "ce"},
        {"method": "phuber"},
        where={"noise.rate": 0.6},
        relation="<",
    )
    assert less.check(RUNS).verdict == "supported"
    same = frame({("a", 0): [0.5, 0.5], ("b", 0): [0.5, 0.5], ("c", 0): [0.7, 0.7]})
    assert claims.Compare("a > b", {"method": "a"}, {"method": "b"}).check(same).verdict == (
        "undecided"
    )
    assert claims.Compare("c > a", {"method": "c"}, {"method": "a"}).check(same).verdict == (
        "supported"
    )
    with pytest.raises(ValueError, match="relation must be '>' or '<'"):
        claims.Compare("x", {}, {}, relation=">=")


def test_order_chains_neighbours():
    runs = frame(
        {
            ("ce", 0.6): [0.90, 0.91, 0.92],
            ("gce", 0.6): [0.95, 0.96, 0.955],
            ("phuber", 0.6): [0.976, 0.977, 0.975],
        }
    )
    rising = claims.Order("ce < gce < phuber", "method", ["ce", "gce", "phuber"])
    assert rising.check(runs).verdict == "supported"
    falling = claims.Order("phuber < gce", "method", ["phuber", "gce"])
    assert falling.check(runs).verdict == "contradicted"
    with pytest.raises(ValueError, match="at least 2 values"):
        claims.Order("x", "method", ["ce"])


def test_monotone_per_group():
    chosen = pd.DataFrame(
        {
            "model": ["mlp1"] * 3 + ["conv4"] * 3,
            "noise_alpha": [0, 20, 50] * 2,
            "learning_rate": [0.5, 0.1, 0.1, 0.1, 0.05, 0.1],
        }
    )
    claim = claims.Monotone("lr does not rise", "learning_rate", "noise.alpha", per=["model"])
    verdict = claim.check(chosen)
    assert verdict.verdict == "contradicted"  # conv4: 0.05 -> 0.1
    assert "mlp1: 0.5 → 0.1 → 0.1" in verdict.detail
    fine = claim.check(chosen[chosen["model"] == "mlp1"])
    assert fine.verdict == "supported"
    assert claim.check(chosen[chosen["noise_alpha"] == 0]).verdict == "undecided"


def test_check_all_keeps_order():
    a = claims.Compare("a", {"method": "phuber"}, {"method": "ce"}, where={"noise.rate": 0.6})
    b = claims.Compare("b", {"method": "ce"}, {"method": "phuber"}, where={"noise.rate": 0.6})
    assert [v.claim for v in claims.check_all([b, a], RUNS)] == ["b", "a"]


def test_a_claim_without_a_metric_is_judged_on_the_one_check_all_is_given():
    """An experiment's claims follow the metric its table shows: here the last epoch
    says a > b and the best epoch says a < b."""
    runs = pd.DataFrame(
        {
            "method": ["a"] * 3 + ["b"] * 3,
            "test_accuracy_last": [0.90, 0.91, 0.92, 0.80, 0.81, 0.82],
            "test_accuracy_best": [0.70, 0.71, 0.72, 0.80, 0.81, 0.82],
        }
    )
    undeclared = claims.Order("b < a", "method", ["b", "a"])
    declared = claims.Order("b < a", "method", ["b", "a"], metric="test_accuracy_last")
    assert claims.check_all([undeclared], runs)[0].verdict == "supported"  # the default
    best = claims.check_all([undeclared, declared], runs, metric="test_accuracy_best")
    assert [v.verdict for v in best] == ["contradicted", "supported"]
    assert undeclared.metric is None  # the declaration itself is not changed


def welch_interval(a, b, confidence):
    """The Welch interval of mean(a) - mean(b) from its formula."""
    a, b = np.asarray(a), np.asarray(b)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = scipy.stats.t.ppf((1 + confidence) / 2, df) * np.sqrt(va + vb)
    diff = a.mean() - b.mean()
    return diff - half, diff + half


def test_close_is_an_equivalence_test_within_the_tolerance():
    near = frame(
        {
            ("est", 0.4): [0.950, 0.952, 0.948],
            ("oracle", 0.4): [0.953, 0.955, 0.951],
            ("far", 0.4): [0.900, 0.902, 0.898],
            ("wide", 0.4): [0.90, 0.99, 0.95],
        }
    )
    claim = claims.Close("est ≈ oracle", {"method": "est"}, {"method": "oracle"}, tolerance=0.01)
    verdict = claim.check(near)
    lo, hi = welch_interval([0.950, 0.952, 0.948], [0.953, 0.955, 0.951], 0.9)
    assert -0.01 < lo < hi < 0.01 and verdict.verdict == "supported"
    assert f"[{100 * lo:.2f}, {100 * hi:.2f}] points" in verdict.detail
    far = claims.Close("far ≈ oracle", {"method": "far"}, {"method": "oracle"}, tolerance=0.01)
    assert far.check(near).verdict == "contradicted"  # about 5 points apart, tightly
    wide = claims.Close("wide ≈ oracle", {"method": "wide"}, {"method": "oracle"}, tolerance=0.01)
    assert wide.check(near).verdict == "undecided"  # the interval straddles the bound
    few = claims.Close("x", {"method": "est"}, {"method": "none"}, tolerance=0.01)
    assert few.check(near).verdict == "undecided"
    with pytest.raises(ValueError, match="tolerance must be > 0"):
        claims.Close("x", {}, {}, tolerance=0)


def test_gain_compares_per_seed_gains_between_two_conditions():
    runs = frame(
        {
            ("fwd", 0.2): [0.95, 0.96, 0.94],
            ("ce", 0.2): [0.80, 0.82, 0.79],  # gains 0.15, 0.14, 0.15
            ("fwd", 0.4): [0.81, 0.80, 0.83],
            ("ce", 0.4): [0.80, 0.80, 0.81],  # gains 0.01, 0.00, 0.02
        }
    )
    claim = claims.Gain(
        "fwd helps less at 0.4",
        method={"method": "fwd"},
        baseline={"method": "ce"},
        where={"noise.rate": 0.4},
        than={"noise.rate": 0.2},
    )
    np.testing.assert_allclose(claim.gains(runs, {"noise.rate": 0.2}), [0.15, 0.14, 0.15])
    verdict = claim.check(runs)
    p = welch_p([0.01, 0.00, 0.02], [0.15, 0.14, 0.15])
    assert verdict.verdict == "supported" and f"p = {p:.3g}" in verdict.detail
    reverse = claims.Gain(
        "x",
        {"method": "fwd"},
        {"method": "ce"},
        {"noise.rate": 0.4},
        {"noise.rate": 0.2},
        relation=">",
    )
    assert reverse.check(runs).verdict == "contradicted"
    one_seed = runs[runs["seed"] == 0]
    assert claim.check(one_seed).verdict == "undecided"
