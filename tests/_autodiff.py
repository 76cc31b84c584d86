"""Gradients on whichever backend KERAS_BACKEND selects (tests only; the library never
imports torch or jax)."""

import keras
import numpy as np


def value_and_grad(fn, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-example values of ``fn(x)`` and the gradient of their sum with respect to ``x``."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        xt = tf.Variable(x)
        with tf.GradientTape() as tape:
            values = fn(xt)
            total = tf.reduce_sum(values)
        return values.numpy(), tape.gradient(total, xt).numpy()
    if backend == "jax":
        import jax

        values = np.asarray(fn(jax.numpy.asarray(x)))
        grad = jax.grad(lambda a: jax.numpy.sum(fn(a)))(jax.numpy.asarray(x))
        return values, np.asarray(grad)
    if backend == "torch":
        import torch

        xt = torch.tensor(x, requires_grad=True)
        values = fn(xt)
        values.sum().backward()
        return values.detach().cpu().numpy(), xt.grad.cpu().numpy()
    raise NotImplementedError(backend)
