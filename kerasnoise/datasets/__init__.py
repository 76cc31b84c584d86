"""Image classification data sets: the catalogue, loading, and images as a noise source.

- :mod:`kerasnoise.datasets.catalogue`: what each data set is (:class:`DatasetInfo`),
  ours (MNIST, Fashion-MNIST, CIFAR-10, CIFAR-100) and a researcher's own
  (:class:`DataSource`, :func:`register`, entry points in ``kerasnoise.datasets``);
- :mod:`kerasnoise.datasets.dataset`: a loaded :class:`Dataset` and its validation split;
- :mod:`kerasnoise.datasets.loading`: :func:`load`, from local files first,
  ``keras.datasets`` or TFDS downloads on request, or a plug-in's ``load``;
- :mod:`kerasnoise.datasets.noise_source`: :func:`noise_images`, the extra images of
  Rolnick et al.'s additive noise (white noise or another data set).

Keras, TensorFlow and TensorFlow Datasets are imported only when a download is needed.
"""

from kerasnoise.datasets.catalogue import (
    INFO,
    NAMES,
    DatasetInfo,
    DataSource,
    available,
    get_info,
    register,
    source_of,
)
from kerasnoise.datasets.dataset import Dataset, split_indices
from kerasnoise.datasets.loading import (
    ENV_VAR,
    SOURCES,
    DatasetNotFoundError,
    load,
    read_idx,
)
from kerasnoise.datasets.noise_source import NOISE_SOURCES, check_noise_source, noise_images

__all__ = [
    "ENV_VAR",
    "INFO",
    "NAMES",
    "SOURCES",
    "DataSource",
    "Dataset",
    "DatasetInfo",
    "DatasetNotFoundError",
    "available",
    "get_info",
    "load",
    "noise_images",
    "check_noise_source",
    "NOISE_SOURCES",
    "read_idx",
    "register",
    "source_of",
    "split_indices",
]
