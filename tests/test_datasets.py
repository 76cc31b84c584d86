"""Tests for kerasnoise.datasets: real MNIST / CIFAR-10 subset, local layouts, errors, splits."""

import dataclasses
import gzip
import os
import pickle
import struct
import subprocess
import sys
import types

import numpy as np
import pytest

from kerasnoise import datasets as kd
from kerasnoise.datasets import DatasetNotFoundError, load

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
CIFAR_SUBSET_TRAIN_COUNTS = [517, 524, 490, 493, 537, 475, 503, 516, 529, 501]
CIFAR_SUBSET_TEST_COUNTS = [105, 93, 100, 104, 92, 87, 114, 102, 110, 110]
IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


@pytest.fixture(scope="module")
def mnist(shared_data):
    return load("mnist", shared_data, download=False)


@pytest.fixture(scope="module")
def cifar(shared_data):
    return load("cifar10", shared_data, file="cifar10_subset.npz", download=False)


@pytest.fixture
def keras_datasets(monkeypatch):
    """``keras.datasets`` with every loader replaced by one that fails the test if called."""
    import keras

    def forbidden(*args, **kwargs):
        raise AssertionError("the network loader must not be called here")

    for name in ("mnist", "fashion_mnist", "cifar10", "cifar100"):
        monkeypatch.setattr(getattr(keras.datasets, name), "load_data", forbidden)
    return keras.datasets


def counts(y, k=10):
    return np.bincount(y, minlength=k).tolist()


# ----------------------------------------------------------------------------- real data


@pytest.mark.backend_free
def test_mnist_real(mnist):
    assert mnist.x_train.shape == (60000, 28, 28, 1)
    assert mnist.x_test.shape == (10000, 28, 28, 1)
    assert mnist.x_train.dtype == np.uint8 and mnist.x_test.dtype == np.uint8
    assert mnist.y_train.dtype == np.int64 and mnist.y_train.shape == (60000,)
    assert mnist.y_test.dtype == np.int64 and mnist.y_test.shape == (10000,)
    assert counts(mnist.y_train) == MNIST_TRAIN_COUNTS
    assert counts(mnist.y_test) == MNIST_TEST_COUNTS
    assert mnist.class_counts().tolist() == MNIST_TRAIN_COUNTS
    assert mnist.class_counts("test").tolist() == MNIST_TEST_COUNTS
    assert mnist.info.num_classes == 10 and mnist.info.image_shape == (28, 28, 1)
    assert mnist.x_val is None and mnist.y_val is None
    assert mnist.source.endswith("mnist.npz")
    # the channel axis is a view on the loaded (N, 28, 28) array, not a copy
    assert not mnist.x_train.flags.owndata and mnist.x_train.base.size == 60000 * 28 * 28


@pytest.mark.backend_free
def test_mnist_from_env_var(shared_data, monkeypatch):
    monkeypatch.setenv("KERASNOISE_DATA_DIR", str(shared_data))
    ds = load("mnist", download=False)
    assert ds.x_train.shape == (60000, 28, 28, 1)
    assert counts(ds.y_test) == MNIST_TEST_COUNTS


@pytest.mark.backend_free
def test_cifar10_subset_real(cifar):
    assert cifar.x_train.shape == (5085, 32, 32, 3) and cifar.x_test.shape == (1017, 32, 32, 3)
    assert cifar.x_train.dtype == np.uint8 and cifar.y_train.dtype == np.int64
    assert counts(cifar.y_train) == CIFAR_SUBSET_TRAIN_COUNTS
    assert counts(cifar.y_test) == CIFAR_SUBSET_TEST_COUNTS
    assert cifar.y_test[:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    mean = cifar.x_train.reshape(-1, 3).mean(axis=0) / 255
    np.testing.assert_allclose(mean, [0.494, 0.485, 0.448], atol=0.002)
    assert cifar.info.class_names[3] == "cat" and cifar.info.num_classes == 10


@pytest.mark.backend_free
def test_import_is_lazy():
    code = (
        "import sys, kerasnoise.datasets; "
        "bad = [m for m in ('keras', 'tensorflow', 'tensorflow_datasets', 'torch', 'jax') "
        "if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.backend_free
def test_info_facts():
    assert set(kd.NAMES) == {"mnist", "fashion_mnist", "cifar10", "cifar100"}
    assert kd.INFO["mnist"].class_names == tuple("0123456789")
    assert kd.INFO["mnist"].mean == (0.1307,) and kd.INFO["mnist"].std == (0.3081,)
    fashion = kd.INFO["fashion_mnist"].class_names
    assert fashion[0] == "T-shirt/top" and fashion[9] == "Ankle boot" and len(fashion) == 10
    assert kd.INFO["cifar10"].class_names[:2] == ("airplane", "automobile")
    assert kd.INFO["cifar10"].class_names[-1] == "truck"
    c100 = kd.INFO["cifar100"]
    assert c100.num_classes == 100 and len(set(c100.class_names)) == 100
    assert list(c100.class_names) == sorted(c100.class_names)  # fine labels are alphabetical
    assert c100.class_names[:4] == ("apple", "aquarium_fish", "baby", "bear")
    assert c100.class_names[-1] == "worm" and len(c100.mean) == len(c100.std) == 3
    assert kd.get_info("fashion-mnist") is kd.INFO["fashion_mnist"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        c100.num_classes = 3


@pytest.mark.backend_free
def test_ours_are_data_sources_named_by_the_registry():
    """Each of ours is a DataSource subclass, registered as a plug-in is: its name is
    the registered one only, filled in by get and get_info."""
    for name, cls in zip(
        kd.NAMES, (kd.MNIST, kd.FashionMNIST, kd.CIFAR10, kd.CIFAR100), strict=True
    ):
        assert issubclass(cls, kd.DataSource) and cls.info.name == ""  # no name of its own
        assert kd.INFO[name].name == name and kd.INFO[name] == dataclasses.replace(
            cls.info, name=name
        )
        source = kd.get(name)
        assert type(source) is cls and source.name == name and source.info is kd.INFO[name]
        assert kd.has(name.upper()) and repr(source) == f"{cls.__name__}(name={name!r})"
    assert kd.available()[:4] == list(kd.NAMES)
    assert type(kd.get("Fashion-MNIST")) is kd.FashionMNIST
    assert kd.get("mnist", source="tfds").source == "tfds"
    with pytest.raises(ValueError, match="source must be 'auto', 'keras' or 'tfds'"):
        kd.get("mnist", source="internet")
    with pytest.raises(TypeError, match="data set 'mnist'.*unexpected keyword argument 'size'"):
        kd.get("mnist", size=3)
    with pytest.raises(ValueError, match="unknown data set 'svhn'; available: mnist"):
        kd.get("svhn")
    with pytest.raises(ValueError, match="'mnist' exists already \\(built in\\)"):
        kd.register("mnist", kd.MNIST)


@pytest.mark.backend_free
def test_ours_load_directly(shared_data):
    """``get(name).load(folder)``: the raw arrays, and where they came from."""
    source = kd.get("mnist")
    x, y, xt, yt = source.load(shared_data, download=False)
    assert x.shape == (60000, 28, 28) and counts(yt) == MNIST_TEST_COUNTS
    assert source.origin == str(shared_data / "mnist.npz")


# ----------------------------------------------------------------------------- IDX files


def write_idx(path, array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


def tiny_mnist(seed=0, n_train=7, n_test=4):
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_train, dtype=np.uint8),
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_test, dtype=np.uint8),
    )


def write_idx_set(folder, arrays, suffix=".gz"):
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in zip(IDX_NAMES, arrays, strict=True):
        write_idx(folder / (name + suffix), array)


def assert_same(ds, arrays):
    x, y, xt, yt = arrays
    np.testing.assert_array_equal(ds.x_train[..., 0], x)
    np.testing.assert_array_equal(ds.x_test[..., 0], xt)
    assert ds.y_train.tolist() == y.tolist() and ds.y_test.tolist() == yt.tolist()
    assert ds.x_train.shape == (len(x), 28, 28, 1) and ds.y_train.dtype == np.int64


@pytest.mark.backend_free
@pytest.mark.parametrize("suffix", [".gz", ""])
def test_idx_directly_in_folder(tmp_path, suffix):
    arrays = tiny_mnist()
    write_idx_set(tmp_path, arrays, suffix)
    ds = load("mnist", tmp_path, download=False)
    assert_same(ds, arrays)


@pytest.mark.backend_free
@pytest.mark.parametrize("sub", ["fashion_mnist", "fashion-mnist"])
def test_idx_in_subfolder(tmp_path, sub):
    arrays = tiny_mnist(seed=1)
    write_idx_set(tmp_path / sub, arrays)
    ds = load("fashion-mnist", tmp_path, download=False)
    assert ds.info.name == "fashion_mnist" and ds.info.class_names[1] == "Trouser"
    assert_same(ds, arrays)


@pytest.mark.backend_free
def test_read_idx_direct(tmp_path):
    labels = np.arange(12, dtype=np.uint8)
    write_idx(tmp_path / "l.gz", labels)
    np.testing.assert_array_equal(kd.read_idx(tmp_path / "l.gz", 0x801), labels)


@pytest.mark.backend_free
def test_idx_wrong_magic(tmp_path):
    x, y, xt, yt = tiny_mnist()
    write_idx_set(tmp_path, (x, y, xt, yt))
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", y)  # a labels file (0x801) in its place
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz.*magic"):
        load("mnist", tmp_path, download=False)


@pytest.mark.backend_free
def test_idx_truncated(tmp_path):
    x, y, xt, yt = tiny_mnist()
    write_idx_set(tmp_path, (x, y, xt, yt))
    header = bytes([0, 0, 8, 3]) + struct.pack(">3I", 10000, 28, 28)  # promises 10000 images
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(header + xt.tobytes())
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz"):
        load("mnist", tmp_path, download=False)


@pytest.mark.backend_free
def test_idx_truncated_gzip_stream(tmp_path):
    write_idx_set(tmp_path, tiny_mnist())
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz"):
        load("mnist", tmp_path, download=False)


# ----------------------------------------------------------------------------- npz / pickles


@pytest.mark.backend_free
def test_npz_cifar100_labels_flattened(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    y = np.array([[0], [99], [5], [42], [7], [1]], dtype=np.uint8)
    np.savez(tmp_path / "cifar100.npz", x_train=x, y_train=y, x_test=x[:2], y_test=y[:2])
    ds = load("cifar100", tmp_path, download=False)
    assert ds.y_train.shape == (6,) and ds.y_train.dtype == np.int64
    assert ds.y_train.tolist() == [0, 99, 5, 42, 7, 1] and ds.y_test.tolist() == [0, 99]
    np.testing.assert_array_equal(ds.x_train, x)
    assert ds.source == str(tmp_path / "cifar100.npz")


def cifar_image(blue):
    """A 32x32 RGB image whose pixel (r, c) is (r, c, blue), flattened as CIFAR stores it."""
    r, c = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    planes = [r, c, np.full((32, 32), blue)]  # R plane, G plane, B plane, each row-major
    return np.concatenate([p.ravel() for p in planes]).astype(np.uint8)


def write_pickle(path, payload):
    with open(path, "wb") as f:
        pickle.dump(payload, f)


@pytest.mark.backend_free
def test_cifar10_pickle_folder(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i in range(1, 6):
        data = np.stack([cifar_image(10 * i), cifar_image(10 * i + 1)])
        write_pickle(folder / f"data_batch_{i}", {b"data": data, b"labels": [i, 9 - i]})
    write_pickle(folder / "test_batch", {b"data": cifar_image(200)[None], b"labels": [7]})
    ds = load("cifar10", tmp_path, download=False)
    assert ds.x_train.shape == (10, 32, 32, 3) and ds.x_test.shape == (1, 32, 32, 3)
    assert ds.y_train.tolist() == [1, 8, 2, 7, 3, 6, 4, 5, 5, 4] and ds.y_test.tolist() == [7]
    assert ds.x_train[0, 3, 5].tolist() == [3, 5, 10]  # row 3, column 5: R=3, G=5, B=10
    assert ds.x_train[9, 31, 0].tolist() == [31, 0, 51]
    assert ds.x_test[0, 0, 17].tolist() == [0, 17, 200]
    assert ds.source == str(folder)


@pytest.mark.backend_free
def test_cifar100_pickle_folder(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    train = {
        b"data": np.stack([cifar_image(1), cifar_image(2)]),
        b"fine_labels": [99, 3],
        b"coarse_labels": [1, 2],
    }
    write_pickle(folder / "train", train)
    write_pickle(folder / "test", {b"data": cifar_image(3)[None], b"fine_labels": [50]})
    ds = load("cifar100", tmp_path, download=False)
    assert ds.y_train.tolist() == [99, 3] and ds.y_test.tolist() == [50]
    assert ds.x_train[1, 20, 4].tolist() == [20, 4, 2]


# ----------------------------------------------------------------------------- not found


def test_missing_offline(tmp_path, keras_datasets):
    with pytest.raises(DatasetNotFoundError) as exc:
        load("mnist", tmp_path, download=False)
    msg = str(exc.value)
    assert isinstance(exc.value, FileNotFoundError)
    assert str(tmp_path / "mnist.npz") in msg
    assert "train-images-idx3-ubyte.gz" in msg and "download=False" in msg
    assert f"in {tmp_path}" in msg  # where to put it


def test_missing_without_any_folder(keras_datasets):
    with pytest.raises(DatasetNotFoundError, match="KERASNOISE_DATA_DIR"):
        load("cifar10", download=False)


def test_download_failure_is_reported(tmp_path, keras_datasets, monkeypatch):
    def offline():
        raise OSError("no network")

    monkeypatch.setattr(keras_datasets.mnist, "load_data", offline)
    with pytest.raises(DatasetNotFoundError) as exc:
        load("mnist", tmp_path)
    msg = str(exc.value)
    assert "no network" in msg and "failed" in msg and "mnist.npz" in msg
    assert str(tmp_path / "mnist" / "train-images-idx3-ubyte") in msg
    assert isinstance(exc.value.__cause__, OSError)


def test_keras_fallback(tmp_path, keras_datasets, monkeypatch):
    x, y, xt, yt = tiny_mnist()
    monkeypatch.setattr(keras_datasets.mnist, "load_data", lambda: ((x, y), (xt, yt)))
    ds = load("mnist", tmp_path)
    assert ds.source == "keras.datasets"
    assert_same(ds, (x, y, xt, yt))


def test_keras_cifar_channels_first_and_column_labels(keras_datasets, monkeypatch):
    nchw = np.stack([cifar_image(9).reshape(3, 32, 32)] * 2)
    labels = np.array([[4], [2]], dtype=np.uint8)
    data = ((nchw, labels), (nchw, labels))
    monkeypatch.setattr(keras_datasets.cifar10, "load_data", lambda: data)
    ds = load("cifar10", source="keras")
    assert ds.x_train.shape == (2, 32, 32, 3) and ds.y_train.tolist() == [4, 2]
    assert ds.x_test[1, 6, 2].tolist() == [6, 2, 9]


def test_missing_explicit_file_no_fallback(shared_data, keras_datasets):
    # mnist.npz is in the folder, but the named file is not: that is an error, no fallback
    with pytest.raises(DatasetNotFoundError, match="nope.npz"):
        load("mnist", shared_data, file="nope.npz")


@pytest.mark.backend_free
def test_tfds_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(ImportError, match=r"pip install kerasnoise\[tfds\]"):
        load("mnist", source="tfds")


@pytest.mark.backend_free
def test_tfds_plumbing(monkeypatch, tmp_path):
    x, y, xt, yt = tiny_mnist()
    calls = []

    def fake_load(name, **kwargs):
        calls.append((name, kwargs))
        return [(x[..., None], y), (xt[..., None], yt)]

    fake = types.SimpleNamespace(load=fake_load, as_numpy=lambda tree: tree)
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", fake)
    ds = load("mnist", tmp_path, source="tfds", download=False)
    assert ds.source == "tensorflow_datasets"
    assert_same(ds, (x, y, xt, yt))
    ((name, kwargs),) = calls
    assert name == "mnist" and kwargs["batch_size"] == -1 and kwargs["as_supervised"] is True
    assert kwargs["data_dir"] == str(tmp_path) and kwargs["download"] is False
    assert kwargs["split"] == ["train", "test"]
    # TFDS keeps its own folder: $KERASNOISE_DATA_DIR is not it
    monkeypatch.setenv("KERASNOISE_DATA_DIR", str(tmp_path))
    load("mnist", source="tfds")
    assert calls[-1][1]["data_dir"] is None and calls[-1][1]["download"] is True


# ----------------------------------------------------------------------------- bad input


@pytest.mark.backend_free
def test_unknown_name():
    with pytest.raises(ValueError, match="cifar100") as exc:
        load("svhn", download=False)
    assert "svhn" in str(exc.value) and "fashion_mnist" in str(exc.value)


@pytest.mark.backend_free
def test_bad_source(tmp_path):
    with pytest.raises(ValueError, match="local.*keras.*tfds"):
        load("mnist", tmp_path, source="internet")


@pytest.mark.backend_free
def test_npz_labels_out_of_range(tmp_path):
    x, y, xt, yt = tiny_mnist()
    y = y.copy()
    y[2] = 10
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    with pytest.raises(ValueError, match=r"mnist\.npz.*y_train.*labels"):
        load("mnist", tmp_path, download=False)


@pytest.mark.backend_free
def test_npz_shape_mismatch(tmp_path):
    x = np.zeros((3, 32, 32), dtype=np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=np.zeros(3), x_test=x, y_test=np.zeros(3))
    with pytest.raises(ValueError, match=r"mnist\.npz.*x_train.*shape"):
        load("mnist", tmp_path, download=False)
    nchw = np.zeros((2, 3, 32, 32), dtype=np.uint8)
    np.savez(tmp_path / "c.npz", x_train=nchw, y_train=[0, 1], x_test=nchw, y_test=[0, 1])
    with pytest.raises(ValueError, match=r"c\.npz.*shape"):
        load("cifar10", tmp_path, file="c.npz", download=False)


@pytest.mark.backend_free
def test_npz_missing_key_and_length_mismatch(tmp_path):
    x, y, xt, yt = tiny_mnist()
    np.savez(tmp_path / "a.npz", x_train=x, y_train=y, x_test=xt)
    with pytest.raises(ValueError, match=r"a\.npz.*y_test"):
        load("mnist", tmp_path, file="a.npz")
    np.savez(tmp_path / "b.npz", x_train=x, y_train=y[:-1], x_test=xt, y_test=yt)
    with pytest.raises(ValueError, match=r"b\.npz"):
        load("mnist", tmp_path, file="b.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"junk\.npz"):
        load("mnist", tmp_path, file=tmp_path / "junk.npz")


# ----------------------------------------------------------------------------- validation split


def tag_with_index(ds):
    """The same Dataset whose training image i carries i in its first three pixels."""
    i = np.arange(len(ds.y_train))
    x = np.zeros_like(ds.x_train)
    x[:, 0, 0, 0], x[:, 0, 1, 0], x[:, 0, 2, 0] = i % 256, i // 256 % 256, i // 65536
    return dataclasses.replace(ds, x_train=x)


def read_tags(x):
    x = x[:, 0, :3, 0].astype(np.int64)
    return x[:, 0] + 256 * x[:, 1] + 65536 * x[:, 2]


@pytest.mark.backend_free
def test_stratified_split_mnist(mnist):
    split = mnist.validation_split(0.1, seed=0)
    assert len(split.y_val) == 6000 and len(split.y_train) == 54000
    val_counts = np.bincount(split.y_val, minlength=10)
    assert np.all(np.abs(val_counts - 0.1 * np.array(MNIST_TRAIN_COUNTS)) <= 1)
    assert split.class_counts("val").tolist() == val_counts.tolist()
    assert counts(split.y_train) == (np.array(MNIST_TRAIN_COUNTS) - val_counts).tolist()
    assert split.x_test is mnist.x_test and split.y_test is mnist.y_test
    assert split.x_val.dtype == np.uint8 and split.x_val.shape == (6000, 28, 28, 1)

    # recover which original examples went where from index-tagged images
    tagged = tag_with_index(mnist).validation_split(0.1, seed=0)
    val_idx, train_idx = read_tags(tagged.x_val), read_tags(tagged.x_train)
    assert np.all(np.diff(val_idx) > 0) and np.all(np.diff(train_idx) > 0)  # order kept
    assert np.array_equal(np.sort(np.concatenate([val_idx, train_idx])), np.arange(60000))
    np.testing.assert_array_equal(split.y_val, mnist.y_train[val_idx])
    np.testing.assert_array_equal(split.x_val, mnist.x_train[val_idx])
    np.testing.assert_array_equal(split.x_train, mnist.x_train[train_idx])
    np.testing.assert_array_equal(split.y_train, mnist.y_train[train_idx])

    with pytest.raises(ValueError, match="already"):
        split.validation_split(0.1, seed=0)


@pytest.mark.backend_free
def test_split_seeding(mnist):
    tagged = tag_with_index(mnist)
    a = read_tags(tagged.validation_split(0.1, seed=1).x_val)
    b = read_tags(tagged.validation_split(0.1, seed=1).x_val)
    c = read_tags(tagged.validation_split(0.1, seed=2).x_val)
    d = read_tags(tagged.validation_split(0.1, seed=np.random.default_rng(1)).x_val)
    assert np.array_equal(a, b) and np.array_equal(a, d) and not np.array_equal(a, c)


@pytest.mark.backend_free
def test_unstratified_and_int_size(mnist):
    tagged = tag_with_index(mnist)
    s1 = tagged.validation_split(250, seed=3, stratify=False)
    s2 = tagged.validation_split(250, seed=3, stratify=False)
    s3 = tagged.validation_split(250, seed=4, stratify=False)
    idx = read_tags(s1.x_val)
    assert len(idx) == 250 and len(s1.y_train) == 59750 and np.all(np.diff(idx) > 0)
    assert np.array_equal(idx, read_tags(s2.x_val))
    assert not np.array_equal(idx, read_tags(s3.x_val))
    np.testing.assert_array_equal(s1.y_val, mnist.y_train[idx])

    strat = mnist.validation_split(100, seed=0)
    val_counts = np.bincount(strat.y_val, minlength=10)
    assert val_counts.sum() == 100
    assert np.all(np.abs(val_counts - 100 * np.array(MNIST_TRAIN_COUNTS) / 60000) < 1)


@pytest.mark.backend_free
@pytest.mark.parametrize("n_val", [1, 2, 7, 13, 19])
def test_stratified_counts_sum_exactly(n_val):
    y = np.repeat(np.arange(4), [3, 5, 11, 1])  # 20 examples, uneven classes
    empty = np.zeros((0, 28, 28, 1), np.uint8)
    ds = kd.Dataset(np.zeros((20, 28, 28, 1), np.uint8), y, empty, y[:0], kd.INFO["mnist"], "t")
    got = np.bincount(ds.validation_split(n_val, seed=0).y_val, minlength=4)
    assert got.sum() == n_val
    assert np.all(np.abs(got - n_val * np.array([3, 5, 11, 1]) / 20) < 1)


@pytest.mark.backend_free
@pytest.mark.parametrize("size", [0, 1.0, -1, 60000, 0.0, 1.5, 1e-9])
def test_bad_split_sizes(mnist, size):
    with pytest.raises(ValueError, match="size"):
        mnist.validation_split(size, seed=0)


@pytest.mark.backend_free
def test_split_needs_seed(mnist):
    with pytest.raises(ValueError, match="seed"):
        mnist.validation_split(0.1, seed=None)
    with pytest.raises(ValueError, match="validation"):
        mnist.class_counts("val")


DEBIAN_FASHION = "/usr/share/datasets"  # Debian's dataset-fashion-mnist package


@pytest.mark.backend_free
@pytest.mark.skipif(
    not os.path.isdir(os.path.join(DEBIAN_FASHION, "fashion-mnist")),
    reason="Debian's dataset-fashion-mnist is not installed",
)
def test_fashion_mnist_from_debian_package():
    ds = load("fashion_mnist", DEBIAN_FASHION, download=False)
    assert ds.x_train.shape == (60000, 28, 28, 1) and ds.x_test.shape == (10000, 28, 28, 1)
    assert counts(ds.y_train) == [6000] * 10 and counts(ds.y_test) == [1000] * 10
    # the published standardisation statistics are those of this training set
    assert ds.x_train.mean() / 255 == pytest.approx(ds.info.mean[0], abs=5e-4)
    assert ds.x_train.std() / 255 == pytest.approx(ds.info.std[0], abs=5e-4)
