"""Noisy tf.data pipelines on real MNIST and the CIFAR-10 subset, on the active backend."""

import json
from collections import Counter

import numpy as np
import pytest

from kerasnoise import datasets, noise, pipelines
from tests.helpers import FIXTURES, epoch_pairs, pipeline_order_digest

N_SMALL = 2000


@pytest.fixture(scope="module")
def mnist(shared_data):
    return datasets.load("mnist", shared_data)


@pytest.fixture(scope="module")
def small(mnist):
    """The first 2,000 real training images, checked to be pairwise distinct."""
    x, y = mnist.x_train[:N_SMALL], mnist.y_train[:N_SMALL]
    assert len({img.tobytes() for img in x}) == N_SMALL
    return x, y


def test_additive_epoch_has_every_pair_once(small):
    x, y = small
    alpha = 4
    result = noise.Additive(alpha).apply(y, num_classes=10, seed=7)
    pipe = pipelines.TrainPipeline(x, result, batch_size=128, seed=3)  # no mean/std: x / 255
    assert len(pipe) == -(-(1 + alpha) * N_SMALL // 128)
    images, labels = epoch_pairs(pipe.dataset)
    assert images.shape == ((1 + alpha) * N_SMALL, 28, 28, 1) and labels.dtype == np.int32

    position = {img.tobytes(): i for i, img in enumerate(x)}
    image_index = np.array([position[img.tobytes()] for img in images])
    # Every (image, label) pair of the noise result appears exactly once.
    expected = Counter(
        zip(
            (np.arange(result.num_examples) % N_SMALL).tolist(), result.labels.tolist(), strict=True
        )
    )
    assert Counter(zip(image_index.tolist(), labels.tolist(), strict=True)) == expected
    # The clean fraction: labels that equal the image's true class.
    clean = np.mean(labels == y[image_index])
    assert clean == pytest.approx(1 - result.rate)
    assert np.bincount(image_index, minlength=N_SMALL).tolist() == [1 + alpha] * N_SMALL


def test_labels_fixed_order_changes_across_epochs(small):
    x, y = small
    result = noise.Additive(2).apply(y, num_classes=10, seed=1)
    pipe = pipelines.TrainPipeline(x, result, batch_size=500, seed=5)
    first_x, first_y = epoch_pairs(pipe.dataset)
    second_x, second_y = epoch_pairs(pipe.dataset)
    key = lambda xs, ys: sorted(zip((h.tobytes() for h in xs), ys.tolist(), strict=True))  # noqa: E731
    assert key(first_x, first_y) == key(second_x, second_y)  # same noisy pairs
    assert not np.array_equal(first_y, second_y)  # new order
    assert pipe.epoch == 2


def label_order(pipe, epochs=1):
    return np.concatenate([yb.numpy() for _ in range(epochs) for _, yb in pipe.dataset])


def test_same_seed_same_order_and_resume(small):
    x, y = small
    result = noise.SymmetricExclusive(0.4).apply(y, num_classes=10, seed=0)
    a = pipelines.TrainPipeline(x, result, batch_size=64, seed=11)
    b = pipelines.TrainPipeline(x, result, batch_size=64, seed=11)
    c = pipelines.TrainPipeline(x, result, batch_size=64, seed=12)
    order_a = label_order(a, epochs=2)
    np.testing.assert_array_equal(order_a, label_order(b, epochs=2))
    assert not np.array_equal(order_a, label_order(c, epochs=2))
    # Resuming at epoch 1 reproduces epoch 1.
    d = pipelines.TrainPipeline(x, result, batch_size=64, seed=11)
    d.set_epoch(1)
    np.testing.assert_array_equal(label_order(d), order_a[N_SMALL:])
    with pytest.raises(ValueError, match="epoch must be a non-negative integer"):
        d.set_epoch(-1)


def test_order_matches_fixture_on_every_backend(small):
    """Same seeds, same noisy labels, example order and augmentation with any
    KERAS_BACKEND.

    ``fixtures/pipeline_order.json`` is a regression snapshot of two epochs' labels and
    images, made once by ``tests/fixtures/make_pipeline_order.py`` (the only writer; the
    test reads it); tox checks it on TensorFlow, JAX and PyTorch.  The labels' content is
    checked independently in ``test_additive_epoch_has_every_pair_once`` and below.
    """
    x, y = small
    expected = json.loads((FIXTURES / "pipeline_order.json").read_text())
    assert pipeline_order_digest(x, y) == expected


def test_standardisation_and_unshuffled_order(mnist):
    x, y = mnist.x_train[:300], mnist.y_train[:300]
    result = noise.PairFlip(0.0).apply(y, num_classes=10, seed=0)
    pipe = pipelines.TrainPipeline(
        x, result, batch_size=128, seed=0, shuffle=False, mean=mnist.info.mean, std=mnist.info.std
    )
    xb, yb = next(iter(pipe.dataset))
    expected = (x[:128].astype(np.float64) / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(xb.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(yb.numpy(), y[:128])
    assert xb.dtype.name == "float32"


def test_eval_pipeline_in_order(mnist):
    ds = pipelines.eval_pipeline(
        mnist.x_test,
        mnist.y_test,
        batch_size=1000,
        mean=mnist.info.mean,
        std=mnist.info.std,
        num_classes=10,
    )
    labels = np.concatenate([yb.numpy() for _, yb in ds])
    np.testing.assert_array_equal(labels, mnist.y_test)


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_batches_equal_dataset_batches(shared_data, drop_remainder):
    """The PyDataset feed gives the tf.data feed's batches, epoch by epoch, bit for bit.

    CIFAR images with augmentation, additive noise (examples beyond N reuse
    images), a last partial batch, and chunks that do not divide the epoch.
    """
    cifar = datasets.load("cifar10", shared_data, file="cifar10_subset.npz")
    x, y = cifar.x_train[:300], cifar.y_train[:300]
    result = noise.Additive(1).apply(y, num_classes=10, seed=3)  # 600 examples
    kw = dict(batch_size=64, seed=5, augment=True, mean=cifar.info.mean, std=cifar.info.std)
    pipe = pipelines.TrainPipeline(x, result, drop_remainder=drop_remainder, **kw)
    assert len(pipe) == (9 if drop_remainder else 10)
    batches = pipelines.PipelineBatches(
        pipelines.TrainPipeline(x, result, drop_remainder=drop_remainder, **kw), chunk=4
    )
    assert len(batches) == len(pipe)
    for epoch in range(2):
        expected = [(xb.numpy(), yb.numpy()) for xb, yb in pipe.dataset]
        assert batches.pipeline.epoch == epoch
        got = [batches[i] for i in range(len(batches))]
        batches.on_epoch_end()  # what Keras calls after a pass
        assert [len(yb) for _, yb in got] == [len(yb) for _, yb in expected]
        for (gx, gy), (ex, ey) in zip(got, expected, strict=True):
            np.testing.assert_array_equal(gy, ey)
            np.testing.assert_array_equal(gx, ex)
            assert gx.dtype == np.float32 and gy.dtype == np.int32
    if not drop_remainder:
        assert len(got[-1][1]) == 600 - 9 * 64


def test_batches_out_of_order_and_bad_index(small):
    x, y = small
    result = noise.PairFlip(0.2).apply(y, num_classes=10, seed=0)
    pipe = pipelines.TrainPipeline(x, result, batch_size=100, seed=4)
    ordered = [yb.numpy() for _, yb in pipe.dataset]
    pipe.set_epoch(0)
    batches = pipe.batches
    assert pipe.batches is batches
    with pytest.warns(UserWarning, match="out of order"):
        np.testing.assert_array_equal(batches[7][1], ordered[7])
    np.testing.assert_array_equal(batches[-1][1], ordered[-1])
    np.testing.assert_array_equal(batches[0][1], ordered[0])
    np.testing.assert_array_equal(batches[1][1], ordered[1])
    pipe.set_epoch(1)  # a new epoch starts at batch 0: the new order
    np.testing.assert_array_equal(batches[0][1], pipe.load(1, 0)[1])
    assert not np.array_equal(batches[0][1], ordered[0])
    with pytest.raises(IndexError, match="out of range for 20 batches"):
        batches[20]
    with pytest.raises(TypeError, match="index must be an integer"):
        batches[1.0]
    with pytest.raises(ValueError, match="an epoch has 20 batches"):
        pipe.load(0, 19, 2)
    with pytest.raises(ValueError, match="epoch must be a non-negative integer"):
        pipe.load(-1, 0)
    with pytest.raises(ValueError, match="chunk must be a positive integer"):
        pipelines.PipelineBatches(pipe, chunk=0)
    with pytest.raises(TypeError, match="must be a TrainPipeline"):
        pipelines.PipelineBatches(pipe.dataset)


def _find_window(padded, out):
    """All (row, col, flipped) such that ``out`` is that window of ``padded``."""
    h, w = out.shape[:2]
    hits = []
    for r in range(padded.shape[0] - h + 1):
        for c in range(padded.shape[1] - w + 1):
            window = padded[r : r + h, c : c + w]
            if np.array_equal(window, out):
                hits.append((r, c, False))
            if np.array_equal(window[:, ::-1], out):
                hits.append((r, c, True))
    return hits


def test_cifar_augmentation_is_crop_and_flip(shared_data):
    cifar = datasets.load("cifar10", shared_data, file="cifar10_subset.npz")
    x = cifar.x_train[:64]
    result = noise.SymmetricExclusive(0.0).apply(cifar.y_train[:64], num_classes=10, seed=0)
    pipe = pipelines.TrainPipeline(x, result, batch_size=64, seed=9, shuffle=False, augment=True)
    out = np.rint(next(iter(pipe.dataset))[0].numpy() * 255).astype(np.uint8)
    assert out.shape == (64, 32, 32, 3)
    offsets, flips = set(), set()
    for img, aug in zip(x, out, strict=True):
        padded = np.pad(img, ((4, 4), (4, 4), (0, 0)))  # zero padding, as torchvision
        hits = _find_window(padded, aug)
        assert hits, "augmented image is not a (flipped) 32x32 window of the padded image"
        offsets.add(hits[0][:2])
        flips.add(hits[0][2])
    assert flips == {True, False}
    assert len(offsets) > 10  # offsets vary over the 9 x 9 grid


def test_extra_images_from_another_array(small):
    x, y = small
    other = np.full((7, 28, 28), 255, np.uint8)
    other[:, 0, 0] = np.arange(7)  # tell the other images apart
    result = noise.Additive(1, source="other").apply(y[:100], num_classes=10, seed=0)
    pipe = pipelines.TrainPipeline(
        x[:100], result, batch_size=64, seed=0, shuffle=False, extra_images=other
    )
    images, labels = epoch_pairs(pipe.dataset)
    np.testing.assert_array_equal(images[:100], x[:100])
    np.testing.assert_array_equal(images[100:, 0, 0, 0], np.arange(100) % 7)
    np.testing.assert_array_equal(labels, result.labels)
    with pytest.raises(ValueError, match="extra_images"):
        pipelines.TrainPipeline(x[:100], result, batch_size=64, seed=0)


def test_alpha_100_on_full_mnist_does_not_copy_images(mnist):
    psutil = pytest.importorskip("psutil")
    proc = psutil.Process()
    before = proc.memory_info().rss
    result = noise.Additive(100).apply(mnist.y_train, num_classes=10, seed=0)
    pipe = pipelines.TrainPipeline(
        mnist.x_train, result, batch_size=128, seed=0, mean=mnist.info.mean, std=mnist.info.std
    )
    assert len(pipe) == -(-6_060_000 // 128)
    batches = iter(pipe.dataset)
    for _ in range(50):
        xb, _ = next(batches)
    assert xb.shape == (128, 28, 28, 1)
    grown = proc.memory_info().rss - before
    # 101 copies of the images would be 4.7 GB; the labels and indices are ~100 MB.
    assert grown < 1.0e9, f"RSS grew by {grown / 1e6:.0f} MB"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
        ({"seed": -1}, ValueError, "seed must be an integer"),
        ({"mean": (0.5,)}, ValueError, "both mean and std"),
        ({"mean": (0.5,), "std": (0.0,)}, ValueError, "std must be positive"),
    ],
)
def test_bad_pipeline_arguments(small, kwargs, error, message):
    x, y = small
    result = noise.PairFlip(0.1).apply(y, num_classes=10, seed=0)
    args = {"batch_size": 32, "seed": 0} | kwargs
    with pytest.raises(error, match=message):
        pipelines.TrainPipeline(x, result, **args)


def test_mismatched_inputs(small):
    x, y = small
    result = noise.PairFlip(0.1).apply(y, num_classes=10, seed=0)
    with pytest.raises(ValueError, match="images has 10 examples"):
        pipelines.TrainPipeline(x[:10], result, batch_size=32, seed=0)
    with pytest.raises(TypeError, match="uint8"):
        pipelines.TrainPipeline(x.astype(np.float32), result, batch_size=32, seed=0)
    with pytest.raises(TypeError, match="NoiseResult"):
        pipelines.TrainPipeline(x, y, batch_size=32, seed=0)


def test_model_fit_one_epoch_from_pipeline(mnist):
    """A tiny softmax model trains from the noisy pipeline on the active backend."""
    import keras

    data = mnist.validation_split(0.1, seed=0)
    subset = datasets.Dataset(
        x_train=data.x_train[:6000],
        y_train=data.y_train[:6000],
        x_test=data.x_test,
        y_test=data.y_test,
        info=data.info,
        source=data.source,
        x_val=data.x_val[:1000],
        y_val=data.y_val[:1000],
    )
    built = pipelines.build(
        subset, noise.SymmetricExclusive(0.2), noise_seed=1, seed=2, batch_size=64
    )
    assert built.noise.rate == pytest.approx(0.2, abs=0.03)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    feed = built.train.for_fit()
    expected_feed = "Dataset" if keras.backend.backend() == "tensorflow" else "PipelineBatches"
    assert expected_feed in type(feed).__name__
    history = model.fit(
        feed,
        validation_data=built.val,
        epochs=2,
        shuffle=False,  # the pipeline shuffles
        callbacks=[built.train.epoch_callback()],
        verbose=0,
    )
    assert np.all(np.isfinite(history.history["loss"]))
    _, accuracy = model.evaluate(built.test, verbose=0)
    assert accuracy > 0.8  # a linear model on 20 % noisy MNIST after two epochs
    # fit trained on epochs 0 and 1 of the order, whatever the backend's extra peeks
    assert built.train.epoch == 2
