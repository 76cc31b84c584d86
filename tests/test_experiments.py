"""Experiments: declarations checked without training, the shared command line's bad
input, axes of any type, and a tiny real table from the command line and from Python."""

import json

import numpy as np
import pandas as pd
import pytest

from experiments import coteaching_mnist, menon_mnist, mnist_methods, patrini_mnist
from kerasnoise import methods
from kerasnoise import tables as tables_lib
from kerasnoise.presets import menon2020
from kerasnoise.tables import Experiment, main, planning, run
from tests.helpers import read_runs


@pytest.mark.parametrize("declared", [menon_mnist.EXPERIMENT], ids=lambda e: e.name)
def test_declaration_is_well_formed(declared):
    """Trains nothing: the sweep expands, references and claims name known methods."""
    tables_lib.check_declaration(declared)
    assert declared.module == f"experiments.{declared.name.replace('-', '_')}"
    assert build_help(declared).startswith(f"usage: python -m {declared.module}")
    assert set(declared.labels) <= set(declared.methods)
    assert declared.claims and all(c.source for c in declared.claims)
    assert {r.name for r in declared.references} == {"paper", "reproduction"}


def test_patrini_declaration_runs_every_method_where_it_means_something():
    declared = patrini_mnist.EXPERIMENT
    tables_lib.check_declaration(declared)
    assert declared.flag("noise") == "noise-models" and set(declared.labels) == set(
        declared.methods
    )
    runs = declared.sweep(seeds=[0]).expand()
    points = {(r.method, r.axes["noise"], r.axes["noise.rate"]) for r in runs}
    assert len(runs) == len(points) == 3 + 4 * 7  # flips at 0: CE, GCE, PHuber-CE only
    assert {m for m, n, rate in points if rate == 0.0} == {"ce", "gce", "phuber_ce"}
    assert not any(n == "instance_dependent" and rate == 0.0 for _, n, rate in points)
    by_point = {(r.method, r.axes["noise"], r.axes["noise.rate"]): r.config for r in runs}
    forward = by_point["forward_estimated", "instance_dependent", 0.4]
    assert forward.loss == {"name": "forward", "transition": "estimated", "clip": 1e-7}
    assert forward.noise == {"name": "instance_dependent", "sigma": 0.1, "rate": 0.4}
    assert by_point["ce", "asymmetric", 0.2].loss == {"name": "ce", "clip": 1e-7}
    assert by_point["gce", "asymmetric", 0.2].loss == {"name": "gce", "q": 0.7}  # not theirs
    # the noise is drawn per seed, as the authors' random_state=run: one group, new draws
    seeds = {
        r.seed: r.config
        for r in declared.sweep(seeds=[0, 1]).expand()
        if (r.method, r.axes["noise"], r.axes["noise.rate"]) == ("ce", "asymmetric", 0.4)
    }
    assert {c.data_noise_seed() for c in seeds.values()} == {0, 1}
    assert seeds[0].group_id() == seeds[1].group_id()
    # the stage-1 run that estimates T is the CE method's run of the same cell
    from kerasnoise import methods

    stage1 = methods.from_config(forward.method).earlier_stage(forward)
    assert stage1.run_id() == by_point["ce", "instance_dependent", 0.4].run_id()


@pytest.mark.backend_free
def test_the_patrini_gain_claim_compares_equal_realised_rates(shared_data):
    """The flips touch 5 of 10 classes: at nominal 0.4 about 0.198 of MNIST's labels are
    wrong, as many as instance-dependent noise gets wrong at 0.2 (not at 0.4)."""
    from kerasnoise import datasets, noise

    data = datasets.load("mnist", shared_data)
    claim = next(c for c in patrini_mnist.EXPERIMENT.claims if "helps less" in c.text)
    rates = {}
    for cell in (claim.where, claim.than):
        model = noise.get(cell["noise"], rate=cell["noise.rate"])
        if cell["noise"] == "asymmetric":
            model = noise.get("asymmetric", rate=cell["noise.rate"], mapping="mnist")
        rates[cell["noise"]] = model.apply(
            data.y_train, num_classes=10, seed=0, images=data.x_train
        ).rate
    assert rates["asymmetric"] == pytest.approx(0.198, abs=0.005)
    assert rates["instance_dependent"] == pytest.approx(rates["asymmetric"], abs=0.02)


def test_coteaching_declaration_runs_the_five_noise_cells_with_jocors_numbers():
    declared = coteaching_mnist.EXPERIMENT
    tables_lib.check_declaration(declared)
    runs = declared.sweep(seeds=[0]).expand()
    cells = {(r.axes["noise"], r.axes["noise.rate"]) for r in runs}
    assert cells == {
        ("symmetric_exclusive", 0.2),
        ("symmetric_exclusive", 0.5),
        ("symmetric_exclusive", 0.8),
        ("pair_flip", 0.45),
        ("asymmetric", 0.4),
    }
    # the authors'-code Co-teaching+ at 3 of JoCoR's cells, JoCoR at its 4
    assert len(runs) == 3 * 5 + 3 + 4
    assert {(n, rate) for m, n, rate in (
        (r.method, r.axes["noise"], r.axes["noise.rate"]) for r in runs
    ) if m == "jocor"} == {
        ("symmetric_exclusive", 0.2),
        ("symmetric_exclusive", 0.5),
        ("symmetric_exclusive", 0.8),
        ("asymmetric", 0.4),
    }  # fmt: skip
    by_point = {(r.method, r.axes["noise"], r.axes["noise.rate"]): r.config for r in runs}
    assert {(n, rate) for m, n, rate in by_point if m == "coteaching_plus_code"} == {
        ("symmetric_exclusive", 0.5),
        ("symmetric_exclusive", 0.8),
        ("asymmetric", 0.4),
    }
    plus = by_point["coteaching_plus", "asymmetric", 0.4]
    assert plus.method == {"name": "coteaching_plus", "forget_rate": "asymmetric_half"}
    assert plus.noise == {"name": "asymmetric", "mapping": "mnist", "rate": 0.4}
    assert by_point["standard", "pair_flip", 0.45].method == {"name": "standard"}
    # JoCoR's code forgets half the nominal rate under its asymmetric flips, the nominal
    # rate elsewhere; the code's Co-teaching+ takes the softmax twice
    from kerasnoise.methods import selection

    def forget(method, noise, rate):
        config = by_point[method, noise, rate]
        return selection.resolved(config.method, config.noise)["forget_rate"]

    assert forget("coteaching", "asymmetric", 0.4) == pytest.approx(0.2)
    assert forget("coteaching_plus", "symmetric_exclusive", 0.5) == 0.5
    assert forget("coteaching", "pair_flip", 0.45) == 0.45
    code = by_point["coteaching_plus_code", "symmetric_exclusive", 0.5]
    assert selection.resolved(code.method, code.noise)["softmax_twice"] is True
    claim = next(c for c in declared.claims if "Co-teaching+ beats" in c.text)
    assert claim.left == {"method": "coteaching_plus_code"}
    assert "softmax twice" in claim.source
    (jocor,) = declared.references
    assert jocor.values["coteaching"][("symmetric_exclusive", 0.5)] == 89.82
    assert jocor.values["jocor"][("symmetric_exclusive", 0.8)] == 84.89
    jocor_config = by_point["jocor", "asymmetric", 0.4]
    chosen = methods.from_config(jocor_config.method).resolved(jocor_config.noise)
    assert chosen["forget_rate"] == pytest.approx(0.2) and chosen["co_lambda"] == 0.9


@pytest.mark.backend_free
def test_the_all_methods_declaration_runs_every_method_on_four_noise_settings():
    declared = mnist_methods.EXPERIMENT
    tables_lib.check_declaration(declared)
    runs = declared.sweep(seeds=[0]).expand()
    cells = {(r.axes["noise"], r.axes["noise.rate"]) for r in runs}
    assert cells == {
        ("symmetric_exclusive", 0.5),
        ("symmetric_exclusive", 0.8),
        ("asymmetric", 0.4),
        ("instance_dependent", 0.4),
    }
    names = {"standard", "gce", "forward_estimated", "coteaching", "coteaching_plus"}
    names |= {"jocor", "elr", "dividemix"}
    assert {r.method for r in runs} == names and len(runs) == 8 * 4
    by_point = {(r.method, r.axes["noise"], r.axes["noise.rate"]): r.config for r in runs}
    # one protocol: every method's config is the preset's but for its method and loss
    for (_, noise_name, rate), config in by_point.items():
        standard = by_point["standard", noise_name, rate]
        assert config.optimizer == standard.optimizer and config.epochs == 200
        assert config.noise == standard.noise and config.model == standard.model
    # forward with T-hat trains the cell's Standard run first: the same run id
    forward = by_point["forward_estimated", "symmetric_exclusive", 0.5]
    stage = methods.from_config(forward.method).earlier_stage(forward)
    standard = by_point["standard", "symmetric_exclusive", 0.5]
    assert stage.run_id("jax") == standard.run_id("jax")
    # the same configs as the Co-teaching table's: its runs serve this one
    theirs = {
        (r.method, r.axes["noise"], r.axes["noise.rate"]): r.config
        for r in coteaching_mnist.EXPERIMENT.sweep(seeds=[0]).expand()
    }
    for key in [("coteaching", "asymmetric", 0.4), ("jocor", "symmetric_exclusive", 0.8)]:
        assert by_point[key].run_id("jax") == theirs[key].run_id("jax")
    assert by_point["dividemix", "asymmetric", 0.4].method == {"name": "dividemix", "padding": 0}
    (jocor,) = declared.references
    assert jocor.values["jocor"][("symmetric_exclusive", 0.5)] == 96.64
    texts = [c.text for c in declared.claims]
    assert sum("beats Standard at symmetric 0.5" in t for t in texts) == 7
    assert any(t.startswith("DivideMix beats Co-teaching at symmetric 0.8") for t in texts)


@pytest.mark.orchestration
def test_a_tiny_coteaching_table_has_its_reference_and_curves(shared_data, tmp_path, figures):
    out = tmp_path / "out"
    argv = [
        *("--methods", "standard,coteaching", "--noise-models", "symmetric_exclusive"),
        *("--rates", "0.5", "--seeds", "0", "--no-progress", "--jobs", "1"),
        *("--out", str(out), "--data-dir", str(shared_data)),
        *("epochs=2", "train_limit=600", "test_limit=1000", "train_eval_images=300"),
        "optimizer.decay_start=1",
    ]
    assert main(coteaching_mnist.EXPERIMENT, argv) == 0
    table = pd.read_csv(out / "table.csv").set_index("method")
    assert list(table["jocor"]) == [52.66, 89.82]  # JoCoR's cell (symmetric, 0.5)
    runs = {r["method"]: r["result"] for r in read_runs(out, "coteaching-mnist")}
    for method, result in runs.items():
        assert table.loc[method, "mean"] == pytest.approx(100 * result["test_accuracy_last10"])
        drop = result["test_accuracy_peak"] - result["test_accuracy_last10"]
        assert table.loc[method, "test_accuracy_drop"] == pytest.approx(drop, abs=5e-5)  # 4 places
    precision = figures["label_precision.png"]["axes"][0]
    # Standard picks nothing: only Co-teaching's line, its history read back in percent
    (line,) = precision["lines"]
    assert line["label"].startswith("Co-teaching")
    history = json.loads((out / runs["coteaching"]["run_id"] / "history.json").read_text())
    want = [100 * history[str(e)]["label_precision_1"] for e in range(2)]
    np.testing.assert_allclose(line["y"], want)
    # a figure per noise setting (here one), every method in the declared order, in
    # its own colour; one seed: the mean is the run's history
    (cell,) = [name for name in figures if name.startswith("test_accuracy_")]
    assert cell == "test_accuracy_symmetric_exclusive_0.5.png"
    curves = figures[cell]["axes"][0]["lines"]
    assert [c["label"] for c in curves] == ["Standard", "Co-teaching"]
    want = [100 * history[str(e)]["test_accuracy"] for e in range(2)]
    np.testing.assert_allclose(curves[1]["y"], want)
    assert "symmetric_exclusive" in figures["detection_f1.png"]["axes"][0]["title"]


def test_titles_and_notes_say_what_ran_and_leave_out_where_data_lives():
    from kerasnoise.tables import outputs

    overrides = {
        "epochs": 5,
        "model": "resnet18",
        "model.width": 16,
        "noise_source_dir": "/usr/share/datasets",
        "steps_per_execution": 4,
    }
    sweep = menon_mnist.EXPERIMENT.sweep(
        methods=["ce"], axes={"noise.rate": [0.4]}, overrides=overrides, data_dir="/data"
    )
    title, ran = outputs.what_ran(menon_mnist.EXPERIMENT, sweep, sweep.expand())
    assert title.startswith("Menon et al. 2020, MNIST, resnet18(width=16): test accuracy")
    assert ran == "epochs=5, model=resnet18, model.width=16"


@pytest.mark.backend_free
def test_a_curves_title_names_what_the_figure_draws_and_its_cell():
    from kerasnoise.tables import outputs

    curves = coteaching_mnist.EXPERIMENT.curves[0]
    title = outputs.curves_title(
        "Co-teaching, MNIST, mlp: test accuracy (%), mean of the last 10 epochs",
        curves,
        {"noise": "symmetric_exclusive", "noise.rate": 0.5},
    )
    assert title == (
        "Co-teaching, MNIST, mlp: clean labels among the picked examples (%) per epoch; "
        "noise = symmetric_exclusive, noise.rate = 0.5"
    )


def test_menon_labels_carry_the_loss_parameters():
    labels = menon_mnist.EXPERIMENT.labels
    assert labels["phuber_ce"] == "PHuber-CE (τ 10)" and labels["gce"] == "GCE (q 0.7)"
    params = menon2020.LOSS_PARAMS["mnist"]
    assert f"τ {params['phuber_gce']['tau']:g}" in labels["phuber_gce"]


def build_help(declared) -> str:
    return tables_lib.build_parser(declared).format_help()


def two_axes(**kwargs) -> Experiment:
    return Experiment(
        name="alpha-batch",
        title="alpha x batch size",
        preset="rolnick-mnist",
        methods={"mlp1": {"model": "mlp1"}},
        axes={"batch_size": [32, 128], "noise.alpha": [0, 10]},
        **kwargs,
    )


def test_axes_keep_their_type_and_get_a_flag_each(tmp_path):
    declared = two_axes()
    assert declared.flag("noise.alpha") == "alphas" and declared.flag("batch_size") == "batch-sizes"
    assert declared.x_axis == "noise.alpha" and declared.row_keys() == ["method", "batch_size"]
    parser = tables_lib.build_parser(declared)
    argv = ["--alphas", "0,10,50", "--batch-sizes", "64", "--seeds", "0", "--out", str(tmp_path)]
    args = parser.parse_args(argv)
    from kerasnoise import sweep as sweep_lib

    sweep, _, _ = planning.plan(declared, args, sweep_lib)
    assert sweep.axes == {"batch_size": [64], "noise.alpha": [0, 10, 50]}
    assert all(type(v) is int for v in sweep.axes["noise.alpha"])  # ints stay ints
    runs = sweep.expand()
    assert [r.config.noise["alpha"] for r in runs] == [0, 10, 50]
    assert {r.config.batch_size for r in runs} == {64}
    with pytest.raises(SystemExit):
        parser.parse_args(["--alphas", "0.5"])  # not an int


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="series must be 'method' or an axis"):
        two_axes(series="model")
    with pytest.raises(ValueError, match="cannot also be the x axis"):
        two_axes(series="noise.alpha")
    with pytest.raises(ValueError, match="flags name keys that are not axes"):
        two_axes(flags={"noise.rate": "rates"})
    with pytest.raises(ValueError, match="needs at least one axis"):
        Experiment(name="x", title="x", preset="rolnick-mnist", methods={"a": {}}, axes={})


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--methods", "ce,nope"], "unknown method 'nope'"),
        (["--shard", "3/2"], "shard must be I/N"),
        (["--shard", "0/0"], "shard must be I/N"),
        (["--seeds", ""], "comma-separated list"),
        (["--rates", "0.2,x"], "not a list of float"),
        (["--rates", "1.5"], "rate"),
        (["bogus=1"], "unknown config key bogus"),
        (["--jobs", "-1"], "--jobs"),
    ],
)
def test_bad_input_is_refused_before_training(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(menon_mnist.EXPERIMENT, [*argv, "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not list((tmp_path / "out").glob("*/"))  # nothing trained


def test_unwritable_out_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit):
        main(menon_mnist.EXPERIMENT, ["--out", str(tmp_path / "file" / "out")])
    assert "not a writable folder" in capsys.readouterr().err


@pytest.mark.orchestration
def test_tiny_table(shared_data, tmp_path, capsys, figures):
    out = tmp_path / "out"
    argv = [
        "--methods",
        "ce,ce_clip",
        "--rates",
        "0.6",
        "--seeds",
        "0",
        "--no-progress",
        "--jobs",
        "1",
        "--out",
        str(out),
        "--data-dir",
        str(shared_data),
        "epochs=1",
        "train_limit=600",
        "test_limit=1000",
        "train_eval_images=300",
    ]
    assert main(menon_mnist.EXPERIMENT, argv) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "| CE + clipping" in printed and "noise.rate = 0.6" in printed
    # the banner names the model that runs, as the table's title does
    assert "Menon et al. 2020, MNIST, lenet5" in captured.err and "{model}" not in captured.err
    table = pd.read_csv(out / "table.csv")
    assert list(table.columns[:5]) == ["method", "noise_rate", "mean", "std", "n"]
    assert list(table["method"]) == ["ce", "ce_clip"]
    assert list(table["paper"]) == [91.1, 88.0] and list(table["reproduction"]) == [98.0, 94.7]
    assert (out / "accuracy_vs_noise.png").stat().st_size > 10_000
    # every cell is its run's record, read back from the run's own files
    runs = {r["method"]: r for r in read_runs(out, "menon-mnist")}
    assert sorted(runs) == ["ce", "ce_clip"]
    assert all(r["axes"] == {"noise.rate": 0.6} and r["seed"] == 0 for r in runs.values())
    ours = {m: 100 * r["result"]["test_accuracy_last"] for m, r in runs.items()}
    for row in table.itertuples():
        assert row.mean == pytest.approx(ours[row.method], abs=1e-4) and row.n == 1
        assert row.per_seed == f"0: {ours[row.method]:.2f}"
        assert row.paper_diff == pytest.approx(ours[row.method] - row.paper, abs=1e-4)
    # the figure: a panel per method with our value, the seed's dot and the references
    panels = {ax["title"]: ax for ax in figures["accuracy_vs_noise.png"]["axes"]}
    assert list(panels) == ["CE", "CE + clipping"]
    references = {"ce": {"paper": 91.1, "reproduction": 98.0}}
    references["ce_clip"] = {"paper": 88.0, "reproduction": 94.7}
    for method, title in (("ce", "CE"), ("ce_clip", "CE + clipping")):
        panel = panels[title]
        (bar,) = panel["errorbars"]
        assert bar["label"] == "ours (mean ± std)" and list(bar["x"]) == [0.6]
        assert bar["y"] == pytest.approx([ours[method]])
        np.testing.assert_allclose(np.concatenate(panel["points"]), [[0.6, ours[method]]])
        drawn = {
            ln["label"]: list(ln["y"])
            for ln in panel["lines"]
            if ln["label"] in ("paper", "reproduction")
        }
        assert drawn == {name: [value] for name, value in references[method].items()}
    import matplotlib.image

    height, width = matplotlib.image.imread(out / "accuracy_vs_noise.png").shape[:2]
    assert width > 2 * height  # two panels side by side (one axis would be 6.4 x 4.4)
    assert (
        "Command: `python -m experiments.menon_mnist --methods ce,ce_clip"
        in (out / "table.md").read_text()
    )
    assert main(menon_mnist.EXPERIMENT, [*argv, "--report-only"]) == 0  # no training
    claims = json.loads((out / "claims.json").read_text())
    assert [c["claim"] for c in claims] == [c.text for c in menon_mnist.EXPERIMENT.claims]
    assert {c["verdict"] for c in claims} == {"undecided"}  # one seed: n < 2 on every side
    assert "## The paper's claims on these runs" in (out / "table.md").read_text()

    # the same from Python, as in a notebook: a DataFrame and the verdicts, no training
    outcome = run(
        menon_mnist.EXPERIMENT,
        methods=["ce", "ce_clip"],
        rates=[0.6],
        seeds=[0],
        out=str(out),
        data_dir=str(shared_data),
        report_only=True,
        epochs=1,
        train_limit=600,
        test_limit=1000,
        train_eval_images=300,
    )
    assert outcome.trained == 0 and len(outcome.verdicts) == len(menon_mnist.EXPERIMENT.claims)
    returned = outcome.table.set_index("method")
    assert list(returned.index) == ["ce", "ce_clip"] and set(returned["noise_rate"]) == {0.6}
    for method, value in ours.items():  # the records' values, not the file's
        assert returned.loc[method, "mean"] == pytest.approx(value, abs=1e-9)
        assert returned.loc[method, "n"] == 1
        assert returned.loc[method, "paper"] == references[method]["paper"]
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        run(menon_mnist.EXPERIMENT, methods=["nope"], out=str(out))


@pytest.mark.orchestration
def test_learning_rate_chosen_per_cell_through_the_search(shared_data, tmp_path):
    """A grid search per level on the clean validation split; only the chosen rate's
    runs are tabulated, with the rate, and a Monotone claim is checked on them."""
    from kerasnoise import report
    from kerasnoise import search as search_lib
    from kerasnoise.claims import Monotone
    from kerasnoise.tables import LRChoice

    declared = Experiment(
        name="lr-choice",
        title="MLP1: best learning rate per alpha",
        preset="rolnick-mnist",
        methods={"mlp1": {"model": "mlp1"}},
        axes={"noise.alpha": [0, 1]},
        seeds=[0],
        metric="test_accuracy_best",
        select_lr=LRChoice(rates=(0.05, 0.5)),
        claims=[
            Monotone(
                "the best rate does not rise with alpha", "optimizer.learning_rate", "noise.alpha"
            )
        ],
    )
    out = tmp_path / "out"
    small = dict(
        epochs=1,
        train_limit=500,
        test_limit=1000,
        validation=200,
        train_eval_images=200,
        batch_size=64,
        eval_batch_size=500,
        eval_every_steps=None,  # an epoch is one pass (the preset's is 1,000 steps)
        **{"early_stopping.enabled": False},
    )
    outcome = run(
        declared, out=str(out), data_dir=str(shared_data), jobs=1, progress=False, **small
    )
    sweep = declared.sweep(overrides=small, data_dir=str(shared_data))
    (search,) = tables_lib.searches(declared, sweep)
    trials = search_lib.trials_frame(search, out)
    assert len(trials) == 4 and set(trials["learning_rate"]) == {0.05, 0.5}
    want = {
        level: rows.sort_values(["val_accuracy", "learning_rate"], ascending=[False, True]).iloc[0][
            "learning_rate"
        ]
        for level, rows in trials.groupby("noise_level")
    }
    table = outcome.table
    assert dict(zip(table["noise_alpha"], table["learning_rate"], strict=True)) == want
    chosen = report.runs_frame(out, sweep="lr-choice")  # the chosen runs only
    assert len(chosen) == 2 and set(chosen["noise_alpha"]) == {0, 1}
    assert len(report.runs_frame(out, sweep="lr-choice/trials")) == 4  # every trial's run
    for row in table.itertuples():
        run_row = chosen[chosen["noise_alpha"] == row.noise_alpha].iloc[0]
        assert row.mean == pytest.approx(100 * run_row["test_accuracy_best"])
    (verdict,) = outcome.verdicts
    rising = want[1] > want[0]
    assert verdict.verdict == ("contradicted" if rising else "supported")
    assert "clean-validation" in (out / "table.md").read_text()

    # alpha 1 searched again over a narrower grid (its 0.05 run is read back, nothing
    # trains); a report with the declared grid then takes each cell's choice from the
    # grid it was searched over, and says which cells those are
    run(
        declared,
        out=str(out),
        data_dir=str(shared_data),
        jobs=1,
        progress=False,
        alphas=[1],
        learning_rates=[0.05],
        **small,
    )
    assert search_lib.searched_grid(search_lib.project_dir(out, search, 1)) == [0.05]
    assert search_lib.searched_grid(search_lib.project_dir(out, search, 0)) == [0.05, 0.5]
    report_only = run(declared, out=str(out), data_dir=str(shared_data), report_only=True, **small)
    table = report_only.table
    chosen_rates = dict(zip(table["noise_alpha"], table["learning_rate"], strict=True))
    assert chosen_rates == {0: want[0], 1: 0.05}
    assert report_only.grids == {"noise.alpha=1": [0.05]}
    assert (
        "Cells searched over another grid: noise.alpha=1: 0.05." in (out / "table.md").read_text()
    )


def test_a_cell_is_chosen_only_when_every_rate_of_its_grid_is_scored():
    """``--report-only`` while a search runs: the level with one of two rates scored
    gets no choice yet (it would be the best of one rate)."""
    trials = pd.DataFrame(
        {
            "noise_level": ["train", "train", "white_noise", "white_noise", "fashion_mnist"],
            "learning_rate": [0.05, 0.1, 0.05, 0.1, 0.05],
            "val_accuracy": [90.9, 89.6, 93.7, float("nan"), 97.1],
        }
    )
    from kerasnoise import search as search_lib

    assert search_lib.best_learning_rates(trials, (0.05, 0.1)) == {"train": 0.05}
    assert set(search_lib.best_learning_rates(trials, (0.05,))) == {
        "train",
        "white_noise",
        "fashion_mnist",
    }
    assert search_lib.best_learning_rates(trials.iloc[:0], (0.05,)) == {}


SCRIPT = """
from kerasnoise.tables import Experiment, run

EXPERIMENT = Experiment(
    name="top-level",
    title="a script's top level",
    preset="menon-mnist-lenet",
    methods={"ce": {"loss": "ce"}},
    axes={"noise.rate": [0.2]},
    seeds=[0],
)
outcome = run(EXPERIMENT, out=OUT, data_dir=DATA, jobs=2, progress=False,
              epochs=1, train_limit=300, test_limit=1000, train_eval_images=100,
              model="mlp1")
print("TABLE", len(outcome.table), outcome.table["mean"].iloc[0])
"""


@pytest.mark.parametrize("how", ["file", "stdin"])
@pytest.mark.orchestration
def test_run_at_a_scripts_top_level_works_as_documented(shared_data, tmp_path, how):
    """docs/experiments.md's ``outcome = run(EXPERIMENT, ...)`` at a script's top level,
    outside ``if __name__ == "__main__":``: spawned workers would import the script again
    (and from standard input cannot), so it trains in-process and says so."""
    import subprocess
    import sys

    out = tmp_path / "out"
    text = f"OUT = {str(out)!r}\nDATA = {str(shared_data)!r}\n" + SCRIPT
    script = tmp_path / "script.py"
    script.write_text(text)
    command = [sys.executable, str(script)] if how == "file" else [sys.executable, "-"]
    done = subprocess.run(
        command,
        input=None if how == "file" else text,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    where = f"at the top level of {script}" if how == "file" else "from standard input"
    assert f"run() {where}: training in this process (jobs=1)" in done.stderr
    from kerasnoise import report

    (row,) = report.runs_frame(out, sweep="top-level").itertuples()
    assert f"TABLE 1 {100 * row.test_accuracy_last}" in done.stdout


@pytest.mark.orchestration
def test_run_says_so_when_every_run_failed(tmp_path):
    empty = tmp_path / "no-data"
    empty.mkdir()
    declared = Experiment(
        name="failing",
        title="no data",
        preset="menon-mnist-lenet",
        methods={"ce": {"loss": "ce"}},
        axes={"noise.rate": [0.2]},
        seeds=[0],
    )
    with pytest.raises(RuntimeError, match="1 runs failed and none finished; menon-mnist-lenet-"):
        run(declared, out=str(tmp_path / "out"), data_dir=str(empty), jobs=1, progress=False)


def _finished_run_dir(
    folder, run, backend: str, sweep: str, accuracy: float, method: str | None = None
) -> None:
    """The files a finished run leaves (identity, config, result, the sweep's tag, its
    method named ``method`` there when given)."""
    from kerasnoise.results import rundir

    run_dir = folder / run.config.run_id(backend)
    run_dir.mkdir(parents=True)
    rundir.write_identity(
        run_dir,
        run_id=run_dir.name,
        group=run.config.group_id(backend),
        seed=run.seed,
        backend=backend,
    )
    (run_dir / "config.json").write_text(json.dumps({"preset": "rolnick-mnist"}))
    result = {"status": "finished", "test_accuracy_last": accuracy, "steps_run": 1000}
    (run_dir / "result.json").write_text(json.dumps(result))
    tag = run.tag(sweep)
    rundir.add_tag(run_dir, **(tag | ({"method": method} if method else {})))


def test_a_report_takes_cells_from_other_folders_and_backends(tmp_path, capsys):
    """``--cells-from FOLDER=BACKEND``: each cell from the folder with the most finished
    runs of it, the first on a tie (another backend's run ids; runs another table made,
    under its own sweep and method names, count by their configs), the rest from the
    command's own; the claims see every cell; bad values are refused before anything is
    read."""
    import keras

    from kerasnoise.claims import Order

    declared = Experiment(
        name="cells",
        title="cells from two folders",
        preset="rolnick-mnist",
        methods={"ce": {}},
        axes={"model": ["mlp1", "mlp2"], "noise.alpha": [0, 10]},
        series="model",
        seeds=[0, 1],
        claims=[Order("mlp1 < mlp2 at alpha 10", "model", ["mlp1", "mlp2"], {"noise.alpha": 10})],
    )
    here = keras.backend.backend()
    there = next(b for b in ("jax", "torch", "tensorflow") if b != here)
    own, other = tmp_path / "own", tmp_path / "other"
    runs = declared.sweep().expand()
    accuracy = {}
    for r in runs:  # own: every cell; other: mlp2's, other numbers
        key = (r.axes["model"], r.axes["noise.alpha"], r.seed)
        accuracy[key] = 0.5 + 0.1 * r.seed + (0.2 if r.axes["model"] == "mlp2" else 0)
        _finished_run_dir(own, r, here, "cells", 0.1 + 0.01 * r.seed)
        if r.axes["model"] == "mlp2" or key == ("mlp1", 0, 0):
            # another table's runs of the same configs: another sweep, another name
            # (of mlp1 at alpha 0 only seed 0: the own folder's two seeds win)
            _finished_run_dir(other, r, there, "elsewhere", accuracy[key], method="plain")
    other_runs = {r.config.run_id(there) for r in runs}
    assert other_runs.isdisjoint(r.config.run_id(here) for r in runs)  # the backend counts

    outcome = run(declared, out=str(own), report_only=True, cells_from=[f"{other}={there}"])
    table = outcome.table.set_index(["model", "noise_alpha"])
    for model in ("mlp1", "mlp2"):
        for alpha in (0, 10):
            row = table.loc[(model, alpha)]
            want = [accuracy[(model, alpha, s)] for s in (0, 1)] if model == "mlp2" else [0.1, 0.11]
            assert row["mean"] == pytest.approx(100 * np.mean(want))
            assert row["n"] == 2 and row["backend"] == (there if model == "mlp2" else here)
    (verdict,) = outcome.verdicts
    assert verdict.verdict == "supported"  # 10.5 < 75 over two seeds a side
    notes = (own / "table.md").read_text()
    assert f"2 from `{other}` on {there}" in notes and "8 of 8 runs finished" in notes
    # the fewer-runs cell came from the own folder, and a tie from the first folder given
    later = tmp_path / "later"
    for r in runs:
        if (r.axes["model"], r.axes["noise.alpha"]) == ("mlp1", 0):  # both seeds
            _finished_run_dir(later, r, there, "elsewhere", 0.9 - 0.1 * r.seed)
    twice = [f"{later}={there}", f"{other}={there}"]
    table = run(declared, out=str(own), report_only=True, cells_from=twice).table
    row = table.set_index(["model", "noise_alpha"]).loc[("mlp1", 0)]
    assert row["mean"] == pytest.approx(85.0) and row["n"] == 2  # `later`'s two, not own's

    # without the flag: the command's own folder alone, no backend column
    alone = run(declared, out=str(own), report_only=True).table
    assert "backend" not in alone and set(alone["mean"].round(4)) == {10.5}

    for value, message in [
        (f"{other}", "expected FOLDER=BACKEND"),
        (f"{other}=theano", "expected FOLDER=BACKEND"),
        (f"{tmp_path / 'nowhere'}={there}", "no folder"),
        (f"{own}={here}", "this command's own output folder"),
    ]:
        with pytest.raises(ValueError, match=message):
            run(declared, out=str(own), report_only=True, cells_from=[value])
