"""The Menon et al. CIFAR script on the real CIFAR-10 subset with a tiny ResNet on the
active backend: its table, panels and memorisation figure; its --dataset choice; the
seeded augmentation it trains with."""

import numpy as np
import pandas as pd
import pytest

from experiments import menon_cifar
from kerasnoise import datasets, noise, pipelines
from kerasnoise.tables import check_declaration, main_among
from tests.helpers import read_runs


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100"])
def test_declarations(dataset):
    experiment = menon_cifar.EXPERIMENTS[dataset]
    check_declaration(experiment)
    assert experiment.preset == f"menon-{dataset}-resnet50"
    tau = 2 if dataset == "cifar10" else 10
    assert experiment.labels["phuber_ce"] == f"PHuber-CE (τ {tau})"


@pytest.mark.orchestration
def test_the_subset_table_memorisation_and_dataset_flag(shared_data, tmp_path, capsys, figures):
    out = tmp_path / "out"
    # LeNet-5 in place of the preset's ResNet-50, for speed: the ResNets' training on this
    # subset is tested in test_models.py; here the experiment's table, figures and flags.
    argv = [
        "--dataset", "cifar10", "--methods", "ce,phuber_ce", "--rates", "0.4", "--seeds", "0",
        "--jobs", "1", "--no-progress", "--out", str(out), "--data-dir", str(shared_data),
        "data_file=cifar10_subset.npz", "train_limit=256", "epochs=1",
        "model=lenet5", "batch_size=64", "eval_batch_size=256", "train_eval_images=256",
    ]  # fmt: skip
    assert main_among(menon_cifar.EXPERIMENTS, "dataset", argv) == 0
    table = pd.read_csv(out / "table.csv")
    assert list(table["method"]) == ["ce", "phuber_ce"]
    assert list(table["paper"]) == [61.4, 83.6] and list(table["reproduction"]) == [67.8, 87.8]
    for name in ("table.md", "accuracy_vs_noise.png", "memorisation.png"):
        assert (out / name).stat().st_size > 1000
    # the table's values are the run records', read back from the runs' own files
    runs = {r["method"]: r for r in read_runs(out, "menon-cifar10")}
    assert sorted(runs) == ["ce", "phuber_ce"]
    ours = {m: 100 * r["result"]["test_accuracy_last"] for m, r in runs.items()}
    for row in table.itertuples():
        assert row.mean == pytest.approx(ours[row.method], abs=1e-4) and row.n == 1
        assert row.noise_rate == 0.4 and row.per_seed == f"0: {ours[row.method]:.2f}"
    for run in runs.values():  # what ran: LeNet-5 on 256 images at rho = 0.4, one epoch
        assert run["config"]["model"]["name"] == "lenet5" and run["config"]["train_limit"] == 256
        assert run["axes"] == {"noise.rate": 0.4} and run["result"]["epochs_run"] == 1
        assert list(run["history"]) == ["0"] and "train_noisy_memorised" in run["history"]["0"]
    # the figures show those values: one panel per method with its dot and the references
    panels = {ax["title"]: ax for ax in figures["accuracy_vs_noise.png"]["axes"]}
    assert list(panels) == ["CE", "PHuber-CE (τ 2)"]
    titles = {"ce": "CE", "phuber_ce": "PHuber-CE (τ 2)"}
    for (method, title), paper in zip(titles.items(), (61.4, 83.6), strict=True):
        panel = panels[title]
        (bar,) = panel["errorbars"]
        assert list(bar["x"]) == [0.4] and bar["y"] == pytest.approx([ours[method]])
        np.testing.assert_allclose(np.concatenate(panel["points"]), [[0.4, ours[method]]])
        (line,) = [ln for ln in panel["lines"] if ln["label"] == "paper"]
        assert list(line["y"]) == [paper]
    # memorisation: per epoch, 100 x the history's clean accuracy (solid) and memorised
    # share (dashed) of each method's run at the highest rate
    (memorisation,) = figures["memorisation.png"]["axes"]
    lines = {ln["label"]: ln for ln in memorisation["lines"]}
    for method, label in titles.items():
        epoch = runs[method]["history"]["0"]
        clean, memorised = (
            lines[f"{label}: clean labels"],
            lines[f"{label}: wrong labels memorised"],
        )
        assert list(clean["x"]) == list(memorised["x"]) == [1.0]
        assert clean["y"] == pytest.approx([100 * epoch["train_clean_accuracy"]])
        assert memorised["y"] == pytest.approx([100 * epoch["train_noisy_memorised"]])
        assert memorised["linestyle"] == "--"
    with pytest.raises(SystemExit):
        main_among(menon_cifar.EXPERIMENTS, "dataset", ["--dataset", "svhn"])
    err = capsys.readouterr().err
    assert "--dataset: invalid choice: 'svhn'" in err and "cifar100" in err


def test_augmentation_is_seeded_and_keeps_labels(shared_data):
    cifar = datasets.load("cifar10", shared_data, file="cifar10_subset.npz")
    x, y = cifar.x_train[:128], cifar.y_train[:128]
    result = noise.SymmetricExclusive(0.4).apply(y, num_classes=10, seed=0)
    kw = dict(batch_size=64, augment=True, shuffle=False)
    a, b, c = (pipelines.TrainPipeline(x, result, seed=s, **kw) for s in (3, 3, 4))
    batch_a, batch_b, batch_c = (p.load(0, 0) for p in (a, b, c))
    np.testing.assert_array_equal(batch_a[0], batch_b[0])  # same seed, same crops and flips
    assert not np.array_equal(batch_a[0], batch_c[0])
    for batch in (batch_a, batch_c):
        np.testing.assert_array_equal(batch[1], result.labels[:64])  # labels kept
