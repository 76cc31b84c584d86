"""CIFAR augmentation as TensorFlow ops: zero padding, a random crop, a random horizontal flip.

Drawn statelessly from a seed, so the same seed gives the same crops and flips on every
backend (``tf.data`` runs on the CPU whatever the backend).
"""

from __future__ import annotations

import tensorflow as tf


def random_crop_flip(images: tf.Tensor, seed: tf.Tensor, padding: int = 4) -> tf.Tensor:
    """CIFAR augmentation on a batch: zero-pad by ``padding``, random crop, random h-flip.

    Each image gets its own crop offset in ``[0, 2 * padding]`` on both axes and a
    fair coin for the horizontal flip, drawn statelessly from ``seed`` (shape [2]),
    as torchvision's ``RandomCrop(size, padding=4)`` + ``RandomHorizontalFlip()``.
    Works on raw pixels (pad value 0 = black), before standardisation.
    """
    offsets, flip = crop_flip_draws(seed, tf.shape(images)[0], padding)
    return crop_flip(images, offsets, flip, padding)


def crop_flip_draws(seed: tf.Tensor, size, padding: int) -> tuple[tf.Tensor, tf.Tensor]:
    """Crop offsets ``[size, 2]`` and flip coins ``[size, 1]`` drawn from ``seed``."""
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    offsets = tf.random.stateless_uniform([size, 2], crop_seed, 0, 2 * padding + 1, tf.int32)
    flip = tf.random.stateless_uniform([size, 1], flip_seed, 0, 2, tf.int32) > 0
    return offsets, flip


def crop_flip(images: tf.Tensor, offsets: tf.Tensor, flip: tf.Tensor, padding: int) -> tf.Tensor:
    height, width = images.shape[1], images.shape[2]
    padded = tf.pad(images, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
    rows = offsets[:, :1] + tf.range(height)
    cols = offsets[:, 1:] + tf.range(width)
    cols = tf.where(flip, tf.reverse(cols, axis=[1]), cols)  # flipping = reading columns backwards
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)
