"""Co-teaching as one Keras model on every backend: the two networks' updates against
plain runs, label precision against the rule in NumPy, saving, a run from a config on
real MNIST (history, record, resume), the bad configs, and the Co-teaching code's
optimizer plan (linear decay, beta1 switch) against hand-computed updates."""

import json

import keras
import numpy as np
import pytest

from kerasnoise import config as cfg
from kerasnoise import models, optimizers, presets, training
from kerasnoise.methods import selection
from kerasnoise.methods import two_networks as coteaching
from tests.helpers import Interrupt, StopAfterFirstEpoch, without_timing
from tests.test_selection import numpy_coteaching, numpy_coteaching_plus_code

CE = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def mnist_batch(shared_data, n=64, seed=0, rate=0.4):
    with np.load(shared_data / "mnist.npz") as data:
        x = data["x_train"][:n].astype("float32")[..., None] / 255.0
        y = data["y_train"][:n].astype("int64")
    rng = np.random.default_rng(seed)
    noisy = rng.random(n) < rate
    given = np.where(noisy, (y + rng.integers(1, 10, n)) % 10, y)
    return x, given, ~noisy


def networks(seed=0):
    keras.utils.set_random_seed(seed)
    build = [models.get("mlp1", input_shape=(28, 28, 1), init="torch") for _ in range(4)]
    build[2].set_weights(build[0].get_weights())  # plain twins of network 1 and 2
    build[3].set_weights(build[1].get_weights())
    return build


def compiled(model):
    spe = 1 if keras.backend.backend() == "torch" else 2
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=CE,
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        steps_per_execution=spe,
    )
    return model


def test_forget_rate_zero_trains_each_network_as_a_plain_run(shared_data):
    x, y, clean = mnist_batch(shared_data, rate=0.0)  # no noise, nothing forgotten
    assert clean.all()
    net_1, net_2, twin_1, twin_2 = networks()
    assert not np.allclose(net_1.get_weights()[0], net_2.get_weights()[0])  # two inits
    model = compiled(coteaching.CoTeaching(net_1, net_2))
    pairs = np.stack([y, clean.astype("int64")], axis=1)
    model.fit(x, pairs, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for twin in (twin_1, twin_2):
        compiled(twin).fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for net, twin in ((net_1, twin_1), (net_2, twin_2)):
        for got, want in zip(net.get_weights(), twin.get_weights(), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("plus", [False, True], ids=["coteaching", "coteaching_plus"])
def test_one_step_picks_and_label_precision_follow_the_rule(shared_data, plus):
    x, y, clean = mnist_batch(shared_data, n=32, seed=1)
    net_1, net_2, _, _ = networks(seed=3)
    logits_1, logits_2 = net_1.predict(x, verbose=0), net_2.predict(x, verbose=0)
    want = numpy_coteaching(logits_1, logits_2, y, 0.4, plus, clean)
    model = compiled(coteaching.CoTeaching(net_1, net_2, plus=plus))
    model.forget_rate.assign(0.4)
    pairs = np.stack([y, clean.astype("int64")], axis=1)
    history = model.fit(x, pairs, batch_size=32, epochs=1, shuffle=False, verbose=0).history
    assert history["label_precision_1"][0] == pytest.approx(want["precision_1"], abs=1e-6)
    assert history["label_precision_2"][0] == pytest.approx(want["precision_2"], abs=1e-6)
    assert history["loss"][0] == pytest.approx(want["loss_1"] + want["loss_2"], rel=1e-5)
    assert float(keras.ops.convert_to_numpy(model.steps)) == 1.0


def test_evaluation_and_prediction_are_network_1_and_saving_keeps_both(shared_data, tmp_path):
    x, y, _ = mnist_batch(shared_data, n=40)
    net_1, net_2, _, _ = networks(seed=5)
    model = compiled(coteaching.CoTeaching(net_1, net_2, plus=True, fallback_steps=7))
    model.fit(x, y, batch_size=20, epochs=1, shuffle=False, verbose=0)  # (B,) labels work
    np.testing.assert_allclose(model.predict(x, verbose=0), net_1.predict(x, verbose=0))
    scores = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(scores) == {"loss", "accuracy"}
    want = float(np.mean(np.argmax(net_1.predict(x, verbose=0), axis=1) == y))
    assert scores["accuracy"] == pytest.approx(want)
    model.save(tmp_path / "model.keras")
    again = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(again, coteaching.CoTeaching)
    assert (again.plus, again.fallback_steps) == (True, 7)
    np.testing.assert_allclose(again.network_2.predict(x, verbose=0), net_2.predict(x, verbose=0))
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))


# --------------------------------------------------------------------------- from a config

SMALL = {
    "epochs": 3,
    "train_limit": 2000,
    "test_limit": 1000,
    "batch_size": 100,
    "eval_batch_size": 1000,
    "train_eval_images": 1000,
    "optimizer.decay_start": 1,
    "method.num_gradual": 2,
}


def small_config(shared_data, method="coteaching", **more):
    overrides = {"method": method, **SMALL, **more}
    config = cfg.apply_overrides(presets.get("coteaching-mnist-mlp"), overrides)
    config.data_dir = str(shared_data)
    return config


def test_a_coteaching_run_records_both_networks_and_its_schedule(shared_data, tmp_path):
    config = small_config(shared_data, "coteaching")
    record = training.train(config, tmp_path, verbose=0, quiet=True)
    history = json.loads((tmp_path / record["run_id"] / "history.json").read_text())
    epochs = [history[str(e)] for e in range(3)]
    # the authors' ramp of 2 values, 0 .. 0.5, trained from its second: 0.5 from epoch 0
    assert [h["forget_rate"] for h in epochs] == [0.5, 0.5, 0.5]
    for h in epochs:
        assert 0 <= h["label_precision_1"] <= 1 and 0 <= h["test_accuracy_2"] <= 1
        assert {"accuracy_2", "label_precision_2", "detection_f1"} <= set(h)
    tests = [h["test_accuracy"] for h in epochs]
    assert record["test_accuracy_last10"] == pytest.approx(np.mean(tests))
    assert record["test_accuracy_peak"] == max(tests)
    assert record["test_accuracy_2_last"] == epochs[-1]["test_accuracy_2"]
    assert record["label_precision_1_last"] == epochs[-1]["label_precision_1"]
    # better than chance at picking right labels from a set that is half wrong
    assert epochs[-1]["label_precision_1"] > 1 - record["noise_rate"] + 0.05


def test_an_interrupted_coteaching_run_resumes_to_the_uninterrupted_history(shared_data, tmp_path):
    """The two networks, both optimizer states, the step counter and the forget rate come
    back from the checkpoint (training.py's killed-process tests cover the rest)."""
    more = {"method.fallback_steps": 15, "train_limit": 1000}  # 10 steps an epoch
    config = small_config(shared_data, "coteaching_plus", **more)
    whole = training.train(config, tmp_path / "whole", verbose=0, quiet=True)
    parts = tmp_path / "parts"
    with pytest.raises(Interrupt):
        training.train(config, parts, verbose=0, quiet=True, callbacks=[StopAfterFirstEpoch()])
    resumed = training.train(config, parts, verbose=0, quiet=True)
    run_id = whole["run_id"]
    first, second = (
        json.loads((d / run_id / "history.json").read_text()) for d in (tmp_path / "whole", parts)
    )
    assert without_timing(first) == without_timing(second)
    assert len(resumed["wall_time_parts_s"]) == 2
    assert resumed["test_accuracy_last10"] == whole["test_accuracy_last10"]


def test_the_run_id_of_a_run_without_selection_is_unchanged():
    config = presets.get("menon-mnist-lenet")
    key = config.run_key()
    assert "selection" not in key and "method" not in key  # old ids as they were
    chosen = cfg.apply_overrides(config, {"method": "coteaching", "noise.rate": 0.2})
    # a method names the run under "selection", the section's name before the door
    assert chosen.run_key()["selection"] == {"name": "coteaching"}
    assert chosen.run_id() != cfg.apply_overrides(config, {"noise.rate": 0.2}).run_id()
    # the old spelling is the same config and the same run
    legacy = cfg.apply_overrides(config, {"selection": "coteaching", "noise.rate": 0.2})
    assert legacy.method == {"name": "coteaching"} and legacy.run_id() == chosen.run_id()
    old = {**config.to_dict(), "selection": {"name": "none"}}
    del old["method"]
    assert cfg.ExperimentConfig.from_dict(old).run_id() == config.run_id()


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "overrides, error, message",
    [
        ({"method": "mentornet"}, ValueError, "unknown method 'mentornet'; available: standard"),
        ({"method.forget_rate": 1.0}, ValueError, r"forget_rate must be a number in \[0, 1\)"),
        ({"method.num_gradual": 0}, ValueError, "method.num_gradual must be an integer >= 1"),
        ({"method.exponent": 0}, ValueError, "method.exponent must be a number > 0"),
        ({"method.tau": 0.2}, ValueError, "unknown parameter method.tau"),
        ({"loss": "gce"}, ValueError, "loss must be one of ce, got 'gce'"),
        ({"distribution": "data_parallel"}, ValueError, "distribution='none'"),
        ({"optimizer.global_clipnorm": 1.0}, ValueError, "optimizer.clipnorm"),
        ({"noise": "additive", "noise.alpha": 1}, ValueError, "no nominal 'rate'"),
        ({"optimizer.decay_start": 200}, ValueError, "decay_start=200 must be below epochs=200"),
        ({"optimizer.name": "sgd"}, ValueError, "beta_1_after applies to optimizer.name='adam'"),
    ],
)
def test_bad_selection_configs_are_refused_before_training(overrides, error, message):
    config = cfg.apply_overrides(
        presets.get("coteaching-mnist-mlp"), {"method": "coteaching", **overrides}
    )
    with pytest.raises(error, match=message):
        config.validate_without_keras()


@pytest.mark.backend_free
def test_init_epoch_and_fallback_steps_belong_to_coteaching_plus():
    config = cfg.apply_overrides(
        presets.get("coteaching-mnist-mlp"), {"method": "coteaching", "method.init_epoch": 1}
    )
    with pytest.raises(ValueError, match="allowed: forget_rate, num_gradual, exponent"):
        config.validate_without_keras()
    chosen = selection.resolved({"name": "coteaching_plus"}, {"name": "pair_flip", "rate": 0.45})
    assert chosen == {
        "name": "coteaching_plus",
        "forget_rate": 0.45,
        "num_gradual": 10,
        "exponent": 1.0,
        "init_epoch": 0,
        "fallback_steps": 5000,
        "softmax_twice": False,
        "authors_code": False,
    }


# --------------------------------------------------------------------------- the optimizer plan


def test_linear_decay_is_the_coteaching_codes_plan_per_epoch():
    schedule = optimizers.LinearDecay(1e-3, start=80, epochs=200, steps_per_epoch=10)
    steps = np.array([0, 799, 800, 809, 810, 1990, 1999])
    got = [float(keras.ops.convert_to_numpy(schedule(s))) for s in steps]
    # epoch e >= 80: lr * (200 - e) / 120 (their alpha_plan), one value per epoch
    want = [1e-3, 1e-3, 1e-3, 1e-3, 1e-3 * 119 / 120, 1e-3 * 1 / 120, 1e-3 * 1 / 120]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    again = optimizers.LinearDecay.from_config(schedule.get_config())
    assert float(keras.ops.convert_to_numpy(again(810))) == pytest.approx(want[4])


def test_adam_switches_beta1_at_the_decay_start_as_pytorch_would():
    w = keras.Variable(np.array([1.0, -2.0], dtype="float32"))
    adam = optimizers.AdamBeta1Switch(
        learning_rate=0.1, epsilon=1e-8, beta_1_after=0.1, switch_step=2
    )
    grads = [np.array([0.5, -1.0]), np.array([0.2, 0.3]), np.array([-0.4, 0.1])]
    m, v, want = np.zeros(2), np.zeros(2), np.array([1.0, -2.0])
    for t, g in enumerate(grads, start=1):
        adam.apply([keras.ops.convert_to_tensor(g.astype("float32"))], [w])
        beta_1 = 0.9 if t <= 2 else 0.1  # updates 0, 1 before the switch, 2 after
        m = beta_1 * m + (1 - beta_1) * g
        v = 0.999 * v + 0.001 * g**2
        step = 0.1 * np.sqrt(1 - 0.999**t) / (1 - beta_1**t)
        want = want - step * m / (np.sqrt(v) + 1e-8)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(w), want, rtol=1e-5)
    assert adam.beta_1 == 0.9  # the float is back after each update
    assert optimizers.AdamBeta1Switch.from_config(adam.get_config()).switch_step == 2


@pytest.mark.backend_free  # the layers' shapes: the same model on every backend
def test_the_coteaching_cnn_has_the_codes_layers():
    model = models.get("coteaching_cnn", input_shape=(28, 28, 1), num_classes=10)
    widths = [(1, 128), (128, 128), (128, 128), (128, 256), (256, 256), (256, 256)]
    widths += [(256, 512), (512, 256), (256, 128)]
    conv = sum(9 * a * b + b for a, b in widths)  # 4,426,880
    norm = sum(4 * b for _, b in widths)  # gamma, beta and the two moving statistics
    assert model.count_params() == conv + norm + 128 * 10 + 10
    assert model.output_shape == (None, 10)
    with pytest.raises(ValueError, match="height and width must be >= 28"):
        models.get("coteaching_cnn", input_shape=(24, 24, 1))


def test_softmax_twice_ranks_and_trains_on_the_softmax_outputs_as_the_plus_code(shared_data):
    x, y, clean = mnist_batch(shared_data, n=32, seed=2)
    net_1, net_2, _, _ = networks(seed=4)
    logits_1, logits_2 = net_1.predict(x, verbose=0), net_2.predict(x, verbose=0)

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    # the code's F.cross_entropy(F.softmax(logits)): the rule on the probabilities
    want = numpy_coteaching(softmax(logits_1), softmax(logits_2), y, 0.25, True, clean)
    model = compiled(coteaching.CoTeaching(net_1, net_2, plus=True, softmax_twice=True))
    model.forget_rate.assign(0.25)
    pairs = np.stack([y, clean.astype("int64")], axis=1)
    history = model.fit(x, pairs, batch_size=32, epochs=1, shuffle=False, verbose=0).history
    assert history["loss"][0] == pytest.approx(want["loss_1"] + want["loss_2"], rel=1e-5)
    assert history["label_precision_1"][0] == pytest.approx(want["precision_1"], abs=1e-6)
    # bounded: between log(1 + 9 / e) and log(e + 9) per example and network
    assert 2 * np.log(1 + 9 / np.e) <= history["loss"][0] <= 2 * np.log(np.e + 9)
    assert coteaching.CoTeaching.from_config(model.get_config()).softmax_twice


def test_the_authors_code_mode_trains_as_their_loss_coteaching_plus(shared_data):
    """One update of ``CoTeaching(authors_code=True)`` on real MNIST: the loss is their
    ``loss_coteaching_plus`` (double softmax, 1/k^2), and the mode survives a save."""
    x, y, _ = mnist_batch(shared_data, n=32, seed=3)
    net_1, net_2, _, _ = networks(seed=5)
    logits_1, logits_2 = net_1.predict(x, verbose=0), net_2.predict(x, verbose=0)
    want = numpy_coteaching_plus_code(logits_1, logits_2, y, 0.25)
    model = coteaching.CoTeaching(net_1, net_2, plus=True, softmax_twice=True, authors_code=True)
    model = compiled(model)
    model.forget_rate.assign(0.25)
    history = model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0).history
    assert history["loss"][0] == pytest.approx(want[0] + want[1], rel=1e-5)
    assert coteaching.CoTeaching.from_config(model.get_config()).authors_code
