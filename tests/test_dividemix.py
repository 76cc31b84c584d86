"""DivideMix (method=dividemix): its per-batch rule against a NumPy transcription of the
authors' ``train()`` (LiJunnan1992/DivideMix @ d9d3058, Train_cifar.py), the division
against scikit-learn, the divided pipeline, a run on real MNIST through
``kerasnoise.training.train`` on every backend, and the bad configs."""

import json
import time
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from keras import ops

from kerasnoise import config as cfg
from kerasnoise import methods, noise, presets, training
from kerasnoise.methods import dividemix, dividemix_model, division, mixmatch
from kerasnoise.pipelines.divided import DividedPipeline, batch_keys
from tests.helpers import Interrupt, StopAfterFirstEpoch, without_timing

K = 4  # classes
B = 5  # labelled and unlabelled examples per network


# ------------------------------------------------------------ the authors' step in NumPy


def np_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def authors_train_step(net, net2, inputs_x, inputs_x2, labels_x, w_x, inputs_u, inputs_u2, *,
                       lam, idx, T, lambda_u, current, warm_up, num_class):  # fmt: skip
    """Train_cifar.py's train() for one batch, line by line (torch -> NumPy); returns
    (loss, Lx, Lu, penalty).  ``net``/``net2`` give logits."""
    batch_size = inputs_x.shape[0]
    labels_x = np.eye(num_class)[labels_x]
    w_x = w_x.reshape(-1, 1)
    # label co-guessing of unlabeled samples
    outputs_u11 = net(inputs_u)
    outputs_u12 = net(inputs_u2)
    outputs_u21 = net2(inputs_u)
    outputs_u22 = net2(inputs_u2)
    pu = (
        np_softmax(outputs_u11)
        + np_softmax(outputs_u12)
        + np_softmax(outputs_u21)
        + np_softmax(outputs_u22)
    ) / 4
    ptu = pu ** (1 / T)  # temparature sharpening
    targets_u = ptu / ptu.sum(axis=1, keepdims=True)  # normalize
    # label refinement of labeled samples
    outputs_x = net(inputs_x)
    outputs_x2 = net(inputs_x2)
    px = (np_softmax(outputs_x) + np_softmax(outputs_x2)) / 2
    px = w_x * labels_x + (1 - w_x) * px
    ptx = px ** (1 / T)  # temparature sharpening
    targets_x = ptx / ptx.sum(axis=1, keepdims=True)  # normalize
    # mixmatch
    lam = max(lam, 1 - lam)  # their l
    all_inputs = np.concatenate([inputs_x, inputs_x2, inputs_u, inputs_u2], axis=0)
    all_targets = np.concatenate([targets_x, targets_x, targets_u, targets_u], axis=0)
    input_a, input_b = all_inputs, all_inputs[idx]
    target_a, target_b = all_targets, all_targets[idx]
    mixed_input = lam * input_a + (1 - lam) * input_b
    mixed_target = lam * target_a + (1 - lam) * target_b
    logits = net(mixed_input)
    logits_x = logits[: batch_size * 2]
    logits_u = logits[batch_size * 2 :]
    # SemiLoss
    probs_u = np_softmax(logits_u)
    Lx = -np.mean(np.sum(np_log_softmax(logits_x) * mixed_target[: batch_size * 2], axis=1))
    Lu = np.mean((probs_u - mixed_target[batch_size * 2 :]) ** 2)
    lamb = lambda_u * float(np.clip((current - warm_up) / 16, 0.0, 1.0))  # linear_rampup
    # regularization
    prior = np.ones(num_class) / num_class
    pred_mean = np_softmax(logits).mean(0)
    penalty = np.sum(prior * np.log(prior / pred_mean))
    return Lx + lamb * Lu + penalty, Lx, Lu, penalty


def linear_network(seed):
    keras.utils.set_random_seed(seed)
    net = keras.Sequential([keras.Input((3, 3, 1)), keras.layers.Flatten(), keras.layers.Dense(K)])
    kernel, bias = net.get_weights()
    rng = np.random.default_rng(seed)
    net.set_weights([rng.normal(size=kernel.shape), rng.normal(size=bias.shape) * 0.1])
    return net


def np_forward(net):
    kernel, bias = (np.asarray(w, np.float64) for w in net.get_weights())
    return lambda x: x.reshape(len(x), -1) @ kernel + bias


def one_batch(seed):
    rng = np.random.default_rng(seed)
    views = {k: rng.normal(size=(B, 3, 3, 1)).astype("float32") for k in ("x1", "x2", "u1", "u2")}
    return {
        **views,
        "y": rng.integers(0, K, B).astype("int32"),
        "w": rng.random(B).astype("float32"),
    }


def authors(net, other, batch, lam, idx, current, lambda_u=25.0, warm_up=1, T=0.5):
    f64 = {k: np.asarray(v, np.float64) for k, v in batch.items() if k not in ("y",)}
    return authors_train_step(
        np_forward(net), np_forward(other), f64["x1"], f64["x2"], batch["y"], f64["w"],
        f64["u1"], f64["u2"], lam=lam, idx=idx, T=T, lambda_u=lambda_u, current=current,
        warm_up=warm_up, num_class=K,
    )  # fmt: skip


def test_the_rule_is_the_authors_train_step():
    net, other = linear_network(1), linear_network(2)
    batch = one_batch(0)
    idx = np.random.default_rng(3).permutation(4 * B)
    for lam in (0.7, 0.3):
        expected, lx, lu, penalty = authors(net, other, batch, lam, idx, current=4.5)
        lamb = 25.0 * (4.5 - 1) / 16
        out = mixmatch.dividemix_loss(
            net, other, batch, lam=max(lam, 1 - lam), perm=idx.astype("int32"), lambda_u=lamb
        )
        got = {k: float(ops.convert_to_numpy(out[k])) for k in ("loss", "lx", "lu", "penalty")}
        assert got["lx"] == pytest.approx(lx, rel=1e-4)
        assert got["lu"] == pytest.approx(lu, rel=1e-4)
        assert got["penalty"] == pytest.approx(penalty, rel=1e-4, abs=1e-6)
        assert got["loss"] == pytest.approx(expected, rel=1e-4)


def test_the_models_loss_is_both_networks_steps_on_their_own_batches_with_the_ramp():
    net_1, net_2 = linear_network(1), linear_network(2)
    model = dividemix_model.DivideMix(net_1, net_2, warm_up=2, lambda_u=25.0, penalty=True)
    parts = [one_batch(10), one_batch(11)]
    x = {f"{key}_{k + 1}": value for k in range(2) for key, value in parts[k].items()}
    perms = [np.random.default_rng(s).permutation(4 * B) for s in (5, 6)]
    model.fixed_draws = [(0.8, perms[0].astype("int32")), (0.6, perms[1].astype("int32"))]
    model.epoch.assign(3.0)
    model.step.assign(4.0)
    model.steps_per_epoch.assign(10.0)
    model.warming_up = False
    loss = model.compute_loss(x=x, y_pred=model(x, training=True))
    current = 3 + 4 / 10
    expected = authors(net_1, net_2, parts[0], 0.8, perms[0], current, warm_up=2)[0]
    expected += authors(net_2, net_1, parts[1], 0.6, perms[1], current, warm_up=2)[0]
    assert float(ops.convert_to_numpy(loss)) == pytest.approx(expected, rel=1e-4)
    assert float(ops.convert_to_numpy(model.step)) == 5.0  # the step counts itself
    # the warm-up: cross-entropy of each network's first view, plus NegEntropy (asymmetric)
    model.warming_up = True
    loss = model.compute_loss(x=x, y_pred=model(x, training=True))
    expected = 0.0
    for net, part in ((net_1, parts[0]), (net_2, parts[1])):
        z = np_forward(net)(part["x1"].astype(np.float64))
        expected += -np.mean(np_log_softmax(z)[np.arange(B), part["y"]])
        expected += np.mean(np.sum(np_softmax(z) * np_log_softmax(z), axis=1))
    assert float(ops.convert_to_numpy(loss)) == pytest.approx(expected, rel=1e-4)
    # prediction: the sum of both networks' logits
    images = parts[0]["x1"]
    summed = np_forward(net_1)(images.astype(np.float64)) + np_forward(net_2)(images)
    np.testing.assert_allclose(model.predict(images, verbose=0), summed, rtol=1e-4, atol=1e-4)


def test_the_mixup_weight_is_beta_distributed_and_at_least_a_half():
    seed = keras.random.SeedGenerator(0)
    for alpha in (4.0, 0.5):
        draws = ops.convert_to_numpy(mixmatch.beta_sample(alpha, alpha, 20000, seed))
        assert draws.mean() == pytest.approx(0.5, abs=0.01)
        assert draws.var() == pytest.approx(1 / (4 * (2 * alpha + 1)), rel=0.05)
    model = dividemix_model.DivideMix(linear_network(1), linear_network(2), alpha=4.0, seed=1)
    lam, perm = model.draws(12)
    assert 0.5 <= float(ops.convert_to_numpy(lam)) <= 1
    assert sorted(ops.convert_to_numpy(perm).tolist()) == list(range(12))


# ------------------------------------------------------------------------ the division


@pytest.mark.backend_free
def test_the_division_is_sklearns_mixture_on_the_normalised_loss():
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(0)
    losses = np.concatenate([rng.gamma(2.0, 0.1, 700), 2.0 + rng.gamma(3.0, 0.3, 300)])
    prob = division.clean_probability(losses, seed=7)
    normalised = ((losses - losses.min()) / (losses.max() - losses.min())).reshape(-1, 1)
    gmm = GaussianMixture(n_components=2, max_iter=10, tol=1e-2, reg_covar=5e-4, random_state=7)
    gmm.fit(normalised)
    np.testing.assert_allclose(prob, gmm.predict_proba(normalised)[:, gmm.means_.argmin()])
    assert (prob[:700] > 0.5).mean() > 0.95 and (prob[700:] > 0.5).mean() < 0.05
    assert np.all(division.clean_probability(np.full(5, 0.3)) == 1.0)
    logits = rng.normal(size=(6, 3))
    labels = rng.integers(0, 3, 6)
    expected = -np.log(np_softmax(logits)[np.arange(6), labels])
    np.testing.assert_allclose(division.per_example_loss(logits, labels), expected)
    assert division.gmm_seed(0, 3, 1) == division.gmm_seed(0, 3, 1) != division.gmm_seed(0, 3, 0)


# ------------------------------------------------------------------------ the pipeline


def small_pipeline(n=40, batch_size=8, seed=3, channels=None):
    rng = np.random.default_rng(0)
    shape = (n, 6, 6) if channels is None else (n, 6, 6, channels)
    images = rng.integers(0, 256, shape, dtype=np.uint8)
    labels = rng.integers(0, 3, n)
    result = noise.get("symmetric_exclusive", rate=0.3).apply(labels, num_classes=3, seed=1)
    return DividedPipeline(images, result, batch_size=batch_size, seed=seed), result


@pytest.mark.backend_free
def test_the_pipeline_follows_its_division_in_two_different_views():
    pipe, result = small_pipeline()
    n = pipe.num_examples
    assert len(pipe) == 5 and pipe.examples_per_epoch == 40 and not pipe.flip
    labelled = np.zeros(n, bool)
    labelled[[1, 4, 9, 16, 25]] = True
    prob = (np.arange(n) / 64).astype(np.float32)  # exact: each example's own value
    pipe.set_division(0, labelled, prob)
    pipe.set_division(1, ~labelled, 1 - prob)
    batches = pipe.load(epoch=2, first=0, count=5)
    assert sorted(batches) == sorted(batch_keys())
    # network 1: its labelled batches cycle through the 5 labelled examples, each once a pass
    w = batches["w_1"]
    assert set(w.tolist()) == set(prob[labelled].tolist())
    for start in range(0, 40, 5):
        assert sorted(w[start : start + 5].tolist()) == sorted(prob[labelled].tolist())
    # labels are the noisy labels of those examples; the unlabelled ones come from the rest
    index = np.round(w * 64).astype(int)
    np.testing.assert_array_equal(batches["y_1"], result.labels[index])
    assert set(batches["w_2"].tolist()) <= set((1 - prob[~labelled]).tolist())
    # two views differ (random crops), as do the unlabelled views
    assert not np.array_equal(batches["x1_1"], batches["x2_1"])
    assert not np.array_equal(batches["u1_2"], batches["u2_2"])
    assert pipe.division(0)[0].tolist() == labelled.tolist()
    # the same seed gives the same batches; a different epoch others
    again, _ = small_pipeline()
    again.set_division(0, labelled, prob)
    again.set_division(1, ~labelled, 1 - prob)
    same = again.load(epoch=2, first=0, count=5)
    for key in batches:
        np.testing.assert_array_equal(batches[key], same[key])
    assert not np.array_equal(again.load(3, 0, 5)["x1_1"], batches["x1_1"])
    # the dataset and the NumPy feed give the same batches
    pipe.set_epoch(2)
    first = next(iter(pipe.dataset))
    np.testing.assert_array_equal(first["u1_1"].numpy(), batches["u1_1"][:8])
    pipe.set_epoch(2)
    np.testing.assert_array_equal(pipe.batches[1]["x2_2"], batches["x2_2"][8:16])


@pytest.mark.backend_free
def test_without_padding_the_views_are_the_images_themselves():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (16, 6, 6), dtype=np.uint8)
    result = noise.get("symmetric_exclusive", rate=0.3).apply(
        rng.integers(0, 3, 16), num_classes=3, seed=1
    )
    pipe = DividedPipeline(images, result, batch_size=4, seed=3, padding=0)
    labelled = np.arange(16) < 8
    prob = (np.arange(16) / 64).astype(np.float32)
    pipe.set_division(0, labelled, prob)
    pipe.set_division(1, labelled, prob)
    batches = pipe.load(epoch=1, first=0, count=4)
    index = np.round(batches["w_1"] * 64).astype(int)
    expected = images[index][..., None].astype(np.float32) / 255
    np.testing.assert_allclose(batches["x1_1"], expected, atol=1e-6)
    np.testing.assert_array_equal(batches["x1_1"], batches["x2_1"])
    with pytest.raises(ValueError, match="padding"):
        DividedPipeline(images, result, batch_size=4, seed=3, padding=-1)


@pytest.mark.backend_free
def test_an_empty_set_is_served_from_the_whole_training_set():
    pipe, _ = small_pipeline(n=12, batch_size=4)
    pipe.set_division(0, np.ones(12, bool), np.full(12, 0.9))  # nothing unlabelled
    pipe.set_division(1, np.zeros(12, bool), np.full(12, 0.1))  # nothing labelled
    batches = pipe.load(0, 0, 3)
    assert np.allclose(batches["w_2"], 0.1) and batches["u1_1"].shape == (12, 6, 6, 1)
    with pytest.raises(ValueError, match="shape"):
        pipe.set_division(0, np.ones(5, bool), np.ones(5))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        pipe.set_division(0, np.ones(12, bool), np.full(12, 2.0))
    additive = noise.get("additive", alpha=1).apply(np.arange(12) % 3, num_classes=3, seed=0)
    with pytest.raises(ValueError, match="one noisy label per image"):
        DividedPipeline(np.zeros((12, 6, 6), np.uint8), additive, batch_size=4, seed=0)
    colour, _ = small_pipeline(channels=3)
    assert colour.flip


class DivisionProbe(keras.Model):
    """Records whether every batch of an epoch read the division set at its start."""

    def __init__(self):
        super().__init__(name="division_probe")
        self.dense = keras.layers.Dense(1)
        self.parity = self.add_weight(shape=(), initializer="zeros", trainable=False)
        self.ok = keras.metrics.Mean(name="ok")

    def call(self, x, training=False):
        return self.dense(ops.reshape(x["x1_1"], (ops.shape(x["x1_1"])[0], -1)))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        parity = ops.cast(self.parity, "int32")
        self.ok.update_state(ops.cast(ops.equal(x["y_1"] % 2, parity), "float32"))
        return ops.mean(ops.square(y_pred))

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return {"ok": self.ok.result()}


def test_fit_reads_each_epochs_division_from_its_first_batch():
    """No feed reads ahead into an epoch before its division is assigned."""
    pipe, result = small_pipeline(n=64, batch_size=4)
    model = DivisionProbe()

    class Divide(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            pipe.set_division(0, result.labels % 2 == epoch % 2, np.ones(64))
            model.parity.assign(epoch % 2)

    spe = 1 if keras.backend.backend() == "torch" else 4
    model.compile(optimizer="sgd", steps_per_execution=spe)
    history = model.fit(
        pipe.for_fit(),
        epochs=3,
        callbacks=[pipe.epoch_callback(), Divide()],
        verbose=0,
        shuffle=False,
    )
    assert history.history["ok"] == [1.0, 1.0, 1.0]
    # an iterator made before the division changes (as Keras makes the next epoch's at
    # the end of an epoch) reads the new one: nothing was computed ahead
    iterator = iter(pipe.dataset)
    time.sleep(0.3)
    pipe.set_division(0, result.labels % 2 == 0, np.ones(64))
    assert np.all(next(iterator)["y_1"].numpy() % 2 == 0)


# --------------------------------------------------------------------- the method, a run

SMALL = {
    "method": "dividemix",
    "epochs": 2,
    "train_limit": 2000,
    "test_limit": 1000,
    "batch_size": 100,
    "eval_batch_size": 1000,
    "train_eval_images": 1000,
    "optimizer.decay_start": 1,
    "method.warm_up": 1,
}


def small_config(shared_data, **more):
    config = cfg.apply_overrides(presets.get("coteaching-mnist-mlp"), {**SMALL, **more})
    config.data_dir = str(shared_data)
    return config


def test_a_dividemix_run_warms_up_then_divides_and_resumes_as_uninterrupted(shared_data, tmp_path):
    """Warm-up, then a division per epoch; a run interrupted at the warm-up's end resumes
    (the model's counters and mixup seed from the checkpoint, the division recomputed
    at the epoch's start) to the history of the uninterrupted run."""
    config = small_config(shared_data)
    record = training.train(config, tmp_path / "whole", verbose=0, quiet=True)
    history = json.loads((tmp_path / "whole" / record["run_id"] / "history.json").read_text())
    parts = tmp_path / "parts"
    with pytest.raises(Interrupt):
        training.train(config, parts, verbose=0, quiet=True, callbacks=[StopAfterFirstEpoch()])
    resumed = training.train(config, parts, verbose=0, quiet=True)
    again = json.loads((parts / record["run_id"] / "history.json").read_text())
    assert len(resumed["wall_time_parts_s"]) == 2
    assert without_timing(again) == without_timing(history)
    warm, divided = history["0"], history["1"]
    assert "labelled_1" not in warm and "loss_x" not in warm
    for k in (1, 2):
        assert 0 < divided[f"labelled_{k}"] < 1
        # better than chance at keeping right labels from a set that is half wrong
        assert divided[f"label_precision_{k}"] > 1 - record["noise_rate"] + 0.05
    assert divided["loss_x"] > 0 and divided["loss_u"] >= 0
    assert 0.1 < divided["test_accuracy"] <= 1
    assert record["execution"]["feed"] in ("tf.data", "PyDataset")
    assert record["steps_per_epoch"] == 20  # ceil(2000 / 100)


@pytest.mark.backend_free
def test_the_authors_rules_give_their_values_per_noise():
    params = dict(dividemix.DivideMixMethod.defaults)

    def chosen(name, rate=None):
        section = {"name": name} if rate is None else {"name": name, "rate": rate}
        out = dividemix.resolved(params, section)
        return out["lambda_u"], out["p_threshold"], out["penalty"]

    assert chosen("symmetric_exclusive", 0.2) == (0.0, 0.5, False)
    assert chosen("symmetric_exclusive", 0.5) == (25.0, 0.5, False)
    assert chosen("symmetric_inclusive", 0.8) == (25.0, 0.5, False)
    assert chosen("symmetric_inclusive", 0.9) == (50.0, 0.6, False)
    assert chosen("asymmetric", 0.4) == (0.0, 0.5, True)
    assert chosen("pair_flip", 0.45) == (0.0, 0.5, True)
    assert "dividemix" in methods.available()
    assert isinstance(methods.get("dividemix"), methods.DivideMixMethod)
    # the hook's default: the run's TrainPipeline
    run_data = SimpleNamespace(built=SimpleNamespace(train="the TrainPipeline"))
    assert methods.get("standard").train_pipeline(None, run_data) == "the TrainPipeline"


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"method.p_threshold": 1.0}, r"method.p_threshold must be a number in \(0, 1\)"),
        ({"method.p_threshold": 0}, r"method.p_threshold must be a number in \(0, 1\)"),
        ({"method.lambda_u": -1}, r"method.lambda_u must be a number >= 0"),
        ({"method.T": 0}, r"method.T must be a number > 0"),
        ({"method.alpha": -2}, r"method.alpha must be a number > 0"),
        ({"method.warm_up": -1}, r"method.warm_up must be an integer >= 0"),
        ({"method.penalty": "yes"}, r"method.penalty must be true, false or 'authors'"),
        ({"method.padding": -1}, r"method.padding must be an integer >= 0"),
        ({"method.padding": 1.5}, r"method.padding must be an integer >= 0"),
        ({"method.mu": 1}, "unknown parameter method.mu"),
        ({"loss": "gce"}, "loss must be ce, got 'gce'"),
        ({"distribution": "data_parallel"}, "distribution='none'"),
        ({"optimizer.global_clipnorm": 1.0}, "optimizer.clipnorm"),
        ({"noise": "additive", "noise.alpha": 1, "method.lambda_u": 0, "method.p_threshold": 0.5},
         "pipeline cannot serve"),
        ({"eval_every_steps": 100}, "eval_every_steps=100 is not supported"),
        ({"noise": "additive", "noise.alpha": 1}, "set method.lambda_u to a number"),
    ],
)  # fmt: skip
def test_bad_dividemix_configs_are_refused_before_data_loads(overrides, message):
    config = cfg.apply_overrides(
        presets.get("coteaching-mnist-mlp"), {"method": "dividemix", **overrides}
    )
    with pytest.raises(ValueError, match=message):
        config.validate_without_keras()
