"""A run's noisy data: the noise applied to a data set's labels and all its pipelines.

:func:`build` corrupts the labels (:func:`~kerasnoise.pipelines.corruption.corrupt`) and
builds the training pipeline and the validation and test pipelines; :class:`NoisyData`
holds what it made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from kerasnoise.datasets import Dataset
from kerasnoise.noise import NoiseModel, NoiseResult
from kerasnoise.pipelines.corruption import corrupt
from kerasnoise.pipelines.evaluation import eval_pipeline
from kerasnoise.pipelines.train import TrainPipeline


@dataclass
class NoisyData:
    """Everything :func:`build` made: the pipelines and the noise applied."""

    train: TrainPipeline
    val: tf.data.Dataset | None
    test: tf.data.Dataset
    noise: NoiseResult
    val_noise: NoiseResult | None = None  # the validation labels' own draw, when noisy


def build(
    data: Dataset,
    noise: NoiseModel,
    *,
    noise_seed: Any,
    seed: int,
    batch_size: int,
    eval_batch_size: int | None = None,
    augment: bool = False,
    extra_images: Any = None,
    noisy_validation: bool = False,
    steps_per_period: int | None = None,
    clean_flags: bool = False,
    indices: bool = False,
) -> NoisyData:
    """Apply ``noise`` to ``data``'s training labels and build all pipelines.

    The test set keeps its true labels, and so does the validation set unless
    ``noisy_validation``: then ``noise`` corrupts the validation labels too, from the
    same noise process (:func:`corrupt`), and additive noise adds its extra pairs to
    the validation images.
    Standardisation uses ``data.info.mean`` and ``data.info.std``.

    Args:
        data: a loaded :class:`~kerasnoise.datasets.Dataset` (with or without a
            validation split).
        noise: a noise model, e.g. ``kerasnoise.noise.get("pair_flip", rate=0.2)``.
        noise_seed: seed of the corruption (int or ``numpy.random.Generator``).
        seed: seed of the example order and augmentation.
        batch_size: training batch size; ``eval_batch_size`` defaults to it.
        augment: CIFAR crop-and-flip augmentation on the training set.
        extra_images: images for ``Additive(source="other")``.
        noisy_validation: score validation against noisy labels, as a user's own
            split of noisy data would be (needs a validation split).
        steps_per_period: Keras epochs of this many steps instead of one pass
            (see :class:`TrainPipeline`).
        clean_flags: training labels as ``[label, clean]`` pairs (:class:`TrainPipeline`).
        indices: training labels as ``[label, clean, index]`` rows (:class:`TrainPipeline`).
    """
    info = data.info
    result, val_noise = corrupt(
        data, noise, noise_seed=noise_seed, noisy_validation=noisy_validation
    )
    train = TrainPipeline(
        data.x_train,
        result,
        batch_size=batch_size,
        seed=seed,
        mean=info.mean,
        std=info.std,
        augment=augment,
        extra_images=extra_images,
        steps_per_period=steps_per_period,
        clean_flags=clean_flags,
        indices=indices,
    )
    eval_kw = dict(
        batch_size=eval_batch_size or batch_size,
        mean=info.mean,
        std=info.std,
        num_classes=info.num_classes,
    )
    val = None
    if val_noise is not None:
        index = val_noise.image_index(np.arange(val_noise.num_examples))
        val = eval_pipeline(data.x_val, val_noise.labels, image_index=index, **eval_kw)
    elif data.x_val is not None:
        val = eval_pipeline(data.x_val, data.y_val, **eval_kw)
    test = eval_pipeline(data.x_test, data.y_test, **eval_kw)
    return NoisyData(train=train, val=val, test=test, noise=result, val_noise=val_noise)
