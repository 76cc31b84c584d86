"""Instance-dependent noise (kerasnoise.noise.instance, Xia et al. 2020): the generator
against a NumPy reference, its expected rates, the images handed over without a copy,
bad input, and real MNIST through the training runner's data step."""

import dataclasses

import numpy as np
import pytest
from scipy import stats

from kerasnoise import config as cfg
from kerasnoise import datasets, noise, pipelines, presets, training
from kerasnoise.noise import instance

K = 10


def _synthetic(n, side=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, side, side, 1), dtype=np.uint8), rng.integers(0, K, n)


def _reference(x, y, rate, sigma, seed):
    """The generator written out example by example (Xia et al.'s loop)."""
    rng = np.random.default_rng(seed)
    n = len(y)
    a, b = -rate / sigma, (1 - rate) / sigma
    q = stats.truncnorm.rvs(a, b, loc=rate, scale=sigma, size=n, random_state=rng)
    u = rng.random(n)
    w = [rng.standard_normal((x[0].size, K)) for _ in range(K)]
    out = []
    for i in range(n):
        z = x[i].reshape(-1).astype(np.float64) @ w[y[i]]
        z[y[i]] = -np.inf
        e = np.exp(z - z.max())
        p = q[i] * e / e.sum()
        p[y[i]] = 1 - q[i]
        out.append(int(np.searchsorted(np.cumsum(p), u[i] * p.sum())))
    return np.array(out)


def test_labels_equal_the_reference_loop_and_are_seeded(monkeypatch):
    monkeypatch.setattr(instance, "CHUNK_ROWS", 7)  # several chunks per class
    x, y = _synthetic(300)
    model = noise.get("instance_dependent", rate=0.4)
    result = model.apply(y, num_classes=K, seed=11, images=x)
    np.testing.assert_array_equal(result.labels, _reference(x, y, 0.4, 0.1, 11))
    again = model.apply(y, num_classes=K, seed=11, images=x)
    np.testing.assert_array_equal(again.labels, result.labels)
    assert not np.array_equal(model.apply(y, num_classes=K, seed=12, images=x).labels, y)
    assert result.model == {"name": "instance_dependent", "rate": 0.4, "sigma": 0.1}
    np.testing.assert_allclose(result.transition.sum(axis=1), 1.0)


@pytest.mark.parametrize(("rate", "expected"), [(0.4, 0.400), (0.1, 0.129)])
def test_realised_rate_is_the_truncated_normals_mean(rate, expected):
    x, y = _synthetic(120_000, side=4, seed=1)
    result = noise.get("instance_dependent", rate=rate).apply(y, num_classes=K, seed=0, images=x)
    truncated = stats.truncnorm.mean(-rate / 0.1, (1 - rate) / 0.1, loc=rate, scale=0.1)
    assert truncated == pytest.approx(expected, abs=5e-4)
    assert result.rate == pytest.approx(expected, abs=0.005)  # ~3.5 standard errors


def test_the_flip_direction_depends_on_the_image():
    """Copies of one image flip to one class (raw-pixel scores make softmax near argmax),
    unlike class-conditional noise."""
    x, _ = _synthetic(2, seed=2)
    images = np.repeat(x, 500, axis=0)
    y = np.zeros(1000, dtype=np.int64)
    result = noise.get("instance_dependent", rate=0.4).apply(
        y, num_classes=K, seed=3, images=images
    )
    for half in (result.labels[:500], result.labels[500:]):
        flipped = half[half != 0]
        assert np.bincount(flipped).max() >= 0.95 * flipped.size


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"rate": 1.0}, ValueError, r"rate must be in \[0, 1\)"),
        ({"rate": -0.1}, ValueError, r"rate must be in \[0, 1\)"),
        ({"rate": 0.2, "sigma": 0.0}, ValueError, "sigma must be > 0"),
        ({"rate": 0.2, "sigma": -1}, ValueError, "sigma must be > 0"),
        ({"rate": "0.2"}, TypeError, "rate must be a number"),
    ],
)
def test_bad_parameters(params, error, message):
    with pytest.raises(error, match=message):
        noise.get("instance_dependent", **params)


def test_images_are_required_and_checked():
    x, y = _synthetic(50)
    model = noise.get("instance_dependent", rate=0.2)
    with pytest.raises(ValueError, match="draws labels from the images: pass images="):
        model.apply(y, num_classes=K, seed=0)
    with pytest.raises(ValueError, match=r"one image per label: got images of shape \(49"):
        model.apply(y, num_classes=K, seed=0, images=x[:49])
    # the others ignore images, and do not require them
    assert noise.get("pair_flip", rate=0.2).apply(y, num_classes=K, seed=0, images=x).rate > 0


def test_one_of_ours_and_config_checked():
    assert "instance_dependent" in noise.available() and noise.has("Instance-Dependent")
    assert noise._REGISTRY.origin("instance_dependent") == "built in"
    assert "instance_dependent" in noise._REGISTRY.builtins()
    assert "instance_dependent" not in noise._REGISTRY.plugins()
    assert noise.InstanceDependent is instance.InstanceDependent
    assert noise.get("instance_dependent", rate=0.3).needs_images
    assert not noise.get("pair_flip", rate=0.3).needs_images
    model = noise.from_config({"name": "instance_dependent", "rate": 0.3, "sigma": 0.2})
    assert model == instance.InstanceDependent(0.3, 0.2)
    base = presets.get("menon-mnist-lenet")
    config = cfg.apply_overrides(base, {"noise": "instance_dependent", "noise.rate": 0.2})
    config.validate_without_keras()
    bad = cfg.apply_overrides(base, {"noise": "instance_dependent", "noise.rate": 1.5})
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        bad.validate_without_keras()


def test_pipeline_hands_over_the_training_images_without_a_copy(shared_data, monkeypatch):
    data = datasets.load("mnist", shared_data)
    data = dataclasses.replace(data, x_train=data.x_train[:3000], y_train=data.y_train[:3000])
    data = data.validation_split(500, seed=0)
    seen = []
    corrupt = instance.InstanceDependent.corrupt

    def spy(self, y, k, rng, images):
        seen.append(images)
        return corrupt(self, y, k, rng, images)

    monkeypatch.setattr(instance.InstanceDependent, "corrupt", spy)
    built = pipelines.build(
        data, noise.get("instance_dependent", rate=0.4), noise_seed=1, seed=0, batch_size=100
    )
    assert seen[0] is data.x_train or np.shares_memory(seen[0], data.x_train)
    assert built.noise.rate == pytest.approx(0.4, abs=0.03)  # real MNIST, 2,500 labels
    # with noisy validation labels: one draw over both parts (one transient copy)
    pipelines.build(
        data,
        noise.get("instance_dependent", rate=0.4),
        noise_seed=1,
        seed=0,
        batch_size=100,
        noisy_validation=True,
    )
    assert len(seen) == 2 and len(seen[1]) == 3000


def test_validation_labels_come_from_the_training_labels_process(shared_data):
    """Xia et al. corrupt the whole set with one set of projections W, then split: the
    noisy validation labels follow the training labels' transition (a draw of their own
    would use another W: 0.06 mean off-diagonal difference, measured)."""
    data = datasets.load("mnist", shared_data)
    data = dataclasses.replace(data, x_train=data.x_train[:24000], y_train=data.y_train[:24000])
    data = data.validation_split(6000, seed=0)
    model = noise.get("instance_dependent", rate=0.4)
    train, val = pipelines.corrupt(data, model, noise_seed=1, noisy_validation=True)
    both = model.apply(
        np.concatenate([data.y_train, data.y_val]),
        num_classes=K,
        seed=1,
        images=np.concatenate([data.x_train, data.x_val]),
    )
    np.testing.assert_array_equal(train.labels, both.labels[:18000])
    np.testing.assert_array_equal(val.labels, both.labels[18000:])
    np.testing.assert_array_equal(val.true_labels, data.y_val)
    assert (train.drawn_part, val.drawn_part) == ((0, 18000, 24000), (18000, 24000, 24000))
    assert val.summary()["drawn_part"] == [18000, 24000, 24000]
    off = ~np.eye(K, dtype=bool)
    assert np.abs(train.transition - val.transition)[off].mean() < 0.02
    other_w = model.apply(
        data.y_val, num_classes=K, seed=np.random.SeedSequence([1, 1]), images=data.x_val
    )
    assert np.abs(train.transition - other_w.transition)[off].mean() > 0.04
    # the runner's data step and evaluation draw the same training labels
    alone, none = pipelines.corrupt(data, model, noise_seed=1)
    assert none is None and alone.num_examples == 18000


def test_real_mnist_through_the_runners_data_step(shared_data):
    config = cfg.apply_overrides(
        presets.get("menon-mnist-lenet"),
        cfg.parse_overrides(
            ["noise=instance_dependent", "noise.rate=0.2", "train_limit=2000", "validation=200"]
        ),
    )
    config.data_dir = str(shared_data)
    run_data = training.build_data(config)
    result = run_data.built.noise
    assert result.num_clean == 1800 and result.rate == pytest.approx(0.2, abs=0.03)
    again = training.build_data(config).built.noise
    np.testing.assert_array_equal(again.labels, result.labels)  # seeded by noise_seed
