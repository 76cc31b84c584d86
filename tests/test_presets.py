"""Presets per paper: the settings match the papers, labels carry the loss parameters,
references are well formed, and the committed results keep their run ids."""

import json
from pathlib import Path

import pytest

from kerasnoise import config as cfg
from kerasnoise import noise, presets
from kerasnoise.presets import menon2020, rolnick2017

RESULTS = Path(__file__).resolve().parents[1] / "experiments" / "results"


def test_presets_validate_and_name_their_source():
    assert set(presets.available()) == {
        "menon-mnist-lenet",
        "menon-cifar10-resnet50",
        "menon-cifar100-resnet50",
        "patrini-mnist-mlp",
        "rolnick-mnist",
        "coteaching-mnist-mlp",
        "coteaching-mnist-cnn",
    }
    for name in presets.available():
        preset = presets.get(name).validate()
        assert preset.preset == name and preset.source and preset.description


@pytest.mark.backend_free
def test_coteaching_mnist_settings_match_the_authors_code():
    c = presets.get("coteaching-mnist-mlp")
    assert (c.dataset, c.input_scale, c.batch_size, c.epochs, c.validation) == (
        "mnist",
        "unit",
        128,
        200,
        0.0,
    )
    assert c.model == {"name": "mlp", "hidden": [256], "init": "torch"}
    o = c.optimizer
    assert (o.name, o.learning_rate, o.epsilon, o.schedule) == ("adam", 1e-3, 1e-8, "linear")
    assert (o.decay_start, o.beta_1_after) == (80, 0.1)
    assert c.method == {"name": "standard"} and c.noise["name"] == "symmetric_exclusive"
    assert presets.get("coteaching-mnist-cnn").model == {"name": "coteaching_cnn"}


@pytest.mark.backend_free
def test_menon_mnist_settings_match_the_paper():
    c = presets.get("menon-mnist-lenet")
    assert (c.dataset, c.model["name"], c.batch_size, c.epochs) == ("mnist", "lenet5", 32, 20)
    o = c.optimizer
    assert (o.name, o.learning_rate, o.schedule, o.decay_rate, o.decay_steps) == (
        "adam",
        1e-3,
        "exponential",
        0.1,
        10_000,
    )
    assert not o.staircase  # continuous decay
    assert (o.weight_decay, o.weight_decay_mode) == (1e-3, "coupled_after_clip")
    assert c.noise == {"name": "symmetric_exclusive", "rate": 0.0}


@pytest.mark.backend_free
def test_menon_cifar_settings_match_the_paper():
    c10, c100 = presets.get("menon-cifar10-resnet50"), presets.get("menon-cifar100-resnet50")
    assert (c10.batch_size, c10.epochs, c10.optimizer.milestones, c10.optimizer.gamma) == (
        64,
        400,
        [160, 300, 360],
        0.1,
    )
    assert (c100.batch_size, c100.epochs, c100.optimizer.milestones, c100.optimizer.gamma) == (
        128,
        200,
        [60, 120, 160],
        0.2,
    )
    for c in (c10, c100):
        o = c.optimizer
        assert (o.name, o.momentum, o.nesterov, o.weight_decay) == ("sgd", 0.1, True, 5e-4)
        assert c.augment and c.model["name"] == "resnet50"
    # tau = 2 for PHuber-CE on CIFAR-10, 10 on CIFAR-100
    assert cfg.apply_overrides(c10, {"loss": "phuber_ce"}).loss == {"name": "phuber_ce", "tau": 2.0}
    assert cfg.apply_overrides(c100, {"loss": "phuber_ce"}).loss["tau"] == 10.0


@pytest.mark.backend_free
def test_labels_are_derived_from_the_loss_parameters(monkeypatch):
    assert menon2020.labels("mnist") == {
        "ce": "CE",
        "ce_clip": "CE + clipping",
        "linear": "Linear",
        "gce": "GCE (q 0.7)",
        "phuber_ce": "PHuber-CE (τ 10)",
        "phuber_gce": "PHuber-GCE (τ 10)",
    }
    assert menon2020.labels("cifar10")["phuber_ce"] == "PHuber-CE (τ 2)"
    # tau is written once: changing it changes the label and what loss=phuber_ce brings
    monkeypatch.setitem(menon2020.LOSS_PARAMS["cifar10"], "phuber_ce", {"tau": 3.0})
    assert menon2020.labels("cifar10")["phuber_ce"] == "PHuber-CE (τ 3)"
    c10 = cfg.apply_overrides(presets.get("menon-cifar10-resnet50"), {"loss": "phuber_ce"})
    assert c10.loss == {"name": "phuber_ce", "tau": 3.0}
    with pytest.raises(ValueError, match="dataset must be one of mnist, cifar10, cifar100"):
        menon2020.labels("svhn")


@pytest.mark.backend_free
def test_a_preset_is_a_fresh_copy():
    first = presets.get("menon-mnist-lenet")
    first.preset_params["loss"]["phuber_ce"]["tau"] = 99.0
    assert presets.get("menon-mnist-lenet").preset_params["loss"]["phuber_ce"]["tau"] == 10.0
    assert menon2020.LOSS_PARAMS["mnist"]["phuber_ce"]["tau"] == 10.0
    with pytest.raises(ValueError, match="unknown preset 'nope'; available: menon-mnist-lenet"):
        presets.get("nope")
    with pytest.raises(ValueError, match="preset 'rolnick_mnist' exists already"):
        presets.register("rolnick-mnist", rolnick2017.mnist)


@pytest.mark.backend_free
def test_presets_follow_the_one_plugin_api():
    """register / get / available / has as for losses, models, noise, data sets and
    methods: names case-insensitive with '-' for '_', shown as registered."""
    assert presets.has("Rolnick_MNIST") and not presets.has("rolnick")
    assert presets.get("ROLNICK-mnist").preset == "rolnick-mnist"

    @presets.register("my-mnist")
    def mine():
        return presets.config_of("menon-mnist-lenet").__class__(preset="my-mnist", epochs=2)

    try:
        assert "my-mnist" in presets.available() and presets.get("my_mnist").epochs == 2
        with pytest.raises(TypeError, match="preset 'my_mnist'"):
            presets.get("my-mnist", epochs=3)  # the builder takes no parameters
        with pytest.raises(TypeError, match="a preset is a function"):
            presets.register("broken", 3)
    finally:
        from kerasnoise.presets._registry import _REGISTRY

        del _REGISTRY._entries["my_mnist"], _REGISTRY._origins["my_mnist"]


@pytest.mark.backend_free
@pytest.mark.parametrize("dataset", ["mnist", "cifar10", "cifar100"])
def test_menon_references_cover_every_method_and_rate(dataset):
    methods = menon2020.methods(dataset)
    for reference in menon2020.REFERENCES[dataset]:
        assert reference.name in ("paper", "reproduction") and "2021" in reference.source
        assert set(reference.values) == set(methods)
        for by_rate in reference.values.values():
            assert list(by_rate) == list(menon2020.RATES)
            assert all(0 <= v <= 100 for v in by_rate.values())
    paper, reproduction = menon2020.REFERENCES[dataset]
    if dataset == "mnist":  # spot checks against docs/papers.md
        assert paper.values["linear"][0.6] == 9.6 and reproduction.values["ce_clip"][0.6] == 94.7
    if dataset == "cifar10":
        assert paper.values["phuber_ce"][0.6] == 72.2


@pytest.mark.backend_free
def test_rolnick_facts():
    assert rolnick2017.MODELS == ("perceptron", "mlp1", "mlp2", "mlp4", "conv4")
    assert rolnick2017.LEARNING_RATES == (0.01, 0.05, 0.1, 0.5)
    (paper,) = rolnick2017.REFERENCES
    assert paper.values == {"conv4": {100: 91.0}}
    o = presets.get("rolnick-mnist").optimizer
    assert (o.name, o.rho, o.epsilon) == ("adadelta", 0.9, 1e-6)  # set, not Keras's defaults
    with pytest.raises(ValueError, match="needs a source"):
        presets.Reference("paper", " ", {})


def test_patrini_mnist_settings_match_the_authors_code():
    """docs/papers.md: inputs / 255, Dense 128 + Dropout 0.2 twice, he_normal, Adagrad
    with Keras 2's defaults, 40 epochs of batch 128, 10 % noisy validation, the
    weights of the best validation loss; the paper's MNIST flips."""
    c = presets.get("patrini-mnist-mlp")
    assert c.input_scale == "unit" and (c.validation, c.validation_labels) == (0.1, "noisy")
    assert c.model == {"name": "mlp", "hidden": [128, 128], "dropout": 0.2, "init": "he_normal"}
    o = c.optimizer
    assert (o.name, o.learning_rate, o.epsilon, o.initial_accumulator) == (
        "adagrad",
        0.01,
        1e-8,
        0.0,
    )
    assert (c.batch_size, c.epochs) == (128, 40)
    es = c.early_stopping
    assert es.enabled and es.monitor == "val_loss" and es.patience >= c.epochs
    flips = noise.from_config(c.noise).expected_transition(10)
    assert c.noise["name"] == "asymmetric"
    for src, dst in {2: 7, 3: 8, 5: 6, 6: 5, 7: 1}.items():
        assert flips[src, dst] == c.noise["rate"] == pytest.approx(1 - flips[src, src])
    assert all(flips[k, k] == 1 for k in (0, 1, 4, 8, 9))
    switched = cfg.apply_overrides(c, {"noise": "instance_dependent", "noise.rate": 0.4})
    assert switched.noise == {"name": "instance_dependent", "sigma": 0.1, "rate": 0.4}
    # their crossentropy and robust() clip p at K.epsilon(); their noise is per run
    assert c.loss == {"name": "ce", "clip": 1e-7} and c.noise_seed == "seed"
    for name in ("forward", "backward"):
        assert cfg.apply_overrides(c, {"loss": name}).loss == {"name": name, "clip": 1e-7}


@pytest.mark.backend_free
def test_committed_results_keep_their_run_ids():
    """Every committed run record's config hashes to the id it was stored under."""
    checked = 0
    for run_json in sorted(RESULTS.glob("*/*/run.json")):
        identity = json.loads(run_json.read_text())
        config = cfg.ExperimentConfig.from_dict(
            json.loads((run_json.parent / "config.json").read_text())
        )
        assert config.run_id(identity["backend"]) == identity["run_id"] == run_json.parent.name
        assert config.preset in presets.available()
        checked += 1
    assert checked >= 40  # the Menon MNIST table, other backends and the searches
