"""The training pipeline: shuffled, standardised, optionally augmented batches of a noisy set.

:class:`TrainPipeline` walks example indices (see :mod:`kerasnoise.pipelines`) and gives
them as a ``tf.data.Dataset`` (``pipeline.dataset``, for TensorFlow) or as
:class:`PipelineBatches` (``pipeline.batches``, a ``keras.utils.PyDataset`` of NumPy
arrays, the feed for JAX and PyTorch): the same batches either way.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kerasnoise._checks import non_negative_int, positive_int
from kerasnoise.noise import NoiseResult
from kerasnoise.pipelines.augment import crop_flip, crop_flip_draws
from kerasnoise.pipelines.inputs import (
    AUTOTUNE,
    SetEpoch,
    as_nhwc,
    check_seed,
    feed_for_backend,
    finish,
    standardizer,
)


class TrainPipeline:
    """Shuffled, optionally augmented batches of a noisy training set.

    Args:
        images: uint8 training images, ``(N, H, W)`` or ``(N, H, W, C)``; kept by
            reference (one copy into TensorFlow), never repeated.
        noise: the :class:`~kerasnoise.noise.NoiseResult` for these images.
        batch_size: examples per batch.
        seed: order and augmentation seed, an int in ``[0, 2**63)``; keep it apart
            from the noise seed.
        mean, std: per-channel standardisation on the [0, 1] scale (both or
            neither; ``Dataset.info`` has them).
        augment: random crop with 4-pixel zero padding and horizontal flip.
        shuffle: permute the examples every epoch.
        drop_remainder: drop the last, smaller batch.
        extra_images: the other image array, required when the noise's
            ``extra_source`` is ``"other"``; extra example ``N + k`` uses image
            ``k mod len(extra_images)``.
        steps_per_period: ``None``: a Keras epoch is one pass over the data.  An
            integer S: the passes are one continuous stream of batches (pass ``e``
            in its own order, as above) and Keras epoch ``p`` is its steps
            ``p S .. p S + S - 1``, so evaluation, early stopping and checkpoints
            come every S steps whatever the data's size (Rolnick et al.'s training
            set grows with alpha).  ``None`` and S = one pass give the same batches.
        clean_flags: labels as ``(B, 2)`` pairs ``[label, clean]``, ``clean`` 1 where
            the label is right (what :class:`kerasnoise.methods.two_networks.CoTeaching` needs
            for its label precision); default ``(B,)`` labels.
        indices: labels as ``(B, 3)`` rows ``[label, clean, index]``, ``index`` the
            example's index ``j`` in ``0 .. M - 1`` (``M`` = ``noise.num_examples``,
            extra examples of additive noise included), the same example in every epoch
            and pass (what a per-example state such as
            :class:`kerasnoise.methods.elr_model.ELRModel`'s targets needs); with or
            without ``clean_flags``.

    Give ``pipeline.for_fit()`` to ``model.fit`` (``pipeline.dataset``, a
    ``tf.data.Dataset``, on TensorFlow; ``pipeline.batches``, the same batches as a
    ``keras.utils.PyDataset``, on JAX and PyTorch), with ``shuffle=False`` and
    ``callbacks=[pipeline.epoch_callback()]``.
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
        augment: bool = False,
        shuffle: bool = True,
        drop_remainder: bool = False,
        extra_images: Any = None,
        steps_per_period: int | None = None,
        clean_flags: bool = False,
        indices: bool = False,
    ):
        if not isinstance(noise, NoiseResult):
            raise TypeError(
                f"noise must be a NoiseResult (from NoiseModel.apply), got {type(noise)}"
            )
        x = as_nhwc(images)
        if x.shape[0] != noise.num_clean:
            raise ValueError(
                f"images has {x.shape[0]} examples but the noise was applied to "
                f"{noise.num_clean} labels"
            )
        self.noise = noise
        self.batch_size = positive_int(batch_size, "batch_size")
        self.seed = check_seed(seed)
        self.augment = bool(augment)
        self.shuffle = bool(shuffle)
        self.drop_remainder = bool(drop_remainder)
        self.clean_flags = bool(clean_flags)
        self.indices = bool(indices)
        num = noise.num_examples
        if self.drop_remainder and num < self.batch_size:
            raise ValueError(
                f"batch_size={batch_size} exceeds the {num} examples with drop_remainder"
            )
        self.steps_per_epoch = (
            num // self.batch_size if drop_remainder else -(-num // self.batch_size)
        )
        self.steps_per_period = (
            self.steps_per_epoch
            if steps_per_period is None
            else positive_int(steps_per_period, "steps_per_period")
        )

        other = None
        if noise.extra_source == "other" and noise.alpha > 0:
            if extra_images is None:
                raise ValueError(
                    "this noise draws extra examples from another array: pass extra_images"
                )
            other = as_nhwc(extra_images, "extra_images")
            if other.shape[1:] != x.shape[1:]:
                raise ValueError(
                    f"extra_images have shape {other.shape[1:]}, training images {x.shape[1:]}"
                )
        self._epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        load = self._loader(x, other, standardizer(mean, std, x.shape[-1]))
        self._load_fn = tf.function(load, input_signature=[tf.TensorSpec([], tf.int64)] * 3)
        self._batches: PipelineBatches | None = None
        self.dataset = self._build(load)

    @property
    def epoch(self) -> int:
        """The (Keras) epoch the next iteration of ``dataset`` will produce."""
        return int(self._epoch.numpy())

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration produce epoch ``epoch``'s batches (e.g. on resume)."""
        self._epoch.assign(non_negative_int(epoch, "epoch"))

    def locate(self, epoch: int, index: int) -> tuple[int, int]:
        """Which pass over the data and which batch of it batch ``index`` of Keras
        epoch ``epoch`` is (the same pair when a Keras epoch is one pass)."""
        step = epoch * self.steps_per_period + index
        return divmod(step, self.steps_per_epoch)

    @property
    def examples_per_epoch(self) -> int:
        """Training examples in a Keras epoch (a period's count is that of full batches)."""
        if self.steps_per_period == self.steps_per_epoch:
            return self.noise.num_examples
        return self.steps_per_period * self.batch_size

    def epoch_callback(self):
        """A Keras callback that sets the epoch at the start of each ``fit`` epoch.

        Pass it to ``model.fit(pipeline.dataset, callbacks=[pipeline.epoch_callback()])``:
        some backends (JAX, PyTorch) iterate the dataset once more before training to
        build the model, which would otherwise advance the epoch counter, and a resumed
        run (``initial_epoch``, ``BackupAndRestore``) continues with its own epoch's order.
        """
        return SetEpoch(self)

    def __len__(self) -> int:
        """Steps in a Keras epoch: one pass, or ``steps_per_period``."""
        return self.steps_per_period

    @property
    def batches(self) -> PipelineBatches:
        """The same batches as ``dataset``, as a ``keras.utils.PyDataset`` of NumPy arrays."""
        if self._batches is None:
            self._batches = PipelineBatches(self)
        return self._batches

    def for_fit(self):
        """What to give ``model.fit`` on the active backend: ``dataset`` or ``batches``.

        TensorFlow pulls ``tf.data`` batches inside its compiled loop; JAX and PyTorch
        pull each batch through Python, where the chunked ``batches`` cost a fraction
        of ``tf.data``'s per-batch overhead (benchmarks/README.md).
        """
        return self.dataset if self.fit_feed == "tf.data" else self.batches

    @property
    def fit_feed(self) -> str:
        """Which feed :meth:`for_fit` gives on the active backend: ``tf.data`` or ``PyDataset``."""
        return feed_for_backend()

    def load(self, epoch: int, first: int, count: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Batches ``first .. first + count - 1`` of epoch ``epoch``, concatenated.

        Returns ``(images, labels)`` as NumPy arrays: what ``dataset`` yields for
        those batches of that epoch, without touching the epoch counter.
        """
        epoch, first = non_negative_int(epoch, "epoch"), non_negative_int(first, "first")
        count = positive_int(count, "count")
        if first + count > self.steps_per_epoch:
            raise ValueError(
                f"batches {first}..{first + count - 1} do not exist: an epoch has "
                f"{self.steps_per_epoch} batches"
            )
        images, labels = self._load_fn(
            tf.constant(epoch, tf.int64), tf.constant(first, tf.int64), tf.constant(count, tf.int64)
        )
        return images.numpy(), labels.numpy()

    def _loader(self, x: np.ndarray, other: np.ndarray | None, standardize):
        """``load(epoch, first, count)`` as TensorFlow ops, shared by both feeds."""
        num, clean, size = self.noise.num_examples, self.noise.num_clean, self.batch_size
        images = tf.constant(x)
        labels = self.noise.labels.astype(np.int32)
        if self.clean_flags or self.indices:
            columns = [labels, (~self.noise.is_noisy).astype(np.int32)]
            if self.indices:
                columns.append(np.arange(num, dtype=np.int32))
            labels = np.stack(columns, axis=1)
        labels = tf.constant(labels)
        extra = None if other is None else tf.constant(other)
        seed = tf.constant(self.seed, tf.int64)
        padding = 4
        draws_spec = (
            tf.TensorSpec([size, 2], tf.int32),
            tf.TensorSpec([size, 1], tf.bool),
        )

        def gather_images(j):
            if extra is None:
                return tf.gather(images, j % clean if num > clean else j)
            is_extra = tf.cast(j >= clean, tf.int32)
            own, more = tf.dynamic_partition(j, is_extra, 2)
            where = tf.dynamic_partition(tf.range(tf.size(j)), is_extra, 2)
            more = (more - clean) % extra.shape[0]
            return tf.dynamic_stitch(where, [tf.gather(images, own), tf.gather(extra, more)])

        def load(epoch, first, count):
            epoch_seed = tf.stack([seed, epoch])
            start = first * size
            j = tf.range(start, tf.minimum(start + count * size, num))
            if self.augment:
                # each batch draws a full batch of crops and flips from its own seed
                def draws(batch):
                    batch_seed = tf.random.experimental.stateless_fold_in(epoch_seed, batch)
                    return crop_flip_draws(batch_seed, size, padding)

                offsets, flip = tf.map_fn(
                    draws, tf.range(first, first + count), fn_output_signature=draws_spec
                )
                offsets = tf.reshape(offsets, [-1, 2])[: tf.size(j)]
                flip = tf.reshape(flip, [-1, 1])[: tf.size(j)]
            if self.shuffle:
                j = tf.random.experimental.index_shuffle(j, epoch_seed, num - 1)
            xb = gather_images(j)
            if self.augment:
                xb = crop_flip(xb, offsets, flip, padding)
            return standardize(xb), tf.gather(labels, j)

        return load

    def _build(self, load) -> tf.data.Dataset:
        counter = self._epoch
        one = tf.constant(1, tf.int64)

        def next_epoch(_):
            return counter.assign_add(1) - 1

        period, per_pass = self.steps_per_period, self.steps_per_epoch

        def one_epoch(epoch):
            # one map per batch: the per-op overhead dominates small batches
            steps = tf.data.Dataset.range(epoch * period, (epoch + 1) * period)
            return steps.map(
                lambda g: load(g // per_pass, g % per_pass, one), num_parallel_calls=AUTOTUNE
            )

        ds = tf.data.Dataset.range(1).map(next_epoch).flat_map(one_epoch)
        ds = ds.apply(tf.data.experimental.assert_cardinality(period))
        return finish(ds)


class PipelineBatches(keras.utils.PyDataset):
    """A :class:`TrainPipeline`'s batches as NumPy arrays, for ``model.fit`` on JAX / PyTorch.

    Batch ``i`` of the pipeline's current epoch is the same as the ``i``-th batch
    ``pipeline.dataset`` yields for that epoch.  Batches are computed ``chunk`` at
    a time (one TensorFlow call) and handed out as views, so the per-batch cost is
    a slice; ``tf.data`` instead spends about a millisecond of CPU per batch
    crossing into Python, which on a small CPU is time taken from the model.

    The epoch is the pipeline's: pass ``callbacks=[pipeline.epoch_callback()]`` to
    ``fit``; the counter also advances at the end of each pass.  It is read when a
    chunk starts or the order jumps: a ``set_epoch`` between two consecutive
    batches of one chunk applies from the next chunk.  Call ``fit`` with
    ``shuffle=False`` (the pipeline shuffles): Keras would otherwise request the
    batches in a random order of its own, which still gives the right batches but
    not the pipeline's reproducible order, and computes them one by one.

    Args:
        pipeline: the :class:`TrainPipeline`.
        chunk: batches computed per call.
    """

    def __init__(self, pipeline: TrainPipeline, chunk: int = 16):
        super().__init__(workers=1, use_multiprocessing=False)  # in order, in this thread
        if not isinstance(pipeline, TrainPipeline):
            raise TypeError(f"pipeline must be a TrainPipeline, got {type(pipeline)}")
        self.pipeline = pipeline
        self.chunk = positive_int(chunk, "chunk")
        self._cached: tuple | None = None  # (epoch, pass, first, count, images, labels)
        self._next = 0  # the index a sequential reader asks for next
        self._warned = False

    def __len__(self) -> int:
        return len(self.pipeline)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        steps = len(self)
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"index must be an integer, got {index!r}")
        if not -steps <= index < steps:
            raise IndexError(f"batch index {index} is out of range for {steps} batches")
        index = int(index) % steps
        cached = self._cached
        in_order = index == self._next
        self._next = index + 1
        if in_order and self._covers(cached, index):  # (reading the epoch costs ~35 us)
            epoch = cached[0]
        else:
            epoch = self.pipeline.epoch
        data_pass, batch = self.pipeline.locate(epoch, index)
        if not self._covers(cached, index, epoch):
            if in_order or index % self.chunk == 0:
                # a chunk ends with the pass over the data and with the Keras epoch
                count = min(self.chunk, self.pipeline.steps_per_epoch - batch, steps - index)
            else:  # out of order: compute only this batch
                if not self._warned:
                    self._warned = True
                    warnings.warn(
                        "PipelineBatches: batches requested out of order (fit(shuffle=True)?); "
                        "pass shuffle=False to keep the pipeline's reproducible order",
                        stacklevel=2,
                    )
                count = 1
            loaded = self.pipeline.load(data_pass, batch, count)
            cached = self._cached = (epoch, data_pass, batch, count, *loaded)
        offset = (batch - cached[2]) * self.pipeline.batch_size
        size = self.pipeline.batch_size
        return cached[4][offset : offset + size], cached[5][offset : offset + size]

    def _covers(self, cached: tuple | None, index: int, epoch: int | None = None) -> bool:
        """Whether the cached chunk holds batch ``index`` of ``epoch`` (default: its own)."""
        if cached is None or (epoch is not None and epoch != cached[0]):
            return False
        data_pass, batch = self.pipeline.locate(cached[0], index)
        return data_pass == cached[1] and 0 <= batch - cached[2] < cached[3]

    def on_epoch_end(self) -> None:
        self.pipeline.set_epoch(self.pipeline.epoch + 1)
        self._cached = None
