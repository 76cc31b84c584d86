"""Experiment configs: overrides, identity, validation before any data is loaded."""

import json

import numpy as np
import pytest

from kerasnoise import config as cfg
from kerasnoise import presets


def test_overrides_dotted_keys_and_component_switch():
    base = presets.get("menon-mnist-lenet")
    over = cfg.parse_overrides(
        [
            "loss.tau=2",
            "loss=phuber_ce",
            "noise.rate=0.4",
            "epochs=3",
            "validation=0.1",
            "optimizer.global_clipnorm=0.1",
            "early_stopping.enabled=True",
        ]
    )
    c = cfg.apply_overrides(base, over).validate()
    assert c.loss == {"name": "phuber_ce", "tau": 2}  # switch first, then the parameter
    assert c.noise["rate"] == 0.4 and c.epochs == 3 and c.validation == 0.1
    assert c.optimizer.global_clipnorm == 0.1 and c.early_stopping.enabled
    assert base.epochs == 20  # the preset object is untouched
    speed = cfg.apply_overrides(base, {"steps_per_execution": 8, "jit_compile": False})
    assert speed.validate().run_id() == base.run_id()  # speed settings do not change the run
    from kerasnoise.presets import rolnick2017

    assert cfg.apply_overrides(presets.get("rolnick-mnist"), {"noise": "structured"}).noise == {
        "name": "structured",
        "alpha": 20,
        "delta": 0.5,
        "ranking": [list(row) for row in rolnick2017.MNIST_RANKING],
    }


@pytest.mark.backend_free
def test_overrides_are_literals_never_code(tmp_path):
    marker = tmp_path / "evaluated"
    parsed = cfg.parse_overrides([f"description=open({str(marker)!r}, 'w')"])
    c = cfg.apply_overrides(presets.get("menon-mnist-lenet"), parsed)
    assert c.description.startswith("open(") and not marker.exists()


@pytest.mark.backend_free
def test_round_trip_and_ids():
    c = cfg.apply_overrides(presets.get("rolnick-mnist"), {"noise.alpha": 50, "seed": 3})
    again = cfg.ExperimentConfig.from_dict(json.loads(json.dumps(c.to_dict())))
    assert again == c and again.run_id() == c.run_id()
    other_seed = cfg.apply_overrides(c, {"seed": 4})
    assert other_seed.run_id() != c.run_id() and other_seed.group_id() == c.group_id()
    # the training runner keys runs by backend too: comparing backends needs both
    assert c.run_id("jax") != c.run_id("torch") != c.run_id()
    assert c.group_id("jax") == other_seed.group_id("jax") != c.group_id("torch")
    # where the data lives does not change the run
    assert cfg.apply_overrides(c, {"data_dir": "/elsewhere"}).run_id() == c.run_id()
    assert cfg.apply_overrides(c, {"noise_seed": 1}).group_id() != c.group_id()


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"lossx": 1}, ValueError, "unknown config key lossx; allowed keys: preset"),
        ({"optimizer.lr": 1}, ValueError, "allowed optimizer keys: name, learning_rate"),
        ({"loss": "focal"}, ValueError, "loss.name must be one of cross_entropy, ce, gce"),
        ({"noise": "gaussian"}, ValueError, "noise.name must be one of symmetric_exclusive"),
        ({"model": "vgg"}, ValueError, "model.name must be one of perceptron"),
        ({"noise.rate": 1.5}, ValueError, r"rate must be in \[0, 1\]"),
        ({"loss": "phuber_ce", "loss.tau": 0.5}, ValueError, "tau must be > 1"),
        ({"loss.tau": 10}, TypeError, "loss 'ce'.*unexpected keyword argument 'tau'"),
        ({"model.widht": 3}, TypeError, "unknown parameter for model 'lenet5'"),
        ({"model.data_format": "NCHW"}, ValueError, r"model.data_format must be one of \('auto'"),
        ({"model.num_classes": 3}, ValueError, "set by the runner"),
        ({"optimizer.name": "rmsprop"}, ValueError, "optimizer.name must be one of adam, adadelta"),
        ({"optimizer.schedule": "cosine"}, ValueError, "constant, exponential, multistep"),
        ({"optimizer.clipnorm": 1.0, "optimizer.global_clipnorm": 0.1}, ValueError, "not both"),
        ({"optimizer.schedule": "multistep"}, ValueError, "needs optimizer.milestones"),
        (
            {"optimizer.weight_decay_mode": "l2"},
            ValueError,
            "coupled, coupled_after_clip, decoupled",
        ),
        ({"epochs": 0}, ValueError, "epochs must be a positive integer"),
        ({"epochs": 2.5}, TypeError, "epochs must be an integer"),
        ({"batch_size": "32"}, TypeError, "batch_size must be an integer"),
        ({"precision": "fp8"}, ValueError, "float32, mixed_bfloat16, mixed_float16, auto"),
        ({"dataset": "imagenet"}, ValueError, "choose one of mnist, fashion_mnist"),
        ({"early_stopping.enabled": True}, ValueError, "needs a validation split"),
        ({"augment": True}, ValueError, "cifar10/100"),
        ({"validation": 2.5}, ValueError, "must be an integer"),
        ({"seed": -1}, ValueError, "seed must be a non-negative integer"),
        ({"noise.rate.x": 1}, ValueError, "at most two levels"),
        (
            {"noise": "additive", "noise.alpha": 1, "noise.source": "other"},
            ValueError,
            "noise.source must be one of train, white_noise, mnist, fashion_mnist",
        ),
        (
            {"noise": "additive", "noise.alpha": 1, "noise.source": "cifar100"},
            ValueError,
            r"'cifar100' has 32x32x3 images but mnist has 28x28x1; no conversion is offered",
        ),
        (
            {"noise": "additive", "noise.alpha": 1, "noise.source": "mnist"},
            ValueError,
            "the task's own data set: use 'train'",
        ),
        (
            {
                "noise": "additive",
                "noise.alpha": 1,
                "noise.source": "white_noise",
                "validation": 100,
                "validation_labels": "noisy",
            },
            ValueError,
            "validation_labels='noisy' needs extra pairs of the training images",
        ),
        ({"noise": "additive", "noise.alpha": -1}, ValueError, "alpha must be a non-negative"),
        ({"noise": "additive", "noise.alpha": "many"}, ValueError, "alpha must be a non-negative"),
        (
            {"noise": "structured", "noise.alpha": 1, "noise.delta": 1.5},
            ValueError,
            r"delta must be in \[0, 1\]",
        ),
        (
            {"noise": "structured", "noise.alpha": 1, "noise.delta": 0.5, "noise.order": "best"},
            ValueError,
            "order must be one of",
        ),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
        ({"eval_every_steps": 0}, ValueError, "eval_every_steps must be a positive integer"),
        ({"steps_per_execution": 0}, ValueError, "steps_per_execution must be a positive"),
        ({"jit_compile": "xla"}, ValueError, "jit_compile must be True, False or 'auto'"),
        ({"stratify": "yes"}, TypeError, "stratify must be True or False"),
        ({"input_scale": "raw"}, ValueError, "input_scale must be one of standardize, unit"),
        ({"optimizer.initial_accumulator": -1.0}, ValueError, "initial_accumulator must be >= 0"),
        (
            {"loss": "forward", "loss.transition": "estimated"},
            ValueError,
            "loss.transition='estimated' needs label noise to estimate",
        ),
        ({"noise_seed": "run"}, ValueError, "noise_seed must be a non-negative integer or 'seed'"),
        ({"noise_seed": -1}, ValueError, "noise_seed must be a non-negative integer or 'seed'"),
        ({"loss": "forward", "loss.transition": [[1, 0], [0, 1]]}, ValueError, "2 x 2 but"),
        ({"loss.clip": 1.5}, ValueError, r"clip must be None or a number in \(0, 0.5\)"),
    ],
)
def test_invalid_configs_fail_before_data(overrides, error, message, monkeypatch):
    from kerasnoise import datasets

    def no_loading(*args, **kwargs):
        raise AssertionError("data must not be loaded for an invalid config")

    monkeypatch.setattr(datasets, "load", no_loading)
    with pytest.raises(error, match=message):
        cfg.apply_overrides(presets.get("menon-mnist-lenet"), overrides).validate()


def test_channels_first_refused_before_data_where_it_cannot_run(monkeypatch):
    """TensorFlow on a CPU without oneDNN cannot run NCHW convolutions: validate() says
    so in one line naming the layouts that run, before any data loads (probe forced)."""
    from kerasnoise import datasets
    from kerasnoise.devices import execution

    monkeypatch.setattr(datasets, "load", lambda *a, **k: pytest.fail("data loaded"))
    monkeypatch.setattr(execution, "_nchw_convolution_runs", lambda backend: False)
    config = cfg.apply_overrides(presets.get("menon-mnist-lenet"), {"model.data_format": "auto"})
    assert config.validate() is config
    bad = cfg.apply_overrides(config, {"model.data_format": "channels_first"})
    with pytest.raises(ValueError) as err:
        bad.validate()
    message = str(err.value)
    assert message.startswith("model.data_format='channels_first' cannot run here")
    assert "\n" not in message and "use 'auto' or 'channels_last'" in message


def test_noise_seed_per_run_draws_new_noise_for_every_seed_in_one_group(shared_data):
    """``noise_seed=seed`` (Patrini et al.'s ``random_state=run``): each training seed
    its own noisy labels and validation split; the seeds of a cell stay one group."""
    from kerasnoise import training

    items = ["noise_seed=seed", "train_limit=1000", "validation=100", "noise.rate=0.4"]
    base = cfg.apply_overrides(presets.get("menon-mnist-lenet"), cfg.parse_overrides(items))
    base.data_dir = str(shared_data)
    assert base.noise_seed == "seed"
    one, two = (cfg.apply_overrides(base, {"seed": s}) for s in (1, 2))
    assert (one.data_noise_seed(), two.data_noise_seed()) == (1, 2)
    assert one.group_id() == two.group_id() and one.run_id() != two.run_id()
    fixed = cfg.apply_overrides(one, {"noise_seed": 1})
    assert fixed.run_id() != one.run_id()  # the rule is part of the run's name
    data_1, data_2 = training.build_data(one), training.build_data(two)
    assert (data_1.built.noise.labels != data_2.built.noise.labels).any()
    assert (data_1.data.y_val != data_2.data.y_val).any()  # another split
    np.testing.assert_array_equal(  # the same draw as noise_seed=1
        training.build_data(fixed).built.noise.labels, data_1.built.noise.labels
    )
