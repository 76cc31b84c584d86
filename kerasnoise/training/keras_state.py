"""One run's global Keras state, kept from leaking into the next run of the process."""

from __future__ import annotations

import contextlib
import random

import keras
import numpy as np

__all__ = ["isolated_keras_state"]


@contextlib.contextmanager
def isolated_keras_state(precision: str):
    """Run a block in a fresh Keras session with ``precision`` as the dtype policy.

    On exit the session is cleared again and what was found on entry comes back: the
    dtype policy, Keras's global seed and the states of Python's and NumPy's global
    generators (which ``keras.utils.set_random_seed`` inside the block reseeds).
    """
    policy = keras.config.dtype_policy()
    seed = _keras_global_seed()
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    keras.backend.clear_session(free_memory=False)
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.backend.clear_session(free_memory=False)
        keras.config.set_dtype_policy(policy)
        if seed is not None:
            keras.utils.set_random_seed(seed)
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002


def _keras_global_seed() -> int | None:
    """The seed of ``keras.utils.set_random_seed``, if any (Keras has no public getter)."""
    try:
        from keras.src.utils.rng_utils import get_random_seed
    except ImportError:  # pragma: no cover - a Keras that moved it
        return None
    return get_random_seed()
