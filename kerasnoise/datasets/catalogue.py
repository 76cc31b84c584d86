"""The catalogue of data sets: what each is (classes, image shape, standardisation), ours
and those of plug-ins, known without loading any data.

Ours are MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100 (:data:`INFO`).  A researcher's
own data set is a :class:`DataSource` subclass, added with :func:`register` or declared
by an installed package as an entry point in the group ``kerasnoise.datasets``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from kerasnoise.registry import Registry, normalize

__all__ = [
    "INFO",
    "NAMES",
    "DataSource",
    "DatasetInfo",
    "available",
    "get_info",
    "has",
    "register",
    "source_of",
]


@dataclass(frozen=True)
class DatasetInfo:
    """Static description of a data set: what the pipelines and models need to know.

    Attributes
    ----------
    name : str
        Canonical name, e.g. ``"cifar10"`` (a plug-in's: its registered name).
    num_classes : int
        Number of classes (>= 2); labels are ``0 .. num_classes - 1``.
    image_shape : tuple of int
        ``(H, W, C)``.
    mean, std : tuple of float
        Per-channel standardisation statistics of the training set on the [0, 1] scale
        (one per channel; the pipelines feed ``(x / 255 - mean) / std``).
    class_names : tuple of str, optional
        Human-readable class names, indexed by label (none: ``()``).
    """

    name: str
    num_classes: int
    image_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty string, got {self.name!r}")
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

#: Our data sets.
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
#: Our data sets' names.
NAMES = tuple(INFO)


class DataSource:
    """Base class of a researcher's own data set (:func:`register`).

    A subclass sets ``info``, a :class:`DatasetInfo` whose ``name`` is the name it is
    registered under, and implements :meth:`load`.  ``kerasnoise.datasets.load(name,
    data_dir, file=...)`` instantiates it without arguments, calls :meth:`load`, checks
    the arrays against ``info`` (shape, labels in range; integer pixels in 0..255 are
    converted to uint8, labels to int64) and returns a
    :class:`~kerasnoise.datasets.Dataset`, so the data set works wherever ours do:
    configs (``dataset=NAME``), validation splits, noise, pipelines, training.
    """

    info: ClassVar[DatasetInfo]

    def load(
        self, data_dir: Path | None, *, file: Path | None = None, download: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(x_train, y_train, x_test, y_test)``.

        Args:
            data_dir: the data folder (``data_dir=`` of :func:`load`, else
                ``$KERASNOISE_DATA_DIR``), or ``None`` when neither is set.
            file: the config's ``data_file`` / :func:`load`'s ``file=``, relative paths
                resolved against ``data_dir``; ``None`` when not given.
            download: whether a download may be attempted.

        Images are ``(N, H, W, C)`` (or ``(N, H, W)`` for one channel) integers in
        0..255; labels integers in ``0 .. num_classes - 1``, ``(N,)`` or ``(N, 1)``.
        Raise :class:`~kerasnoise.datasets.DatasetNotFoundError` (a
        ``FileNotFoundError``) saying what to put where when the data is missing.
        """
        raise NotImplementedError


def _check_plugin(name: str, source: Any) -> type[DataSource]:
    if not (isinstance(source, type) and issubclass(source, DataSource)):
        raise TypeError(
            f"a data set must be a kerasnoise.datasets.DataSource subclass, got {source!r} "
            f"for {name!r}"
        )
    info = getattr(source, "info", None)
    if not isinstance(info, DatasetInfo):
        raise TypeError(f"data set {source.__name__}.info must be a DatasetInfo, got {info!r}")
    if info.name != name:
        raise ValueError(
            f"data set {source.__name__}.info.name is {info.name!r} but it is registered as "
            f"{name!r}: they must be the same"
        )
    if source.load is DataSource.load:
        raise TypeError(f"data set {source.__name__} must implement load()")
    return source


_REGISTRY = Registry("data set", "kerasnoise.datasets", INFO, check=_check_plugin)


def register(name: str, source: type[DataSource] | None = None, *, replace: bool = False):
    """Make a data set available by name to :func:`~kerasnoise.datasets.load`, configs
    (``dataset=NAME``), sweeps, experiments and ``kerasnoise train``.

    A decorator, or a plain call::

        @datasets.register("blobs")
        class Blobs(datasets.DataSource):
            info = datasets.DatasetInfo("blobs", 3, (8, 8, 1), mean=(0.5,), std=(0.25,))

            def load(self, data_dir, *, file=None, download=True):
                return x_train, y_train, x_test, y_test

        datasets.register("blobs", Blobs)

    Args:
        name: the data set's name, the same as ``source.info.name``.
        source: the :class:`DataSource` subclass; omitted, ``register`` returns a
            decorator.
        replace: whether ``name`` may replace a data set that exists (ours included).

    Returns:
        ``source``, unchanged (or the decorator).

    Raises:
        ValueError: ``name`` exists and ``replace`` is false, or ``info.name`` differs.
        TypeError: ``source`` is not a :class:`DataSource` subclass with a
            :class:`DatasetInfo` and its own ``load``.
    """
    return _REGISTRY.register(name, source, replace=replace)


def available() -> list[str]:
    """Every data set's name: ours, registered ones and installed plug-ins."""
    return _REGISTRY.available()


def has(name: Any) -> bool:
    """Whether ``name``, exactly as written, names a data set (no plug-in is imported)."""
    return _REGISTRY.has(name)


def get_info(name: str) -> DatasetInfo:
    """Return the :class:`DatasetInfo` of ``name`` (``"fashion-mnist"`` is accepted too).

    Raises
    ------
    ValueError
        If the name is unknown (the message lists the available ones).
    """
    key = normalize(name)
    if not _REGISTRY.has(key):
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(available())}")
    entry = _REGISTRY.get(key)
    return entry if isinstance(entry, DatasetInfo) else entry.info


def source_of(name: str) -> type[DataSource] | None:
    """The :class:`DataSource` of a registered or plug-in data set; ``None`` for ours."""
    entry = _REGISTRY.get(name)
    return None if isinstance(entry, DatasetInfo) else entry
