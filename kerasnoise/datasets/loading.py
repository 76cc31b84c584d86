"""Loading a data set by name: ours from local files first, ``keras.datasets`` or TFDS
downloads on request; a plug-in's from its :class:`~kerasnoise.datasets.DataSource`.

:func:`load` returns a :class:`~kerasnoise.datasets.Dataset` of uint8 NHWC images and
int64 labels.  Local copies of ours are searched in ``data_dir`` or the folder named by
``$KERASNOISE_DATA_DIR``:

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
from typing import Literal

import numpy as np

from kerasnoise.datasets.catalogue import DatasetInfo, DataSource, get_info, source_of
from kerasnoise.datasets.dataset import Dataset

__all__ = ["ENV_VAR", "SOURCES", "DatasetNotFoundError", "data_folder", "load", "read_idx"]

ENV_VAR = "KERASNOISE_DATA_DIR"
SOURCES = ("auto", "local", "keras", "tfds")

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

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


def data_folder(data_dir: str | os.PathLike | None) -> Path | None:
    """``data_dir``, else ``$KERASNOISE_DATA_DIR``, as a path; ``None`` if neither is set."""
    raw = data_dir if data_dir is not None else os.environ.get(ENV_VAR) or None
    return None if raw is None else Path(raw).expanduser()


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
    name : {"mnist", "fashion_mnist", "cifar10", "cifar100"} or a plug-in's name
        Data set (``"fashion-mnist"`` is accepted too); a registered or installed
        :class:`~kerasnoise.datasets.DataSource` is loaded by its ``load`` (``source``
        ``"auto"`` or ``"local"``, the latter meaning ``download=False``).
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
    plugin = source_of(name)
    if plugin is not None:
        return _load_plugin(plugin, info, data_dir, file, source, download)
    if source == "tfds":
        return _load_tfds(info, data_dir, download)
    if source == "keras" and not download:
        raise ValueError("source='keras' downloads; with download=False use source='local'")

    folder = data_folder(data_dir) if source != "keras" else None
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


def _load_plugin(
    plugin: type[DataSource],
    info: DatasetInfo,
    data_dir: str | os.PathLike | None,
    file: str | os.PathLike | None,
    source: str,
    download: bool,
) -> Dataset:
    """A plug-in's arrays, from its ``load``, checked against its info."""
    if source not in ("auto", "local"):
        raise ValueError(
            f"source={source!r} is for our data sets; {info.name!r} is loaded by its "
            f"DataSource ({plugin.__module__}.{plugin.__qualname__}): use 'auto' or 'local'"
        )
    folder = data_folder(data_dir)
    path = None
    if file is not None:
        path = Path(file).expanduser()
        if folder is not None and not path.is_absolute():
            path = folder / path
    arrays = plugin().load(folder, file=path, download=download and source == "auto")
    if not isinstance(arrays, tuple | list) or len(arrays) != 4:
        raise TypeError(
            f"{plugin.__qualname__}.load must return (x_train, y_train, x_test, y_test), got "
            f"{type(arrays).__name__}"
        )
    origin = f"{plugin.__module__}.{plugin.__qualname__}"
    where = origin if path is None and folder is None else f"{origin} ({path or folder})"
    return Dataset(*_validate(tuple(arrays), info, origin), info=info, source=where)
