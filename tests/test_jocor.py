"""JoCoR (Wei et al., CVPR 2020) on every backend: the per-batch rule against a NumPy
transcription of the authors' ``loss_jocor``, its gradient through both arguments of
each KL, one optimizer step of both networks against the hand-computed update, saving,
a run from a config on real MNIST (history, record), its run ids and the bad configs."""

import json

import keras
import numpy as np
import pytest

from kerasnoise import config as cfg
from kerasnoise import methods, models, presets, training
from kerasnoise.methods import jocor, two_networks
from tests._autodiff import value_and_grad

# --------------------------------------------------------------------------- the authors' rule


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def numpy_loss_jocor(y_1, y_2, t, forget_rate, ind, noise_or_not, co_lambda):
    """``algorithm/loss.py``'s ``loss_jocor`` (hongxin001/JoCoR @ 86db359), line by line,
    in NumPy float64 with torch's semantics; also returns ``ind_update``."""
    y_1, y_2 = y_1.astype(np.float64), y_2.astype(np.float64)

    def cross_entropy(output, target):  # F.cross_entropy(..., reduce=False)
        return -_log_softmax(output)[np.arange(len(target)), target]

    def kl_loss_compute(pred, soft_targets):  # reduce=False
        target = np.exp(_log_softmax(soft_targets))  # F.softmax
        # F.kl_div(input, target, reduce=False) = xlogy(target, target) - target * input
        safe = np.where(target > 0, target, 1.0)
        kl = np.where(target > 0, target * np.log(safe), 0.0) - target * _log_softmax(pred)
        return np.sum(kl, 1)

    loss_pick_1 = cross_entropy(y_1, t) * (1 - co_lambda)
    loss_pick_2 = cross_entropy(y_2, t) * (1 - co_lambda)
    loss_pick = (
        loss_pick_1
        + loss_pick_2
        + co_lambda * kl_loss_compute(y_1, y_2)
        + co_lambda * kl_loss_compute(y_2, y_1)
    )
    ind_sorted = np.argsort(loss_pick)
    loss_sorted = loss_pick[ind_sorted]
    remember_rate = 1 - forget_rate
    num_remember = int(remember_rate * len(loss_sorted))
    pure_ratio = np.sum(noise_or_not[ind[ind_sorted[:num_remember]]]) / float(num_remember)
    ind_update = ind_sorted[:num_remember]
    loss = np.mean(loss_pick[ind_update])
    return loss, pure_ratio, ind_update


def batch(seed, size=40, classes=10):
    rng = np.random.default_rng(seed)
    l1 = rng.normal(scale=2.0, size=(size, classes)).astype("float32")
    l2 = rng.normal(scale=2.0, size=(size, classes)).astype("float32")
    y = rng.integers(0, classes, size)
    clean = rng.random(size) < 0.6
    return l1, l2, y, clean


@pytest.mark.parametrize("forget", [0.0, 0.2, 0.3, 0.5])
@pytest.mark.parametrize("co_lambda", [0.0, 0.1, 0.65, 0.9, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_one_batch_equals_the_authors_loss_jocor(forget, co_lambda, seed):
    l1, l2, y, clean = batch(seed)
    ind = np.arange(len(y))[::-1].copy()  # dataset indices of the batch's examples
    noise_or_not = np.zeros(len(y), bool)
    noise_or_not[ind] = clean  # their flags are looked up by dataset index
    loss, pure_ratio, ind_update = numpy_loss_jocor(l1, l2, y, forget, ind, noise_or_not, co_lambda)
    got = jocor.jocor_losses(l1, l2, y, forget, co_lambda, clean=clean)
    picked = keras.ops.convert_to_numpy(got["picked"])
    np.testing.assert_array_equal(np.flatnonzero(picked), np.sort(ind_update))
    assert float(keras.ops.convert_to_numpy(got["loss"])) == pytest.approx(loss, rel=1e-5)
    assert float(keras.ops.convert_to_numpy(got["precision"])) == pytest.approx(pure_ratio)


def test_the_kept_count_is_exact_where_their_float64_falls_short():
    l1, l2, y, clean = batch(2)
    _, _, ind_update = numpy_loss_jocor(l1, l2, y, 0.9, np.arange(40), clean, 0.9)
    got = jocor.jocor_losses(l1, l2, y, 0.9, 0.9, clean=clean)
    assert len(ind_update) == 3  # int((1 - 0.9) * 40) = int(3.9999999999999996)
    assert int(keras.ops.convert_to_numpy(got["picked"]).sum()) == 4  # here: 4
    # the 3 they keep are among ours
    assert set(ind_update) <= set(np.flatnonzero(keras.ops.convert_to_numpy(got["picked"])))


def numpy_grad_1(l1, l2, y, forget, co_lambda):
    """d loss / d logits_1 by hand: (1 - lambda) (p1 - onehot) from the CE, lambda (p1 - p2)
    from KL(p2 || p1), lambda p1 (log p1 - log p2 - KL(p1 || p2)) from KL(p1 || p2) (the
    gradient through the KL's *target*), over the kept examples, divided by their count."""
    _, _, kept = numpy_loss_jocor(l1, l2, y, forget, np.arange(len(y)), np.ones(len(y)), co_lambda)
    lp1, lp2 = _log_softmax(l1.astype(np.float64)), _log_softmax(l2.astype(np.float64))
    p1, p2 = np.exp(lp1), np.exp(lp2)
    onehot = np.eye(l1.shape[1])[y]
    kl_12 = np.sum(p1 * (lp1 - lp2), axis=1, keepdims=True)
    through_target = co_lambda * p1 * (lp1 - lp2 - kl_12)
    grad = (1 - co_lambda) * (p1 - onehot) + co_lambda * (p1 - p2) + through_target
    mask = np.isin(np.arange(len(y)), kept)[:, None]
    return grad * mask / len(kept), through_target * mask / len(kept)


@pytest.mark.parametrize("co_lambda", [0.1, 0.9])
def test_the_gradient_flows_through_both_arguments_of_each_kl(co_lambda):
    l1, l2, y, _ = batch(3)
    _, grad = value_and_grad(lambda z: jocor.jocor_losses(z, l2, y, 0.3, co_lambda)["loss"], l1)
    want, through_target = numpy_grad_1(l1, l2, y, 0.3, co_lambda)
    np.testing.assert_allclose(grad, want, rtol=1e-4, atol=1e-6)
    # the KL's target carries a gradient that matters (a detached target would miss it)
    assert np.abs(through_target).max() > 1e-3


# --------------------------------------------------------------------------- the model


def compiled(model, optimizer=None):
    model.compile(
        optimizer=optimizer or keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def perceptrons(seed):
    keras.utils.set_random_seed(seed)
    return [models.get("perceptron", input_shape=(6, 6, 1), num_classes=5) for _ in range(2)]


def test_one_step_updates_both_networks_by_the_joint_loss_of_the_kept_examples():
    """Two linear networks, one SGD step: each weight moves by ``lr * x^T g`` with ``g``
    the hand-computed gradient of the mean joint loss over the kept examples."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(24, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 5, 24)
    clean = rng.random(24) < 0.5
    net_1, net_2 = perceptrons(seed=5)
    before = [n.get_weights() for n in (net_1, net_2)]
    l1, l2 = (n.predict(x, verbose=0) for n in (net_1, net_2))
    loss, pure_ratio, _ = numpy_loss_jocor(l1, l2, y, 0.25, np.arange(24), clean, 0.65)
    g1, _ = numpy_grad_1(l1, l2, y, 0.25, 0.65)
    g2, _ = numpy_grad_1(l2, l1, y, 0.25, 0.65)  # the joint loss is symmetric
    model = compiled(two_networks.JoCoR(net_1, net_2, co_lambda=0.65), keras.optimizers.SGD(0.5))
    model.forget_rate.assign(0.25)
    pairs = np.stack([y, clean.astype("int64")], axis=1)
    history = model.fit(x, pairs, batch_size=24, epochs=1, shuffle=False, verbose=0).history
    assert history["loss"][0] == pytest.approx(loss, rel=1e-5)
    assert history["label_precision_1"][0] == pytest.approx(pure_ratio)
    assert history["label_precision_2"][0] == pytest.approx(pure_ratio)
    flat = x.reshape(24, -1).astype(np.float64)
    for net, (w, b), g in zip((net_1, net_2), before, (g1, g2), strict=True):
        got_w, got_b = net.get_weights()
        np.testing.assert_allclose(got_w, w - 0.5 * flat.T @ g, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got_b, b - 0.5 * g.sum(axis=0), rtol=1e-4, atol=1e-5)


def test_evaluation_is_network_1_and_saving_keeps_lambda_and_both_networks(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(20, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 5, 20)
    net_1, net_2 = perceptrons(seed=7)
    model = compiled(two_networks.JoCoR(net_1, net_2, co_lambda=0.3))
    model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)  # (B,) labels work
    np.testing.assert_allclose(model.predict(x, verbose=0), net_1.predict(x, verbose=0))
    assert set(model.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "accuracy"}
    model.save(tmp_path / "model.keras")
    again = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(again, two_networks.JoCoR) and again.co_lambda == 0.3
    np.testing.assert_allclose(again.network_2.predict(x, verbose=0), net_2.predict(x, verbose=0))
    with pytest.raises(ValueError, match=r"co_lambda must be in \[0, 1\]"):
        two_networks.JoCoR(*perceptrons(seed=8), co_lambda=1.5)


# --------------------------------------------------------------------------- from a config

SMALL = {
    "epochs": 2,
    "train_limit": 2000,
    "test_limit": 1000,
    "batch_size": 100,
    "eval_batch_size": 1000,
    "train_eval_images": 1000,
    "optimizer.decay_start": 1,
    "method.num_gradual": 2,
}


def small_config(shared_data, **more):
    overrides = {"method": "jocor", **SMALL, **more}
    config = cfg.apply_overrides(presets.get("coteaching-mnist-mlp"), overrides)
    config.data_dir = str(shared_data)
    return config


def test_a_jocor_run_records_both_networks_label_precision_and_their_mean(shared_data, tmp_path):
    assert "jocor" in methods.available()
    config = small_config(shared_data, **{"noise.rate": 0.5})
    record = training.train(config, tmp_path, verbose=0, quiet=True)
    history = json.loads((tmp_path / record["run_id"] / "history.json").read_text())
    epochs = [history[str(e)] for e in range(2)]
    assert [h["forget_rate"] for h in epochs] == [0.5, 0.5]
    for h in epochs:
        assert {"accuracy_2", "test_accuracy_2", "label_precision_1", "detection_f1"} <= set(h)
        assert h["label_precision_1"] == h["label_precision_2"]
    both = [(h["test_accuracy"] + h["test_accuracy_2"]) / 2 for h in epochs]
    assert record["test_accuracy_both_last10"] == pytest.approx(np.mean(both))
    assert record["test_accuracy_last10"] == pytest.approx(
        np.mean([h["test_accuracy"] for h in epochs])
    )
    # above chance at keeping right labels from a set that is half wrong (two epochs of
    # lambda 0.9, whose CE weighs 0.1: the networks are still learning)
    assert epochs[-1]["label_precision_1"] > 1 - record["noise_rate"]


@pytest.mark.backend_free
def test_the_forget_rate_is_the_authors_rule_and_names_the_run_once():
    base = cfg.apply_overrides(presets.get("coteaching-mnist-mlp"), {"method": "jocor"})
    chosen = methods.get("jocor")
    assert chosen.resolved({"name": "asymmetric", "rate": 0.4})["forget_rate"] == 0.2
    assert chosen.resolved({"name": "symmetric_exclusive", "rate": 0.5})["forget_rate"] == 0.5

    def run_id(**more):
        return cfg.apply_overrides(base, more).run_id()

    assert run_id(**{"method.forget_rate": "nominal"}) == run_id()  # symmetric: the same
    assert run_id(**{"method.forget_rate": 0.3}) != run_id()
    asym = {"noise": "asymmetric", "noise.rate": 0.4}
    assert run_id(**asym, **{"method.forget_rate": "asymmetric_half"}) == run_id(**asym)
    assert run_id(**asym, **{"method.forget_rate": "nominal"}) != run_id(**asym)
    assert run_id(**{"method.co_lambda": 0.65}) != run_id()


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"method.co_lambda": 1.5}, r"method.co_lambda must be a number in \[0, 1\], got 1.5"),
        ({"method.co_lambda": -0.1}, r"method.co_lambda must be a number in \[0, 1\]"),
        ({"method.co_lambda": "high"}, r"method.co_lambda must be a number in \[0, 1\]"),
        ({"method.co_lambda": True}, r"method.co_lambda must be a number in \[0, 1\]"),
        ({"method.forget_rate": 1.0}, r"method.forget_rate must be a number in \[0, 1\)"),
        ({"method.forget_rate": "half"}, r"method.forget_rate must be a number in \[0, 1\) or"),
        ({"method.num_gradual": 0}, "method.num_gradual must be an integer >= 1"),
        ({"method.exponent": 0}, "method.exponent must be a number > 0"),
        ({"method.tau": 0.2}, "unknown parameter method.tau for method 'jocor'"),
        ({"loss": "gce"}, "loss must be one of ce, got 'gce'"),
        ({"distribution": "data_parallel"}, "distribution='none'"),
        ({"noise": "additive", "noise.alpha": 1}, "no nominal 'rate'"),
    ],
)
def test_bad_jocor_configs_are_refused_before_training(overrides, message):
    config = cfg.apply_overrides(
        presets.get("coteaching-mnist-mlp"), {"method": "jocor", **overrides}
    )
    with pytest.raises(ValueError, match=message):
        config.validate_without_keras()
