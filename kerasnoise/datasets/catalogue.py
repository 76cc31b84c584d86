"""The catalogue of data sets by name, ours and a researcher's alike, and loading one.

Every data set is a :class:`~kerasnoise.datasets.DataSource` subclass in one
:class:`~kerasnoise.registry.Registry`: ours (``mnist``, ``fashion_mnist``, ``cifar10``,
``cifar100``, :mod:`kerasnoise.datasets.builtin`) as its built-in entries, a researcher's
added with :func:`register` or declared by an installed package as an entry point in
the group ``kerasnoise.datasets``; each passes the same check.  A data set states its
name once, where it is registered: :func:`get` and :func:`get_info` fill it into its
:class:`~kerasnoise.datasets.DatasetInfo`.  :func:`load` is one path for all of them.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from pathlib import Path
from typing import Any, Literal

from kerasnoise.datasets.base import DatasetInfo, DataSource, check_arrays, data_folder
from kerasnoise.datasets.builtin import CIFAR10, CIFAR100, MNIST, FashionMNIST
from kerasnoise.datasets.dataset import Dataset
from kerasnoise.registry import Registry, normalize

__all__ = [
    "INFO",
    "NAMES",
    "SOURCES",
    "available",
    "get",
    "get_info",
    "has",
    "load",
    "register",
]

#: Where :func:`load` may take a data set from: ``auto`` (the local folder, then a
#: download), ``local`` (the folder only: ``download=False``), and, for ours,
#: ``keras`` (``keras.datasets``) or ``tfds`` (TensorFlow Datasets).
SOURCES = ("auto", "local", "keras", "tfds")


def _check(name: str, source: Any) -> type[DataSource]:
    """A data set is a :class:`DataSource` subclass with a nameless (or same-named)
    :class:`DatasetInfo`, no ``name`` of its own, and its own ``load``."""
    if not (isinstance(source, type) and issubclass(source, DataSource)):
        raise TypeError(
            f"a data set must be a kerasnoise.datasets.DataSource subclass, got {source!r} "
            f"for {name!r}"
        )
    info = getattr(source, "info", None)
    if not isinstance(info, DatasetInfo):
        raise TypeError(f"data set {source.__name__}.info must be a DatasetInfo, got {info!r}")
    if info.name and info.name != name:
        raise ValueError(
            f"data set {source.__name__}.info.name is {info.name!r} but it is registered as "
            f"{name!r}: leave the name out of its DatasetInfo (the registered name is its name)"
        )
    if inspect.getattr_static(source, "name") is not vars(DataSource)["name"]:
        raise TypeError(
            f"data set {source.__name__} sets name: its name is the one it is registered "
            "under (DataSource.name)"
        )
    if source.load is DataSource.load:
        raise TypeError(f"data set {source.__name__} must implement load()")
    return source


_REGISTRY = Registry(
    "data set",
    "kerasnoise.datasets",
    {
        name: _check(name, source)
        for name, source in (
            ("mnist", MNIST),
            ("fashion_mnist", FashionMNIST),
            ("cifar10", CIFAR10),
            ("cifar100", CIFAR100),
        )
    },
    check=_check,
)


@functools.cache
def _named(info: DatasetInfo, name: str) -> DatasetInfo:
    """``info`` with the registered ``name`` (one object per pair)."""
    return dataclasses.replace(info, name=name)


def register(name: str, cls: type[DataSource] | None = None, /, *, replace: bool = False):
    """Make a data set available by name to :func:`get`, :func:`load`, configs
    (``dataset=NAME``), sweeps, experiments and ``kerasnoise train``.

    A decorator, or a plain call::

        @datasets.register("blobs")
        class Blobs(datasets.DataSource):
            info = datasets.DatasetInfo(3, (8, 8, 1), mean=(0.5,), std=(0.25,))

            def load(self, data_dir, *, file=None, download=True):
                return x_train, y_train, x_test, y_test

        datasets.register("blobs", Blobs)

    Ours are registered the same way and pass the same check.

    Args:
        name: the data set's name (case-insensitive, ``-`` counts as ``_``); its only
            name: leave it out of ``cls.info``, the registry fills it in.
        cls: the :class:`DataSource` subclass; omitted, ``register`` returns a
            decorator.
        replace: whether ``name`` may replace a data set that exists (ours included).

    Returns:
        ``cls``, unchanged (or the decorator).

    Raises:
        ValueError: ``name`` exists and ``replace`` is false, or ``cls.info`` names
            another data set.
        TypeError: ``cls`` is not a :class:`DataSource` subclass with a
            :class:`DatasetInfo` and its own ``load``, or it sets ``name``.
    """
    return _REGISTRY.register(name, cls, replace=replace)


def get(name: str, /, **params: Any) -> DataSource:
    """The data set ``name``, not loaded yet: an instance of its :class:`DataSource`
    subclass built with ``params`` (ours take ``source="keras"`` or ``"tfds"``), whose
    :attr:`~DataSource.info` carries the registered name.  Its
    ``load(data_dir, file=..., download=...)`` returns the raw arrays; :func:`load`
    returns them checked, as a :class:`~kerasnoise.datasets.Dataset`.

    Raises:
        ValueError: unknown name (the message lists the available ones).
        TypeError: a parameter the data set does not take (the message names it).
        kerasnoise.registry.PluginError: the name's plug-in failed to import.
    """
    data_set = _REGISTRY.build(name, params)
    data_set.info = _named(data_set.info, normalize(name))
    return data_set


def available() -> list[str]:
    """Every data set's name: ours, registered ones, then installed plug-ins'."""
    return _REGISTRY.available()


def has(name: Any) -> bool:
    """Whether ``name`` names a data set, by :func:`get`'s rule (case-insensitive, ``-``
    for ``_``; an installed plug-in is not imported to answer)."""
    return _REGISTRY.has(name)


def get_info(name: str) -> DatasetInfo:
    """Return the :class:`DatasetInfo` of ``name`` (``"fashion-mnist"`` is accepted too),
    with its registered name, without building or loading the data set.

    Raises
    ------
    ValueError
        If the name is unknown (the message lists the available ones).
    """
    if not has(name):
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(available())}")
    key = normalize(name)
    return _named(_REGISTRY.get(key).info, key)


#: Our data sets' names.
NAMES = tuple(_REGISTRY.builtins())
#: Our data sets' :class:`DatasetInfo`, by name.
INFO: dict[str, DatasetInfo] = {name: get_info(name) for name in NAMES}


def load(
    name: str,
    data_dir: str | os.PathLike | None = None,
    *,
    file: str | os.PathLike | None = None,
    source: Literal["auto", "local", "keras", "tfds"] = "auto",
    download: bool = True,
) -> Dataset:
    """Load a data set as uint8 NHWC images and int64 labels: ``get(name).load(...)``,
    checked against its info.

    Ours (:mod:`kerasnoise.datasets.builtin`) read a local copy in the data folder first
    (``{name}.npz`` in Keras's layout, the IDX files of MNIST and Fashion-MNIST, Keras's
    CIFAR pickle folders), then download with ``keras.datasets``.

    Parameters
    ----------
    name : {"mnist", "fashion_mnist", "cifar10", "cifar100"} or a registered name
        Data set (``"fashion-mnist"`` is accepted too).
    data_dir : str or path-like, optional
        Folder with local copies; defaults to ``$KERASNOISE_DATA_DIR``.  With
        ``source="tfds"`` it is passed to ``tensorflow_datasets.load`` instead, as given.
    file : str or path-like, optional
        A specific ``.npz`` file in Keras layout (or a folder of IDX files / CIFAR pickles).
        Relative paths are resolved against the data folder (the current directory if none).
        If it is missing, that is an error: nothing else is tried.
    source : {"auto", "local", "keras", "tfds"}, default "auto"
        ``"auto"``: the local folder first, then a download if ``download``.
        ``"local"``: the local folder only (``download=False``).  ``"keras"``:
        ``keras.datasets`` only.  ``"tfds"``: TensorFlow Datasets (needs ``pip install
        kerasnoise[tfds]``).  The last two are ``get(name, source=...)``: ours take them.
    download : bool, default True
        Whether a download may be attempted; ``False`` never touches the network.

    Returns
    -------
    Dataset
        Its ``source`` says where the data came from (:attr:`DataSource.origin`).

    Raises
    ------
    DatasetNotFoundError
        If no copy was found and none could be downloaded; the message lists the paths
        looked at and which file to put where.
    ValueError
        For an unknown name or source, or a corrupt or mismatched file.
    TypeError
        For ``source="keras"`` or ``"tfds"`` with a data set that does not take it.
    """
    get_info(name)  # an unknown name is reported before any other mistake
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    if file is not None and source not in ("auto", "local"):
        raise ValueError(f"file= only applies to local files, not source={source!r}")
    data_set = get(name) if source in ("auto", "local") else get(name, source=source)
    if source == "tfds":  # TFDS's own folder: data_dir as given, not $KERASNOISE_DATA_DIR
        folder = None if data_dir is None else Path(data_dir)
    else:
        folder = data_folder(data_dir)
    path = None
    if file is not None:
        path = Path(file).expanduser()
        if folder is not None and not path.is_absolute():
            path = folder / path
    arrays = data_set.load(folder, file=path, download=download and source != "local")
    kind = type(data_set)
    if not isinstance(arrays, tuple | list) or len(arrays) != 4:
        raise TypeError(
            f"{kind.__qualname__}.load must return (x_train, y_train, x_test, y_test), got "
            f"{type(arrays).__name__}"
        )
    origin = data_set.origin
    if origin is None:
        origin = f"{kind.__module__}.{kind.__qualname__}"
        if path is not None or folder is not None:
            origin += f" ({path or folder})"
    arrays = check_arrays(tuple(arrays), data_set.info, origin)
    return Dataset(*arrays, info=data_set.info, source=origin)
