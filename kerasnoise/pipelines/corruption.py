"""The corruption of a data set's labels for a run (NumPy: no TensorFlow here).

:func:`corrupt` draws the training labels' noise and, with ``noisy_validation``, the
validation labels' from the same noise process (the noise models of :mod:`kerasnoise.noise`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kerasnoise.datasets import Dataset
from kerasnoise.noise import NoiseModel, NoiseResult


def corrupt(
    data: Dataset, noise: NoiseModel, *, noise_seed: Any, noisy_validation: bool = False
) -> tuple[NoiseResult, NoiseResult | None]:
    """The training labels' noise and, with ``noisy_validation``, the validation labels'.

    The training labels are drawn with ``noise_seed``.  The validation labels come from
    the same noise process: for most models a draw of their own (seeded from
    ``noise_seed`` and 1, so the training labels are the same with and without it); for
    a model whose draw has hidden parameters (``hidden_parameters``: instance-dependent
    noise's projections), one draw over the training and validation examples together,
    split after, as Xia et al. corrupt the whole set before they split it (a draw of its
    own would use other projections: another noise process).

    Raises:
        ValueError: ``noisy_validation`` without a validation split, or with additive
            noise whose extra pairs come from another data set.
    """
    if not isinstance(noise, NoiseModel):
        raise TypeError(f"noise must be a NoiseModel (see kerasnoise.noise.get), got {type(noise)}")
    k = data.info.num_classes
    if noisy_validation and data.x_val is None:
        raise ValueError("noisy_validation=True needs a Dataset with a validation split")
    if noisy_validation and getattr(noise, "hidden_parameters", False):
        n = len(data.y_train)
        images = {}
        if getattr(noise, "needs_images", False):  # one transient copy, for this draw only
            images = {"images": np.concatenate([data.x_train, data.x_val])}
        labels = np.concatenate([np.ravel(data.y_train), np.ravel(data.y_val)])
        both = noise.apply(labels, num_classes=k, seed=noise_seed, **images)
        return both.part(0, n), both.part(n, len(labels))
    result = noise.apply(
        data.y_train, num_classes=k, seed=noise_seed, **_images(noise, data.x_train)
    )
    if not noisy_validation:
        return result, None
    return result, _validation_noise(noise, data, noise_seed)


def _validation_noise(noise: NoiseModel, data: Dataset, noise_seed: Any) -> NoiseResult:
    if getattr(noise, "source", "train") != "train":
        raise ValueError("noisy_validation needs extra pairs drawn from the training images")
    if isinstance(noise_seed, np.random.SeedSequence):
        noise_seed = noise_seed.entropy
    if isinstance(noise_seed, np.random.Generator) or noise_seed is None:
        raise TypeError("noisy_validation needs an int or SeedSequence noise_seed")
    seed = np.random.SeedSequence([*np.atleast_1d(noise_seed).tolist(), 1])
    return noise.apply(
        data.y_val, num_classes=data.info.num_classes, seed=seed, **_images(noise, data.x_val)
    )


def _images(noise: NoiseModel, images: np.ndarray) -> dict:
    """``{"images": images}`` for a noise model with ``needs_images`` (the array itself,
    never a copy), else nothing (a plug-in's ``apply`` may not take ``images``)."""
    return {"images": images} if getattr(noise, "needs_images", False) else {}
