"""Our data sets, MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100: :class:`DataSource`
subclasses like any researcher's, registered by name in
:mod:`kerasnoise.datasets.catalogue`, that read a local copy first and download with
``keras.datasets`` or TFDS on request.

A local copy is searched in the data folder (``data_dir``, else ``$KERASNOISE_DATA_DIR``):

- ``{name}.npz`` in Keras's layout (keys ``x_train``, ``y_train``, ``x_test``, ``y_test``);
- MNIST / Fashion-MNIST: the four original IDX files (``.gz`` or not) in a subfolder named
  after the data set (``mnist/``, ``fashion_mnist/``, ``fashion-mnist/``) or in the folder;
- CIFAR: Keras's extracted pickle folders ``cifar-10-batches-py/`` / ``cifar-100-python/``.

Keras, TensorFlow and TensorFlow Datasets are imported only when a download is needed.
"""

from __future__ import annotations

import gzip
import os
import pickle
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from kerasnoise.datasets.base import (
    ENV_VAR,
    Arrays,
    DatasetInfo,
    DatasetNotFoundError,
    DataSource,
)

__all__ = ["CIFAR10", "CIFAR100", "MNIST", "FashionMNIST", "read_idx"]

_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


# --------------------------------------------------------------------------- readers


def read_idx(path: str | os.PathLike, magic: int | None = None) -> np.ndarray:
    """Read an unsigned-byte IDX file (``.gz`` or plain), e.g. the original MNIST files.

    Parameters
    ----------
    path : str or path-like
        File to read; gzip-compressed if the name ends in ``.gz``.
    magic : int, optional
        Expected magic number, e.g. ``0x801`` (labels) or ``0x803`` (images).

    Raises
    ------
    ValueError
        If the file is not a valid uint8 IDX file, has the wrong magic or the wrong size.
    """
    path = Path(path)
    opener: Callable = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = bytearray(f.read())
    except FileNotFoundError:
        raise
    except Exception as err:  # OSError, EOFError, zlib.error from a damaged file
        raise ValueError(f"{path}: cannot read IDX file ({err})") from err
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX file ({len(data)} bytes)")
    (found,) = struct.unpack(">I", data[:4])
    ndim = found & 0xFF
    if found >> 8 != 0x08 or not 1 <= ndim <= 4 or (magic is not None and found != magic):
        want = "a uint8 IDX magic 0x000008NN" if magic is None else f"0x{magic:08x}"
        raise ValueError(f"{path}: bad IDX magic number 0x{found:08x}, expected {want}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise ValueError(
            f"{path}: IDX header promises {dims} = {expected} bytes of data, "
            f"file holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _find_idx(folder: Path) -> dict[str, Path | None]:
    found: dict[str, Path | None] = {}
    for base in _IDX_FILES:
        variants = (
            base + ".gz",
            base,
            base.replace("-idx", ".idx") + ".gz",
            base.replace("-idx", ".idx"),
        )
        found[base] = next((folder / v for v in variants if (folder / v).is_file()), None)
    return found


def _load_idx(files: dict[str, Path | None]) -> Arrays:
    magics = (0x803, 0x801, 0x803, 0x801)
    return tuple(read_idx(files[b], m) for b, m in zip(_IDX_FILES, magics, strict=True))


def _load_npz(path: Path) -> Arrays:
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in keys if k in f.files}
            found = f.files
    except Exception as err:  # BadZipFile, OSError, refused pickle, ...
        raise ValueError(f"{path}: not a readable .npz file ({type(err).__name__}: {err})") from err
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise ValueError(
            f"{path}: missing key(s) {', '.join(missing)} (has {', '.join(found) or 'none'}); "
            "expected Keras layout x_train, y_train, x_test, y_test"
        )
    return tuple(arrays[k] for k in keys)


def _load_pickles(folder: Path, layout: tuple, shape: tuple[int, int, int]) -> Arrays:
    _, train_files, test_files, label_key = layout
    h, w, c = shape

    def read(files: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for fname in files:
            path = folder / fname
            try:  # pickles can run code: only load files you trust (Keras does the same)
                with open(path, "rb") as fh:
                    d = pickle.load(fh, encoding="bytes")
                d = {k.decode() if isinstance(k, bytes) else k: v for k, v in d.items()}
            except Exception as err:
                raise ValueError(f"{path}: not a readable CIFAR pickle ({err})") from err
            if "data" not in d or label_key not in d:
                raise ValueError(f"{path}: expected keys b'data' and b'{label_key}'")
            data, labels = np.asarray(d["data"]), np.asarray(d[label_key])
            if data.ndim != 2 or data.shape[1] != h * w * c or len(data) != len(labels):
                raise ValueError(
                    f"{path}: data has shape {data.shape} and {len(labels)} labels, "
                    f"expected (N, {h * w * c}) and N labels"
                )
            xs.append(data)
            ys.append(labels)
        x = np.concatenate(xs).reshape(-1, c, h, w).transpose(0, 2, 3, 1)
        return np.ascontiguousarray(x), np.concatenate(ys)

    return *read(train_files), *read(test_files)


# --------------------------------------------------------------------------- our data sets


class _Ours(DataSource):
    """One of our data sets: a local copy in the data folder first, then (``download``)
    ``keras.datasets``; or, as constructed with ``source="keras"`` or ``"tfds"``, that
    download only.

    Args:
        source: ``"auto"`` (the folder, then ``keras.datasets``), ``"keras"`` or
            ``"tfds"`` (TensorFlow Datasets, whose own folder is the ``data_dir`` given
            to :meth:`load`); ``datasets.load(name, source="local")`` is ``"auto"``
            with ``download=False``.
    """

    #: The files of a local copy besides ``{name}.npz``: ``"idx"`` or ``"pickle"``.
    layout: ClassVar[Literal["idx", "pickle"]]
    #: IDX layout: the subfolders of the data folder searched before the folder itself.
    subfolders: ClassVar[tuple[str, ...]] = ()
    #: Pickle layout: Keras's extracted folder, its train and test files, the label key.
    pickles: ClassVar[tuple[str, tuple[str, ...], tuple[str, ...], str]]
    #: Keyword arguments of ``keras.datasets.<name>.load_data``.
    keras_arguments: ClassVar[dict[str, Any]] = {}

    def __init__(self, source: Literal["auto", "keras", "tfds"] = "auto"):
        if source not in ("auto", "keras", "tfds"):
            raise ValueError(f"source must be 'auto', 'keras' or 'tfds', got {source!r}")
        self.source = source

    def load(
        self, data_dir: Path | None, *, file: Path | None = None, download: bool = True
    ) -> Arrays:
        if file is not None and self.source != "auto":
            raise ValueError(f"file= only applies to local files, not source={self.source!r}")
        if self.source == "tfds":
            return self._from_tfds(data_dir, download)
        if self.source == "keras" and not download:
            raise ValueError("source='keras' downloads; with download=False use source='local'")
        folder = data_dir if self.source == "auto" else None
        looked: list[str] = []

        if file is not None:
            path = Path(file)
            kind = self.layout if path.is_dir() else "npz"
            loader, looked = self._probe(kind, path)
            if loader is None:
                note = f"The file given as file={os.fspath(file)!r} is missing (no fallback tried)."
                fix = f"To fix: put {self.name} data (Keras-layout .npz) at {path}, or fix file=."
                raise self._not_found(folder, looked, note, fix)
            self.origin = str(path)
            return loader()

        if folder is not None:
            for kind, path in self._candidates(folder):
                loader, seen = self._probe(kind, path)
                looked += seen
                if loader is not None:
                    self.origin = str(path)
                    return loader()

        call = f"keras.datasets.{self.name}.load_data()"
        if not download:
            raise self._not_found(
                folder, looked, f"Download via {call} not tried (download=False)."
            )
        try:
            arrays = self._from_keras()
        except Exception as err:
            note = f"Download via {call} failed: {type(err).__name__}: {err}"
            raise self._not_found(folder, looked, note) from err
        self.origin = "keras.datasets"
        return arrays

    # ------------------------------------------------------------------ local copies

    def _candidates(self, folder: Path) -> list[tuple[str, Path]]:
        out = [("npz", folder / f"{self.name}.npz")]
        if self.layout == "idx":
            return out + [("idx", folder / sub) for sub in self.subfolders] + [("idx", folder)]
        return [*out, ("pickle", folder / self.pickles[0])]

    def _probe(self, kind: str, path: Path) -> tuple[Callable[[], Arrays] | None, list]:
        """A loader if ``path`` holds the data in layout ``kind``, and what was looked for."""
        if kind == "npz":
            return (lambda: _load_npz(path)) if path.is_file() else None, [str(path)]
        if kind == "idx":
            files = _find_idx(path)
            looked = [str(path / f"{b}[.gz]") for b in _IDX_FILES]
            present = [b for b, p in files.items() if p is not None]
            if len(present) == len(_IDX_FILES):
                return (lambda: _load_idx(files)), looked
            if present:
                missing = ", ".join(b for b in _IDX_FILES if files[b] is None)
                looked.append(f"  (incomplete IDX set in {path}: missing {missing})")
            return None, looked
        _, train, test, _ = self.pickles
        names = [*train, *test]
        looked = [f"{path}{os.sep} ({', '.join(names)})"]
        missing = [f for f in names if not (path / f).is_file()]
        if not missing:
            return (lambda: _load_pickles(path, self.pickles, self.info.image_shape)), looked
        if len(missing) < len(names):
            looked.append(f"  (incomplete pickle folder {path}: missing {', '.join(missing)})")
        return None, looked

    def _what_to_put(self) -> str:
        npz = f"{self.name}.npz (Keras layout: x_train, y_train, x_test, y_test)"
        if self.layout == "idx":
            return f"{npz} or the four IDX .gz files ({', '.join(b + '.gz' for b in _IDX_FILES)})"
        folder, train, test, _ = self.pickles
        return f"{npz} or Keras's extracted pickle folder {folder}/ ({', '.join([*train, *test])})"

    def _not_found(
        self, folder: Path | None, looked: list[str], note: str, fix: str | None = None
    ) -> DatasetNotFoundError:
        where = str(folder) if folder is not None else f"a folder given as data_dir= or ${ENV_VAR}"
        lines = [f"Could not load data set {self.name!r}."]
        if looked:
            lines += ["Looked for:", *(f"  {p}" for p in looked)]
        elif folder is None:
            lines.append(f"No local folder searched (data_dir=None and ${ENV_VAR} is not set).")
        lines += [note, fix or f"To fix: put {self._what_to_put()} in {where}."]
        return DatasetNotFoundError("\n".join(lines))

    # ------------------------------------------------------------------ downloads

    def _from_keras(self) -> Arrays:
        import keras

        (x, y), (xt, yt) = getattr(keras.datasets, self.name).load_data(**self.keras_arguments)
        h, w, c = self.info.image_shape
        if c > 1:  # Keras returns NCHW when image_data_format() == "channels_first"
            x, xt = (
                np.transpose(a, (0, 2, 3, 1)) if a.shape[1:] == (c, h, w) else a for a in (x, xt)
            )
        return x, y, xt, yt

    def _from_tfds(self, data_dir: Path | None, download: bool) -> Arrays:
        try:
            import tensorflow_datasets as tfds
        except ImportError as err:
            raise ImportError(
                "source='tfds' needs TensorFlow Datasets: pip install kerasnoise[tfds]"
            ) from err
        try:
            train, test = tfds.as_numpy(
                tfds.load(
                    self.name,
                    split=["train", "test"],
                    batch_size=-1,
                    as_supervised=True,
                    data_dir=None if data_dir is None else os.fspath(data_dir),
                    download=download,
                )
            )
        except Exception as err:
            raise DatasetNotFoundError(
                f"tensorflow_datasets.load({self.name!r}, data_dir={data_dir!r}, "
                f"download={download}) failed: {type(err).__name__}: {err}"
            ) from err
        self.origin = "tensorflow_datasets"
        return (*train, *test)


class MNIST(_Ours):
    """MNIST (LeCun et al. 1998): 60,000 training and 10,000 test digits, 28x28x1."""

    info = DatasetInfo(10, (28, 28, 1), (0.1307,), (0.3081,), tuple(str(i) for i in range(10)))
    layout = "idx"
    subfolders = ("mnist",)


class FashionMNIST(_Ours):
    """Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test images of
    clothing, 28x28x1."""

    info = DatasetInfo(
        10,
        (28, 28, 1),
        (0.2860,),
        (0.3530,),
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat")
        + ("Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    )
    layout = "idx"
    subfolders = ("fashion_mnist", "fashion-mnist")


class CIFAR10(_Ours):
    """CIFAR-10 (Krizhevsky 2009): 50,000 training and 10,000 test images, 32x32x3."""

    info = DatasetInfo(
        10,
        (32, 32, 3),
        (0.4914, 0.4822, 0.4465),
        (0.2470, 0.2435, 0.2616),
        ("airplane", "automobile", "bird", "cat", "deer")
        + ("dog", "frog", "horse", "ship", "truck"),
    )
    layout = "pickle"
    pickles = (
        "cifar-10-batches-py",
        tuple(f"data_batch_{i}" for i in range(1, 6)),
        ("test_batch",),
        "labels",
    )


_CIFAR100_CLASSES = """
apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus
butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab
crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard
lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom
oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine
possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake
spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger tractor
train trout tulip turtle wardrobe whale willow_tree wolf woman worm
""".split()


class CIFAR100(_Ours):
    """CIFAR-100 (Krizhevsky 2009), fine labels: 50,000 training and 10,000 test images,
    32x32x3, 100 classes."""

    info = DatasetInfo(
        100,
        (32, 32, 3),
        (0.5071, 0.4867, 0.4408),
        (0.2675, 0.2565, 0.2761),
        tuple(_CIFAR100_CLASSES),
    )
    layout = "pickle"
    pickles = ("cifar-100-python", ("train",), ("test",), "fine_labels")
    keras_arguments = {"label_mode": "fine"}
