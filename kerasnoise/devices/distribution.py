"""Training on every local device: the ``distribution`` field of a run's config.

``"none"`` (the default) trains on the backend's default device.  ``"data_parallel"``
copies the model onto every local device of one kind (the accelerators, or the CPU's
logical devices when there are none), splits each batch evenly across them and
averages the gradients, so one step sees the same global batch as on one device:

- JAX: ``keras.distribution.DataParallel`` over ``keras.distribution.list_devices()``;
- TensorFlow: ``tf.distribute.MirroredStrategy`` over the logical GPUs (CPUs when
  there is no GPU); the model is built inside its scope, with one step per
  execution and no XLA (see :func:`mirrored`);
- PyTorch: refused with a ``ValueError``: Keras's distribution API has no PyTorch
  implementation (checked against the installed Keras, not assumed).

The noise, the order of the examples and the seeds are those of a one-device run;
results agree with it within floating-point tolerance (tested on virtual CPU
devices).  One difference is the model's, not the data's: under TensorFlow's
``MirroredStrategy`` a ``BatchNormalization`` layer normalises each device's share
of the batch, where JAX's data parallelism (one program over the global batch) and a
single device normalise the whole batch.

Test on a CPU with ``XLA_FLAGS=--xla_force_host_platform_device_count=2`` (JAX) or
``tf.config.set_logical_device_configuration`` (TensorFlow), both before the backend
starts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
from collections.abc import Iterator, Mapping
from pathlib import Path

import keras

__all__ = [
    "DISTRIBUTIONS",
    "Placement",
    "check_supported",
    "local_devices",
    "mirrored",
    "plan",
]

DISTRIBUTIONS = ("none", "data_parallel")


def _backend_has_distribution(backend: str) -> bool:
    """Whether the installed Keras implements ``keras.distribution`` for ``backend``
    (looked up as a file: importing it would import the backend's own library)."""
    spec = importlib.util.find_spec("keras.src.backend")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - Keras moved it
        return False
    folders = [Path(p) / backend for p in spec.submodule_search_locations]
    return any((folder / "distribution_lib.py").is_file() for folder in folders)


def check_supported(name: str, backend: str | None = None) -> None:
    """Raise ``ValueError`` unless ``name`` is a distribution this backend can run."""
    if name not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, got {name!r}")
    backend = backend or keras.backend.backend()
    if name == "data_parallel" and backend == "torch" and not _backend_has_distribution(backend):
        raise ValueError(
            f"distribution='data_parallel' is not supported on the torch backend: Keras "
            f"{keras.version()}'s distribution API (keras.distribution) has no PyTorch "
            "implementation. Use KERAS_BACKEND=jax or tensorflow, or distribution='none'."
        )


def mirrored() -> bool:
    """Whether a ``tf.distribute`` strategy is active (TensorFlow's ``data_parallel``).

    Keras 3.15 on TensorFlow 2.21 fails inside a strategy with more than one step per
    execution or with XLA (``InvalidArgumentError``: "You must feed a value for
    placeholder tensor"), so the runner uses 1 step and no XLA there.
    """
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return tf.distribute.has_strategy()


def local_devices(backend: str | None = None) -> list[str]:
    """The devices ``data_parallel`` trains on: the accelerators, else the CPUs."""
    backend = backend or keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return [device.name for device in devices]
    if backend == "jax":
        return list(keras.distribution.list_devices())
    return []


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where a run trains: the distribution's name and its devices (empty: the default)."""

    name: str = "none"
    devices: tuple[str, ...] = ()
    backend: str = ""

    @property
    def num_replicas(self) -> int:
        return max(1, len(self.devices))

    def record(self) -> dict:
        """What the run record says about it."""
        return {
            "name": self.name,
            "num_replicas": self.num_replicas,
            "devices": list(self.devices),
        }

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Build, compile and fit the model inside this block."""
        if self.name == "none":
            yield
        elif self.backend == "jax":
            with keras.distribution.DataParallel(devices=list(self.devices)).scope():
                yield
        else:
            import tensorflow as tf

            with tf.distribute.MirroredStrategy(list(self.devices)).scope():
                yield

    def check_batches(self, batch_size: int, eval_batch_size: int, sizes: Mapping[str, int]):
        """Raise ``ValueError`` unless every batch splits evenly across the devices.

        ``sizes`` maps each data set's name to its number of examples (training
        examples in ``batch_size`` batches, the rest in ``eval_batch_size`` ones).
        The batch size must always divide by the number of devices; on JAX, which
        shards each batch into equal parts, every batch must, the last ones included.
        """
        n = self.num_replicas
        if n == 1:
            return
        where = f"distribution='{self.name}' on {n} devices"
        if batch_size % n:
            raise ValueError(
                f"{where}: batch_size={batch_size} must be divisible by {n}, the number of "
                f"devices; e.g. batch_size={max(n, batch_size // n * n)}"
            )
        if self.backend != "jax":
            return
        if eval_batch_size % n:
            raise ValueError(
                f"{where}: eval_batch_size={eval_batch_size} must be divisible by {n} on "
                "JAX, which splits every batch into equal parts"
            )
        for data, count in sizes.items():
            size = batch_size if data == "training" else eval_batch_size
            last = count % size
            if last % n:
                raise ValueError(
                    f"{where}: the last {data} batch has {last} examples ({count} examples in "
                    f"batches of {size}), which do not split into {n} equal parts on JAX; "
                    "choose train_limit, validation or the batch sizes so that it does"
                )


def plan(name: str, backend: str | None = None) -> Placement:
    """The :class:`Placement` of distribution ``name`` on this machine."""
    backend = backend or keras.backend.backend()
    check_supported(name, backend)
    if name == "none":
        return Placement(name, (), backend)
    return Placement(name, tuple(local_devices(backend)), backend)
