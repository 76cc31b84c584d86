"""DivideMix's training pipeline: for each of two networks, per step, a labelled batch and
an unlabelled batch, each in two augmented views, from a division of the training set
that changes every epoch.

:class:`DividedPipeline` holds, per network, the division it trains on (which examples
are *labelled*, and every example's clean probability ``w``) in ``tf.Variable``\\ s that
:meth:`DividedPipeline.set_division` assigns (DivideMix's co-divide callback, at the
start of every epoch); the images are never copied.  As
:class:`kerasnoise.pipelines.TrainPipeline`, it walks example *indices*: each network's
labelled and unlabelled streams cycle through their set, each pass over it in a
stateless permutation of its own, and each image is cropped (and flipped, on
3-channel images) from a stateless seed; everything depends only on ``(seed, epoch,
step)`` and the division, so every backend sees the same batches.

A step's batch is a dict of, for network ``k`` in 1, 2: ``x1_k``, ``x2_k`` (two views of
its ``B`` labelled examples), ``y_k`` (their noisy labels, int32), ``w_k`` (their clean
probabilities, float32), ``u1_k``, ``u2_k`` (two views of ``B`` unlabelled examples).

An epoch has a fixed number of steps (default ``ceil(N / B)``: ``fit`` needs one),
where the authors' has ``|labelled| / B + 1`` (docs/papers.md, DivideMix).  An empty set
(every example labelled, as before the first division, or none) is served from the
whole training set.  The augmentation: zero padding by ``padding`` pixels (default 4)
and a random crop back to the image size on every image (MNIST: 28 x 28 from 36 x 36;
``padding=0``: no crop, both views the same image unless flipped); a random horizontal
flip too on 3-channel images (the CIFAR augmentation of the authors' code; digits are
not flipped).

Feeds, as for ``TrainPipeline``: ``dataset`` (``tf.data``, TensorFlow) and ``batches``
(a ``keras.utils.PyDataset``, JAX and PyTorch); ``for_fit()`` picks one, and
``epoch_callback()`` sets the epoch at the start of each ``fit`` epoch.  Neither reads
ahead of the step ``fit`` asks for (no prefetch), so a division assigned at the start
of an epoch is the one every batch of that epoch reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kerasnoise._checks import non_negative_int, positive_int
from kerasnoise.noise import NoiseResult
from kerasnoise.pipelines.augment import crop_flip, crop_flip_draws
from kerasnoise.pipelines.inputs import (
    SetEpoch,
    as_nhwc,
    check_seed,
    feed_for_backend,
    standardizer,
)

__all__ = ["DividedBatches", "DividedPipeline", "batch_keys"]

#: What each network's part of a step holds, in order.
PARTS = ("x1", "x2", "y", "w", "u1", "u2")
PADDING = 4


def batch_keys(networks: int = 2) -> list[str]:
    """The keys of a step's batch: ``x1_1, x2_1, y_1, w_1, u1_1, u2_1, x1_2, ...``."""
    return [f"{part}_{k}" for k in range(1, networks + 1) for part in PARTS]


class DividedPipeline:
    """Labelled and unlabelled batches, two augmented views each, for each of two
    networks, from a division of the training set held in variables.

    Args:
        images: uint8 training images, ``(N, H, W)`` or ``(N, H, W, C)``.
        noise: their :class:`~kerasnoise.noise.NoiseResult` (one label per image: not
            additive noise's extra examples).
        batch_size: ``B``, the labelled and the unlabelled examples of each network's
            step.
        seed: order and augmentation seed, an int in ``[0, 2**63)``.
        mean, std: per-channel standardisation on the [0, 1] scale (both or neither).
        flip: also flip horizontally (default: on 3-channel images only).
        padding: the crop's zero padding in pixels (0: no crop).
        steps_per_epoch: steps of a Keras epoch (default ``ceil(N / B)``).
        networks: how many networks the pipeline feeds (DivideMix: 2).

    Before the first :meth:`set_division` every example is labelled with ``w = 1``.
    """

    def __init__(
        self,
        images: Any,
        noise: NoiseResult,
        *,
        batch_size: int,
        seed: int,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        flip: bool | None = None,
        steps_per_epoch: int | None = None,
        networks: int = 2,
        padding: int = PADDING,
    ):
        self._check_noise(noise)
        self.batch_size = positive_int(batch_size, "batch_size")
        self.networks = positive_int(networks, "networks")
        self.padding = non_negative_int(padding, "padding")
        if steps_per_epoch is not None:
            steps_per_epoch = positive_int(steps_per_epoch, "steps_per_epoch")
        self.seed = check_seed(seed)
        x = as_nhwc(images)
        standardize = standardizer(mean, std, x.shape[-1])
        if x.shape[0] != noise.num_clean:
            raise ValueError(
                f"DividedPipeline serves one noisy label per image: the noise gave "
                f"{noise.num_examples} labels for {x.shape[0]} images"
            )
        self.noise = noise
        self.num_examples = n = int(x.shape[0])
        self.flip = x.shape[-1] == 3 if flip is None else bool(flip)
        self.steps_per_epoch = steps_per_epoch or -(-n // self.batch_size)
        self._division_state(n)
        step = self._loader(x, standardize)
        self._step_fn = step
        self._load_fn = tf.function(
            self._chunk_loader(step), input_signature=[tf.TensorSpec([], tf.int64)] * 3
        )
        self.dataset = self._build(step)

    @staticmethod
    def _check_noise(noise: Any) -> None:
        """``noise`` a NoiseResult of one label per example (no extra examples)."""
        if not isinstance(noise, NoiseResult):
            raise TypeError(f"noise must be a NoiseResult, got {type(noise)}")
        if noise.num_examples != noise.num_clean:
            raise ValueError(
                "DividedPipeline serves one noisy label per image: the noise gave "
                f"{noise.num_examples} labels for {noise.num_clean} images (additive noise's "
                "extra examples are not supported)"
            )

    def _division_state(self, n: int) -> None:
        """The division's variables, every example labelled with ``w = 1``: per network
        its order (labelled first), labelled count and clean probabilities; the epoch."""
        self._epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self._order = tf.Variable(
            np.tile(np.arange(n, dtype=np.int64), (self.networks, 1)), trainable=False
        )
        self._labelled = tf.Variable(np.full(self.networks, n, np.int64), trainable=False)
        self._prob = tf.Variable(np.ones((self.networks, n), np.float32), trainable=False)
        self._version = 0  # bumped by set_epoch and set_division: the NumPy feed's cache key
        self._batches: DividedBatches | None = None

    # ---------------------------------------------------------------- division

    def set_division(self, network: int, labelled: Any, prob: Any) -> None:
        """Make network ``network`` (0-based) train on ``labelled`` (``(N,)`` bool: the
        labelled set) with clean probabilities ``prob`` (``(N,)`` in [0, 1]) from the
        next batch on."""
        n = self.num_examples
        if not 0 <= network < self.networks:
            raise ValueError(f"network must be in [0, {self.networks}), got {network!r}")
        mask = np.asarray(labelled, dtype=bool).reshape(-1)
        p = np.asarray(prob, dtype=np.float32).reshape(-1)
        if mask.shape != (n,) or p.shape != (n,):
            raise ValueError(
                f"labelled and prob must have shape ({n},), got {mask.shape} and {p.shape}"
            )
        if not np.all((p >= 0) & (p <= 1)):
            raise ValueError("prob must lie in [0, 1]")
        order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
        self._order[network].assign(order.astype(np.int64))
        self._labelled[network].assign(int(mask.sum()))
        self._prob[network].assign(p)
        self._version += 1

    def division(self, network: int) -> tuple[np.ndarray, np.ndarray]:
        """``(labelled, prob)`` of network ``network`` (0-based), as NumPy arrays."""
        count = int(self._labelled[network].numpy())
        mask = np.zeros(self.num_examples, dtype=bool)
        mask[self._order[network].numpy()[:count]] = True
        return mask, self._prob[network].numpy()

    # ------------------------------------------------------------------ epochs

    @property
    def epoch(self) -> int:
        """The (Keras) epoch the next iteration of ``dataset`` will produce."""
        return int(self._epoch.numpy())

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration produce epoch ``epoch``'s batches."""
        self._epoch.assign(non_negative_int(epoch, "epoch"))
        self._version += 1

    def epoch_callback(self):
        """A Keras callback that sets the epoch at the start of each ``fit`` epoch."""
        return SetEpoch(self)

    def __len__(self) -> int:
        return self.steps_per_epoch

    @property
    def examples_per_epoch(self) -> int:
        """Labelled examples each network trains on in an epoch (``steps * B``)."""
        return self.steps_per_epoch * self.batch_size

    @property
    def batches(self) -> DividedBatches:
        """The same batches as ``dataset``, as a ``keras.utils.PyDataset`` of NumPy arrays."""
        if self._batches is None:
            self._batches = DividedBatches(self)
        return self._batches

    @property
    def fit_feed(self) -> str:
        """Which feed :meth:`for_fit` gives on the active backend: ``tf.data`` or ``PyDataset``."""
        return feed_for_backend()

    def for_fit(self):
        """What to give ``model.fit`` on the active backend: ``dataset`` or ``batches``."""
        return self.dataset if self.fit_feed == "tf.data" else self.batches

    def load(self, epoch: int, first: int, count: int = 1) -> dict[str, np.ndarray]:
        """Steps ``first .. first + count - 1`` of epoch ``epoch``, concatenated, as NumPy
        arrays under :func:`batch_keys` (the division as it is now)."""
        epoch, first = non_negative_int(epoch, "epoch"), non_negative_int(first, "first")
        count = positive_int(count, "count")
        if first + count > self.steps_per_epoch:
            raise ValueError(
                f"steps {first}..{first + count - 1} do not exist: an epoch has "
                f"{self.steps_per_epoch} steps"
            )
        out = self._load_fn(
            tf.constant(epoch, tf.int64), tf.constant(first, tf.int64), tf.constant(count, tf.int64)
        )
        return {key: value.numpy() for key, value in out.items()}

    # ------------------------------------------------------------------ loading

    def _loader(self, x: np.ndarray, standardize):
        """``step(epoch, step) -> dict`` as TensorFlow ops, shared by both feeds."""
        n, size = self.num_examples, self.batch_size
        images = tf.constant(x)
        labels = tf.constant(self.noise.labels.astype(np.int32))
        seed = tf.constant(self.seed, tf.int64)
        flip = self.flip
        order, labelled, prob = self._order, self._labelled, self._prob

        def stream(epoch, step, network, part):
            """Example indices of a network's labelled (part 0) or unlabelled (1) batch."""
            count = labelled[network]
            start = tf.constant(0, tf.int64) if part == 0 else count
            count = count if part == 0 else n - count
            empty = tf.equal(count, 0)  # served from the whole training set
            start = tf.where(empty, tf.constant(0, tf.int64), start)
            count = tf.where(empty, tf.constant(n, tf.int64), count)
            where = tf.range(step * size, (step + 1) * size, dtype=tf.int64)
            passes, within = where // count, where % count
            code = epoch * 4 + 2 * network + part
            seeds = tf.stack([tf.fill([size], seed), tf.fill([size], code), passes], axis=1)
            position = tf.raw_ops.RandomIndexShuffle(
                index=within, seed=seeds, max_index=count - 1, rounds=4
            )
            return tf.gather(order[network], start + position)

        padding = self.padding

        def view(j, view_seed):
            offsets, flips = crop_flip_draws(view_seed, size, padding)
            if not flip:
                flips = tf.zeros_like(flips)
            return standardize(crop_flip(tf.gather(images, j), offsets, flips, padding))

        def step_fn(epoch, step):
            step_seed = tf.random.experimental.stateless_fold_in(tf.stack([seed, epoch]), step)
            out = {}
            for network in range(self.networks):
                k = network + 1
                x_index = stream(epoch, step, network, 0)
                u_index = stream(epoch, step, network, 1)
                seeds = tf.random.experimental.stateless_split(
                    tf.random.experimental.stateless_fold_in(step_seed, network), 4
                )
                out[f"x1_{k}"] = view(x_index, seeds[0])
                out[f"x2_{k}"] = view(x_index, seeds[1])
                out[f"y_{k}"] = tf.gather(labels, x_index)
                out[f"w_{k}"] = tf.gather(prob[network], x_index)
                out[f"u1_{k}"] = view(u_index, seeds[2])
                out[f"u2_{k}"] = view(u_index, seeds[3])
            return out

        return step_fn

    def _chunk_loader(self, step_fn):
        def load(epoch, first, count):
            spec = {key: tf.TensorSpec(None, dtype) for key, dtype in self._dtypes().items()}
            stacked = tf.map_fn(
                lambda s: step_fn(epoch, s),
                tf.range(first, first + count),
                fn_output_signature=spec,
            )
            return {
                key: tf.reshape(value, tf.concat([[-1], tf.shape(value)[2:]], axis=0))
                for key, value in stacked.items()
            }

        return load

    def _dtypes(self) -> dict:
        kinds = {"x1": tf.float32, "x2": tf.float32, "u1": tf.float32, "u2": tf.float32}
        kinds.update({"y": tf.int32, "w": tf.float32})
        return {key: kinds[key.split("_")[0]] for key in batch_keys(self.networks)}

    def _build(self, step_fn) -> tf.data.Dataset:
        counter = self._epoch
        steps = self.steps_per_epoch

        def next_epoch(_):
            return counter.assign_add(1) - 1

        def one_epoch(epoch):
            # sequential, no prefetch: a batch is made when fit asks for it, after the
            # epoch's division is assigned
            return tf.data.Dataset.range(steps).map(lambda s: step_fn(epoch, s))

        ds = tf.data.Dataset.range(1).map(next_epoch).flat_map(one_epoch)
        ds = ds.apply(tf.data.experimental.assert_cardinality(steps))
        options = tf.data.Options()
        options.deterministic = True
        options.autotune.enabled = False
        options.experimental_optimization.inject_prefetch = False
        return ds.with_options(options)


class DividedBatches(keras.utils.PyDataset):
    """A :class:`DividedPipeline`'s batches as NumPy arrays, for ``model.fit`` on JAX and
    PyTorch: batch ``i`` of the current epoch is the ``i``-th of ``pipeline.dataset``.

    Steps are computed ``chunk`` at a time (one TensorFlow call) and handed out as views;
    a chunk is dropped when the epoch or the division changes, so a division assigned
    at the start of an epoch is read by all its batches.  Call ``fit`` with
    ``shuffle=False``.
    """

    def __init__(self, pipeline: DividedPipeline, chunk: int = 8):
        super().__init__(workers=1, use_multiprocessing=False)  # in order, in this thread
        self.pipeline = pipeline
        self.chunk = positive_int(chunk, "chunk")
        self._cached: tuple | None = None  # (version, epoch, first, count, arrays)

    def __len__(self) -> int:
        return len(self.pipeline)

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        steps = len(self)
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"index must be an integer, got {index!r}")
        if not -steps <= index < steps:
            raise IndexError(f"batch index {index} is out of range for {steps} batches")
        index = int(index) % steps
        pipeline = self.pipeline
        cached = self._cached
        if (
            cached is None
            or cached[0] != pipeline._version
            or not cached[2] <= index < cached[2] + cached[3]
        ):
            count = min(self.chunk, steps - index)
            epoch = pipeline.epoch
            cached = self._cached = (
                pipeline._version,
                epoch,
                index,
                count,
                pipeline.load(epoch, index, count),
            )
        size = pipeline.batch_size
        offset = (index - cached[2]) * size
        return {key: value[offset : offset + size] for key, value in cached[4].items()}

    def on_epoch_end(self) -> None:
        self.pipeline.set_epoch(self.pipeline.epoch + 1)
        self._cached = None
