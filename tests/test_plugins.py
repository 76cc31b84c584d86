"""A researcher's own loss, model, noise model and data set, without editing kerasnoise:
registered in code, or installed as a package with entry points, and used by name
wherever ours are (configs, ``kerasnoise train`` and ``eval``, experiments)."""

import dataclasses
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

from kerasnoise import cli, datasets, losses, models, noise, presets, registry, training
from kerasnoise import config as cfg
from kerasnoise.tables import Experiment, run
from tests.helpers import install_distribution, plugin_environment

REPO = Path(__file__).resolve().parents[1]
SMALL = [
    "epochs=1",
    "train_limit=1000",
    "test_limit=1000",
    "validation=200",
    "batch_size=64",
    "eval_batch_size=500",
]
FAST = "optimizer.learning_rate=0.01"  # the small MLPs of these tests learn in 13 steps


def small_config(shared_data, *overrides):
    """The Menon MNIST preset, one epoch on 800 training images: seconds per run."""
    items = SMALL + list(overrides)
    config = cfg.apply_overrides(presets.get("menon-mnist-lenet"), cfg.parse_overrides(items))
    config.data_dir = str(shared_data)
    return config


@pytest.fixture(autouse=True)
def _registries_as_they_were():
    """What a test registers is gone after it; so are the plug-ins it loaded."""
    saved = [(r, dict(r._entries), dict(r._origins)) for r in registry.registries()]
    yield
    for kind, entries, origins in saved:
        kind._entries, kind._origins = entries, origins
    registry.refresh()


# --------------------------------------------------------------------------- in code


class ScaledCrossEntropy(keras.losses.Loss):
    """``scale * CE`` from logits and integer labels: a loss that is not ours."""

    def __init__(self, scale=1.0, name="scaled_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = float(scale)

    def call(self, y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        log_p = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        return -self.scale * ops.sum(ops.one_hot(labels, y_pred.shape[-1]) * log_p, axis=-1)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def flat(input_shape, num_classes, hidden=16):
    """A builder without weight_decay: kerasnoise adds the coupled decay itself."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Dense(hidden, activation="relu")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x))


class ToClass(noise.NoiseModel):
    """With probability ``rate`` a label becomes ``target``."""

    def __init__(self, rate, target=0):
        self.rate, self.target = float(rate), int(target)

    def get_config(self):
        return {"name": self.name, "rate": self.rate, "target": self.target}

    def corrupt(self, y, k, rng):
        return np.where(rng.random(y.shape[0]) < self.rate, self.target, y), y


class FirstDigits(datasets.DataSource):
    """The first 1,500 training and 500 test images of MNIST, under another name."""

    info = datasets.DatasetInfo(10, (28, 28, 1), (0.1307,), (0.3081,))  # named when registered

    def load(self, data_dir, *, file=None, download=True):
        mnist = datasets.load("mnist", data_dir, download=False)
        return mnist.x_train[:1500], mnist.y_train[:1500], mnist.x_test[:500], mnist.y_test[:500]


def test_register_by_decorator_and_by_call():
    assert losses.register("scaled_ce", ScaledCrossEntropy) is ScaledCrossEntropy
    loss = losses.get("Scaled-CE", scale=2.0)  # names as ours: any case, '-' for '_'
    assert isinstance(loss, ScaledCrossEntropy) and loss.scale == 2.0
    assert "scaled_ce" in losses.available()
    # registered with Keras for .keras saving, under its kerasnoise name
    assert keras.saving.get_registered_name(ScaledCrossEntropy) == "kerasnoise.losses>scaled_ce"

    @models.register("flat")
    def decorated(input_shape, num_classes, hidden=16):
        return flat(input_shape, num_classes, hidden)

    assert decorated.__name__ == "decorated"  # the decorator returns the function itself
    model = models.get("flat", input_shape=(28, 28, 1), num_classes=10, weight_decay=1e-3)
    # no weight_decay parameter: the coupled decay is on every trainable weight anyway
    assert len(model.losses) == len(model.trainable_weights) == 4

    assert noise.register("to_class")(ToClass) is ToClass
    assert ToClass.name == "to_class"  # takes the registered name
    result = noise.get("to_class", rate=0.5, target=3).apply(
        np.arange(1000) % 10, num_classes=10, seed=0
    )
    assert result.model == {"name": "to_class", "rate": 0.5, "target": 3}
    assert 0.35 < result.rate < 0.55 and result.transition[0, 3] > 0.3  # reported as ours are
    assert noise.from_config(result.model) == noise.get("to_class", rate=0.5, target=3)

    assert datasets.register("first_digits", FirstDigits) is FirstDigits
    info = datasets.get_info("first-digits")
    assert (info.name, info.num_classes) == ("first_digits", 10)  # the registered name
    assert FirstDigits.info.name == ""  # the class is left as it was
    source = datasets.get("First-Digits")
    assert type(source) is FirstDigits and source.name == source.info.name == "first_digits"
    assert "first_digits" in datasets.available() and datasets.has("first-digits")
    assert not datasets.has("first_digit")
    # ours are data sets of the same kind, built the same way
    mnist = datasets.get("mnist", source="keras")
    assert isinstance(mnist, datasets.DataSource) and mnist.info is datasets.INFO["mnist"]


def test_an_existing_name_needs_replace():
    losses.register("scaled_ce", ScaledCrossEntropy)
    with pytest.raises(ValueError, match=r"loss 'scaled_ce' exists already \(registered in code\)"):
        losses.register("scaled_ce", ScaledCrossEntropy)
    for register, name, obj in (
        (losses.register, "gce", ScaledCrossEntropy),
        (models.register, "lenet5", flat),
        (noise.register, "pair_flip", ToClass),
        (datasets.register, "mnist", FirstDigits),
    ):
        with pytest.raises(
            ValueError, match=f"'{name}' exists already \\(built in\\); pass replace"
        ):
            register(name, obj)
    losses.register("gce", ScaledCrossEntropy, replace=True)
    assert isinstance(losses.get("gce"), ScaledCrossEntropy)
    assert losses.get("ce").__class__ is losses.CrossEntropy


def test_what_is_not_a_component_is_refused():
    with pytest.raises(TypeError, match="a loss must be a keras.losses.Loss subclass"):
        losses.register("mine", lambda y_true, y_pred: y_pred)
    with pytest.raises(
        TypeError, match="must take the keyword arguments input_shape and num_classes"
    ):
        models.register("mine", lambda shape, classes: None)
    with pytest.raises(TypeError, match="must be a kerasnoise.noise.NoiseModel subclass"):
        noise.register("mine", dict)
    named = type("Named", (FirstDigits,), {"info": dataclasses.replace(FirstDigits.info, name="x")})
    with pytest.raises(ValueError, match="Named.info.name is 'x' but it is registered as 'mine'"):
        datasets.register("mine", named)
    with pytest.raises(TypeError, match="sets name: its name is the one it is registered under"):
        datasets.register("mine", type("Twice", (FirstDigits,), {"name": "mine"}))
    with pytest.raises(TypeError, match="must implement load"):
        datasets.register("mine", type("Empty", (datasets.DataSource,), {"info": FirstDigits.info}))
    with pytest.raises(ValueError, match="letters, digits"):
        losses.register("my loss", ScaledCrossEntropy)


def test_config_errors_for_a_plugin_are_the_usual_ones(shared_data):
    losses.register("scaled_ce", ScaledCrossEntropy)
    config = small_config(shared_data, "loss=scaled_ce", "loss.scale=3.0").validate()
    ids = {config.run_id(), small_config(shared_data, "loss=scaled_ce").validate().run_id()}
    assert len(ids) == 2  # the parameters are part of the run id, as ours are
    with pytest.raises(
        TypeError, match="loss: loss 'scaled_ce'.*unexpected keyword argument 'gamma'"
    ):
        small_config(shared_data, "loss=scaled_ce", "loss.gamma=2").validate()
    with pytest.raises(
        ValueError, match=r"loss.name must be one of cross_entropy, .*, scaled_ce; got"
    ):
        small_config(shared_data, "loss=scaled_cee").validate()


def test_a_registered_data_set_trains_with_registered_parts(shared_data, tmp_path):
    losses.register("scaled_ce", ScaledCrossEntropy)
    models.register("flat", flat)
    noise.register("to_class", ToClass)
    datasets.register("first_digits", FirstDigits)
    data = datasets.load("first_digits", shared_data)
    assert (len(data.y_train), len(data.y_test), data.name) == (1500, 500, "first_digits")
    assert data.source.endswith(f"test_plugins.FirstDigits ({shared_data})")  # no origin set
    with pytest.raises(TypeError, match="data set 'first_digits'.*argument"):
        datasets.load("first_digits", shared_data, source="keras")  # ours take a source
    config = small_config(
        shared_data,
        "dataset='first_digits'",
        "loss=scaled_ce",
        "model=flat",
        "model.hidden=32",
        "noise=to_class",
        "noise.rate=0.2",
        FAST,
    )
    record = training.train(config, tmp_path, verbose=0, quiet=True)
    assert record["status"] == "finished" and record["test_accuracy_last"] > 0.3  # chance: 0.1
    run_dir = tmp_path / record["run_id"]
    realised = json.loads((run_dir / "noise.json").read_text())
    assert realised["model"] == {"name": "to_class", "rate": 0.2, "target": 0}
    model = keras.saving.load_model(run_dir / "model.keras")
    assert isinstance(model.loss, ScaledCrossEntropy)


# --------------------------------------------------------------------------- installed

PARTS = '''
"""A researcher's parts, installed as a package with entry points."""

import keras
import numpy as np
from keras import ops

from kerasnoise import methods, noise


class Focal(keras.losses.Loss):
    """Focal loss ``-(1 - p_y) ** gamma log p_y`` from logits and integer labels."""

    def __init__(self, gamma=2.0, name="focal", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = float(gamma)

    def call(self, y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        log_p = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        log_p_y = ops.sum(ops.one_hot(labels, y_pred.shape[-1]) * log_p, axis=-1)
        return -ops.power(1.0 - ops.exp(log_p_y), self.gamma) * log_p_y

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma}


def small_mlp(input_shape, num_classes, hidden=32, weight_decay=None):
    reg = keras.regularizers.L2(weight_decay / 2) if weight_decay else None
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(hidden, activation="relu", kernel_regularizer=reg)(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, kernel_regularizer=reg)(x))


class NextClass(noise.NoiseModel):
    """With probability ``rate`` a label becomes the next class."""

    def __init__(self, rate):
        self.rate = float(rate)

    def get_config(self):
        return {"name": self.name, "rate": self.rate}

    def corrupt(self, y, k, rng):
        return np.where(rng.random(y.shape[0]) < self.rate, (y + 1) % k, y), y

    def compute_expected_transition(self, k):
        return (1 - self.rate) * np.eye(k) + self.rate * np.roll(np.eye(k), 1, axis=1)


@keras.saving.register_keras_serializable(package="knoise_demo")
class SmallLossModel(keras.Model):
    """One network trained on the ``1 - forget_rate`` smallest-loss examples of each
    batch (Co-teaching's rule with a single network)."""

    def __init__(self, network, forget_rate=0.2, **kwargs):
        super().__init__(**kwargs)
        self.network, self.forget_rate = network, float(forget_rate)

    def call(self, inputs, training=False):
        return self.network(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not training:  # validation and test: the compiled loss
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        labels = ops.cast(ops.reshape(y, (-1,)), "int32")
        logits = ops.cast(y_pred, "float32")
        ce = ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        n = ops.cast(ops.shape(ce)[0], "float32")
        keep = ops.floor((1.0 - self.forget_rate) * n + 5e-4)
        kept = ops.cast(ops.argsort(ops.argsort(ops.stop_gradient(ce))), "float32") < keep
        return ops.sum(ce * ops.cast(kept, ce.dtype)) / ops.maximum(keep, 1.0)

    def get_config(self):
        return {
            "name": self.name,
            "network": keras.saving.serialize_keras_object(self.network),
            "forget_rate": self.forget_rate,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["network"] = keras.saving.deserialize_keras_object(config["network"])
        return cls(**config)


class SmallLoss(methods.Method):
    """A one-network small-loss selection, as a training method."""

    defaults = {"forget_rate": 0.2}

    def check(self, config):
        rate = self.params["forget_rate"]
        if not 0 <= rate < 1:
            raise ValueError(f"method.forget_rate must be in [0, 1), got {rate!r}")

    def build_model(self, network, config):
        return SmallLossModel(network(), self.params["forget_rate"])
'''

ENTRY_POINTS = """
[kerasnoise.losses]
demo_focal = knoise_demo.parts:Focal

[kerasnoise.models]
demo_mlp = knoise_demo.parts:small_mlp

[kerasnoise.noise]
demo_next = knoise_demo.parts:NextClass

[kerasnoise.methods]
demo_small_loss = knoise_demo.parts:SmallLoss

[kerasnoise.datasets]
my_digits = knoise_demo.digits:MyDigits
"""


def documented_data_set() -> str:
    """The data set of docs/extending.md ("A data set"), as written there."""
    text = (REPO / "docs" / "extending.md").read_text()
    section = text[text.index("### A data set") :]
    return section[section.index("```python\n") + len("```python\n") :].split("```")[0]


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """A folder on ``sys.path`` with two installed plug-in packages: ``knoise-demo``
    (a loss, a model, a noise model, a method and the documented data set) and
    ``knoise-broken``, whose module is missing."""
    import importlib

    site = tmp_path_factory.mktemp("site")
    (site / "knoise_demo").mkdir()
    (site / "knoise_demo" / "__init__.py").write_text("")
    (site / "knoise_demo" / "parts.py").write_text(PARTS)
    (site / "knoise_demo" / "digits.py").write_text(documented_data_set())
    install_distribution(site, "knoise-demo", "0.1", ENTRY_POINTS)
    broken = "[kerasnoise.losses]\ndemo_broken = knoise_broken.missing:Loss\n"
    install_distribution(site, "knoise-broken", "0.2", broken)
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    registry.refresh()
    yield site
    sys.path.remove(str(site))
    importlib.invalidate_caches()
    registry.refresh()


def test_installed_plugins_are_found_lazily(plugin_site):
    for module in ("knoise_demo.parts", "knoise_demo.digits", "knoise_demo"):  # fresh
        sys.modules.pop(module, None)
    registry = losses._REGISTRY
    assert registry._entry_points is None  # nothing read for our own names
    assert isinstance(losses.get("ce"), losses.CrossEntropy) and registry._entry_points is None
    assert {"demo_focal", "demo_broken"} <= set(losses.available())  # names, not imported
    assert "knoise_demo.parts" not in sys.modules
    focal = losses.get("demo_focal", gamma=1.0)
    assert type(focal).__name__ == "Focal" and focal.gamma == 1.0
    assert keras.saving.get_registered_name(type(focal)) == "kerasnoise.losses>demo_focal"
    assert "knoise-demo 0.1" in losses._REGISTRY.plugins()["demo_focal"]


def test_a_plugin_that_fails_to_import_says_which(plugin_site):
    with pytest.raises(registry.PluginError) as err:
        losses.get("demo_broken")
    message = str(err.value)
    assert "the loss plug-in 'demo_broken' failed to import" in message
    assert "demo_broken = knoise_broken.missing:Loss" in message and "knoise-broken 0.2" in message
    assert "ModuleNotFoundError" in message
    with pytest.raises(ImportError, match="knoise-broken 0.2"):  # a config says so too
        cfg.apply_overrides(presets.get("menon-mnist-lenet"), {"loss": "demo_broken"}).validate()


def test_the_presets_command_lists_plugins_beside_ours(plugin_site, capsys):
    assert cli.main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "menon-mnist-lenet" in out and "ours: cross_entropy, ce, gce" in out
    assert "plug-in demo_focal: entry point demo_focal = knoise_demo.parts:Focal" in out
    assert "plug-in demo_next: entry point" in out and "plug-in demo_mlp: entry point" in out
    assert "method=NAME  (method)" in out and "plug-in demo_small_loss: entry point" in out
    assert "dataset=NAME  (data set)\n    ours: mnist, fashion_mnist, cifar10, cifar100" in out
    assert "plug-in my_digits: entry point my_digits = knoise_demo.digits:MyDigits" in out


def test_installed_plugins_train_and_evaluate_by_name(plugin_site, shared_data, tmp_path, capsys):
    out = tmp_path / "runs"
    parts = ["loss=demo_focal", "loss.gamma=1.0", "model=demo_mlp", "noise=demo_next", FAST]
    code = cli.main(
        ["train", "menon-mnist-lenet", *SMALL, *parts, "noise.rate=0.2", "--out", str(out)]
        + ["--data-dir", str(shared_data), "--verbose", "0"]
    )
    assert code == 0
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["loss"] == {"name": "demo_focal", "gamma": 1.0}
    assert config["model"] == {"name": "demo_mlp"} and config["noise"]["name"] == "demo_next"
    realised = json.loads((run_dir / "noise.json").read_text())
    assert realised["model"] == {"name": "demo_next", "rate": 0.2}
    assert 0.14 < realised["rate"] < 0.26
    record = json.loads((run_dir / "result.json").read_text())
    assert record["status"] == "finished" and record["test_accuracy_last"] > 0.3  # chance: 0.1
    with zipfile.ZipFile(run_dir / "model.keras") as saved:
        compiled = json.loads(saved.read("config.json"))["compile_config"]
    assert compiled["loss"]["registered_name"] == "kerasnoise.losses>demo_focal"

    # kerasnoise eval in a fresh interpreter: the run's names import the plug-in first
    done = subprocess.run(
        [sys.executable, "-m", "kerasnoise.cli", "eval", str(run_dir)],
        capture_output=True,
        text=True,
        env=plugin_environment(plugin_site),
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    printed = dict(line.split(maxsplit=1) for line in done.stdout.splitlines() if line.strip())
    assert float(printed["accuracy"]) == pytest.approx(
        record["test_accuracy_final_model"], abs=1e-9
    )


def test_an_installed_data_set_trains_by_name(plugin_site, shared_data, tmp_path):
    """The data set of docs/extending.md, installed by entry point: found by name,
    loaded as ours are, and trained on through ``kerasnoise train`` as a user would."""
    mnist = datasets.load("mnist", shared_data, download=False)
    folder = tmp_path / "data"
    folder.mkdir()
    np.savez(
        folder / "my_digits.npz",
        x_train=mnist.x_train[:1500, ..., 0],  # (N, 28, 28), as MNIST's files have them
        y_train=mnist.y_train[:1500].astype(np.uint8),
        x_test=mnist.x_test[:500, ..., 0],
        y_test=mnist.y_test[:500].astype(np.uint8),
    )
    assert datasets.has("My-Digits") and "my_digits" in datasets.available()
    info = datasets.get_info("my_digits")
    assert (info.name, info.num_classes, info.image_shape) == ("my_digits", 10, (28, 28, 1))
    source = datasets.get("my_digits")
    assert type(source).__module__ == "knoise_demo.digits" and source.name == "my_digits"
    assert "knoise-demo 0.1" in datasets.catalogue._REGISTRY.plugins()["my_digits"]
    with pytest.raises(TypeError, match="data set 'my_digits'.*argument"):
        datasets.get("my_digits", classes=5)
    with pytest.raises(datasets.DatasetNotFoundError, match="put my_digits.npz"):
        datasets.load("my_digits", tmp_path)

    data = datasets.load("my_digits", folder)
    assert data.name == "my_digits" and data.info is info
    assert data.source == str(folder / "my_digits.npz")  # its origin
    assert data.x_train.shape == (1500, 28, 28, 1) and data.x_train.dtype == np.uint8
    assert data.y_train.dtype == np.int64 and data.y_test.shape == (500,)
    np.testing.assert_array_equal(data.x_test, mnist.x_test[:500])
    np.testing.assert_array_equal(data.y_train, mnist.y_train[:1500])
    assert data.class_counts("test").tolist() == [42, 67, 55, 45, 55, 50, 43, 49, 40, 54]
    named = datasets.load("my_digits", folder, file="my_digits.npz")  # data_file's route
    np.testing.assert_array_equal(named.y_test, data.y_test)

    out = tmp_path / "runs"
    code = cli.main(
        ["train", "menon-mnist-lenet", "dataset=my_digits", *SMALL, "model=demo_mlp", FAST]
        + ["noise.rate=0.2", "--out", str(out), "--data-dir", str(folder), "--verbose", "0"]
    )
    assert code == 0
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["dataset"] == "my_digits" and config["data_dir"] == str(folder)
    realised = json.loads((run_dir / "noise.json").read_text())
    assert realised["num_examples"] == 800  # train_limit 1000, 200 of them for validation
    assert realised["model"]["rate"] == 0.2 and 0.14 < realised["rate"] < 0.26
    record = json.loads((run_dir / "result.json").read_text())
    assert record["status"] == "finished" and record["steps_per_epoch"] == 13
    assert record["test_accuracy_last"] > 0.3  # chance: 0.1
    assert record["test_accuracy_final_model"] * 500 == pytest.approx(
        round(record["test_accuracy_final_model"] * 500)
    )  # scored on the 500 test images of my_digits.npz


def run_small(name, title, methods, rate, out, shared_data, **overrides):
    """A one-cell, one-seed table of ``methods`` on the Menon MNIST preset, small and
    fast (:data:`SMALL`), with a plug-in MLP."""
    experiment = Experiment(
        name=name,
        title=title,
        preset="menon-mnist-lenet",
        methods=methods,
        axes={"noise.rate": [rate]},
        seeds=[0],
        module=__name__,
    )
    small = {key: int(value) for key, value in (item.split("=") for item in SMALL)}
    return run(
        experiment,
        out=str(out),
        data_dir=str(shared_data),
        jobs=1,
        progress=False,
        model="demo_mlp",
        **{"optimizer.learning_rate": 0.01},
        **small,
        **overrides,
    )


@pytest.mark.orchestration  # a table of plug-in runs; the runs: every backend above
def test_installed_plugins_in_an_experiment(plugin_site, shared_data, tmp_path):
    outcome = run_small(
        "focal-beside-ce",
        "CE and a plug-in focal loss, MNIST, a plug-in MLP and noise model",
        {"ce": {"loss": "ce"}, "focal": {"loss": "demo_focal", "loss.gamma": 1.0}},
        0.2,
        tmp_path / "out",
        shared_data,
        noise="demo_next",
    )
    assert outcome.failed == {} and outcome.trained == 2
    assert sorted(outcome.table["method"]) == ["ce", "focal"]
    assert (tmp_path / "out" / "table.md").is_file()


def test_an_installed_methods_rule_and_checks(plugin_site):
    """A training method from an installed package goes through the same door as ours:
    checked before any data loads, its rule on every backend."""
    from kerasnoise import methods

    assert "demo_small_loss" in methods.available()
    chosen = methods.from_config({"name": "demo_small_loss", "forget_rate": 0.25})
    assert chosen.name == "demo_small_loss" and chosen.params == {"forget_rate": 0.25}
    # its rule: the mean cross-entropy of the 3 smallest of 4
    network = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    model = chosen.build_model(lambda: network, None)
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]], dtype="float32")
    y = np.array([0, 1, 2, 0])
    logits = ops.convert_to_numpy(model(x))
    z = logits - logits.max(axis=1, keepdims=True)
    ce = np.log(np.exp(z).sum(axis=1)) - z[np.arange(4), y]
    got = float(ops.convert_to_numpy(model.compute_loss(x, y, model(x), training=True)))
    assert got == pytest.approx(np.sort(ce)[:3].mean(), rel=1e-5)
    # a bad parameter is a TypeError, as for every kind, and a ValueError, as in a config
    for error in (TypeError, ValueError):
        with pytest.raises(error, match="unknown parameter method.bogus .* allowed: forget_rate"):
            methods.get("demo_small_loss", bogus=1)
    bad = cfg.apply_overrides(
        presets.get("menon-mnist-lenet"), {"method": "demo_small_loss", "method.forget_rate": 1.5}
    )
    with pytest.raises(ValueError, match=r"method.forget_rate must be in \[0, 1\)"):
        bad.validate_without_keras()


@pytest.mark.orchestration  # a table of plug-in runs; the rule: on every backend above
def test_an_installed_method_trains_in_a_table_beside_ours(plugin_site, shared_data, tmp_path):
    """An installed training method beside ``standard`` in a table."""
    outcome = run_small(
        "small-loss-beside-standard",
        "Standard and a plug-in small-loss method, MNIST",
        {
            "standard": {"method": "standard"},
            "small_loss": {"method": "demo_small_loss", "method.forget_rate": 0.3},
        },
        0.4,
        tmp_path / "out",
        shared_data,
    )
    assert outcome.failed == {} and outcome.trained == 2
    assert sorted(outcome.table["method"]) == ["small_loss", "standard"]
    (run_dir,) = [
        p
        for p in (tmp_path / "out").iterdir()
        if (p / "config.json").is_file()
        and json.loads((p / "config.json").read_text())["method"]["name"] == "demo_small_loss"
    ]
    record = json.loads((run_dir / "result.json").read_text())
    assert record["status"] == "finished" and record["test_accuracy_last"] > 0.2  # chance 0.1
    assert json.loads((run_dir / "config.json").read_text())["method"] == {
        "name": "demo_small_loss",
        "forget_rate": 0.3,
    }
