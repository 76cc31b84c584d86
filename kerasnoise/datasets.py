"""Image classification data sets: local files first, Keras or TFDS downloads on request.

:func:`load` returns a :class:`Dataset` of uint8 NHWC images and int64 labels for MNIST,
Fashion-MNIST, CIFAR-10 and CIFAR-100.  Local copies are searched in ``data_dir`` or the
folder named by ``$KERASNOISE_DATA_DIR``:

- ``{name}.npz`` in Keras's layout (keys ``x_train``, ``y_train``, ``x_test``, ``y_test``);
- MNIST / Fashion-MNIST: the four original IDX files (``.gz`` or not) in a subfolder named
  after the data set (``mnist/``, ``fashion_mnist/``, ``fashion-mnist/``) or in the folder;
- CIFAR: Keras's extracted pickle folders ``cifar-10-batches-py/`` / ``cifar-100-python/``.

Keras, TensorFlow and TensorFlow Datasets are imported only when a download is needed.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import pickle
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

__all__ = [
    "ENV_VAR",
    "INFO",
    "NAMES",
    "SOURCES",
    "Dataset",
    "DatasetInfo",
    "DatasetNotFoundError",
    "get_info",
    "load",
    "noise_images",
    "check_noise_source",
    "NOISE_SOURCES",
    "read_idx",
    "split_indices",
]

ENV_VAR = "KERASNOISE_DATA_DIR"
SOURCES = ("auto", "local", "keras", "tfds")

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class DatasetInfo:
    """Static description of a data set.

    Attributes
    ----------
    name : str
        Canonical name, e.g. ``"cifar10"``.
    num_classes : int
        Number of classes; labels are ``0 .. num_classes - 1``.
    image_shape : tuple of int
        ``(H, W, C)``.
    mean, std : tuple of float
        Per-channel standardisation statistics of the training set on the [0, 1] scale.
    class_names : tuple of str
        Human-readable class names, indexed by label.
    """

    name: str
    num_classes: int
    image_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_names: tuple[str, ...]


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

INFO: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        "mnist", 10, (28, 28, 1), (0.1307,), (0.3081,), tuple(str(i) for i in range(10))
    ),
    "fashion_mnist": DatasetInfo(
        "fashion_mnist",
        10,
        (28, 28, 1),
        (0.2860,),
        (0.3530,),
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat")
        + ("Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    ),
    "cifar10": DatasetInfo(
        "cifar10",
        10,
        (32, 32, 3),
        (0.4914, 0.4822, 0.4465),
        (0.2470, 0.2435, 0.2616),
        ("airplane", "automobile", "bird", "cat", "deer")
        + ("dog", "frog", "horse", "ship", "truck"),
    ),
    "cifar100": DatasetInfo(
        "cifar100",
        100,
        (32, 32, 3),
        (0.5071, 0.4867, 0.4408),
        (0.2675, 0.2565, 0.2761),
        tuple(_CIFAR100_CLASSES),
    ),
}
NAMES = tuple(INFO)

_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_IDX_SUBDIRS = {"mnist": ("mnist",), "fashion_mnist": ("fashion_mnist", "fashion-mnist")}
_PICKLES = {  # folder, train files, test files, label key
    "cifar10": (
        "cifar-10-batches-py",
        [f"data_batch_{i}" for i in range(1, 6)],
        ["test_batch"],
        "labels",
    ),
    "cifar100": ("cifar-100-python", ["train"], ["test"], "fine_labels"),
}


class DatasetNotFoundError(FileNotFoundError):
    """No local copy of a data set was found and it could not (or may not) be downloaded."""


def get_info(name: str) -> DatasetInfo:
    """Return the :class:`DatasetInfo` of ``name`` (``"fashion-mnist"`` is accepted too).

    Raises
    ------
    ValueError
        If the name is unknown.
    """
    key = str(name).strip().lower().replace("-", "_")
    if key not in INFO:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(NAMES)}")
    return INFO[key]


# --------------------------------------------------------------------------- Dataset


@dataclass(eq=False)
class Dataset:
    """Images (uint8, ``(N, H, W, C)``) and int64 labels of one data set.

    Attributes
    ----------
    x_train, y_train, x_test, y_test : np.ndarray
        Training and test images and labels.
    info : DatasetInfo
        Static description (classes, shape, standardisation stats).
    source : str
        Where the data came from: a file or folder path, ``"keras.datasets"`` or
        ``"tensorflow_datasets"``.
    x_val, y_val : np.ndarray or None
        Validation split taken from the training set by :meth:`validation_split`.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    info: DatasetInfo
    source: str
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None

    def __post_init__(self) -> None:
        if (self.x_val is None) != (self.y_val is None):
            raise ValueError("x_val and y_val must both be given or both be None")
        for split in ("train", "test", "val"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if x is not None and len(x) != len(y):
                raise ValueError(f"x_{split} has {len(x)} images but y_{split} {len(y)} labels")

    @property
    def name(self) -> str:
        """Canonical data set name."""
        return self.info.name

    def __repr__(self) -> str:
        val = None if self.y_val is None else len(self.y_val)
        return (
            f"Dataset(name={self.name!r}, train={len(self.y_train)}, val={val}, "
            f"test={len(self.y_test)}, image_shape={self.info.image_shape}, "
            f"source={self.source!r})"
        )

    def class_counts(self, split: Literal["train", "val", "test"] = "train") -> np.ndarray:
        """Number of examples per class in ``split`` (int64 array of length ``num_classes``)."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
        y = getattr(self, f"y_{split}")
        if y is None:
            raise ValueError("this Dataset has no validation split; call validation_split()")
        return np.bincount(y, minlength=self.info.num_classes).astype(np.int64)

    def validation_split(
        self,
        size: float | int,
        seed: int | np.random.Generator,
        stratify: bool = True,
    ) -> Dataset:
        """Hold out part of the training set as a validation set.

        Parameters
        ----------
        size : float or int
            Fraction of the training set in (0, 1), or a count in [1, N - 1].
        seed : int or np.random.Generator
            Randomness source (required).
        stratify : bool, default True
            Allocate the validation examples to classes in proportion to the class counts
            (largest-remainder rounding, so the counts sum exactly to the requested size);
            otherwise draw a uniformly random subset.

        Returns
        -------
        Dataset
            A new Dataset; the test set is shared, and the remaining training and the
            validation examples keep their original relative order.
        """
        if self.x_val is not None:
            raise ValueError("this Dataset already has a validation split")
        train_idx, val_idx = split_indices(self.y_train, size, seed, stratify=stratify)
        return dataclasses.replace(
            self,
            x_train=self.x_train[train_idx],
            y_train=self.y_train[train_idx],
            x_val=self.x_train[val_idx],
            y_val=self.y_train[val_idx],
        )


def split_indices(
    y: np.ndarray,
    size: float | int,
    seed: int | np.random.Generator,
    *,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``(keep, held_out)`` index arrays partitioning ``range(len(y))``.

    See :meth:`Dataset.validation_split` for the meaning of the arguments.
    """
    y = np.asarray(y)
    n = len(y)
    if isinstance(size, bool) or not isinstance(size, int | float | np.integer | np.floating):
        raise TypeError(f"size must be a float fraction or an int count, got {size!r}")
    if isinstance(size, float | np.floating):
        if not 0.0 < size < 1.0:
            raise ValueError(f"size as a fraction must be in (0, 1), got {size}")
        n_val = int(round(float(size) * n))
    else:
        n_val = int(size)
    if not 1 <= n_val <= n - 1:
        raise ValueError(f"size must give between 1 and {n - 1} examples (N={n}), got {size}")
    if seed is None:
        raise ValueError("seed is required (an int or a np.random.Generator)")
    rng = np.random.default_rng(seed)

    if stratify:
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
            raise ValueError("stratify=True needs 1-D non-negative integer labels")
        counts = np.bincount(y)
        quota, remainder = np.divmod(counts * n_val, n)  # exact integer arithmetic
        extra = np.argsort(-remainder, kind="stable")[: n_val - int(quota.sum())]
        quota[extra] += 1
        parts = [
            rng.choice(np.flatnonzero(y == k), size=int(q), replace=False)
            for k, q in enumerate(quota)
            if q
        ]
        val_idx = np.concatenate(parts)
    else:
        val_idx = rng.choice(n, size=n_val, replace=False)
    mask = np.zeros(n, dtype=bool)
    mask[val_idx] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


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


def _load_pickles(folder: Path, name: str, shape: tuple[int, int, int]) -> Arrays:
    _, train_files, test_files, label_key = _PICKLES[name]
    h, w, c = shape

    def read(files: list[str]) -> tuple[np.ndarray, np.ndarray]:
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


def _validate(arrays: Arrays, info: DatasetInfo, origin: str) -> Arrays:
    h, w, c = info.image_shape
    out = []
    for split, x, y in (("train", *arrays[:2]), ("test", *arrays[2:])):
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim == 3 and c == 1:
            x = x[..., np.newaxis]  # a view, no copy
        if x.ndim != 4 or x.shape[1:] != info.image_shape:
            alt = f" or (N, {h}, {w})" if c == 1 else ""
            raise ValueError(
                f"{origin}: x_{split} has shape {x.shape}, expected (N, {h}, {w}, {c}){alt} "
                f"for {info.name}"
            )
        if x.dtype != np.uint8:
            in_range = x.size == 0 or (x.min() >= 0 and x.max() <= 255)
            if not np.issubdtype(x.dtype, np.integer) or not in_range:
                raise ValueError(f"{origin}: x_{split} has dtype {x.dtype}, expected uint8 0..255")
            x = x.astype(np.uint8)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"{origin}: y_{split} has shape {y.shape}, expected (N,) or (N, 1)")
        if not np.issubdtype(y.dtype, np.integer):
            if not np.issubdtype(y.dtype, np.floating) or not np.all(np.mod(y, 1) == 0):
                raise ValueError(f"{origin}: y_{split} has dtype {y.dtype}, expected integers")
        y = y.astype(np.int64)
        if y.size and (y.min() < 0 or y.max() >= info.num_classes):
            raise ValueError(
                f"{origin}: y_{split} has labels in [{y.min()}, {y.max()}], expected "
                f"0..{info.num_classes - 1} for {info.name}"
            )
        if len(x) != len(y):
            raise ValueError(f"{origin}: x_{split} has {len(x)} images but y_{split} {len(y)}")
        out += [x, y]
    return tuple(out)


# --------------------------------------------------------------------------- load


def _probe(kind: str, path: Path, info: DatasetInfo) -> tuple[Callable[[], Arrays] | None, list]:
    """Return a loader if ``path`` holds the data in layout ``kind``, and what was looked for."""
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
    folder, train, test, _ = _PICKLES[info.name]
    names = [*train, *test]
    looked = [f"{path}{os.sep} ({', '.join(names)})"]
    missing = [f for f in names if not (path / f).is_file()]
    if not missing:
        return (lambda: _load_pickles(path, info.name, info.image_shape)), looked
    if len(missing) < len(names):
        looked.append(f"  (incomplete pickle folder {path}: missing {', '.join(missing)})")
    return None, looked


def _candidates(info: DatasetInfo, folder: Path) -> list[tuple[str, Path]]:
    out = [("npz", folder / f"{info.name}.npz")]
    if info.name in _IDX_SUBDIRS:
        out += [("idx", folder / sub) for sub in _IDX_SUBDIRS[info.name]] + [("idx", folder)]
    else:
        out.append(("pickle", folder / _PICKLES[info.name][0]))
    return out


def _what_to_put(info: DatasetInfo) -> str:
    npz = f"{info.name}.npz (Keras layout: x_train, y_train, x_test, y_test)"
    if info.name in _IDX_SUBDIRS:
        return f"{npz} or the four IDX .gz files ({', '.join(b + '.gz' for b in _IDX_FILES)})"
    folder, train, test, _ = _PICKLES[info.name]
    return f"{npz} or Keras's extracted pickle folder {folder}/ ({', '.join([*train, *test])})"


def _not_found(
    info: DatasetInfo, folder: Path | None, looked: list[str], note: str, fix: str | None = None
) -> DatasetNotFoundError:
    where = str(folder) if folder is not None else f"a folder given as data_dir= or ${ENV_VAR}"
    lines = [f"Could not load data set {info.name!r}."]
    if looked:
        lines += ["Looked for:", *(f"  {p}" for p in looked)]
    elif folder is None:
        lines.append(f"No local folder searched (data_dir=None and ${ENV_VAR} is not set).")
    lines += [note, fix or f"To fix: put {_what_to_put(info)} in {where}."]
    return DatasetNotFoundError("\n".join(lines))


def _load_keras(info: DatasetInfo) -> Arrays:
    import keras

    module = getattr(keras.datasets, info.name)
    if info.name == "cifar100":
        (x, y), (xt, yt) = module.load_data(label_mode="fine")
    else:
        (x, y), (xt, yt) = module.load_data()
    h, w, c = info.image_shape
    if c > 1:  # Keras returns NCHW when image_data_format() == "channels_first"
        x, xt = (np.transpose(a, (0, 2, 3, 1)) if a.shape[1:] == (c, h, w) else a for a in (x, xt))
    return x, y, xt, yt


def _load_tfds(info: DatasetInfo, data_dir: str | os.PathLike | None, download: bool) -> Dataset:
    try:
        import tensorflow_datasets as tfds
    except ImportError as err:
        raise ImportError(
            "source='tfds' needs TensorFlow Datasets: pip install kerasnoise[tfds]"
        ) from err
    try:
        train, test = tfds.as_numpy(
            tfds.load(
                info.name,
                split=["train", "test"],
                batch_size=-1,
                as_supervised=True,
                data_dir=None if data_dir is None else os.fspath(data_dir),
                download=download,
            )
        )
    except Exception as err:
        raise DatasetNotFoundError(
            f"tensorflow_datasets.load({info.name!r}, data_dir={data_dir!r}, "
            f"download={download}) failed: {type(err).__name__}: {err}"
        ) from err
    arrays = _validate((*train, *test), info, "tensorflow_datasets")
    return Dataset(*arrays, info=info, source="tensorflow_datasets")


def load(
    name: str,
    data_dir: str | os.PathLike | None = None,
    *,
    file: str | os.PathLike | None = None,
    source: Literal["auto", "local", "keras", "tfds"] = "auto",
    download: bool = True,
) -> Dataset:
    """Load a data set as uint8 NHWC images and int64 labels.

    Parameters
    ----------
    name : {"mnist", "fashion_mnist", "cifar10", "cifar100"}
        Data set (``"fashion-mnist"`` is accepted too).
    data_dir : str or path-like, optional
        Folder with local copies; defaults to ``$KERASNOISE_DATA_DIR``.  With
        ``source="tfds"`` it is passed to ``tensorflow_datasets.load`` instead.
    file : str or path-like, optional
        A specific ``.npz`` file in Keras layout (or a folder of IDX files / CIFAR pickles).
        Relative paths are resolved against the data folder (the current directory if none).
        If it is missing, that is an error: nothing else is tried.
    source : {"auto", "local", "keras", "tfds"}, default "auto"
        ``"auto"``: the local folder first, then ``keras.datasets`` if ``download``.
        ``"local"``: the local folder only.  ``"keras"``: ``keras.datasets`` only.
        ``"tfds"``: TensorFlow Datasets (needs ``pip install kerasnoise[tfds]``).
    download : bool, default True
        Whether a download may be attempted; ``False`` never touches the network.

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetNotFoundError
        If no copy was found and none could be downloaded; the message lists the paths
        looked at and which file to put where.
    ValueError
        For an unknown name or source, or a corrupt or mismatched file.
    """
    info = get_info(name)
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    if file is not None and source not in ("auto", "local"):
        raise ValueError(f"file= only applies to local files, not source={source!r}")
    if source == "tfds":
        return _load_tfds(info, data_dir, download)
    if source == "keras" and not download:
        raise ValueError("source='keras' downloads; with download=False use source='local'")

    folder = None
    if source != "keras":
        raw = data_dir if data_dir is not None else os.environ.get(ENV_VAR) or None
        folder = None if raw is None else Path(raw).expanduser()
    looked: list[str] = []

    if file is not None:
        path = Path(file).expanduser()
        if folder is not None and not path.is_absolute():
            path = folder / path
        if path.is_dir():
            kind = "idx" if info.name in _IDX_SUBDIRS else "pickle"
            loader, looked = _probe(kind, path, info)
        else:
            loader, looked = _probe("npz", path, info)
        if loader is None:
            note = f"The file given as file={os.fspath(file)!r} is missing (no fallback tried)."
            fix = f"To fix: put {info.name} data (Keras-layout .npz) at {path}, or fix file=."
            raise _not_found(info, folder, looked, note, fix)
        return Dataset(*_validate(loader(), info, str(path)), info=info, source=str(path))

    if folder is not None:
        for kind, path in _candidates(info, folder):
            loader, seen = _probe(kind, path, info)
            looked += seen
            if loader is not None:
                return Dataset(*_validate(loader(), info, str(path)), info=info, source=str(path))

    call = f"keras.datasets.{info.name}.load_data()"
    if source == "local":
        raise _not_found(info, folder, looked, "Download not tried (source='local').")
    if not download:
        raise _not_found(info, folder, looked, f"Download via {call} not tried (download=False).")
    try:
        arrays = _load_keras(info)
    except Exception as err:
        note = f"Download via {call} failed: {type(err).__name__}: {err}"
        raise _not_found(info, folder, looked, note) from err
    return Dataset(*_validate(arrays, info, call), info=info, source="keras.datasets")


# --------------------------------------------------------------------------- noise images

#: What Rolnick et al.'s extra examples can be besides the task's own training images
#: (``noise.source``): white noise, or another data set's training images.
NOISE_SOURCES = ("train", "white_noise", *NAMES)


def check_noise_source(source: str, task: str) -> None:
    """Raise ``ValueError`` unless ``source`` can give extra images for data set ``task``:
    ``train``, ``white_noise``, or another data set with the same image shape."""
    if source not in NOISE_SOURCES:
        raise ValueError(f"noise.source must be one of {', '.join(NOISE_SOURCES)}; got {source!r}")
    if source in ("train", "white_noise"):
        return
    if source == get_info(task).name:
        raise ValueError(f"noise.source={source!r} is the task's own data set: use 'train'")
    theirs, ours = get_info(source).image_shape, get_info(task).image_shape
    if theirs != ours:
        raise ValueError(
            f"noise.source={source!r} has {'x'.join(map(str, theirs))} images but {task} "
            f"has {'x'.join(map(str, ours))}; no conversion is offered: use a data set of the "
            "same shape (fashion_mnist for mnist, cifar100 for cifar10) or white_noise"
        )


def noise_images(
    source: str,
    task: Dataset,
    *,
    seed: int,
    data_dir: str | os.PathLike | None = None,
) -> np.ndarray:
    """Images that belong to no class of ``task``, as uint8 in its shape, for
    ``Additive(source=...)``: ``white_noise`` draws one image per training image of
    ``task``, each pixel normal with the task's per-channel mean and std (on the
    0..255 scale), rounded and clipped, from ``seed`` (the noise seed); a data set's
    name gives its training images (loaded as :func:`load` does, from ``data_dir``)."""
    check_noise_source(source, task.name)
    if source == "train":
        raise ValueError("noise.source='train' uses the task's own images: nothing to load")
    info = task.info
    if source == "white_noise":
        rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
        shape = (len(task.y_train), *info.image_shape)
        mean = 255.0 * np.asarray(info.mean)
        std = 255.0 * np.asarray(info.std)
        pixels = rng.standard_normal(size=shape, dtype=np.float32) * std + mean
        return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
    return load(source, data_dir).x_train
