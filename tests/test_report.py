"""Reports from a hand-made store: table values against hand computation, reference
columns, missing metrics, outputs on disk and the figure; the one aggregation and the
one markdown table writer."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from kerasnoise import report
from kerasnoise.results.store import ResultsStore

# pandas and matplotlib on hand-made stores: never a Keras backend (tox runs these once)
pytestmark = pytest.mark.backend_free

# (method, rate, seed) -> test_accuracy_last; ce_clip has a different config, same loss
ACC = {
    ("ce", 0.0, 0): 0.990,
    ("ce", 0.0, 1): 0.980,
    ("ce", 0.0, 2): 0.985,
    ("ce", 0.6, 0): 0.900,
    ("ce_clip", 0.0, 0): 0.970,
    ("ce_clip", 0.6, 0): 0.950,
    ("ce_clip", 0.6, 1): 0.930,
}


@pytest.fixture()
def store(tmp_path):
    store = ResultsStore(tmp_path)
    for (method, rate, seed), acc in ACC.items():
        run_id = f"{method}-{rate}-{seed}"
        clip = 0.1 if method == "ce_clip" else None
        config = {"loss": {"name": "ce"}, "optimizer": {"global_clipnorm": clip}, "backend": "jax"}
        result = {
            "test_accuracy_last": acc,
            "train_noisy_accuracy_last": None if rate == 0 else 0.5,  # no noisy label at 0
            "noise_rate": rate * 0.99,
            "wall_time_s": 10.0,
        }
        store.record(
            run_id,
            group=f"{method}-{rate}",
            seed=seed,
            status="finished",
            config=config,
            result=result,
        )
        store.tag(run_id, sweep="sw", method=method, axes={"noise.rate": rate})
    # an unfinished run and a run of another sweep are left out
    store.record("x", group="x", seed=0, status="running", config={}, result={})
    store.tag("x", sweep="sw", method="ce", axes={"noise.rate": 0.0})
    store.record(
        "y", group="y", seed=0, status="finished", config={}, result={"test_accuracy_last": 0.1}
    )
    store.tag("y", sweep="other", method="ce", axes={"noise.rate": 0.0})
    return store


def test_runs_frame(store):
    frame = report.runs_frame(store, sweep="sw")
    assert len(frame) == len(ACC)
    assert {"method", "noise_rate", "seed", "backend", "realised_noise_rate"} <= set(frame)
    row = frame[frame["run_id"] == "ce-0.6-0"].iloc[0]
    assert row["noise_rate"] == 0.6 and row["realised_noise_rate"] == pytest.approx(0.594)
    assert row["backend"] == "jax" and row["test_accuracy_last"] == 0.9
    assert math.isnan(frame[frame["run_id"] == "ce-0.0-0"].iloc[0]["train_noisy_accuracy_last"])


def test_an_estimated_transition_matrix_s_error_becomes_two_columns(store):
    error = {"mean_absolute_error": 0.0123, "max_abs_error": 0.2}
    result = {"test_accuracy_last": 0.9, "transition_estimate_error": error}
    store.record("fwd", group="fwd", seed=0, status="finished", config={}, result=result)
    store.tag("fwd", sweep="sw", method="forward", axes={"noise.rate": 0.6})
    frame = report.runs_frame(store, sweep="sw").set_index("run_id")
    assert frame.loc["fwd", "transition_mae"] == 0.0123
    assert frame.loc["fwd", "transition_max_error"] == 0.2
    assert math.isnan(frame.loc["ce-0.6-0", "transition_mae"])


def test_summary_equals_hand_computation(store):
    table = report.summarise(report.runs_frame(store, sweep="sw"), "noise.rate")
    rows = {(r.method, r.noise_rate): r for r in table.itertuples()}
    assert list(table["method"]) == ["ce", "ce", "ce_clip", "ce_clip"]  # distinct rows
    ce0 = rows[("ce", 0.0)]
    # mean of 99.0, 98.0, 98.5 = 98.5; sample std = sqrt((0.25 + 0.25 + 0) / 2) = 0.5
    assert ce0.mean == pytest.approx(98.5) and ce0.std == pytest.approx(0.5) and ce0.n == 3
    clip6 = rows[("ce_clip", 0.6)]
    # 95.0 and 93.0: mean 94.0, std sqrt((1 + 1) / 1) = 1.41421356
    assert clip6.mean == pytest.approx(94.0) and clip6.std == pytest.approx(2**0.5)
    assert rows[("ce", 0.6)].std == 0.0 and rows[("ce", 0.6)].n == 1


def test_missing_metric_is_skipped_not_zero(store):
    frame = report.runs_frame(store, sweep="sw")
    table = report.summarise(frame, "noise.rate", "train_noisy_accuracy_last")
    assert set(zip(table["method"], table["noise_rate"], strict=True)) == {
        ("ce", 0.6),
        ("ce_clip", 0.6),
    }
    assert list(table["mean"]) == [50.0, 50.0]


def test_reference_columns_and_outputs(store, tmp_path, figures):
    table = report.summarise(report.runs_frame(store, sweep="sw"), "noise.rate")
    reference = {"ce": {0.0: {"paper": 98.7, "reproduction": 99.1}, 0.6: {"paper": 91.1}}}
    table = report.add_reference(table, reference, "noise.rate")
    ce0 = table.iloc[0]
    assert ce0["paper"] == 98.7 and ce0["paper_diff"] == pytest.approx(98.5 - 98.7)
    assert ce0["reproduction_diff"] == pytest.approx(98.5 - 99.1)
    assert math.isnan(table.iloc[1]["reproduction"])  # not given for ce at 0.6
    assert math.isnan(table.iloc[2]["paper"])  # nothing for ce_clip

    labels = {"ce": "CE", "ce_clip": "CE + clipping"}
    paths = report.write_tables(table, tmp_path / "out", axis="noise.rate", labels=labels)
    csv = pd.read_csv(paths["csv"])
    assert list(csv.columns[:5]) == ["method", "noise_rate", "mean", "std", "n"]
    assert {"paper", "reproduction"} <= set(csv.columns)
    assert json.loads(paths["json"].read_text())[2]["paper"] is None
    md = paths["md"].read_text()
    assert "| CE + clipping | 97.00 ± 0.00 (1) | 94.00 ± 1.41 (2)" in md
    assert "-0.20" in md  # the difference to the paper, signed

    png = report.plot_vs_axis(
        table, "noise.rate", tmp_path / "out" / "fig.png", labels=labels, reference="paper"
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    # what it shows, against the hand computation above: a line per method with the
    # sample std as error bars, the paper's numbers dashed where it has any
    (axes,) = figures["fig.png"]["axes"]
    assert (axes["xlabel"], axes["ylabel"]) == ("noise.rate", "test accuracy (%)")
    bars = {bar["label"]: bar for bar in axes["errorbars"]}
    assert list(bars) == ["CE", "CE + clipping"]
    for label, means, stds in (
        ("CE", [98.5, 90.0], [0.5, 0.0]),
        ("CE + clipping", [97.0, 94.0], [0.0, 2**0.5]),
    ):
        assert list(bars[label]["x"]) == [0.0, 0.6]
        np.testing.assert_allclose(bars[label]["y"], means)
        np.testing.assert_allclose(bars[label]["yerr"], stds, atol=1e-12)
    (dashed,) = [line for line in axes["lines"] if line["linestyle"] == "--"]
    assert list(dashed["x"]) == [0.0, 0.6] and list(dashed["y"]) == [98.7, 91.1]
    assert dashed["marker"] == "x"  # seen where the paper gives one value only


# --------------------------------------------------------------------------- aggregate


@pytest.mark.parametrize(
    "values",
    [[0.9, 0.92, 0.94], [98.5, 97.25, 99.0, 96.125, 98.0], [3, 4], [np.float32(0.5), 0.25, 0.125]],
)
def test_aggregate_equals_numpy(values):
    expected = np.asarray(values, dtype=np.float64)
    got = report.aggregate(values)
    assert got.n == expected.size
    assert got.mean == pytest.approx(float(np.mean(expected)), rel=1e-15)
    assert got.std == pytest.approx(float(np.std(expected, ddof=1)), rel=1e-15)
    assert type(got.mean) is float and type(got.std) is float and type(got.n) is int


def test_aggregate_skips_missing_values():
    values = [0.5, None, 0.75, float("nan"), np.float64("nan"), 1.0]
    got = report.aggregate(values)
    present = np.array([0.5, 0.75, 1.0])
    assert got.n == 3
    assert got.mean == pytest.approx(float(present.mean()))
    assert got.std == pytest.approx(float(np.std(present, ddof=1)))
    assert report.aggregate(iter(values)) == got  # any iterable, read once


def test_aggregate_one_and_no_values():
    # one value: its value and std 0.0 (the tables' "± 0.00 (1)")
    assert report.aggregate([0.9]) == report.Aggregate(0.9, 0.0, 1)
    assert report.aggregate([None, 0.9, float("nan")]) == (0.9, 0.0, 1)
    assert report.aggregate([]) == (None, None, 0)
    assert report.aggregate([None, float("nan")]) == (None, None, 0)
    mean, std, n = report.aggregate([1.0, 3.0])  # unpacks as (mean, std, n)
    assert (mean, std, n) == (2.0, pytest.approx(math.sqrt(2)), 2)


def test_aggregate_refuses_what_is_not_a_number():
    with pytest.raises(TypeError, match="real numbers"):
        report.aggregate([0.5, "0.7"])
    with pytest.raises(TypeError, match="real numbers"):
        report.aggregate([True, 0.5])
    with pytest.raises(TypeError, match="iterable of numbers"):
        report.aggregate("0.5")


def test_summarise_cells_equal_numpy(store):
    table = report.summarise(report.runs_frame(store, sweep="sw"), "noise.rate")
    for row in table.itertuples():
        values = [
            100.0 * acc
            for (m, rate, _), acc in ACC.items()
            if (m, rate) == (row.method, row.noise_rate)
        ]
        assert row.n == len(values) and row.mean == pytest.approx(np.mean(values))
        expected_std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        assert row.std == pytest.approx(expected_std)


# --------------------------------------------------------------------------- markdown


def test_markdown_table_pads_every_column():
    table = report.markdown_table(["method", "n"], [["CE", 3], ["PHuber-CE (τ 10)", 12]])
    assert table.splitlines() == [
        "| method           | n  |",
        "|------------------|----|",
        "| CE               | 3  |",
        "| PHuber-CE (τ 10) | 12 |",
    ]


def test_markdown_table_escapes_pipes_and_allows_no_rows():
    assert report.markdown_table(["a|b"], [["x | y"]]).splitlines() == [
        "| a\\|b   |",
        "|--------|",
        "| x \\| y |",
    ]
    assert report.markdown_table(["a", "bb"], []) == "| a | bb |\n|---|----|"


def test_markdown_table_refuses_ragged_rows():
    with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
        report.markdown_table(["a", "b"], [["1", "2"], ["3"]])
    with pytest.raises(ValueError, match="at least one column"):
        report.markdown_table([], [])


def test_long_table_shows_steps_whole_and_axis_values_and_rates_as_in_the_grid():
    table = pd.DataFrame(
        {
            "method": ["mlp1", "mlp1"],
            "noise_rate": [0.0, 0.2],  # as in the wide table's header: noise.rate = 0.2
            "mean": [0.9825, 0.826],
            "std": [0.0, 0.011],
            "n": [1, 2],
            "learning_rate": [0.5, 0.05],
            "steps": [26000.0, 35500.0],  # means over seeds
            "best_step": [16000.0, 25499.6],
            "ratio": [0.12345, float("nan")],
        }
    )
    rows = [line.split("|")[1:-1] for line in report.markdown(table).splitlines()[2:]]
    cells = [[c.strip() for c in row] for row in rows]
    assert cells == [
        ["mlp1", "0.0", "0.98 ± 0.00", "1", "0.5", "26000", "16000", "0.1235"],
        ["mlp1", "0.2", "0.83 ± 0.01", "2", "0.05", "35500", "25500", "-"],
    ]


def test_report_tables_use_the_one_style(store):
    table = report.summarise(report.runs_frame(store, sweep="sw"), "noise.rate")
    for text in (report.markdown(table), report.wide_markdown(table, "noise.rate")):
        lines = text.splitlines()
        assert len({len(line) for line in lines}) == 1 and set(lines[1]) == {"|", "-"}
    header = ["method", "noise.rate = 0.0", "noise.rate = 0.6"]
    body = [
        ["ce", "98.50 ± 0.50 (3)", "90.00 ± 0.00 (1)"],
        ["ce_clip", "97.00 ± 0.00 (1)", "94.00 ± 1.41 (2)"],
    ]
    assert report.wide_markdown(table, "noise.rate") == report.markdown_table(header, body)


def test_wide_table_puts_numeric_axis_values_in_order():
    """A line measured only at alpha = 50 first must not put 50 before 0."""
    table = pd.DataFrame(
        {
            "model": ["perceptron", "mlp1", "mlp1"],
            "noise_alpha": [50, 0, 50],
            "mean": [44.67, 98.25, 82.6],
            "std": [0.0, 0.0, 1.1],
            "n": [1, 1, 2],
        }
    )
    text = report.wide_markdown(table, "noise.alpha", by=["model"])
    header, _, first, second = text.splitlines()
    assert header.index("noise.alpha = 0") < header.index("noise.alpha = 50")
    assert first.split("|")[2].strip() == "-" and "44.67" in first.split("|")[3]
    assert "98.25" in second.split("|")[2] and "82.60 ± 1.10 (2)" in second.split("|")[3]


def test_summarise_keeps_the_declared_order_of_a_categorical_axis():
    """``train, fashion_mnist`` as declared, not alphabetically; lines keep theirs."""
    frame = pd.DataFrame(
        {
            "method": ["b", "b", "a", "a"],
            "noise_source": ["fashion_mnist", "train", "fashion_mnist", "train"],
            "test_accuracy_last": [0.01, 0.02, 0.03, 0.04],
        }
    )
    ordered = report.summarise(
        frame, "noise.source", methods=["b", "a"], axis_order=["train", "fashion_mnist"]
    )
    assert list(ordered["method"]) == ["b", "b", "a", "a"]  # lines keep their order
    assert list(ordered["noise_source"]) == ["train", "fashion_mnist"] * 2
    assert list(ordered["mean"]) == pytest.approx([2.0, 1.0, 4.0, 3.0])
    plain = report.summarise(frame, "noise.source", methods=["b", "a"])
    assert list(plain["noise_source"]) == ["fashion_mnist", "train"] * 2  # sorted


def test_a_table_document_and_its_files(tmp_path):
    """The one ``table.md`` layout (title, sections, notes, a blank line apart) and the
    table files of any table, aggregated or computed."""
    text = report.table_document("T", ["| a |\n|---|\n| 1 |", "## h\n\nx"], "n1\n\nn2\n\n")
    assert text == "# T\n\n| a |\n|---|\n| 1 |\n\n## h\n\nx\n\nn1\n\nn2\n"
    assert report.table_document("", ["s"]) == "s\n"
    table = pd.DataFrame({"a": [1.23456789], "b": ["x"]})
    paths = report.write_table(table, tmp_path, text, digits=None, json=False)
    assert list(paths) == ["md", "csv"] and paths["md"].read_text() == text
    assert paths["csv"].read_text() == "a,b\n1.23456789,x\n"
    paths = report.write_table(table, tmp_path, text, name="other", digits=3)
    assert paths["csv"].read_text() == "a,b\n1.235,x\n"
    assert json.loads(paths["json"].read_text()) == [{"a": 1.23456789, "b": "x"}]
    assert not list(tmp_path.glob(".*"))  # written atomically, nothing left behind


def test_the_figure_setup(tmp_path, figures):
    fig, ax = report.new_figure()
    assert tuple(fig.get_size_inches()) == report.figures.FIGURE_SIZE and fig.dpi == 120
    ax.plot([0, 1], [1, 0])
    path = report.save_figure(fig, tmp_path / "f.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and len(figures["f.png"]["axes"]) == 1
    fig, axes = report.new_figure(2, 3, figsize=(9, 5), squeeze=False)
    assert axes.shape == (2, 3) and tuple(fig.get_size_inches()) == (9, 5)
