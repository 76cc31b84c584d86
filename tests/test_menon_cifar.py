"""The Menon et al. CIFAR script on the real CIFAR-10 subset with a tiny ResNet on the
active backend: its table, panels and memorisation figure; its --dataset choice; the
seeded augmentation it trains with."""

import json

import numpy as np
import pandas as pd
import pytest

from experiments import menon_cifar
from kerasnoise import datasets, noise, pipelines
from kerasnoise.experiment import check_declaration, main_among


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100"])
def test_declarations(dataset):
    experiment = menon_cifar.EXPERIMENTS[dataset]
    check_declaration(experiment)
    assert experiment.preset == f"menon-{dataset}-resnet50"
    tau = 2 if dataset == "cifar10" else 10
    assert experiment.labels["phuber_ce"] == f"PHuber-CE (τ {tau})"


def test_the_subset_table_memorisation_and_dataset_flag(shared_data, tmp_path, capsys):
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
    history = json.loads(next(out.glob("menon-cifar10-resnet50-*/history.json")).read_text())
    assert len(history) == 1 and "train_noisy_memorised" in history["0"]
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
