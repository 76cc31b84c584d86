"""Instance-dependent label noise (Xia et al., NeurIPS 2020): the chance and the
direction of a flip depend on the image.

For example ``i`` with image ``x_i`` of class ``y``:

- a flip rate ``q_i ~ Normal(rate, sigma)`` truncated to [0, 1];
- per true class ``c`` a projection ``W[c]`` of shape (features, K), standard normal;
- scores ``z = vec(x_i) W[y]`` with ``z_y = -inf``, and the noisy-label distribution
  ``p = q_i softmax(z)`` on the other classes, ``p_y = 1 - q_i``;
- one draw of the noisy label from ``p``.

The features are the flattened raw pixels (0-255), as in the authors' code, processed
in chunks of rows so that memory stays bounded.  The expected realised rate is the mean
of the truncated normal: 0.400 at ``rate`` 0.4, 0.129 at ``rate`` 0.1 (sigma 0.1).
NumPy (and SciPy's ``truncnorm``) only: the same labels on every backend.

The model declares ``needs_images = True`` (the :class:`kerasnoise.noise.NoiseModel`
contract): the pipelines hand it the data set's image array itself, not a copy.  It
also declares ``hidden_parameters = True``: the projections are part of the noise
process, so noisy validation labels are drawn in the same call as the training labels
(:func:`kerasnoise.pipelines.corrupt`), as Xia et al. corrupt the whole training set
before they split it.  It is written against the public contract a user's noise model
follows, and :mod:`kerasnoise.noise` lists it among ours as ``instance_dependent``.

Reference: Xia, Liu, Han, Wang, Gong, Liu, Niu, Tao, Sugiyama, "Part-dependent Label
Noise: Towards Instance-dependent Label Noise", NeurIPS 2020 (the generator of their
``tools.get_instance_noisy_label``).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from kerasnoise.noise.base import NoiseModel

__all__ = ["InstanceDependent", "CHUNK_ROWS"]

#: Rows of images turned into float64 features at a time.
CHUNK_ROWS = 2048


def _check_rate(rate: Any) -> float:
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise TypeError(f"rate must be a number in [0, 1), got {rate!r}")
    rate = float(rate)
    if not 0.0 <= rate < 1.0:  # also rejects NaN
        raise ValueError(f"rate must be in [0, 1), got {rate}")
    return rate


def _check_sigma(sigma: Any) -> float:
    if isinstance(sigma, bool) or not isinstance(sigma, numbers.Real):
        raise TypeError(f"sigma must be a positive number, got {sigma!r}")
    sigma = float(sigma)
    if not (sigma > 0.0 and np.isfinite(sigma)):
        raise ValueError(f"sigma must be > 0, got {sigma}")
    return sigma


class InstanceDependent(NoiseModel):
    """Xia et al.'s instance-dependent noise (see the module docstring).

    Draws, in this order from the generator: the N flip rates (``truncnorm``), one
    uniform per example (its label, by inverse CDF), then the projection of each class
    0..K-1 (``standard_normal((features, K))``).

    Args:
        rate: mean flip rate in [0, 1) before truncation.
        sigma: standard deviation of the flip rate, > 0 (0.1 in the paper).
    """

    name = "instance_dependent"
    needs_images = True
    hidden_parameters = True  # the projections W: validation labels share the draw

    def __init__(self, rate: float, sigma: float = 0.1):
        self.rate = _check_rate(rate)
        self.sigma = _check_sigma(sigma)

    def get_config(self) -> dict:
        return {"name": self.name, "rate": self.rate, "sigma": self.sigma}

    def flip_rates(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` flip rates from Normal(rate, sigma) truncated to [0, 1]."""
        from scipy import stats  # here: importing the noise models stays light

        a, b = (0.0 - self.rate) / self.sigma, (1.0 - self.rate) / self.sigma
        return stats.truncnorm.rvs(a, b, loc=self.rate, scale=self.sigma, size=n, random_state=rng)

    def corrupt(self, y, k, rng, images):
        n = y.shape[0]
        q = self.flip_rates(n, rng)
        u = rng.random(n)
        flat = images.reshape(n, -1)  # a view for a contiguous array
        noisy = np.empty(n, dtype=np.int64)
        for c in range(k):
            w = rng.standard_normal((flat.shape[1], k))
            rows = np.flatnonzero(y == c)
            for start in range(0, rows.size, CHUNK_ROWS):
                chunk = rows[start : start + CHUNK_ROWS]
                noisy[chunk] = _draw(flat[chunk].astype(np.float64) @ w, c, q[chunk], u[chunk])
        return noisy, y


def _draw(z: np.ndarray, c: int, q: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Labels of a chunk of class ``c``: ``p = q softmax(z)`` off class c (z_c = -inf),
    ``p_c = 1 - q``, drawn by inverse CDF with the uniforms ``u``."""
    z[:, c] = -np.inf
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = q[:, None] * e / e.sum(axis=1, keepdims=True)
    p[:, c] = 1.0 - q
    cdf = np.cumsum(p, axis=1)
    label = (cdf < (u * cdf[:, -1])[:, None]).sum(axis=1)
    return np.minimum(label, z.shape[1] - 1)
