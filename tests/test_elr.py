"""ELR (Liu et al., NeurIPS 2020) on every backend: the regulariser and its targets over
two consecutive batches that share examples, against a NumPy transcription of the
authors' ``elr_loss``; one SGD step against the hand-computed update; the pipeline's
example indices in both feeds; saving; a run from a config on real MNIST that resumes to
the history of an uninterrupted one; and the bad configs."""

import json

import keras
import numpy as np
import pytest

from kerasnoise import config as cfg
from kerasnoise import losses, methods, models, noise, pipelines, presets, training
from kerasnoise.methods import elr, elr_model
from tests.helpers import Interrupt, StopAfterFirstEpoch, without_timing

# --------------------------------------------------------------------------- the authors' rule


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class NumpyELRLoss:
    """``ELR/model/loss.py``'s ``elr_loss`` (shengliu66/ELR @ 934af53), line by line, in
    NumPy float64 (``lam`` is their ``config['train_loss']['args']['lambda']``)."""

    def __init__(self, num_examp, num_classes=10, beta=0.3, lam=3.0):
        self.num_classes = num_classes
        self.target = np.zeros((num_examp, self.num_classes))
        self.beta = beta
        self.lam = lam

    def forward(self, index, output, label):
        output = output.astype(np.float64)
        y_pred = _softmax(output)
        y_pred = np.clip(y_pred, 1e-4, 1.0 - 1e-4)
        y_pred_ = y_pred.copy()  # .data.detach()
        self.target[index] = self.beta * self.target[index] + (1 - self.beta) * (
            (y_pred_) / (y_pred_).sum(axis=1, keepdims=True)
        )
        ce_loss = np.mean(-np.log(_softmax(output)[np.arange(len(label)), label]))
        elr_reg = np.log(1 - (self.target[index] * y_pred).sum(axis=1)).mean()
        final_loss = ce_loss + self.lam * elr_reg
        return final_loss, elr_reg


def grad_logits(output, label, target_rows, lam):
    """d final_loss / d output by hand (no probability clipped): ``(p - onehot) / B``
    from the CE, ``-lam p (t - <t, p>) / ((1 - <t, p>) B)`` from the regulariser."""
    p = _softmax(output.astype(np.float64))
    s = np.sum(target_rows * p, axis=1, keepdims=True)
    onehot = np.eye(p.shape[1])[label]
    return ((p - onehot) - lam * p * (target_rows - s) / (1 - s)) / len(label)


def test_the_terms_over_two_batches_that_share_examples_equal_the_authors_loss():
    rng = np.random.default_rng(0)
    reference = NumpyELRLoss(30, num_classes=10, beta=0.7, lam=3.0)
    targets = np.zeros((30, 10), dtype="float32")
    # the second batch repeats examples 8 .. 15: their targets accumulate
    for index in (np.arange(0, 16), np.arange(8, 24)):
        logits = rng.normal(scale=3.0, size=(16, 10)).astype("float32")
        label = rng.integers(0, 10, 16)
        want, want_reg = reference.forward(index, logits, label)
        new, reg = elr.elr_terms(logits, targets[index], 0.7)
        targets[index] = keras.ops.convert_to_numpy(new)
        np.testing.assert_allclose(targets, reference.target, rtol=1e-5, atol=1e-7)
        ce = losses.get("ce")(label, logits)
        got = float(keras.ops.convert_to_numpy(ce)) + 3.0 * float(keras.ops.convert_to_numpy(reg))
        assert got == pytest.approx(want, rel=1e-5)
        assert float(keras.ops.convert_to_numpy(reg)) == pytest.approx(want_reg, rel=1e-5)
    sums = reference.target.sum(axis=1)  # 1 - beta ** (times seen)
    np.testing.assert_allclose(sums, [0.3] * 8 + [0.51] * 8 + [0.3] * 8 + [0.0] * 6, atol=1e-12)


def perceptron(seed):
    keras.utils.set_random_seed(seed)
    return models.get("perceptron", input_shape=(6, 6, 1), num_classes=5)


def test_the_model_trains_as_the_authors_loss_over_two_batches_and_one_sgd_step():
    """Two fits of one batch each (examples 0 .. 11, then 6 .. 17): the loss of each, the
    targets after each, and the first step's weights against ``lr * x^T g``."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(18, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 5, 18)
    net = perceptron(seed=2)
    model = elr_model.ELRModel(net, num_examples=18, beta=0.7, elr_lambda=3.0)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss=losses.get("ce"))
    reference = NumpyELRLoss(18, num_classes=5, beta=0.7, lam=3.0)
    for step, index in enumerate((np.arange(0, 12), np.arange(6, 18))):
        w, b = net.get_weights()
        logits = net.predict(x[index], verbose=0)
        rows_before = reference.target[index].copy()
        want, want_reg = reference.forward(index, logits, y[index])
        rows = np.stack([y[index], np.ones(12, int), index], axis=1)  # [label, clean, index]
        history = model.fit(x[index], rows, batch_size=12, epochs=1, shuffle=False, verbose=0)
        assert history.history["loss"][0] == pytest.approx(want, rel=1e-5)
        assert history.history["elr_regulariser"][0] == pytest.approx(want_reg, rel=1e-5)
        targets = keras.ops.convert_to_numpy(model.targets)
        np.testing.assert_allclose(targets, reference.target, rtol=1e-5, atol=1e-7)
        if step == 0:
            assert np.all(rows_before == 0)
        g = grad_logits(logits, y[index], reference.target[index], 3.0)
        flat = x[index].reshape(12, -1).astype(np.float64)
        got_w, got_b = net.get_weights()
        np.testing.assert_allclose(got_w, w - 0.5 * flat.T @ g, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got_b, b - 0.5 * g.sum(axis=0), rtol=1e-4, atol=1e-5)


def test_evaluation_is_the_network_with_the_compiled_loss_and_saving_keeps_the_targets(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 5, 10)
    net = perceptron(seed=4)
    model = elr_model.ELRModel(net, num_examples=10, beta=0.5, elr_lambda=1.0)
    model.compile(optimizer="adam", loss=losses.get("ce"), metrics=["accuracy"])
    rows = np.stack([y, np.ones(10, int), np.arange(10)], axis=1)
    model.fit(x, rows, batch_size=5, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), net.predict(x, verbose=0))
    scores = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(scores) == {"loss", "accuracy"}
    plain = keras.ops.convert_to_numpy(losses.get("ce")(y, net.predict(x, verbose=0)))
    assert scores["loss"] == pytest.approx(float(plain), rel=1e-5)
    model.save(tmp_path / "model.keras")
    again = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(again, elr_model.ELRModel)
    assert (again.num_examples, again.beta, again.elr_lambda) == (10, 0.5, 1.0)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(again.targets), keras.ops.convert_to_numpy(model.targets)
    )
    assert keras.ops.convert_to_numpy(again.targets).sum() == pytest.approx(10 * (1 - 0.5))


# --------------------------------------------------------------------------- the pipeline


def test_the_pipeline_gives_each_examples_index_in_both_feeds(shared_data):
    with np.load(shared_data / "mnist.npz") as data:
        x, y = data["x_train"][:300], data["y_train"][:300].astype("int64")
    result = noise.Additive(1).apply(y, num_classes=10, seed=3)  # 600 examples
    pipe = pipelines.TrainPipeline(x, result, batch_size=64, seed=5, indices=True)
    batches = pipelines.PipelineBatches(
        pipelines.TrainPipeline(x, result, batch_size=64, seed=5, indices=True), chunk=4
    )
    epochs = []
    for _ in range(2):
        rows = np.concatenate([yb.numpy() for _, yb in pipe.dataset])
        epochs.append(rows)
        fed = np.concatenate([batches[i][1] for i in range(len(batches))])
        batches.on_epoch_end()
        np.testing.assert_array_equal(fed, rows)
        assert rows.shape == (600, 3) and rows.dtype == np.int32
        index = rows[:, 2]
        assert sorted(index) == list(range(600))  # every example once, extras included
        np.testing.assert_array_equal(rows[:, 0], result.labels[index])
        np.testing.assert_array_equal(rows[:, 1], ~result.is_noisy[index])
    plain = pipelines.TrainPipeline(x, result, batch_size=64, seed=5)
    flags = pipelines.TrainPipeline(x, result, batch_size=64, seed=5, clean_flags=True)
    # without indices the labels are as before: (B,) labels, or (B, 2) [label, clean]
    np.testing.assert_array_equal(next(iter(plain.dataset))[1].numpy(), epochs[0][:64, 0])
    np.testing.assert_array_equal(next(iter(flags.dataset))[1].numpy(), epochs[0][:64, :2])


# --------------------------------------------------------------------------- from a config

SMALL = {
    "epochs": 3,
    "train_limit": 1000,
    "test_limit": 1000,
    "batch_size": 100,
    "eval_batch_size": 1000,
    "train_eval_images": 500,
    "optimizer.decay_start": 1,
    "noise.rate": 0.5,
}


def small_config(shared_data, **more):
    overrides = {"method": "elr", **SMALL, **more}
    config = cfg.apply_overrides(presets.get("coteaching-mnist-mlp"), overrides)
    config.data_dir = str(shared_data)
    return config


def test_an_elr_run_resumes_to_the_uninterrupted_history(shared_data, tmp_path):
    """The targets come back from the checkpoint: without them the regulariser, the loss
    and the weights of the epochs after the interruption would differ."""
    assert "elr" in methods.available()
    config = small_config(shared_data)
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
    assert resumed["test_accuracy_last"] == whole["test_accuracy_last"]
    epochs = [first[str(e)] for e in range(3)]
    for h in epochs:
        assert {"elr_regulariser", "train_noisy_memorised", "test_accuracy"} <= set(h)
        assert h["elr_regulariser"] < 0  # log(1 - <t, p>) once the targets fill
    model = keras.saving.load_model(tmp_path / "whole" / run_id / "model.keras")
    assert isinstance(model, elr_model.ELRModel) and model.num_examples == 1000
    # every example seen once an epoch: each row of the targets sums to 1 - beta**3
    sums = keras.ops.convert_to_numpy(model.targets).sum(axis=1)
    np.testing.assert_allclose(sums, 1 - 0.7**3, rtol=1e-4)


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"method.beta": 1.0}, r"method.beta must be a number in \[0, 1\), got 1.0"),
        ({"method.beta": -0.1}, r"method.beta must be a number in \[0, 1\)"),
        ({"method.beta": "high"}, r"method.beta must be a number in \[0, 1\)"),
        ({"method.elr_lambda": -1}, "method.elr_lambda must be a number >= 0, got -1"),
        ({"method.elr_lambda": True}, "method.elr_lambda must be a number >= 0"),
        ({"method.lambda": 3}, "unknown parameter method.lambda for method 'elr'; allowed: beta"),
        ({"distribution": "data_parallel"}, "distribution='none'"),
    ],
)
def test_bad_elr_configs_are_refused_before_training(overrides, message):
    config = cfg.apply_overrides(
        presets.get("coteaching-mnist-mlp"), {"method": "elr", **overrides}
    )
    with pytest.raises(ValueError, match=message):
        config.validate_without_keras()


@pytest.mark.backend_free
def test_elr_names_its_run_by_its_parameters_and_needs_the_data_first():
    base = cfg.apply_overrides(presets.get("coteaching-mnist-mlp"), {"method": "elr"})
    assert base.run_key()["selection"] == {"name": "elr"}
    beta = cfg.apply_overrides(base, {"method.beta": 0.9})
    assert beta.run_key()["selection"] == {"name": "elr", "beta": 0.9}
    chosen = methods.get("elr")
    assert chosen.needs(base) == methods.PipelineNeeds(indices=True)
    with pytest.raises(RuntimeError, match="call use_data"):
        chosen.build_model(lambda: None, base)
