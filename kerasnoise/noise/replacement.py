"""Replacement noise: the N examples are kept and some labels change.

=====================  ===========================================  =================
name                   rule                                         realised rate
=====================  ===========================================  =================
symmetric_exclusive    with prob. rho flip to one of the other      rho
                       K - 1 classes, uniformly (Menon, Patrini)
symmetric_inclusive    with prob. rho resample over all K classes   rho (K - 1) / K
                       (DivideMix)
symmetric_exact        exactly round(rho N_k) labels of each class  rho (to rounding)
                       flipped to other classes (SCE, APL)
pair_flip              i -> (i + 1) mod K with prob. rho            rho
asymmetric             fixed map of confusable classes, each        rho x share of
                       mapped label flips with prob. rho            mapped classes
transition_matrix      noisy label drawn from row y of T            sum_y pi_y (1 - T_yy)
=====================  ===========================================  =================

Reference: the variants are named in ``docs/data-and-noise.md``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from kerasnoise.noise.base import NoiseModel, check_fraction, check_transition_matrix, sample_rows

__all__ = [
    "ASYMMETRIC_MAPS",
    "Asymmetric",
    "PairFlip",
    "SymmetricExact",
    "SymmetricExclusive",
    "SymmetricInclusive",
    "TransitionMatrix",
]

#: Built-in confusable-class maps for :class:`Asymmetric` (``docs/data-and-noise.md``).
ASYMMETRIC_MAPS: dict[str, dict[int, int]] = {
    # 2 -> 7, 3 -> 8, 5 <-> 6, 7 -> 1
    "mnist": {2: 7, 3: 8, 5: 6, 6: 5, 7: 1},
    # truck -> automobile, bird -> airplane, deer -> horse, cat <-> dog
    "cifar10": {9: 1, 2: 0, 4: 7, 3: 5, 5: 3},
}


class _RateModel(NoiseModel):
    """A replacement model with one parameter, the flip probability ``rate``."""

    def __init__(self, rate: float):
        self.rate = check_fraction(rate, "rate")

    def get_config(self) -> dict:
        return {"name": self.name, "rate": self.rate}

    def corrupt(self, y, k, rng):
        flip = rng.random(y.shape[0]) < self.rate
        return np.where(flip, self._targets(y, k, rng), y), y

    def _targets(self, y, k, rng) -> np.ndarray:
        """The label each example would get if flipped."""
        raise NotImplementedError


class SymmetricExclusive(_RateModel):
    """With probability ``rate`` replace the label by one of the other K - 1 classes.

    The realised noise rate is ``rate``.  Used by Menon et al. 2020, Patrini et
    al. 2017 and Co-teaching.
    """

    name = "symmetric_exclusive"

    def _targets(self, y, k, rng):
        return (y + rng.integers(1, k, size=y.shape[0])) % k

    def compute_expected_transition(self, k):
        off = self.rate / (k - 1)
        return np.full((k, k), off) + np.eye(k) * (1.0 - self.rate - off)


class SymmetricInclusive(_RateModel):
    """With probability ``rate`` resample the label uniformly over all K classes.

    A resampled label equals the true one with probability 1/K, so the realised
    noise rate is ``rate * (K - 1) / K`` (DivideMix's convention).
    """

    name = "symmetric_inclusive"

    def _targets(self, y, k, rng):
        return rng.integers(0, k, size=y.shape[0])

    def compute_expected_transition(self, k):
        return np.full((k, k), self.rate / k) + np.eye(k) * (1.0 - self.rate)


class PairFlip(_RateModel):
    """With probability ``rate`` flip class ``i`` to ``(i + 1) mod K``."""

    name = "pair_flip"

    def _targets(self, y, k, rng):
        return (y + 1) % k

    def compute_expected_transition(self, k):
        return (1.0 - self.rate) * np.eye(k) + self.rate * np.roll(np.eye(k), 1, axis=1)


class SymmetricExact(_RateModel):
    """Flip exactly ``round(rate * N_k)`` labels of each class ``k`` to other classes.

    Which labels flip is chosen uniformly within each class; each flipped label
    goes to one of the other K - 1 classes uniformly.  ``round`` is half-up:
    ``floor(rate * N_k + 0.5)``.  The realised rate is ``rate`` up to that
    rounding (the convention of the SCE and APL code).
    """

    name = "symmetric_exact"

    def flips_per_class(self, class_counts: np.ndarray) -> np.ndarray:
        """Number of labels flipped in each class, given the class counts."""
        return np.floor(self.rate * np.asarray(class_counts) + 0.5).astype(np.int64)

    def corrupt(self, y, k, rng):
        n = y.shape[0]
        # Sort by class, randomly within a class: the first n_flip[c] of class c flip.
        # (A random permutation, then a stable radix sort on small-int class keys.)
        perm = rng.permutation(n)
        keys = y[perm].astype(np.uint16) if k <= 2**16 else y[perm]
        order = perm[np.argsort(keys, kind="stable")]
        counts = np.bincount(y, minlength=k)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        sorted_y = y[order]
        rank = np.arange(n) - starts[sorted_y]
        flip = np.zeros(n, dtype=bool)
        flip[order] = rank < self.flips_per_class(counts)[sorted_y]
        targets = (y + rng.integers(1, k, size=n)) % k
        return np.where(flip, targets, y), y

    def compute_expected_transition(self, k):
        return SymmetricExclusive(self.rate).compute_expected_transition(k)


def _class_map(mapping: Any) -> dict[int, int]:
    if isinstance(mapping, str):
        if mapping not in ASYMMETRIC_MAPS:
            raise ValueError(
                f"mapping must be a dict or one of {sorted(ASYMMETRIC_MAPS)}, got {mapping!r}"
            )
        return dict(ASYMMETRIC_MAPS[mapping])
    pairs = mapping.items() if isinstance(mapping, Mapping) else mapping
    try:
        result = {}
        for src, dst in pairs:
            if isinstance(src, str | bytes) and str(src).isdigit():  # JSON object keys
                src = int(src)
            if any(isinstance(c, bool) or not isinstance(c, numbers.Integral) for c in (src, dst)):
                raise TypeError
            if src in result:
                raise ValueError(f"mapping sends class {src} to two classes")
            result[int(src)] = int(dst)
    except (TypeError, ValueError) as err:
        if isinstance(err, ValueError):
            raise
        raise TypeError(
            "mapping must be a dict {source class: target class} of integers, a list "
            f"of (source, target) pairs, or one of {sorted(ASYMMETRIC_MAPS)}; got {mapping!r}"
        ) from None
    if not result:
        raise ValueError("mapping must name at least one class")
    for src, dst in result.items():
        if src < 0 or dst < 0:
            raise ValueError(f"mapping classes must be >= 0, got {src} -> {dst}")
        if src == dst:
            raise ValueError(f"mapping sends class {src} to itself")
    return result


class Asymmetric(NoiseModel):
    """Flip each label of a mapped class to its confusable class with probability ``rate``.

    Labels of classes not in ``mapping`` never change, so the realised rate is
    ``rate`` times the share of examples whose class is mapped.  Built-in maps
    (``ASYMMETRIC_MAPS``): ``"mnist"`` 2->7, 3->8, 5<->6, 7->1 and ``"cifar10"``
    truck->automobile, bird->airplane, deer->horse, cat<->dog (Patrini et al. 2017).

    Args:
        rate: flip probability in [0, 1].
        mapping: ``{source: target}``, a list of pairs, or a built-in map's name.
    """

    name = "asymmetric"

    def __init__(self, rate: float, mapping: Any = "cifar10"):
        self.rate = check_fraction(rate, "rate")
        self.mapping = _class_map(mapping)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "rate": self.rate,
            "mapping": [[s, d] for s, d in sorted(self.mapping.items())],
        }

    def check_classes(self, k):
        bad = sorted({c for pair in self.mapping.items() for c in pair if c >= k})
        if bad:
            raise ValueError(
                f"mapping names classes {bad}, but labels have classes 0..{k - 1} (num_classes={k})"
            )

    def corrupt(self, y, k, rng):
        target = np.arange(k)
        for src, dst in self.mapping.items():
            target[src] = dst
        flip = rng.random(y.shape[0]) < self.rate
        return np.where(flip, target[y], y), y

    def compute_expected_transition(self, k):
        t = np.eye(k)
        for src, dst in self.mapping.items():
            t[src, src] = 1.0 - self.rate
            t[src, dst] = self.rate
        return t


class TransitionMatrix(NoiseModel):
    """Draw each noisy label from row ``y`` of a row-stochastic matrix ``T``.

    ``T[i, j] = P(noisy = j | true = i)``; every other replacement model is a
    special case.

    Args:
        matrix: K x K, non-negative, rows summing to 1.
    """

    name = "transition_matrix"

    def __init__(self, matrix: Any):
        self.matrix = check_transition_matrix(matrix, "matrix")

    def get_config(self) -> dict:
        return {"name": self.name, "matrix": self.matrix.tolist()}

    def check_classes(self, k):
        if self.matrix.shape[0] != k:
            raise ValueError(
                f"matrix is {self.matrix.shape[0]} x {self.matrix.shape[0]}, but num_classes={k}"
            )

    def corrupt(self, y, k, rng):
        return sample_rows(self.matrix, y, rng), y

    def compute_expected_transition(self, k):
        return self.matrix.copy()
