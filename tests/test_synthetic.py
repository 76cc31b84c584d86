"""Menon et al. 2020's synthetic experiments: the margin losses, the Long & Servedio and
outlier data, the SLSQP fits, the two declarations and their scripts (NumPy/SciPy only)."""

import math

import numpy as np
import pandas as pd
import pytest

from experiments import menon_long_servedio, menon_outliers
from kerasnoise import synthetic, tables
from kerasnoise.synthetic import LongServedio, linear, margins

# NumPy and SciPy only: never a Keras backend (tox runs these once)
pytestmark = pytest.mark.backend_free

LOSSES = [
    margins.Logistic(),
    margins.Huberised(),  # τ = sigmoid(-1), threshold m* = 1
    margins.Huberised(0.1),
    margins.PartiallyHuberised(),  # τ = 1 + e^-1, threshold m* = 1
    margins.PartiallyHuberised(1.1),
    margins.PartiallyHuberised(10.0),
]

# ---------------------------------------------------------------- margin losses, by hand


@pytest.mark.parametrize(
    ("loss", "m", "value", "derivative"),
    [
        # logistic log(1 + e^-m), derivative -1 / (1 + e^m)
        (margins.Logistic(), 0.0, math.log(2), -0.5),  # 0.693147..., -0.5
        (margins.Logistic(), 1.0, 0.31326168751822286, -0.2689414213699951),  # log(1 + 1/e)
        (margins.Logistic(), -2.0, 2.1269280110429727, -0.8807970779778823),  # log(1 + e^2)
        # Huberised, τ = sigmoid(-1) = 0.268941..., m* = log((1 - τ)/τ) = 1,
        # -log(1 - τ) = log(1 + e^-1) = 0.313262...
        (margins.Huberised(), 2.0, 0.12692801104297263, -0.11920292202211755),  # logistic(2)
        (margins.Huberised(), 1.0, 0.31326168751822286, -0.2689414213699951),  # at m*
        # m = 0: -τ (0 - 1) - log(1 - τ) = 0.268941... + 0.313262... = 0.582203...
        (margins.Huberised(), 0.0, 0.5822031088882180, -0.2689414213699951),
        # m = -3: 4 τ + 0.313262... = 1.075766... + 0.313262... = 1.389027...
        (margins.Huberised(), -3.0, 1.3890273729982033, -0.2689414213699951),
        # τ = 0.1: m* = log 9 = 2.1972246; m = 0: 0.21972246 - log 0.9 = 0.21972246
        # + 0.10536052 = 0.32508297
        (margins.Huberised(0.1), 0.0, 0.32508297339144824, -0.1),
        # partially Huberised, τ = 1 + e^-1 = 1.367879..., p = sigmoid(m), m* = 1
        # m = 0: p = 1/2 <= 1/τ = 0.731059: -τ/2 + log τ + 1 = -0.683940 + 0.313262 + 1
        # = 0.629322; derivative -τ p (1 - p) = -τ/4 = -0.341970
        (margins.PartiallyHuberised(), 0.0, 0.6293219669325017, -0.3419698602928606),
        # m = 1: p = 1/τ exactly: -1 + log τ + 1 = log τ = logistic(1), slope -(1 - 1/τ)
        (margins.PartiallyHuberised(), 1.0, 0.31326168751822286, -0.2689414213699951),
        (margins.PartiallyHuberised(), 2.0, 0.12692801104297263, -0.11920292202211755),
        # τ = 1.1: m = 0: -0.55 + log 1.1 + 1 = 0.545310; derivative -1.1/4 = -0.275
        (margins.PartiallyHuberised(1.1), 0.0, 0.5453101798043249, -0.275),
        # m -> -inf: p -> 0, the loss -> log τ + 1 = 1.313262, the derivative -> 0
        (margins.PartiallyHuberised(), -1e4, 1.3132616875182228, 0.0),
    ],
)
def test_margin_losses_match_hand_computed_values(loss, m, value, derivative):
    assert float(loss.value(m)) == pytest.approx(value, rel=1e-9, abs=1e-12)
    assert float(loss.derivative(m)) == pytest.approx(derivative, rel=1e-9, abs=1e-12)


def test_the_thresholds():
    assert margins.Huberised().threshold == pytest.approx(1.0)  # sigmoid(-1) = τ
    assert margins.PartiallyHuberised().threshold == pytest.approx(1.0)  # sigmoid(1) = 1/τ
    assert margins.Huberised(0.1).threshold == pytest.approx(math.log(9))
    assert margins.PartiallyHuberised(1.1).threshold == pytest.approx(-math.log(0.1))


@pytest.mark.parametrize("loss", [loss for loss in LOSSES if hasattr(loss, "threshold")], ids=repr)
def test_continuous_and_differentiable_at_the_threshold(loss):
    star, eps = loss.threshold, 1e-9
    assert float(loss.value(star - eps)) == pytest.approx(float(loss.value(star + eps)), abs=1e-8)
    below, above = float(loss.derivative(star - eps)), float(loss.derivative(star + eps))
    assert below == pytest.approx(above, abs=1e-8)


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_derivative_matches_a_central_difference(loss):
    m = np.array([-30.0, -5.0, -1.3, -0.2, 0.0, 0.4, 0.99, 1.01, 1.7, 2.5, 8.0, 25.0])
    h = 1e-6
    numeric = (loss.value(m + h) - loss.value(m - h)) / (2 * h)
    np.testing.assert_allclose(loss.derivative(m), numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_finite_at_huge_margins_without_warnings(loss):
    m = np.array([-1e4, -1e3, 0.0, 1e3, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        values, derivatives = loss.value(m), loss.derivative(m)
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(derivatives))
    assert values[-1] == pytest.approx(0.0, abs=1e-300)  # a right, confident point costs 0
    if isinstance(loss, margins.Logistic):
        assert values[0] == pytest.approx(1e4) and derivatives[0] == pytest.approx(-1.0)
    if isinstance(loss, margins.Huberised):
        assert derivatives[0] == pytest.approx(-loss.tau)  # clipped at τ
        assert np.all(np.abs(loss.derivative(np.linspace(-50, 50, 1001))) <= loss.tau + 1e-12)
    if isinstance(loss, margins.PartiallyHuberised):
        assert values[0] == pytest.approx(math.log(loss.tau) + 1) and derivatives[0] == 0.0


def test_registry():
    assert margins.get("logistic") == margins.Logistic()
    assert margins.get("Partially-Huberised", tau=2.0) == margins.PartiallyHuberised(2.0)
    assert margins.get("huberised").tau == pytest.approx(0.2689414213699951)
    with pytest.raises(
        ValueError, match="unknown margin loss 'hinge'; available: logistic, huberised, partially"
    ):
        margins.get("hinge")
    with pytest.raises(TypeError, match="margin loss 'logistic'.*tau"):
        margins.get("logistic", tau=0.5)


@pytest.mark.parametrize(
    ("name", "tau", "error", "match"),
    [
        ("huberised", 0.0, ValueError, r"tau must be in \(0, 1\), got 0.0"),
        ("huberised", 1.0, ValueError, r"tau must be in \(0, 1\)"),
        ("huberised", -0.5, ValueError, r"tau must be in \(0, 1\)"),
        ("partially_huberised", 1.0, ValueError, "tau must be a finite number > 1, got 1.0"),
        ("partially_huberised", 0.5, ValueError, "tau must be a finite number > 1"),
        ("partially_huberised", math.inf, ValueError, "tau must be a finite number > 1"),
        ("partially_huberised", "2", TypeError, "tau must be a real number"),
        ("huberised", True, TypeError, "tau must be a real number"),
    ],
)
def test_bad_tau(name, tau, error, match):
    with pytest.raises(error, match=match):
        margins.get(name, tau=tau)


# ---------------------------------------------------------------- Long & Servedio data


def test_long_servedio_mixture_weights_means_and_labels():
    n, variance = 200_000, 1e-4
    data = synthetic.data.long_servedio(n, 0, rate=0.0, variance=variance)
    assert data.x.shape == (n, 2) and np.array_equal(data.y, data.clean)
    means = synthetic.data.LONG_SERVEDIO_MEANS
    # σ = 0.01 and the closest means are 2√2 γ = 0.118 = 11.8 σ apart: nearest is exact
    component = np.argmin(((data.x[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    for k, (mean, weight) in enumerate(
        zip(means, synthetic.data.LONG_SERVEDIO_WEIGHTS, strict=True)
    ):
        mine = component == k
        share = mine.mean()
        assert abs(share - weight) < 5 * math.sqrt(weight * (1 - weight) / n), k
        count = mine.sum()
        np.testing.assert_allclose(data.x[mine].mean(0), mean, atol=5 * math.sqrt(variance / count))
        assert data.x[mine].var(0) == pytest.approx([variance, variance], rel=0.05)
        assert np.all(data.clean[mine] == (1 if mean[0] > 0 else -1))  # sign of the mean
    assert abs((data.clean == 1).mean() - 0.5) < 5 * math.sqrt(0.25 / n)
    assert means[0].tolist() == [1, 0] and means[2] == pytest.approx([1 / 24, 5 / 24])
    assert synthetic.data.LONG_SERVEDIO_WEIGHTS.sum() == pytest.approx(1.0)


def test_flips_at_the_rate():
    n, rate = 100_000, 0.3
    data = synthetic.data.long_servedio(n, 1, rate=rate)
    flipped = (data.y != data.clean).mean()
    assert abs(flipped - rate) < 5 * math.sqrt(rate * (1 - rate) / n)
    assert set(np.unique(data.y)) == {-1, 1}


def test_split_sizes_and_a_clean_test_set():
    train, test = synthetic.data.long_servedio_split(0, rate=0.4)
    assert train.x.shape == (1000, 2) and test.x.shape == (500, 2)
    assert np.array_equal(test.y, test.clean) and (train.y != train.clean).any()


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = (synthetic.data.long_servedio_split(s, rate=0.2) for s in (7, 7, 8))
    for part in range(2):
        for field in ("x", "y"):
            assert np.array_equal(getattr(a[part], field), getattr(b[part], field))
    assert not np.array_equal(a[0].x, c[0].x)


# ---------------------------------------------------------------- fitting and repeats

SMALL = LongServedio(
    name="small",
    title="small",
    losses={
        "logistic": {},
        "huberised": {"tau": margins.HUBER_TAU},
        "partially_huberised": {"tau": margins.PHUBER_TAU},
    },
    train=300,
    test=200,
)


def test_without_noise_every_loss_classifies_well():
    outcome = SMALL.run(repeats=4, rate=0.0, seed=3, progress=False)
    assert list(outcome.table["loss"]) == ["logistic", "huberised", "partially_huberised"]
    assert (outcome.accuracies.groupby("loss")["test_accuracy"].min() >= 0.9).all()
    assert len(outcome.accuracies) == 12 and set(outcome.accuracies["repeat"]) == {0, 1, 2, 3}


def test_fit_linear_by_hand():
    # two points of margin y x · θ with x = (1, 0) and (0, 1), both labelled +1: the
    # logistic loss falls along θ = (t, t) without end, so SLSQP stops at its limit or
    # its tolerance with both coordinates positive and equal.
    x, y = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1, 1])
    fit = linear.fit_linear(margins.Logistic(), x, y, maxiter=20)
    assert fit.theta[0] > 1 and fit.theta[0] == pytest.approx(fit.theta[1])
    assert linear.accuracy(fit.theta, x, y) == 1.0
    value, gradient = linear.mean_loss(margins.Logistic(), [0.0, 0.0], x, y)
    assert value == pytest.approx(math.log(2)) and gradient == pytest.approx([-0.25, -0.25])
    assert linear.accuracy([0.0, 0.0], x, y) == 0.0  # a score of 0 is an error


def test_same_seed_same_accuracies_other_seed_other_accuracies_any_jobs():
    one = SMALL.run(repeats=4, rate=0.45, seed=11, progress=False)
    again = SMALL.run(repeats=4, rate=0.45, seed=11, progress=False)
    other = SMALL.run(repeats=4, rate=0.45, seed=12, progress=False)
    pd.testing.assert_frame_equal(one.accuracies, again.accuracies)
    assert not one.accuracies["theta_0"].equals(other.accuracies["theta_0"])
    parallel = SMALL.run(repeats=4, rate=0.45, seed=11, jobs=2, progress=False)
    pd.testing.assert_frame_equal(one.accuracies, parallel.accuracies)
    row = one.table.iloc[0]
    values = one.accuracies.loc[one.accuracies["loss"] == "logistic", "test_accuracy"]
    assert row["median"] == pytest.approx(values.median()) and row["repeats"] == 4
    assert row["q25"] == pytest.approx(values.quantile(0.25))
    assert row["q75"] == pytest.approx(values.quantile(0.75))


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"repeats": 0}, ValueError, "repeats must be a positive integer, got 0"),
        ({"repeats": -3}, ValueError, "repeats must be a positive integer"),
        ({"repeats": 2.5}, ValueError, "repeats must be a positive integer"),
        ({"rate": 0.5}, ValueError, r"rate must be in \[0, 0.5\), got 0.5"),
        ({"rate": -0.1}, ValueError, r"rate must be in \[0, 0.5\)"),
        ({"rate": "0.2"}, TypeError, "rate must be a real number"),
        ({"variance": 0.0}, ValueError, "variance must be a finite number > 0, got 0.0"),
        ({"variance": -1e-4}, ValueError, "variance must be a finite number > 0"),
        ({"jobs": 0}, ValueError, "jobs must be a positive integer, got 0"),
        ({"seed": -1}, ValueError, "seed must be a non-negative integer"),
        ({"repeat": 3}, TypeError, "repeat"),
    ],
)
def test_bad_options_fail_before_any_work(options, error, match):
    with pytest.raises(error, match=match):
        SMALL.run(**options)


def test_bad_declarations():
    with pytest.raises(ValueError, match="tau must be in"):
        LongServedio(name="x", title="x", losses={"huberised": {"tau": 2.0}})
    with pytest.raises(ValueError, match="unknown margin loss"):
        LongServedio(name="x", title="x", losses={"square": {}})
    with pytest.raises(ValueError, match="losses must name at least one"):
        LongServedio(name="x", title="x", losses={})


# ---------------------------------------------------------------- outliers


def test_outlier_data():
    data = synthetic.data.outliers(0)
    assert data.x.shape == (10_050,) and data.outlier.sum() == 50
    assert np.all(data.y[:5000] == 1) and np.all(data.y[5000:10_000] == -1)
    assert np.all(data.x[10_000:10_025] < -190) and np.all(data.y[10_000:10_025] == 1)
    assert np.all(data.x[10_025:] > 190) and np.all(data.y[10_025:] == -1)
    assert abs(data.x[:5000].mean() - 1) < 5 / math.sqrt(5000)


def _expected(name, tau, m):
    """The three losses straight from their formulas (no overflow at |m| <= 500)."""
    logistic = np.log1p(np.exp(-m))
    if name == "logistic":
        return logistic
    if name == "huberised":
        star = np.log((1 - tau) / tau)
        return np.where(m <= star, -tau * (m - star) - np.log(1 - tau), logistic)
    p = 1 / (1 + np.exp(-m))
    return np.where(p <= 1 / tau, -tau * p + np.log(tau) + 1, -np.log(p))


def test_outlier_curves_match_the_formulas():
    outcome = menon_outliers.EXPERIMENT.run(seed=5, points=40)
    data = synthetic.data.outliers(5)
    taus = {"logistic": None, "huberised": 0.1, "partially_huberised": 1.1}
    curves = outcome.curves
    assert len(curves) == 3 * 2 * 40
    grid = np.sort(curves["theta"].unique())
    assert grid[0] == -2.0 and grid[-1] == pytest.approx(1.9) and len(grid) == 40
    for name, tau in taus.items():
        for data_set, keep in (("inliers", ~data.outlier), ("with outliers", slice(None))):
            part = curves[(curves["loss"] == name) & (curves["data"] == data_set)]
            for i in (0, 13, 20, 27, 39):  # θ = -2, -0.7, 0, 0.7, 1.9
                theta, got = part["theta"].iloc[i], part["mean_loss"].iloc[i]
                m = theta * data.y[keep] * data.x[keep]
                assert got == pytest.approx(np.mean(_expected(name, tau, m)), rel=1e-12)
            row = outcome.table.set_index("loss").loc[name]
            key = "theta_inliers" if data_set == "inliers" else "theta_outliers"
            assert row[key] == part["theta"].iloc[int(np.argmin(part["mean_loss"]))]


def test_outliers_move_the_convex_losses_minimiser_not_the_partially_huberised_one():
    table = menon_outliers.EXPERIMENT.run(seed=0, points=80).table.set_index("loss")
    assert (table["theta_inliers"] > 1).all()
    assert table.loc["logistic", "theta_outliers"] <= 0.05
    assert table.loc["huberised", "theta_outliers"] <= 0.05
    assert table.loc["partially_huberised", "theta_outliers"] > 1


# ---------------------------------------------------------------- the scripts


def test_long_servedio_script_writes_its_files(tmp_path, capsys, figures):
    out = tmp_path / "ls"
    argv = ["--repeats", "3", "--rate", "0.45", "--out", str(out), "--no-progress"]
    assert tables.main(menon_long_servedio.EXPERIMENT, argv) == 0
    table = pd.read_csv(out / "table.csv")
    assert list(table["loss"]) == ["logistic", "huberised", "partially_huberised"]
    assert (table["repeats"] == 3).all()
    accuracies = pd.read_csv(out / "accuracies.csv")
    assert len(accuracies) == 9
    assert (out / "accuracy_boxplot.png").read_bytes()[:4] == b"\x89PNG"
    # the box plot: box i spans loss i's three draws (%) and is cut at their median
    (axes,) = figures["accuracy_boxplot.png"]["axes"]
    assert axes["ylabel"] == "test accuracy (%)" and "ρ = 0.45, 3 draws" in axes["title"]
    for i, name in enumerate(["logistic", "huberised", "partially_huberised"], start=1):
        values = 100 * accuracies.loc[accuracies["loss"] == name, "test_accuracy"].to_numpy()
        assert len(values) == 3
        mine = [ln for ln in axes["lines"] if len(ln["x"]) and np.all(np.abs(ln["x"] - i) < 0.5)]
        drawn = np.concatenate([ln["y"] for ln in mine])
        assert (drawn.min(), drawn.max()) == pytest.approx((values.min(), values.max()))
        flat = [ln["y"][0] for ln in mine if len(ln["y"]) == 2 and ln["y"][0] == ln["y"][1]]
        assert any(y == pytest.approx(np.median(values)) for y in flat)  # the median's line
    md = (out / "table.md").read_text()
    assert "Command: `python -m experiments.menon_long_servedio --repeats 3 --rate 0.45" in md
    assert "Wall time:" in md and "ρ = 0.45" in md and "variance 0.0001" in md
    assert "| partially Huberised (τ = 1.368)" in capsys.readouterr().out
    assert not list(out.glob(".*"))  # no temporary file left behind


def test_outliers_script_writes_its_files(tmp_path, figures):
    out = tmp_path / "ol"
    assert tables.main(menon_outliers.EXPERIMENT, ["--points", "20", "--out", str(out)]) == 0
    table = pd.read_csv(out / "table.csv")
    assert list(table["tau"].fillna(0)) == [0, 0.1, 1.1]
    assert len(pd.read_csv(out / "curves.csv")) == 3 * 2 * 20
    assert (out / "loss_curves.png").read_bytes()[:4] == b"\x89PNG"
    # the figure: per loss, the mean loss of θx over the grid from the formulas (seed 0's
    # data), without (solid) and with (dashed) the outliers, each minimiser dotted
    data = synthetic.data.outliers(0)
    panels = figures["loss_curves.png"]["axes"]
    assert [ax["title"] for ax in panels] == list(table["label"])
    for ax, (name, tau) in zip(
        panels, [("logistic", None), ("huberised", 0.1), ("partially_huberised", 1.1)], strict=True
    ):
        for data_set, keep, style in (
            ("inliers", ~data.outlier, "-"),
            ("with outliers", slice(None), "--"),
        ):
            (curve,) = [ln for ln in ax["lines"] if ln["label"] == data_set]
            assert curve["linestyle"] == style
            np.testing.assert_allclose(curve["x"], -2 + 0.2 * np.arange(20), atol=1e-12)
            want = [
                np.mean(_expected(name, tau, t * data.y[keep] * data.x[keep])) for t in curve["x"]
            ]
            np.testing.assert_allclose(curve["y"], want, rtol=1e-12)
            best = curve["x"][int(np.argmin(want))]
            assert any(
                ln["linestyle"] == ":" and list(ln["x"]) == [best, best] for ln in ax["lines"]
            )
    assert (
        "Command: `python -m experiments.menon_outliers --points 20"
        in (out / "table.md").read_text()
    )


def test_help_and_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        tables.main(menon_long_servedio.EXPERIMENT, ["--help"])
    assert done.value.code == 0
    assert "--repeats" in capsys.readouterr().out
    out = tmp_path / "never"
    for argv, message in (
        (["--repeats", "0"], "repeats must be a positive integer"),
        (["--rate", "0.5"], r"rate must be in [0, 0.5)"),
        (["--jobs", "0"], "jobs must be a positive integer"),
        (["--variance", "0"], "variance must be a finite number > 0"),
    ):
        with pytest.raises(SystemExit) as done:
            tables.main(menon_long_servedio.EXPERIMENT, [*argv, "--out", str(out)])
        assert done.value.code == 2 and message in capsys.readouterr().err
    assert not out.exists()
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit):
        tables.main(
            menon_long_servedio.EXPERIMENT,
            ["--repeats", "1", "--out", str(tmp_path / "file" / "x")],
        )
    assert "--out: output folder" in capsys.readouterr().err


# ---------------------------------------------------------------- the tables framework


def test_the_declarations_are_computed_tables_of_the_tables_framework(tmp_path, capsys):
    """tables.run and tables.main_among take a computed table as they take an
    Experiment: the same files as the command line, the outcome returned."""
    assert isinstance(menon_outliers.EXPERIMENT, tables.ComputedTable)
    assert menon_outliers.EXPERIMENT.module == "experiments.menon_outliers"
    out = tmp_path / "run"
    outcome = tables.run(menon_outliers.EXPERIMENT, points=10, out=str(out))
    assert len(outcome.curves) == 3 * 2 * 10
    assert sorted(p.name for p in out.iterdir()) == [
        "curves.csv",
        "loss_curves.png",
        "table.csv",
        "table.md",
    ]
    md = (out / "table.md").read_text()
    assert md.startswith(f"# {menon_outliers.EXPERIMENT.title}\n\n| loss ")
    assert "Command: `kerasnoise.tables.run(experiments.menon_outliers, points=10)`" in md
    assert "| partially Huberised (τ = 1.1)" in capsys.readouterr().out
    with pytest.raises(ValueError, match="no backend"):
        tables.run(menon_outliers.EXPERIMENT, backend="jax", out=str(out))
    with pytest.raises(ValueError, match="points must be a positive integer"):
        tables.run(menon_outliers.EXPERIMENT, points=0, out=str(tmp_path / "never"))
    assert not (tmp_path / "never").exists()
    among = {"outliers": menon_outliers.EXPERIMENT, "small": SMALL}
    argv = ["--table", "small", "--repeats", "2", "--no-progress", "--out", str(tmp_path / "s")]
    assert tables.main_among(among, "table", argv) == 0
    assert len(pd.read_csv(tmp_path / "s" / "accuracies.csv")) == 2 * 3
    assert "--table small" in (tmp_path / "s" / "table.md").read_text()


def test_the_exact_command_is_quoted_for_a_shell(tmp_path):
    from kerasnoise._args import script_command

    assert script_command("m", ["--out", "a b", "x=[1]", "--rate", "0.2"]) == (
        "python -m m --out 'a b' 'x=[1]' --rate 0.2"
    )
    out = tmp_path / "with space"
    assert tables.main(menon_outliers.EXPERIMENT, ["--points", "5", "--out", str(out)]) == 0
    assert f"--out '{out}'`" in (out / "table.md").read_text()
