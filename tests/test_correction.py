"""Loss correction (kerasnoise.losses.correction): forward and backward against NumPy, the
checks on T, the anchor estimate of T, and the run's oracle and estimated T."""

import json

import keras
import numpy as np
import pytest
from keras import ops

from kerasnoise import config as cfg
from kerasnoise import losses, methods, noise, presets, reevaluation, training
from kerasnoise.losses import correction

K = 5


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _random_transition(rng, k=K):
    """A random row-stochastic, diagonally dominant (so invertible) matrix."""
    t = rng.random((k, k)) * 0.3
    np.fill_diagonal(t, 0.0)
    t /= t.sum(axis=1, keepdims=True)
    keep = rng.uniform(0.5, 0.9, size=k)
    return t * (1 - keep)[:, None] + np.diag(keep)


def _values(loss, y, z):
    return np.asarray(ops.convert_to_numpy(loss.call(y, z)), dtype=np.float64)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_and_backward_equal_numpy_formulas(seed):
    rng = np.random.default_rng(seed)
    t = _random_transition(rng)
    z = (rng.standard_normal((64, K)) * 3).astype(np.float32)
    y = rng.integers(0, K, size=64)
    log_p = _log_softmax(z.astype(np.float64))
    p = np.exp(log_p)
    forward = -np.log((p @ t)[np.arange(64), y])  # -log (T^T p)[y]
    backward = (np.linalg.inv(t)[y] * -log_p).sum(axis=1)  # sum_j T^-1[y, j] (-log p_j)
    np.testing.assert_allclose(
        _values(losses.get("forward", transition=t), y, z), forward, rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(
        _values(losses.get("backward", transition=t), y, z), backward, rtol=1e-4, atol=1e-4
    )
    # the functional twins, one-hot labels and (B, 1) labels give the same
    np.testing.assert_allclose(
        ops.convert_to_numpy(correction.backward_correction(np.eye(K)[y], z, t)),
        backward,
        rtol=1e-4,
        atol=1e-4,
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(correction.forward_correction(y[:, None], z, t)),
        forward,
        rtol=1e-5,
        atol=1e-5,
    )


def authors_loss(name, y_true, probs, t=None, eps=1e-7):
    """A NumPy transcription of Patrini et al.'s ``loss.py`` (Keras 2, ``K.epsilon()`` =
    1e-7): ``crossentropy`` and ``robust('backward'|'forward', P)`` on softmax outputs."""
    y_pred = probs / probs.sum(axis=-1, keepdims=True)
    y_pred = np.clip(y_pred, eps, 1.0 - eps)
    if name == "ce":
        return -np.sum(y_true * np.log(y_pred), axis=-1)
    if name == "backward":
        return -np.sum((y_true @ np.linalg.inv(t)) * np.log(y_pred), axis=-1)
    return -np.sum(y_true * np.log(y_pred @ t), axis=-1)


@pytest.mark.parametrize("name", ["ce", "backward", "forward"])
def test_the_clip_equals_the_authors_loss_past_the_clip(name):
    """``clip=1e-7`` gives the authors' numbers, also for logits whose softmax lies past
    the clip (a sure wrong prediction); without it backward has no lower bound."""
    rng = np.random.default_rng(7)
    t = _random_transition(rng)
    z = (rng.standard_normal((48, K)) * 3).astype(np.float32)
    z[:16] *= 12  # p of 1e-30 and below: past the clip
    y = rng.integers(0, K, size=48)
    p = np.exp(_log_softmax(z.astype(np.float64)))
    assert (p[:16] < 1e-7).any()
    want = authors_loss(name, np.eye(K)[y], p, t)
    params = {} if name == "ce" else {"transition": t}
    got = _values(losses.get(name, clip=1e-7, **params), y, z)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    if name == "backward":  # the bound: -log(1/eps) * sum of |negative coefficients|
        negative = np.clip(np.linalg.inv(t)[y], None, 0).sum(axis=1)
        assert (got >= negative * -np.log(1e-7) - 1e-3).all()
        z_far = z.copy()
        z_far[:16] *= 100  # the unclipped loss keeps falling; the clipped one cannot
        unclipped = _values(losses.get(name, **params), y, z_far)
        assert unclipped.min() < negative.min() * 16.2 * 10
        assert _values(losses.get(name, clip=1e-7, **params), y, z_far).min() >= (
            (negative * 16.2).min()
        )


def test_no_gradient_from_a_clipped_probability():
    """As Keras 2's ``K.clip``: a probability past the clip passes no gradient."""
    from tests._autodiff import value_and_grad

    y = np.array([0, 1])
    z = np.array([[-40.0, 40.0, 0.0], [0.0, 1.0, 2.0]], dtype=np.float32)

    def loss(logits):
        return ops.sum(losses.cross_entropy(y, logits, clip=1e-7))

    _, grad = value_and_grad(loss, z)
    np.testing.assert_array_equal(grad[0], 0.0)  # p_0 = e^-80: clipped
    assert np.abs(grad[1]).sum() > 0.1


@pytest.mark.parametrize("clip", [0.0, 0.5, -1e-7, "1e-7", True])
def test_a_bad_clip_is_a_clear_error(clip):
    with pytest.raises((ValueError, TypeError), match="clip"):
        losses.get("backward", transition=np.eye(K), clip=clip)


def test_identity_gives_cross_entropy_and_extremes_stay_finite():
    rng = np.random.default_rng(3)
    z = (rng.standard_normal((32, K)) * 4).astype(np.float32)
    z[0, 0], z[1, 1] = 1e4, -1e4  # p_y = 1 and p_y = 0 in float32
    y = rng.integers(0, K, size=32)
    y[:2] = [0, 1]
    ce = _values(losses.get("ce"), y, z)
    for name in ("forward", "backward"):
        values = _values(losses.get(name, transition=np.eye(K)), y, z)
        assert np.all(np.isfinite(values))
        mask = ce < 50  # forward floors T[i, y] at float32's tiny: -log p_y capped near 87
        np.testing.assert_allclose(values[mask], ce[mask], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("transition", "message"),
    [
        (noise.Asymmetric(0.5, "mnist").expected_transition(10), "singular or ill-conditioned"),
        ([[0.5, 0.5], [0.5, 0.5]], "singular or ill-conditioned"),
        ([[0.5 + 1e-7, 0.5 - 1e-7], [0.5, 0.5]], "condition number"),
        (np.eye(3)[:2], "square"),
        ([[0.5, 0.4], [0.5, 0.5]], "row 0 sums to 0.9"),
        ([[1.5, -0.5], [0, 1]], "non-negative"),
        ("guessed", "'oracle' or 'estimated'"),
    ],
)
@pytest.mark.parametrize("name", ["forward", "backward"])
def test_bad_transition_is_a_clear_error(name, transition, message):
    with pytest.raises(ValueError, match=message) as info:
        losses.get(name, transition=transition)
    assert "loss.transition" in str(info.value)


def test_other_bad_input():
    with pytest.raises(ValueError, match="loss.anchor_filter must be True or False"):
        losses.get("backward", transition="estimated", anchor_filter="yes")
    with pytest.raises(ValueError, match="transition is 5 x 5 but y_pred has 3 classes"):
        correction.backward_correction([0], np.zeros((1, 3), np.float32), np.eye(K))
    with pytest.raises(ValueError, match="loss.transition is 5 x 5 but the task has 10"):
        correction.check_correction_matrix(np.eye(K), 10)
    pending = losses.get("forward", transition="oracle")  # a config's name: validated, kept
    assert pending.get_config()["transition"] == "oracle" and pending.matrix is None
    with pytest.raises(ValueError, match="resolved from a run's noise when a run builds"):
        pending(np.array([0]), np.zeros((1, K), np.float32))
    # the loss reads "oracle" from a run's noise itself; "estimated" is the method's
    flips = noise.get("pair_flip", rate=0.2).apply(np.arange(50) % K, num_classes=K, seed=0)
    params, record = losses.for_run({"name": "forward", "transition": "oracle"}, flips)
    np.testing.assert_allclose(params["transition"], flips.transition)
    assert record == {"transition_source": "oracle", "transition_used": params["transition"]}
    assert losses.for_run({"name": "gce", "q": 0.5}, flips) == ({"q": 0.5}, {})
    with pytest.raises(ValueError, match="the method estimated_transition resolves it"):
        losses.for_run({"name": "backward", "transition": "estimated"}, flips)
    base = cfg.apply_overrides(presets.get("menon-mnist-lenet"), {"loss": "backward"})
    cfg.apply_overrides(base, {"loss.transition": np.eye(10).tolist()}).validate()
    # refused by the checks that run before Keras is imported and any data loads
    for value, message in (
        (np.eye(3).tolist(), "loss.transition is 3 x 3 but the task has 10 classes"),
        ((np.ones((10, 10)) / 10).tolist(), "singular"),
        ("nonsense", "loss.transition must be a K x K matrix, 'oracle' or 'estimated'"),
    ):
        config = cfg.apply_overrides(base, {"loss.transition": value})
        with pytest.raises(ValueError, match=message):
            config.validate_without_keras()
    config = cfg.apply_overrides(base, {"loss.transition": "estimated", "noise.rate": 0.3})
    with pytest.raises(ValueError, match="loss.estimator must be one of anchor, confident_joint"):
        cfg.apply_overrides(config, {"loss.estimator": "median"}).validate_without_keras()


@pytest.mark.backend_free
def test_the_cli_refuses_a_bad_transition_before_loading_or_writing(tmp_path, shared_data):
    """A 2 x 2 matrix for MNIST's 10 classes: refused at once, naming the parameter,
    with no run folder left behind."""
    import subprocess
    import sys

    for value in ("[[1,0],[0,1]]", "nonsense"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kerasnoise.cli",
                "train",
                "patrini-mnist-mlp",
                "loss=forward",
                f"loss.transition={value}",
                "--out",
                str(tmp_path / "runs"),
                "--data-dir",
                str(shared_data),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0
        assert "loss.transition" in done.stderr and "Traceback" not in done.stderr
        assert not (tmp_path / "runs").exists()


def test_registered_through_the_public_route_and_names_kept():
    assert losses.ForwardCorrection is correction.ForwardCorrection  # the old attribute
    assert losses.forward_correction is correction.forward_correction
    assert keras.saving.get_registered_name(correction.ForwardCorrection) == (
        "kerasnoise>ForwardCorrection"
    )
    assert keras.saving.get_registered_name(correction.BackwardCorrection) == (
        "kerasnoise>BackwardCorrection"
    )
    # ours, not plug-ins
    assert losses.has("forward") and losses.has("Backward")
    assert {"forward", "backward"} <= set(losses._REGISTRY.builtins())
    assert not {"forward", "backward"} & set(losses._REGISTRY.plugins())
    config = losses.get("forward", transition=np.eye(K)).get_config()
    assert {"transition", "from_logits", "name"} <= set(config)
    assert config["name"] == "forward_correction"


def test_saved_model_with_backward_loss_loads(tmp_path):
    t = _random_transition(np.random.default_rng(4))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(K)])
    model.compile(optimizer="sgd", loss=losses.get("backward", transition=t))
    x = np.random.default_rng(5).standard_normal((8, 3)).astype(np.float32)
    y = np.arange(8) % K
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.loss) is correction.BackwardCorrection
    np.testing.assert_allclose(loaded.loss.matrix, t, atol=1e-12)
    np.testing.assert_allclose(
        loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-5
    )


# --------------------------------------------------------------------------- estimation


def _anchored_probs(t, rng, n=4000, anchors=40, exact=True):
    """Noisy posteriors p = pi T: Dirichlet clean posteriors plus, per class, ``anchors``
    near-anchor points (pi close to e_i; exactly e_i when ``exact``)."""
    k = t.shape[0]
    pi = rng.dirichlet(np.ones(k), size=n)
    rows = []
    for i in range(k):
        eps = np.zeros(anchors) if exact else np.linspace(0.0, 0.02, anchors)
        rows.append((1 - eps)[:, None] * np.eye(k)[i] + eps[:, None] / k)
    pi = np.concatenate([pi, *rows])
    return pi[rng.permutation(len(pi))] @ t


def test_anchor_estimator_recovers_a_known_transition():
    rng = np.random.default_rng(6)
    t = _random_transition(rng)
    exact = _anchored_probs(t, rng)
    np.testing.assert_allclose(
        correction.estimate_transition(exact, K, filter_outliers=False), t, atol=1e-12
    )
    # the 97th-percentile filter drops the top 3 % of p_i: near-anchors then give T
    near = _anchored_probs(t, rng, n=2000, anchors=200, exact=False)
    estimate = correction.estimate_transition(near, K)
    np.testing.assert_allclose(estimate, t, atol=0.02)
    np.testing.assert_allclose(estimate.sum(axis=1), 1.0)
    error = correction.transition_error(estimate, t)
    assert 0 < error["mean_absolute_error"] <= error["max_abs_error"] < 0.02
    with pytest.raises(ValueError, match=r"probs must have shape \(N, 5\)"):
        correction.estimate_transition(exact[:, :3], K)


# --------------------------------------------------------------------------- runs

SMALL = [
    "epochs=1",
    "train_limit=800",
    "test_limit=1000",
    "validation=100",
    "batch_size=100",
    "eval_batch_size=2500",
    "train_eval_images=100",
    "model=mlp1",
    "noise=asymmetric",
    "noise.mapping=mnist",
    "noise.rate=0.3",
]


def _config(shared_data, *overrides):
    items = SMALL + list(overrides)
    config = cfg.apply_overrides(presets.get("menon-mnist-lenet"), cfg.parse_overrides(items))
    config.data_dir = str(shared_data)
    return config


def test_oracle_uses_the_runs_realised_transition(shared_data, tmp_path):
    config = _config(shared_data, "loss=backward", "loss.transition=oracle")
    record = training.train(config, tmp_path, verbose=0, quiet=True)
    assert record["status"] == "finished" and record["transition_source"] == "oracle"
    run_dir = tmp_path / record["run_id"]
    realised = np.asarray(json.loads((run_dir / "noise.json").read_text())["transition"])
    np.testing.assert_allclose(record["transition_used"], realised)
    assert not np.allclose(realised, np.eye(10))  # the flips happened
    # the saved model's loss holds the matrix; the config keeps the name (and the run id)
    loaded = keras.saving.load_model(run_dir / "model.keras")
    np.testing.assert_allclose(loaded.loss.matrix, realised)
    assert json.loads((run_dir / "config.json").read_text())["loss"]["transition"] == "oracle"
    again = reevaluation.evaluate_run(run_dir)  # kerasnoise eval: the loss found by name
    assert again["accuracy"] == pytest.approx(record["test_accuracy_final_model"])


def test_estimated_trains_cross_entropy_first_and_reuses_it(shared_data, tmp_path, monkeypatch):
    config = _config(shared_data, "loss=forward", "loss.transition=estimated")
    record = training.train(config, tmp_path, verbose=0, quiet=True)
    # through the method door: the config's shorthand is the method estimated_transition
    assert config.method == {"name": "estimated_transition"}
    method = methods.from_config(config.method)
    stage1 = method.earlier_stage(config)
    assert stage1.loss == {"name": "ce"} and stage1.method == {"name": "standard"}
    assert record["transition_stage1_run"] == stage1.run_id(keras.backend.backend())
    assert training.train(stage1, tmp_path, verbose=0, quiet=True)["skipped"]
    estimate = np.asarray(record["transition_used"])
    np.testing.assert_allclose(estimate.sum(axis=1), 1.0)
    realised = np.asarray(
        json.loads((tmp_path / record["run_id"] / "noise.json").read_text())["transition"]
    )
    expected = correction.transition_error(estimate, realised)
    assert record["transition_estimate_error"] == pytest.approx(expected)

    def no_fit(*args, **kwargs):
        raise AssertionError("the stage-1 run is done: it must be found, not trained")

    monkeypatch.setattr(keras.Model, "fit", no_fit)
    stage = training.run_earlier_stage(stage1, tmp_path, verbose=0, quiet=True)
    assert stage.run_id == record["transition_stage1_run"]
    method.use_earlier_stage(config, stage)
    again = method.estimates
    np.testing.assert_allclose(again["anchor"], estimate, atol=1e-6)
    # both estimators' errors, from the same stage-1 model
    assert set(record["transition_estimate_errors"]) == {"anchor", "confident_joint"}
    for name, matrix in again.items():
        assert record["transition_estimate_errors"][name] == pytest.approx(
            correction.transition_error(matrix, realised), abs=1e-6
        )


# Two stages chained on real data, 12,000 images: machinery above single runs (the
# estimators are NumPy, each stage an ordinary run), so on one backend.
@pytest.mark.orchestration
def test_the_estimate_is_close_to_the_realised_transition(shared_data, tmp_path):
    """Stage 1 on real MNIST (the Patrini network, 12,000 images, 4 epochs) under the
    paper's flips at 0.3: both estimators find each flip within a few points, and
    T-hat is far closer to the realised T than the identity is (mean error 0.03)."""
    config = cfg.apply_overrides(
        presets.get("patrini-mnist-mlp"),
        cfg.parse_overrides(
            [
                "epochs=4",
                "train_limit=12000",
                "test_limit=1000",  # the estimate is of the training labels' T
                "noise.rate=0.3",
                "loss=forward",
                "loss.transition=estimated",
                "train_eval_images=100",
            ]
        ),
    )
    config.data_dir = str(shared_data)
    record = training.train(config, tmp_path, verbose=0, quiet=True)
    realised = np.asarray(
        json.loads((tmp_path / record["run_id"] / "noise.json").read_text())["transition"]
    )
    identity = correction.transition_error(np.eye(10), realised)["mean_absolute_error"]
    assert identity > 0.025
    errors = record["transition_estimate_errors"]
    for name in ("anchor", "confident_joint"):
        assert errors[name]["mean_absolute_error"] < identity / 3, (name, errors)
        assert errors[name]["max_abs_error"] < 0.15, (name, errors)
    used = np.asarray(record["transition_used"])
    for true, noisy in ((2, 7), (3, 8), (5, 6), (6, 5), (7, 1)):  # the anchor's flips
        assert used[true, noisy] == pytest.approx(realised[true, noisy], abs=0.1)
