"""Additive noise (Rolnick et al. 2017): the N clean pairs are kept and ``alpha * N``
extra pairs appended, example ``N + k`` reusing training image ``k mod N`` (or image
``k mod N_other`` of another array).  ``additive`` draws their labels uniformly over the
K classes, ``structured`` biases them by ``delta`` towards the classes most confused
with the true one (:func:`plurality_delta`: the ``delta`` at which the true label stops
being the most frequent one).  The first N examples of every result are the clean ones,
in the order given, so pipelines find images by index arithmetic and never copy them.

Reference: Rolnick, Veit, Belongie, Shavit, "Deep Learning is Robust to Massive Label
Noise", 2017.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerasnoise.noise.base import NoiseModel, check_fraction, check_num_classes, sample_rows

__all__ = ["ORDERS", "Additive", "Structured", "plurality_delta"]


def _check_alpha(alpha: Any) -> int:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Integral) or alpha < 0:
        raise ValueError(f"alpha must be a non-negative integer (0, 1, 2, ...), got {alpha!r}")
    return int(alpha)


class Additive(NoiseModel):
    """Rolnick et al.'s additive noise: ``alpha`` extra pairs per clean example.

    The N clean pairs are kept, in order, and ``alpha * N`` pairs are appended:
    extra pair ``N + k`` reuses training image ``k mod N`` (``source="train"``)
    or image ``k mod N_other`` of another array (any other ``source``: images
    that belong to no class of the task, whose true label is -1) and gets a label
    drawn uniformly over the K classes.  The added fraction is ``alpha / (1 +
    alpha)``; with training images the realised noise rate is ``alpha / (1 +
    alpha) * (K - 1) / K`` (an extra label equals the image's class with
    probability 1/K).  Labels are drawn once, so they are the same in every epoch.

    Args:
        alpha: non-negative integer.
        source: ``"train"``, or the name of the other images: the training runner
            takes ``"white_noise"`` (noise images matched to the task's pixel mean
            and std) or a data set's name (``"fashion_mnist"`` for MNIST,
            ``"cifar100"`` for CIFAR-10; :func:`kerasnoise.datasets.noise_images`);
            with :func:`kerasnoise.pipelines.build` any name, e.g. ``"other"``, and
            the array as ``extra_images``.
    """

    name = "additive"

    def __init__(self, alpha: int, source: str = "train"):
        self.alpha = _check_alpha(alpha)
        if not isinstance(source, str) or not source.strip():
            raise ValueError(
                f"source must be 'train' or the name of the other images, got {source!r}"
            )
        self.source = source

    def get_config(self) -> dict:
        return {"name": self.name, "alpha": self.alpha, "source": self.source}

    def corrupt(self, y, k, rng):
        extra_true = np.tile(y, self.alpha)
        extra = self._extra_labels(extra_true, k, rng)
        if self.source != "train":
            extra_true = np.full_like(extra_true, -1)
        return np.concatenate((y, extra)), np.concatenate((y, extra_true))

    def _extra_labels(self, true, k, rng):
        return rng.integers(0, k, size=true.shape[0])

    def _extra_distribution(self, k) -> np.ndarray:
        return np.full((k, k), 1.0 / k)

    def compute_expected_transition(self, k):
        a = self.alpha
        return (np.eye(k) + a * self._extra_distribution(k)) / (1 + a)


#: The orders in which :class:`Structured` ranks the wrong labels of a class.
ORDERS = ("decreasing", "increasing", "random")


class Structured(Additive):
    """Rolnick et al.'s structured noise: additive pairs whose labels favour the
    classes most confused with the true one, more strongly as ``delta`` grows.

    Each extra pair (see :class:`Additive`, training images only) whose image is of
    class ``y`` gets a label drawn over the K classes ranked ``r_1, ..., r_{K-1}``
    (the wrong classes, in ``order``) and then ``y`` itself, with probabilities

        q_i = (1 - delta) ** (i - 1) / sum_{j=1..K} (1 - delta) ** (j - 1):

    each label is ``1 / (1 - delta)`` times as likely as the next (the paper: delta
    "defines how much more likely the second label is than the third, and so on").
    ``delta = 0`` is uniform over all K classes (:class:`Additive`); ``delta = 1``
    always gives ``r_1``.  The true label stays the plurality label of its images,
    ``1 + alpha q_K > alpha q_1``, only for ``delta`` below :func:`plurality_delta`
    (0.055 at alpha = 20, K = 10).

    Args:
        alpha: non-negative integer, extra pairs per clean example.
        delta: bias in [0, 1].
        ranking: for each class, the other K - 1 classes from most to least
            confusing (a K x (K - 1) nested list); default row ``y`` is
            ``y + 1, y + 2, ... (mod K)``.  ``presets.rolnick2017.MNIST_RANKING``
            is the order of a clean model's confusions on MNIST.
        order: ``decreasing`` (``r_1`` is the most confusing class: the ranking as
            given), ``increasing`` (reversed) or ``random`` (each class's wrong
            classes in a random order drawn from ``order_seed``).
        order_seed: seed of the ``random`` order (fixed, so that the label
            distribution is part of the noise model's description).
    """

    name = "structured"

    def __init__(
        self,
        alpha: int,
        delta: float,
        ranking: Sequence[Sequence[int]] | None = None,
        order: str = "decreasing",
        order_seed: int = 0,
    ):
        super().__init__(alpha, source="train")
        self.delta = check_fraction(delta, "delta")
        self.ranking = None if ranking is None else _ranking(ranking)
        if order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}; got {order!r}")
        self.order = order
        if isinstance(order_seed, bool) or not isinstance(order_seed, numbers.Integral):
            raise TypeError(f"order_seed must be a non-negative integer, got {order_seed!r}")
        if order_seed < 0:
            raise ValueError(f"order_seed must be a non-negative integer, got {order_seed!r}")
        self.order_seed = int(order_seed)

    def get_config(self) -> dict:
        ranking = None if self.ranking is None else self.ranking.tolist()
        return {
            "name": self.name,
            "alpha": self.alpha,
            "delta": self.delta,
            "ranking": ranking,
            "order": self.order,
            "order_seed": self.order_seed,
        }

    def ranked(self, k: int) -> np.ndarray:
        """The wrong classes of each class in the order labels favour them (K x (K - 1))."""
        if self.ranking is None:
            base = (np.arange(k)[:, None] + np.arange(1, k)[None, :]) % k
        else:
            base = self.ranking
        if self.order == "increasing":
            return base[:, ::-1].copy()
        if self.order == "random":
            rng = np.random.default_rng(self.order_seed)
            return np.stack([rng.permutation(row) for row in base])
        return base.copy()

    def check_classes(self, k):
        if self.ranking is not None and self.ranking.shape[0] != k:
            raise ValueError(
                f"ranking has rows for {self.ranking.shape[0]} classes, but num_classes={k}"
            )

    def _extra_labels(self, true, k, rng):
        return sample_rows(self._extra_distribution(k), true, rng)

    def _extra_distribution(self, k):
        weights = (1.0 - self.delta) ** np.arange(k)  # 0 ** 0 = 1: delta = 1 gives r_1
        weights /= weights.sum()
        d = np.zeros((k, k))
        rows = np.arange(k)[:, None]
        d[rows, self.ranked(k)] = weights[: k - 1]
        d[np.arange(k), np.arange(k)] = weights[k - 1]
        return d


def plurality_delta(alpha: int, num_classes: int) -> float:
    """The ``delta`` of :class:`Structured` above which the true label is no longer the
    most frequent label of its images: the root of ``1 + alpha q_K = alpha q_1``
    (``inf`` when it stays the plurality label for every delta < 1, as at alpha <= 1)."""
    alpha, k = _check_alpha(alpha), check_num_classes(num_classes)

    def margin(delta: float) -> float:
        w = (1.0 - delta) ** np.arange(k)
        q = w / w.sum()
        return 1.0 + alpha * q[-1] - alpha * q[0]

    if margin(1.0 - 1e-12) > 0:
        return float("inf")
    lo, hi = 0.0, 1.0
    for _ in range(60):  # bisection: margin falls with delta
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if margin(mid) > 0 else (lo, mid)
    return lo


def _ranking(ranking: Sequence[Sequence[int]]) -> np.ndarray:
    r = np.asarray(ranking)
    if r.ndim != 2 or r.shape[0] < 2 or r.shape[1] != r.shape[0] - 1:
        raise ValueError(
            f"ranking must have one row of the K - 1 other classes per class (K x (K - 1)), "
            f"got shape {r.shape}"
        )
    if not np.issubdtype(r.dtype, np.integer):
        raise TypeError(f"ranking must hold class indices, got dtype {r.dtype}")
    k = r.shape[0]
    for y, row in enumerate(r):
        if sorted(row.tolist()) != [c for c in range(k) if c != y]:
            raise ValueError(
                f"ranking row {y} must list every class but {y} once, got {row.tolist()}"
            )
    return r.astype(np.int64)
