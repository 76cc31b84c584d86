"""Evaluation pipelines: batches of standardised images and their labels, in order.

Several labels may share an image without copying it (``image_index``: the validation
labels of additive noise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from kerasnoise._checks import positive_int
from kerasnoise.noise import check_labels
from kerasnoise.pipelines.inputs import AUTOTUNE, as_nhwc, finish, standardizer


def eval_pipeline(
    images: Any,
    labels: Any,
    *,
    batch_size: int,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    num_classes: int | None = None,
    image_index: Any = None,
) -> tf.data.Dataset:
    """Batches of ``(standardised images, int32 labels)`` in order, for evaluation.

    ``image_index`` (one per label) names the image behind each label, so several
    labels can share an image without copying it (additive noise); by default
    label ``j`` belongs to image ``j``.
    """
    x = as_nhwc(images)
    y = np.asarray(labels)
    y = check_labels(y, num_classes if num_classes is not None else int(y.max()) + 1)
    if image_index is None:
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"images has {x.shape[0]} examples but labels has {y.shape[0]}")
        image_index = np.arange(x.shape[0])
    image_index = np.asarray(image_index, dtype=np.int64)
    if image_index.shape != y.shape:
        raise ValueError(f"image_index has shape {image_index.shape}, labels {y.shape}")
    if image_index.size and not 0 <= image_index.min() <= image_index.max() < x.shape[0]:
        raise ValueError(f"image_index must lie in [0, {x.shape[0]}), the number of images")
    batch_size = positive_int(batch_size, "batch_size")
    images_t, labels_t = tf.constant(x), tf.constant(y.astype(np.int32))
    index_t = tf.constant(image_index)
    standardize = standardizer(mean, std, x.shape[-1])
    ds = tf.data.Dataset.range(y.shape[0]).batch(batch_size)
    ds = ds.map(
        lambda j: (standardize(tf.gather(images_t, tf.gather(index_t, j))), tf.gather(labels_t, j)),
        num_parallel_calls=AUTOTUNE,
    )
    return finish(ds)
