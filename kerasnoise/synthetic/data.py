"""The synthetic data of Menon et al. 2020's linear experiments, in NumPy: the Long &
Servedio (2010) mixture of six Gaussians with labels flipped at a rate, and Ding's
(2013) one-dimensional classes with far outliers.

    train, test = long_servedio_split(rng, rate=0.2)    # 1000 noisy, 500 clean points
    data = outliers(rng)                                 # 10,000 inliers and 50 outliers

Labels are in {-1, +1}.  Every draw comes from the ``numpy.random.Generator`` (or the
seed that makes one) it is given, so the same seed gives the same data.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np

from kerasnoise._checks import non_negative_int, positive_int

__all__ = [
    "GAMMA",
    "LONG_SERVEDIO_MEANS",
    "LONG_SERVEDIO_WEIGHTS",
    "Labelled",
    "check_rate",
    "check_variance",
    "long_servedio",
    "long_servedio_split",
    "outliers",
]

#: The Long & Servedio construction's small margin.
GAMMA = 1.0 / 24.0
#: The six means: "large margin" ±(1, 0), "pullers" ±(γ, 5γ), "penalisers" ±(γ, −γ).
LONG_SERVEDIO_MEANS = np.array(
    [
        [1.0, 0.0],
        [-1.0, 0.0],
        [GAMMA, 5 * GAMMA],
        [-GAMMA, -5 * GAMMA],
        [GAMMA, -GAMMA],
        [-GAMMA, GAMMA],
    ]
)
#: Their mixing weights: 1/8 each, 1/4 for the two penalisers.
LONG_SERVEDIO_WEIGHTS = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 2.0]) / 8.0


class Labelled(NamedTuple):
    """Points ``x`` (``(n, d)``, or ``(n,)`` in one dimension), their labels ``y`` in
    {-1, +1} as training sees them, and the true labels ``clean`` (``y`` where no
    label was flipped).  ``outlier`` marks the outliers of :func:`outliers` (all
    ``False`` elsewhere)."""

    x: np.ndarray
    y: np.ndarray
    clean: np.ndarray
    outlier: np.ndarray


def check_rate(rate: Any) -> float:
    """``rate`` as a float if it is a real number in [0, 0.5), else ``ValueError``.

    At 0.5 the flipped labels carry no information, above it they are inverted.
    """
    if isinstance(rate, bool | np.bool_) or not isinstance(rate, numbers.Real):
        raise TypeError(f"rate must be a real number in [0, 0.5), got {rate!r}")
    if not 0.0 <= float(rate) < 0.5:
        raise ValueError(f"rate must be in [0, 0.5), got {rate!r}")
    return float(rate)


def check_variance(variance: Any) -> float:
    """``variance`` as a float if it is a finite real number > 0, else ``ValueError``."""
    if isinstance(variance, bool | np.bool_) or not isinstance(variance, numbers.Real):
        raise TypeError(f"variance must be a real number > 0, got {variance!r}")
    if not (float(variance) > 0.0 and math.isfinite(variance)):
        raise ValueError(f"variance must be a finite number > 0, got {variance!r}")
    return float(variance)


def long_servedio(
    n: int,
    rng: Any = None,
    *,
    rate: float = 0.0,
    variance: float = 1e-4,
) -> Labelled:
    """``n`` points of the Long & Servedio mixture, labels flipped with probability ``rate``.

    Each point picks one of :data:`LONG_SERVEDIO_MEANS` with the probabilities
    :data:`LONG_SERVEDIO_WEIGHTS`, adds isotropic Gaussian noise of variance
    ``variance`` and takes as true label the sign of the first coordinate of its
    *mean* (+1 for (1, 0), (γ, 5γ) and (γ, −γ)).  Then each label is flipped
    independently with probability ``rate``.

    The default variance is 1e-4 (standard deviation 0.01), the value in the
    configuration of the PyTorch reproduction (Mizrahi et al. 2021); the paper writes
    0.01.  At 1e-4 a point's first coordinate has the sign of its mean's except with
    probability Φ(−γ/0.01) ≈ 1.5e-5, so labelling by the sample's coordinate, as the
    reproduction does, gives the same labels in practice.

    Args:
        n: number of points (>= 1).
        rng: a ``numpy.random.Generator``, or anything ``numpy.random.default_rng``
            takes (an int seed, a ``SeedSequence``); ``None`` draws fresh entropy.
        rate: flip probability, in [0, 0.5).
        variance: the variance of each coordinate, > 0.

    Raises:
        ValueError: ``n`` not a positive integer, ``rate`` outside [0, 0.5),
            ``variance`` <= 0.
    """
    n = positive_int(n, "n")
    rate = check_rate(rate)
    variance = check_variance(variance)
    rng = np.random.default_rng(rng)
    component = rng.choice(len(LONG_SERVEDIO_WEIGHTS), size=n, p=LONG_SERVEDIO_WEIGHTS)
    means = LONG_SERVEDIO_MEANS[component]
    x = means + math.sqrt(variance) * rng.standard_normal((n, 2))
    clean = np.sign(means[:, 0]).astype(np.int64)
    flipped = rng.random(n) < rate
    y = np.where(flipped, -clean, clean)
    return Labelled(x, y, clean, np.zeros(n, dtype=bool))


def long_servedio_split(
    rng: Any = None,
    *,
    rate: float = 0.0,
    variance: float = 1e-4,
    train: int = 1000,
    test: int = 500,
) -> tuple[Labelled, Labelled]:
    """A training set of ``train`` points with labels flipped at ``rate`` and a clean
    test set of ``test`` points (its ``y`` is ``clean``), both from one ``rng``
    (training set first): the protocol of Menon et al. 2020's Long & Servedio
    experiment.  Raises as :func:`long_servedio` does."""
    rate = check_rate(rate)
    variance = check_variance(variance)
    positive_int(train, "train")
    positive_int(test, "test")
    rng = np.random.default_rng(rng)
    return (
        long_servedio(train, rng, rate=rate, variance=variance),
        long_servedio(test, rng, rate=0.0, variance=variance),
    )


def outliers(rng: Any = None, *, inliers: int = 5000, outliers: int = 25) -> Labelled:
    """Ding's (2013) one-dimensional data with outliers, as in Menon et al. 2020.

    ``inliers`` points from N(1, 1) labelled +1 and ``inliers`` from N(−1, 1)
    labelled −1, then ``outliers`` from N(−200, 1) labelled +1 and ``outliers`` from
    N(200, 1) labelled −1, in that order; ``x`` has shape ``(2 * (inliers +
    outliers),)``.  The outliers' labels are their ``clean`` labels too (they are
    what the data say), and ``outlier`` marks them.

    Raises:
        ValueError: ``inliers`` not a positive integer, ``outliers`` negative.
    """
    inliers = positive_int(inliers, "inliers")
    outliers = non_negative_int(outliers, "outliers")
    rng = np.random.default_rng(rng)
    x = np.concatenate(
        [
            rng.normal(1.0, 1.0, inliers),
            rng.normal(-1.0, 1.0, inliers),
            rng.normal(-200.0, 1.0, outliers),
            rng.normal(200.0, 1.0, outliers),
        ]
    )
    y = np.concatenate(
        [np.ones(inliers), -np.ones(inliers), np.ones(outliers), -np.ones(outliers)]
    ).astype(np.int64)
    outlier = np.arange(x.size) >= 2 * inliers
    return Labelled(x, y, y.copy(), outlier)
