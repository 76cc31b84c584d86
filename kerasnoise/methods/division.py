"""DivideMix's co-divide step in NumPy: each training example's clean probability from
a two-component Gaussian mixture on its loss (Li et al., ICLR 2020; the authors'
``eval_train``).

:func:`per_example_loss` is the cross-entropy of a network's logits on the noisy
labels; :func:`clean_probability` min-max normalises it, fits scikit-learn's
``GaussianMixture(n_components=2, max_iter=10, tol=1e-2, reg_covar=5e-4)`` and returns
the posterior of the component with the lower mean; :func:`gmm_seed` gives that fit a
seed from the run's (the authors' code leaves it unseeded).  The examples above
``p_threshold`` are the *labelled* set.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GMM_PARAMS", "clean_probability", "gmm_seed", "per_example_loss"]

#: The mixture the authors fit (``Train_cifar.py``).
GMM_PARAMS = {"n_components": 2, "max_iter": 10, "tol": 1e-2, "reg_covar": 5e-4}


def per_example_loss(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's cross-entropy ``logsumexp(z) - z_y`` on its label, in float64."""
    z = np.asarray(logits, dtype=np.float64)
    top = z.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
    return lse - z[np.arange(len(z)), np.asarray(labels, dtype=np.int64)]


def gmm_seed(seed: int, epoch: int, network: int) -> int:
    """The mixture's ``random_state`` for ``network``'s division at ``epoch`` of a run."""
    return int(np.random.SeedSequence([int(seed), int(epoch), int(network)]).generate_state(1)[0])


def clean_probability(losses: np.ndarray, seed: int | None = None) -> np.ndarray:
    """The posterior of the low-loss component of a two-component Gaussian mixture fit
    to the min-max normalised ``losses`` (``(N,)``), as the authors compute it.

    Equal losses everywhere (nothing to divide) give 1 for every example.
    """
    from sklearn.mixture import GaussianMixture  # scikit-learn: imported when a run divides

    loss = np.asarray(losses, dtype=np.float64).reshape(-1)
    spread = loss.max() - loss.min()
    if not np.isfinite(spread) or spread <= 0:
        return np.ones_like(loss)
    normalised = ((loss - loss.min()) / spread).reshape(-1, 1)
    gmm = GaussianMixture(**GMM_PARAMS, random_state=seed)
    gmm.fit(normalised)
    return gmm.predict_proba(normalised)[:, gmm.means_.argmin()]
