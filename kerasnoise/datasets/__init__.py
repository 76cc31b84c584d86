"""Image classification data sets: one kind of data set, ours and a researcher's alike.

Every data set is a :class:`DataSource` subclass registered by name; ours (MNIST,
Fashion-MNIST, CIFAR-10, CIFAR-100) are registered exactly as a plug-in's is.

- :mod:`kerasnoise.datasets.base`: the contract, :class:`DataSource` (``info``, a
  :class:`DatasetInfo`; ``load``; ``origin``), :class:`DatasetNotFoundError`, the data
  folder (:data:`ENV_VAR`);
- :mod:`kerasnoise.datasets.dataset`: a loaded :class:`Dataset` and its validation split
  (:func:`split_indices`);
- :mod:`kerasnoise.datasets.builtin`: ours, :class:`MNIST`, :class:`FashionMNIST`,
  :class:`CIFAR10`, :class:`CIFAR100`, from local files first, ``keras.datasets`` or
  TFDS downloads on request (:func:`read_idx` reads the original MNIST files);
- :mod:`kerasnoise.datasets.catalogue`: the data sets by name, :func:`register`,
  :func:`get`, :func:`available`, :func:`has`, :func:`get_info` (ours: :data:`NAMES`,
  :data:`INFO`), entry points in the group ``kerasnoise.datasets``, and :func:`load`
  (from ``source`` one of :data:`SOURCES`);
- :mod:`kerasnoise.datasets.noise_source`: :func:`noise_images`, the extra images of
  Rolnick et al.'s additive noise (white noise or another data set;
  :data:`NOISE_SOURCES`, :func:`check_noise_source`).

Keras, TensorFlow and TensorFlow Datasets are imported only when a download is needed.
"""

from kerasnoise.datasets.base import (
    ENV_VAR,
    DatasetInfo,
    DatasetNotFoundError,
    DataSource,
)
from kerasnoise.datasets.builtin import CIFAR10, CIFAR100, MNIST, FashionMNIST, read_idx
from kerasnoise.datasets.catalogue import (
    INFO,
    NAMES,
    SOURCES,
    available,
    get,
    get_info,
    has,
    load,
    register,
)
from kerasnoise.datasets.dataset import Dataset, split_indices
from kerasnoise.datasets.noise_source import NOISE_SOURCES, check_noise_source, noise_images

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "ENV_VAR",
    "INFO",
    "MNIST",
    "NAMES",
    "NOISE_SOURCES",
    "SOURCES",
    "DataSource",
    "Dataset",
    "DatasetInfo",
    "DatasetNotFoundError",
    "FashionMNIST",
    "available",
    "check_noise_source",
    "get",
    "get_info",
    "has",
    "load",
    "noise_images",
    "read_idx",
    "register",
    "split_indices",
]
