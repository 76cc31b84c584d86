"""What Rolnick et al.'s experiments need, on real MNIST and the active backend: training
counted in steps (a stream of passes cut into evaluations), noise images from another
source, PyTorch's initialisation, and the four experiment scripts end to end."""

import dataclasses
import json
import math

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnoise import config as cfg
from kerasnoise import datasets, models, noise, pipelines, presets, training
from kerasnoise.tables import check_declaration
from kerasnoise.tables import run as run_experiment
from tests.helpers import (
    Interrupt,
    StopAfterFirstEpoch,
    epoch_pairs,
    read_runs,
    without_timing,
)


@pytest.fixture(scope="module")
def mnist(shared_data):
    return datasets.load("mnist", shared_data)


# --------------------------------------------------------------------------- steps


def test_periods_are_the_passes_cut_into_equal_steps(mnist):
    """Keras epochs of S steps are the per-pass batches, in order, across pass ends."""
    x, y = mnist.x_train[:500], mnist.y_train[:500]
    result = noise.Additive(1).apply(y, num_classes=10, seed=0)  # 1,000 examples: 8 batches
    kw = dict(batch_size=128, seed=3, mean=(0.1307,), std=(0.3081,))
    passes = pipelines.TrainPipeline(x, result, **kw)
    stream = [
        passes.load(p, b) for p in range(3) for b in range(passes.steps_per_epoch)
    ]  # 24 batches
    periodic = pipelines.TrainPipeline(x, result, steps_per_period=5, **kw)
    assert (len(periodic), periodic.steps_per_epoch, periodic.examples_per_epoch) == (5, 8, 640)
    assert periodic.locate(1, 3) == (1, 0)  # step 8: the first batch of the second pass
    got = []
    for _ in range(4):  # 20 steps, through 2.5 passes; the counter advances itself
        got += [(xb.numpy(), yb.numpy()) for xb, yb in periodic.dataset]
    batches = pipelines.PipelineBatches(
        pipelines.TrainPipeline(x, result, steps_per_period=5, **kw), chunk=3
    )
    fed = []
    for _ in range(4):
        fed += [batches[i] for i in range(len(batches))]
        batches.on_epoch_end()
    for (gx, gy), (fx, fy), (ex, ey) in zip(got, fed, stream[:20], strict=True):
        np.testing.assert_array_equal(gy, ey)
        np.testing.assert_array_equal(fy, ey)
        np.testing.assert_array_equal(gx, ex)
        np.testing.assert_array_equal(fx, ex)
    assert [len(yb) for _, yb in got[:8]] == [128] * 7 + [1000 - 7 * 128]
    # a pass as the period gives exactly the per-pass pipeline's batches
    same = pipelines.TrainPipeline(x, result, steps_per_period=8, **kw)
    for (ax, ay), (bx, by) in zip(same.dataset, passes.dataset, strict=True):
        np.testing.assert_array_equal(ay.numpy(), by.numpy())
        np.testing.assert_array_equal(ax.numpy(), bx.numpy())
    with pytest.raises(ValueError, match="steps_per_period must be a positive integer"):
        pipelines.TrainPipeline(x, result, steps_per_period=0, **kw)


def _quick(**overrides):
    base = presets.get("rolnick-mnist")
    return cfg.apply_overrides(
        base,
        {
            "model": "mlp1",
            "noise.alpha": 2,
            "train_limit": 1200,
            "validation": 200,
            "train_eval_images": 500,
            "epochs": 4,
            "eval_every_steps": 7,
            "early_stopping.patience": 100,
            "optimizer.learning_rate": 0.5,
            **overrides,
        },
    )


def test_step_budget_is_recorded_and_resumes_as_uninterrupted(shared_data, tmp_path):
    config = _quick(data_dir=str(shared_data))
    whole = training.train(config, tmp_path / "a", verbose=0, quiet=True)
    assert whole["steps_per_epoch"] == 7 and whole["epochs_run"] == 4
    assert whole["steps_run"] == 28 and whole["best_step"] == 7 * (whole["best_epoch"] + 1)
    # stopped after the first evaluation (7 steps, within the first pass), then resumed
    with pytest.raises(Interrupt):
        training.train(
            config, tmp_path / "b", verbose=0, quiet=True, callbacks=[StopAfterFirstEpoch()]
        )
    resumed = training.train(config, tmp_path / "b", verbose=0, quiet=True)
    run_id = whole["run_id"]
    histories = [
        json.loads((tmp_path / part / run_id / "history.json").read_text()) for part in "ab"
    ]
    assert without_timing(histories[1]) == without_timing(histories[0])
    assert resumed["test_accuracy_best"] == whole["test_accuracy_best"]


def test_eval_every_steps_is_in_the_run_id_only_when_set():
    base = presets.get("menon-mnist-lenet")
    assert "eval_every_steps" not in base.run_key()
    assert cfg.apply_overrides(base, {"eval_every_steps": 100}).run_key()["eval_every_steps"] == 100


# --------------------------------------------------------------------------- noise images


def test_foreign_images_feed_alpha_n_images_with_uniform_labels(mnist):
    """alpha x N extra examples, all from the other array (counted), labels uniform over
    the classes, and the images held once, not alpha times."""
    x, y = mnist.x_train[:300], mnist.y_train[:300]
    other = np.zeros((50, 28, 28), np.uint8)
    other[:, 0, 0] = 200 + np.arange(50) % 50  # no MNIST image has a bright corner pixel
    other[:, 0, 1] = np.arange(50)
    alpha = 4
    result = noise.Additive(alpha, source="fashion_mnist").apply(y, num_classes=10, seed=1)
    pipe = pipelines.TrainPipeline(x, result, batch_size=64, seed=2, extra_images=other)
    images, labels = epoch_pairs(pipe.dataset)
    foreign = images[:, 0, 0, 0] >= 200
    assert foreign.sum() == alpha * len(y) and (~foreign).sum() == len(y)
    counts = np.bincount(images[foreign, 0, 1, 0], minlength=50)
    np.testing.assert_array_equal(counts, alpha * len(y) // 50)  # each image in turn
    by_class = np.bincount(labels[foreign], minlength=10)
    expected = alpha * len(y) / 10
    assert np.all(np.abs(by_class - expected) <= 5 * np.sqrt(expected))
    assert result.summary()["model"]["source"] == "fashion_mnist"
    assert (result.true_labels[len(y) :] == -1).all()


def test_white_noise_images_are_reproducible_and_matched(mnist):
    small = dataclasses.replace(mnist, x_train=mnist.x_train[:2000], y_train=mnist.y_train[:2000])
    a = datasets.noise_images("white_noise", small, seed=5)
    b = datasets.noise_images("white_noise", small, seed=5)
    c = datasets.noise_images("white_noise", small, seed=6)
    assert a.shape == (2000, 28, 28, 1) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # normal(0.1307, 0.3081) on the 0..255 scale, rounded and clipped: about half the
    # pixels are 0, the rest have the clipped normal's mean
    z = -0.1307 / 0.3081
    assert np.mean(a == 0) == pytest.approx(0.5 * (1 + math.erf(z / np.sqrt(2))), abs=0.01)


def test_a_foreign_source_trains_end_to_end(shared_data, tmp_path):
    config = _quick(data_dir=str(shared_data), epochs=1, **{"noise.source": "white_noise"})
    record = training.train(config, tmp_path, verbose=0, quiet=True)
    assert record["status"] == "finished"
    summary = json.loads((tmp_path / record["run_id"] / "noise.json").read_text())
    assert (
        summary["num_examples"] == 3 * (1200 - 200) and summary["model"]["source"] == "white_noise"
    )
    assert config.run_key()["noise"]["source"] == "white_noise"
    # the task's own images keep the run id they had before sources existed, named or not
    assert "source" not in _quick().run_key()["noise"]
    named = _quick(**{"noise.source": "train"})
    assert named.noise["source"] == "train" and named.run_id() == _quick().run_id()
    foreign = _quick(**{"noise.source": "white_noise"})
    assert named.group_id() == _quick().group_id() != foreign.group_id()


def test_fashion_mnist_from_a_folder(tmp_path, mnist):
    """A data set named as the source is loaded as datasets.load does, from its folder."""
    fake = tmp_path / "fashion_mnist.npz"
    images = np.full((30, 28, 28), 7, np.uint8)
    np.savez(
        fake, x_train=images, y_train=np.arange(30) % 10, x_test=images[:10], y_test=np.arange(10)
    )
    got = datasets.noise_images("fashion_mnist", mnist, seed=0, data_dir=tmp_path)
    np.testing.assert_array_equal(got[..., 0], images)


def test_cifar100_images_for_cifar10(tmp_path):
    """CIFAR-10 with CIFAR-100 images (the paper's setting), on tiny arrays."""
    rng = np.random.default_rng(0)

    def write(name, classes):
        x = rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
        np.savez(
            tmp_path / f"{name}.npz",
            x_train=x,
            y_train=np.arange(40) % classes,
            x_test=x[:20],
            y_test=np.arange(20) % classes,
        )
        return x

    write("cifar10", 10)
    hundred = write("cifar100", 100)
    task = datasets.load("cifar10", tmp_path)
    got = datasets.noise_images("cifar100", task, seed=0, data_dir=tmp_path)
    np.testing.assert_array_equal(got, hundred)
    config = cfg.ExperimentConfig(
        dataset="cifar10",
        data_dir=str(tmp_path),
        noise={"name": "additive", "alpha": 1, "source": "cifar100"},
        model={"name": "perceptron"},
        epochs=1,
        batch_size=16,
        eval_batch_size=20,
        train_eval_images=None,
    )
    record = training.train(config, tmp_path / "out", verbose=0, quiet=True)
    assert record["status"] == "finished"
    # 40 CIFAR-10 pairs kept, one extra pair per image from CIFAR-100: every extra pair is
    # noisy (its image has no CIFAR-10 class) and has no true class to count
    summary = json.loads((tmp_path / "out" / record["run_id"] / "noise.json").read_text())
    assert summary["model"] == {"name": "additive", "alpha": 1, "source": "cifar100"}
    assert (summary["num_clean"], summary["num_examples"], summary["num_noisy"]) == (40, 80, 40)
    assert summary["extra_source"] == "other" and summary["rate"] == 0.5
    assert np.sum(summary["transition_counts"]) == 40
    np.testing.assert_array_equal(np.diag(summary["transition_counts"]), [4] * 10)
    assert record["noise_rate"] == 0.5 and record["epochs_run"] == 1


# --------------------------------------------------------------------------- initialisation


@pytest.mark.parametrize("name", ["perceptron", "mlp1", "conv4"])
def test_torch_initialisation_is_uniform_in_one_over_root_fan_in(name):
    keras.utils.set_random_seed(0)
    model = models.get(name, init="torch")
    layers = [layer for layer in model.layers if layer.weights]
    for layer in layers:
        kernel, bias = (keras.ops.convert_to_numpy(w) for w in layer.weights)
        fan_in = int(np.prod(kernel.shape[:-1]))
        bound = 1 / np.sqrt(fan_in)
        limit = bound * (1 + 1e-6)  # the bound rounded to float32
        assert np.abs(kernel).max() <= limit and np.abs(bias).max() <= limit
        # uniform: the largest draws come near the bound, the variance is bound^2 / 3
        assert np.abs(kernel).max() > 0.95 * bound
        assert kernel.var() == pytest.approx(bound**2 / 3, rel=0.1)
    glorot = models.get(name)
    first = keras.ops.convert_to_numpy(
        [layer for layer in glorot.layers if layer.weights][0].weights[1]
    )
    assert not first.any()  # Keras's default: zero biases
    with pytest.raises(ValueError, match="init must be one of glorot, torch"):
        models.get(name, init="he")


def test_the_preset_names_its_initialisation_and_adadelta_settings():
    c = presets.get("rolnick-mnist")
    assert c.model["init"] == "torch" and c.eval_every_steps == 1000
    assert (c.optimizer.rho, c.optimizer.epsilon) == (0.9, 1e-6)
    assert cfg.apply_overrides(c, {"model": "mlp2"}).model == {"name": "mlp2", "init": "torch"}


# --------------------------------------------------------------------------- scripts


SCRIPTS = ["rolnick_uniform", "rolnick_structured", "rolnick_source", "rolnick_batch_size"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_declarations_are_well_formed(script):
    module = __import__(f"experiments.{script}", fromlist=["EXPERIMENT"])
    check_declaration(module.EXPERIMENT)


TINY = {
    "train_limit": 600,
    "test_limit": 1000,
    "validation": 100,
    "epochs": 1,
    "eval_every_steps": 3,
    "train_eval_images": 200,
    "eval_batch_size": 500,
}


def _point(x):
    """An x value as plotted: a number, or a category's name."""
    try:
        return float(x)
    except ValueError:
        return str(x)


@pytest.mark.parametrize(
    ("script", "options"),
    [
        ("rolnick_uniform", {"models": ["mlp1"], "alphas": [2]}),
        ("rolnick_structured", {"orders": ["random"], "deltas": [1.0]}),
        ("rolnick_source", {"sources": ["white_noise"]}),
        ("rolnick_batch_size", {"alphas": [2], "batch_sizes": [32]}),
    ],
)
@pytest.mark.orchestration
def test_each_script_writes_its_table_and_figure(script, options, shared_data, tmp_path, figures):
    module = __import__(f"experiments.{script}", fromlist=["EXPERIMENT"])
    experiment = module.EXPERIMENT
    rates = [0.1, 0.5] if script == "rolnick_uniform" else [0.5]  # a choice, or just a run
    overrides = {k: v for k, v in options.items() if "." in k}
    flags = {k: v for k, v in options.items() if "." not in k}
    outcome = run_experiment(
        experiment,
        seeds=[0],
        out=str(tmp_path),
        data_dir=str(shared_data),
        jobs=1,
        progress=False,
        learning_rates=rates,
        overrides={**TINY, **overrides},
        **flags,
    )
    table = outcome.table
    assert {"mean", "std", "n", "learning_rate", "steps", "best_step"} <= set(table)
    assert set(table["learning_rate"]) <= set(rates) and (table["steps"] == 3).all()
    for name in ("table.md", "table.csv", experiment.figure):
        assert (tmp_path / name).is_file()

    # every cell is its chosen run's record, read back from the run's own files (the
    # table's key columns are the method, when it has one, and the axes but the rate)
    runs = read_runs(tmp_path, experiment.name)
    assert len(runs) == len(table) >= 1
    written = pd.read_csv(tmp_path / "table.csv")
    for i, row in enumerate(table.to_dict("records")):
        (run,) = [
            r
            for r in runs
            if r["method"] == row.get("method", r["method"])
            and all(
                row[key.replace(".", "_")] == value
                for key, value in r["axes"].items()
                if key != "optimizer.learning_rate"
            )
        ]
        result = run["result"]
        assert row["mean"] == pytest.approx(100 * result["test_accuracy_best"], abs=1e-9)
        assert row["n"] == 1 and row["per_seed"] == f"0: {100 * result['test_accuracy_best']:.2f}"
        assert row["learning_rate"] == run["config"]["optimizer"]["learning_rate"]
        assert (row["steps"], row["best_step"]) == (result["steps_run"], result["best_step"])
        assert written.loc[i, "mean"] == pytest.approx(row["mean"], abs=1e-4)
    # the figure shows those values: one point per run, at its x value
    (panel,) = figures[experiment.figure]["axes"]
    x_key = experiment.x_axis
    drawn = sorted(
        (_point(x), round(float(y), 9))
        for bar in panel["errorbars"]
        for x, y in zip(bar["x"], bar["y"], strict=True)
    )
    want = sorted(
        (_point(r["axes"][x_key]), round(100 * r["result"]["test_accuracy_best"], 9)) for r in runs
    )
    assert drawn == want
    assert panel["xlabel"] == x_key and panel["ylabel"] == "test accuracy (%)"
