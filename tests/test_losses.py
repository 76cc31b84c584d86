"""Losses: gradients, thresholds, mixed precision, Keras plumbing, saving, bad parameters.

Values against NumPy references are in ``test_losses_values.py``.
"""

import json
import math
import subprocess
import sys

import keras
import numpy as np
import pytest

from kerasnoise import losses
from tests._autodiff import value_and_grad

K = 5


def _transition(k=K):
    t = np.full((k, k), 0.2 / (k - 1))
    np.fill_diagonal(t, 0.8)
    return t


PARAMS = {"forward": {"transition": _transition()}, "backward": {"transition": _transition()}}
NAMES = sorted(set(losses.available()) - {"ce", "unhinged"})  # aliases tested in get()


def make(loss_name, **kwargs):
    return losses.get(loss_name, **(PARAMS.get(loss_name, {}) | kwargs))


def logits_with_p(p_y: np.ndarray, k: int = K) -> np.ndarray:
    """float32 logits whose softmax gives the label (class 0) probability ``p_y``."""
    z = np.zeros((len(p_y), k))
    z[:, 0] = np.log(p_y * (k - 1) / (1 - p_y))  # others share 1 - p_y equally
    return z.astype(np.float32)


def softmax(z: np.ndarray) -> np.ndarray:
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def label_derivative(grad, z, y):
    """Recover d loss / d p_y from the logit gradient of a loss ell(p_y).

    For ``L = ell(p_y)``, ``dL/dz = ell'(p_y) p_y (e_y - p)``; project on ``e_y - p``.
    """
    p = softmax(z)
    direction = np.eye(z.shape[1])[y] - p
    p_y = p[np.arange(len(y)), y]
    return np.sum(grad * direction, axis=1) / (p_y * np.sum(direction**2, axis=1))


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("tau", [2.0, 10.0])
def test_phuber_ce_gradient_bounded_by_tau(tau):
    y = np.zeros(200, dtype=np.int32)
    p_y = np.geomspace(1e-6, 0.99, 200)
    z = logits_with_p(p_y)
    _, grad = value_and_grad(lambda a: losses.phuber_cross_entropy(y, a, tau=tau), z)
    slope = label_derivative(grad.astype(np.float64), z.astype(np.float64), y)
    linear = p_y <= 1 / tau
    # linear region: d loss / d p_y = -tau exactly; CE region: -1 / p_y, smaller than tau
    np.testing.assert_allclose(slope[linear], -tau, rtol=1e-3)
    np.testing.assert_allclose(slope[~linear], -1 / p_y[~linear], rtol=1e-3)
    assert np.all(np.abs(slope) <= tau * (1 + 1e-3))
    # and the gradient with respect to the logits is bounded for vanishing p_y
    extreme = np.array([[-1e4, 1e4, 0, 0, 0], [-30, 30, 0, 0, 0]], np.float32)
    _, g = value_and_grad(lambda a: losses.phuber_cross_entropy([0, 0], a, tau=tau), extreme)
    assert np.all(np.isfinite(g)) and np.abs(g).max() <= tau


def test_linear_loss_gradient_closed_form():
    rng = np.random.default_rng(0)
    z = (3 * rng.standard_normal((64, K))).astype(np.float32)
    y = rng.integers(0, K, 64)
    _, grad = value_and_grad(lambda a: losses.linear_loss(y, a), z)
    p = softmax(z)
    p_y = p[np.arange(64), y]
    expected = -p_y[:, None] * (np.eye(K)[y] - p)  # d(1 - p_y)/dz
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)


def test_ce_gradient_is_softmax_minus_onehot():
    rng = np.random.default_rng(1)
    z = (3 * rng.standard_normal((32, K))).astype(np.float32)
    y = rng.integers(0, K, 32)
    _, grad = value_and_grad(lambda a: losses.cross_entropy(y, a), z)
    p = softmax(z)
    np.testing.assert_allclose(grad, p - np.eye(K)[y], atol=1e-6)


def _sides(threshold, delta=1e-3):
    return np.array([threshold * (1 - delta), threshold * (1 + delta)])


@pytest.mark.parametrize("tau", [2.0, 10.0, 100.0])
def test_phuber_ce_continuous_at_threshold(tau):
    p = _sides(1 / tau)
    z = logits_with_p(p)
    values, grad = value_and_grad(lambda a: losses.phuber_cross_entropy([0, 0], a, tau=tau), z)
    # value: both sides within O(tau * delta * p) of -log(1/tau) = log(tau)
    np.testing.assert_allclose(values, math.log(tau), atol=3e-3)
    # derivative in p_y: -tau on the left, -1/p -> -tau on the right
    slopes = label_derivative(grad.astype(np.float64), z.astype(np.float64), np.array([0, 0]))
    np.testing.assert_allclose(slopes, -tau, rtol=3e-3)


@pytest.mark.parametrize(("tau", "q"), [(10.0, 0.7), (2.0, 0.5), (10.0, 0.3)])
def test_phuber_gce_continuous_at_threshold(tau, q):
    p_star = tau ** (1 / (q - 1))
    p = _sides(p_star)
    z = logits_with_p(p)
    values, grad = value_and_grad(
        lambda a: losses.phuber_generalized_cross_entropy([0, 0], a, tau=tau, q=q), z
    )
    np.testing.assert_allclose(values, (1 - p_star**q) / q, rtol=3e-3)
    slopes = label_derivative(grad.astype(np.float64), z.astype(np.float64), np.array([0, 0]))
    np.testing.assert_allclose(slopes, -tau, rtol=3e-3)


def test_phuber_thresholds_as_in_the_paper():
    # PHuber-CE switches at p = 1/tau; PHuber-GCE at p* = tau^(1/(q-1)) (Menon et al. 2020)
    tau, q = 10.0, 0.7
    p = np.array([0.05, 0.2])  # 1/tau = 0.1 between them
    z = logits_with_p(p)
    ce = keras.ops.convert_to_numpy(losses.phuber_cross_entropy([0, 0], z, tau=tau))
    np.testing.assert_allclose(ce, [-tau * 0.05 + math.log(tau) + 1, -math.log(0.2)], rtol=1e-5)
    p_star = tau ** (1 / (q - 1))  # 0.0464
    p = np.array([p_star / 2, 2 * p_star])
    gce = keras.ops.convert_to_numpy(
        losses.phuber_generalized_cross_entropy([0, 0], logits_with_p(p), tau=tau, q=q)
    )
    linear = -tau * p[0] + tau * p_star + (1 - p_star**q) / q
    np.testing.assert_allclose(gce, [linear, (1 - p[1] ** q) / q], rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_extreme_logits_give_finite_values_and_gradients(name):
    z = np.array(
        [
            [1e4, -1e4, 0, 0, 0],  # label wins outright
            [-1e4, 1e4, 0, 0, 0],  # label's probability underflows to 0
            [0, 0, 0, 0, 0],  # all equal
            [7, 7, 7, 7, 7],
            [-1e4, -1e4, -1e4, -1e4, 1e4],
        ],
        np.float32,
    )
    y = np.zeros(5, np.int32)
    loss = make(name)
    values, grad = value_and_grad(lambda a: loss.call(y, a), z)
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(grad)), (values, grad)


# --------------------------------------------------------------------------- precision


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", NAMES)
def test_training_step_under_mixed_precision(name, policy):
    keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16), keras.layers.Dense(K)])
        model.compile(optimizer=keras.optimizers.SGD(1e-3), loss=make(name))
        rng = np.random.default_rng(0)
        x = (rng.standard_normal((32, 8)) * np.array([1, 1, 1, 1, 1, 1, 100, 1000])).astype(
            np.float32
        )  # some rows reach logits in the thousands
        y = rng.integers(0, K, 32)
        out = keras.ops.convert_to_numpy(model(x))
        assert model.layers[-1].compute_dtype == policy.removeprefix("mixed_")
        assert np.abs(out).max() > 100
        loss_value = model.train_on_batch(x, y)
        assert np.isfinite(loss_value)
        for weight in model.weights:
            assert np.all(np.isfinite(keras.ops.convert_to_numpy(weight))), weight.path
        # the loss itself is computed in float32 from the low-precision logits
        assert keras.backend.standardize_dtype(make(name)(y, model(x)).dtype) == "float32"
    finally:
        keras.config.set_dtype_policy("float32")


# --------------------------------------------------------------------------- keras plumbing


def test_reduction_name_and_sample_weight_as_keras():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((16, K)).astype(np.float32)
    y = rng.integers(0, K, 16)
    w = rng.random(16).astype(np.float32)
    ours = losses.CrossEntropy()
    theirs = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for args in [(y, z), (y, z, w)]:
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(ours(*args)),
            keras.ops.convert_to_numpy(theirs(*args)),
            rtol=1e-6,
        )
    none = losses.CrossEntropy(reduction="none")(y, z)
    assert tuple(none.shape) == (16,)
    total = keras.ops.convert_to_numpy(losses.CrossEntropy(reduction="sum")(y, z))
    np.testing.assert_allclose(total, keras.ops.convert_to_numpy(none).sum(), rtol=1e-6)
    assert losses.CrossEntropy().name == "cross_entropy"
    assert losses.PHuberCrossEntropy(name="phuber").name == "phuber"
    # probabilities in: equal to keras's own from_logits=False cross-entropy
    p = keras.ops.convert_to_numpy(keras.ops.softmax(z))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(losses.CrossEntropy(from_logits=False)(y, p)),
        keras.ops.convert_to_numpy(keras.losses.SparseCategoricalCrossentropy()(y, p)),
        rtol=1e-5,
    )


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    loss = make(name, reduction="sum", name="mine")
    config = json.loads(json.dumps(keras.losses.serialize(loss)))
    assert config["registered_name"].startswith("kerasnoise>")
    again = keras.losses.deserialize(config)
    assert type(again) is type(loss)
    assert again.get_config() == loss.get_config()
    z = np.random.default_rng(3).standard_normal((8, K)).astype(np.float32)
    y = np.arange(8) % K
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(again(y, z)), keras.ops.convert_to_numpy(loss(y, z))
    )


def _compiled_model(loss):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(K)])
    model.compile(optimizer="adam", loss=loss)
    return model


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    x = np.random.default_rng(4).standard_normal((10, 6)).astype(np.float32)
    y = np.arange(10) % K
    paths = {}
    for name in NAMES:
        model = _compiled_model(make(name))
        model.train_on_batch(x, y)
        path = folder / f"{name}.keras"
        model.save(path)
        paths[name] = (path, keras.ops.convert_to_numpy(model(x)), model.loss.get_config())
    return x, y, paths


@pytest.mark.parametrize("name", NAMES)
def test_saved_compiled_model_loads_without_custom_objects(saved_models, name):
    x, y, paths = saved_models
    path, predictions, loss_config = paths[name]
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x)), predictions)
    assert loaded.loss.get_config() == loss_config
    assert np.isfinite(loaded.train_on_batch(x, y))  # the compiled loss works


def test_saved_models_load_in_a_fresh_process(saved_models):
    """A new interpreter that imports kerasnoise.losses loads every saved model."""
    _, _, paths = saved_models
    files = [str(path) for path, _, _ in paths.values()]
    code = (
        "import sys, keras, kerasnoise.losses\n"
        "for f in sys.argv[1:]:\n"
        "    m = keras.saving.load_model(f)\n"
        "    home = type(m.loss).__module__\n"
        "    assert home.startswith('kerasnoise.losses.'), (f, m.loss)\n"
        "print('loaded', len(sys.argv) - 1)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *files], capture_output=True, text=True, check=True
    )
    assert f"loaded {len(files)}" in out.stdout


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("gce", {"q": 0.0}, r"q must be in \(0, 1\]"),
        ("gce", {"q": 1.5}, r"q must be in \(0, 1\]"),
        ("gce", {"q": -0.1}, r"q must be in \(0, 1\]"),
        ("phuber_ce", {"tau": 1.0}, "tau must be > 1"),
        ("phuber_ce", {"tau": 0.5}, "tau must be > 1"),
        ("phuber_gce", {"tau": 1.0}, "tau must be > 1"),
        ("phuber_gce", {"q": 0.0}, r"q must be in \(0, 1\]"),
        ("phuber_ce", {"tau": float("inf")}, "tau must be finite"),
        ("sce", {"alpha": -0.1}, "alpha must be >= 0"),
        ("sce", {"beta": -1.0}, "beta must be >= 0"),
        ("sce", {"A": 0.0}, "A .* must be < 0"),
        ("nce_rce", {"alpha": -1.0}, "alpha must be >= 0"),
        ("rce", {"A": 1.0}, "A .* must be < 0"),
        ("bootstrap_soft", {"beta": 1.2}, r"beta must be in \[0, 1\]"),
        ("bootstrap_hard", {"beta": -0.2}, r"beta must be in \[0, 1\]"),
        ("forward", {"transition": np.eye(3)[:2]}, "square"),
        ("forward", {"transition": [[0.5, 0.4], [0.5, 0.5]]}, "row 0 sums to 0.9"),
        ("forward", {"transition": [[1.5, -0.5], [0, 1]]}, "non-negative"),
    ],
)
def test_bad_hyperparameters(name, params, message):
    with pytest.raises(ValueError, match=message):
        losses.get(name, **params)


def test_bad_parameter_types_and_names():
    with pytest.raises(TypeError, match="q must be a real number"):
        losses.get("gce", q="0.7")
    with pytest.raises(ValueError, match="unknown loss 'focal'; available: cross_entropy"):
        losses.get("focal")
    with pytest.raises(TypeError, match="'gce'"):
        losses.get("gce", tau=3)
    with pytest.raises(ValueError, match="transition is 5 x 5 but y_pred has 3 classes"):
        losses.forward_correction([0], np.zeros((1, 3), np.float32), transition=_transition())


def test_dtype_argument_as_keras():
    """``dtype`` sets the output dtype as for Keras's losses; the math stays float32."""
    z = np.array([[1e4, -1e4, 0, 0, 0], [0.5, 0.1, 0, 0, 0]], np.float32)
    y = np.array([1, 0])
    ours = losses.CrossEntropy(dtype="bfloat16")
    theirs = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="bfloat16")
    assert ours.dtype == theirs.dtype == "bfloat16"
    value = ours(y, z)
    assert keras.backend.standardize_dtype(value.dtype) == "bfloat16"
    expected = np.mean([2e4, -np.log(np.exp(0.5) / (np.exp(0.5) + np.exp(0.1) + 3))])
    np.testing.assert_allclose(
        float(keras.ops.convert_to_numpy(keras.ops.cast(value, "float32"))), expected, rtol=1e-2
    )  # bfloat16 has 8 bits of mantissa
    assert ours.get_config()["dtype"] == "bfloat16"
