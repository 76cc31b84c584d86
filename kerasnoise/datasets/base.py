"""The contract every data set follows, ours and a researcher's: :class:`DataSource` (what
it is, :class:`DatasetInfo`, and how its arrays are read, ``load``), the data folder its
``load`` is given, the error it raises when the data is missing, and the checks its
arrays pass before they become a :class:`~kerasnoise.datasets.Dataset`.
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

__all__ = [
    "ENV_VAR",
    "Arrays",
    "DataSource",
    "DatasetInfo",
    "DatasetNotFoundError",
    "check_arrays",
    "data_folder",
]

#: The environment variable naming the data folder when ``data_dir`` is not given.
ENV_VAR = "KERASNOISE_DATA_DIR"

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class DatasetNotFoundError(FileNotFoundError):
    """No local copy of a data set was found and it could not (or may not) be downloaded."""


def data_folder(data_dir: str | os.PathLike | None) -> Path | None:
    """``data_dir``, else ``$KERASNOISE_DATA_DIR``, as a path; ``None`` if neither is set."""
    raw = data_dir if data_dir is not None else os.environ.get(ENV_VAR) or None
    return None if raw is None else Path(raw).expanduser()


@dataclass(frozen=True)
class DatasetInfo:
    """Static description of a data set: what the pipelines and models need to know.

    Attributes
    ----------
    num_classes : int
        Number of classes (>= 2); labels are ``0 .. num_classes - 1``.
    image_shape : tuple of int
        ``(H, W, C)``.
    mean, std : tuple of float
        Per-channel standardisation statistics of the training set on the [0, 1] scale
        (one per channel; the pipelines feed ``(x / 255 - mean) / std``).
    class_names : tuple of str, optional
        Human-readable class names, indexed by label (none: ``()``).
    name : str
        The name the data set is registered under, filled in by the registry
        (:func:`~kerasnoise.datasets.get_info`, :func:`~kerasnoise.datasets.get`): a
        data set states its name once, where it is registered, so leave it out.
    """

    num_classes: int
    image_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_names: tuple[str, ...] = ()
    name: str = field(default="", kw_only=True)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {self.name!r}")
        whole = isinstance(self.num_classes, numbers.Integral)
        if isinstance(self.num_classes, bool) or not whole or self.num_classes < 2:
            raise ValueError(f"num_classes must be an integer >= 2, got {self.num_classes!r}")
        shape = tuple(self.image_shape)
        if len(shape) != 3 or any(
            isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in shape
        ):
            raise ValueError(f"image_shape must be (H, W, C) positive integers, got {shape!r}")
        channels = shape[-1]
        stats = {}
        for key in ("mean", "std"):
            values = tuple(float(v) for v in np.atleast_1d(getattr(self, key)))
            if len(values) != channels or not all(np.isfinite(values)):
                raise ValueError(
                    f"{key} must hold one finite number per channel ({channels}), got "
                    f"{getattr(self, key)!r}"
                )
            stats[key] = values
        if min(stats["std"]) <= 0:
            raise ValueError(f"std must be > 0 in every channel, got {self.std!r}")
        names = tuple(str(n) for n in self.class_names)
        if names and len(names) != self.num_classes:
            raise ValueError(
                f"class_names has {len(names)} names for {self.num_classes} classes "
                "(give one per class, or none)"
            )
        object.__setattr__(self, "num_classes", int(self.num_classes))
        object.__setattr__(self, "image_shape", tuple(int(v) for v in shape))
        object.__setattr__(self, "mean", stats["mean"])
        object.__setattr__(self, "std", stats["std"])
        object.__setattr__(self, "class_names", names)


class DataSource:
    """A data set: what it is (:attr:`info`) and how its arrays are read (:meth:`load`).

    Every data set is one, ours (MNIST, Fashion-MNIST, CIFAR-10, CIFAR-100) and a
    researcher's alike, registered by name with
    :func:`~kerasnoise.datasets.register` or declared by an installed package as an
    entry point in the group ``kerasnoise.datasets``.  A subclass sets :attr:`info` and
    implements :meth:`load`; it may set :attr:`origin` in :meth:`load`.  Its
    constructor's keyword arguments are what :func:`~kerasnoise.datasets.get` passes
    (none, for most data sets).

    :func:`kerasnoise.datasets.load` builds the data set with
    :func:`~kerasnoise.datasets.get`, calls :meth:`load`, checks the arrays against
    :attr:`info` (:func:`check_arrays`: shapes, labels in range; integer pixels in
    0..255 become uint8, labels int64) and returns a
    :class:`~kerasnoise.datasets.Dataset`, so the data set works wherever any other
    does: configs (``dataset=NAME``), validation splits, noise, pipelines, training.
    """

    #: Classes, image shape and standardisation statistics, without a name: the
    #: registry fills in the registered one (:attr:`name`).
    info: ClassVar[DatasetInfo]
    #: Where the last :meth:`load` found the data, in words (a file, a download), for
    #: :attr:`Dataset.source <kerasnoise.datasets.Dataset.source>`; ``None``: the
    #: class's module and name, with the file or folder it was given.
    origin: str | None = None

    @property
    def name(self) -> str:
        """The registered name (``info.name``), as :func:`~kerasnoise.datasets.get`
        built it."""
        return self.info.name

    def load(
        self, data_dir: Path | None, *, file: Path | None = None, download: bool = True
    ) -> Arrays:
        """Return ``(x_train, y_train, x_test, y_test)``.

        Args:
            data_dir: the data folder (``data_dir=`` of
                :func:`~kerasnoise.datasets.load`, else ``$KERASNOISE_DATA_DIR``), or
                ``None`` when neither is set.
            file: the config's ``data_file`` / :func:`~kerasnoise.datasets.load`'s
                ``file=``, a relative path resolved against ``data_dir``; ``None`` when
                not given.
            download: whether a download may be attempted.

        Images are ``(N, H, W, C)`` (or ``(N, H, W)`` for one channel) integers in
        0..255; labels integers in ``0 .. num_classes - 1``, ``(N,)`` or ``(N, 1)``.
        Raise :class:`DatasetNotFoundError` (a ``FileNotFoundError``) saying what to put
        where when the data is missing.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def check_arrays(arrays: Arrays, info: DatasetInfo, origin: str) -> Arrays:
    """What :meth:`DataSource.load` returned, checked against ``info``: uint8 NHWC images
    (a channel axis added to ``(N, H, W)`` images of one channel, as a view) and int64
    labels ``(N,)``; ``origin`` starts every message.

    Raises:
        ValueError: a shape, dtype or label that does not fit ``info``.
    """
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
