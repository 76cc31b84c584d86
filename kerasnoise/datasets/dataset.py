"""A loaded data set: uint8 NHWC images and int64 labels with their :class:`DatasetInfo`,
and the seeded, stratified validation split taken from its training set."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import numpy as np

from kerasnoise.datasets.base import DatasetInfo

__all__ = ["Dataset", "split_indices"]


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
        Where the data came from: the data set's ``DataSource.origin`` (ours: a file or
        folder path, ``"keras.datasets"`` or ``"tensorflow_datasets"``), else its
        ``DataSource`` (module and class) and the file or folder it was given.
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
