"""Noisy ``tf.data`` input pipelines that feed ``model.fit`` on every Keras backend.

The pipeline never copies images.  It walks example *indices*: each epoch,
``0 .. M-1`` are batched, permuted by ``tf.random.experimental.index_shuffle``
(a stateless, seeded permutation computed per index, so there is no shuffle
buffer and memory does not grow with M), and each batch gathers its labels from
the noisy label array and its images from the one image array by index
arithmetic (example ``j`` uses image ``j mod N``; see
:class:`kerasnoise.noise.NoiseResult`).  Rolnick's alpha = 100 on MNIST is
6,060,000 examples an epoch from the same 47 MB of images plus 24 MB of labels.

Order and augmentation depend only on ``(seed, epoch, batch)``: the same seeds
give the same batches on TensorFlow, JAX and PyTorch (``tf.data`` runs on the
CPU whatever the backend), and a different order every epoch.  An epoch counter
advances each time the dataset is iterated; with ``model.fit`` pass
``callbacks=[pipeline.epoch_callback()]`` so that the counter follows fit's epoch
on every backend (JAX and PyTorch iterate once more to build the model) and on
resume.

Batches are ``(images, labels)``: images ``float32`` of shape ``(B, H, W, C)``,
standardised as ``(x / 255 - mean) / std``; labels ``int32`` class indices.

Two feeds give the same batches: ``pipeline.dataset`` (a ``tf.data.Dataset``,
which TensorFlow runs inside its compiled training loop) and
``pipeline.batches`` (a ``keras.utils.PyDataset`` that computes 16 batches per
call and hands out NumPy views, because JAX and PyTorch pull every batch through
Python, where ``tf.data`` costs ~1 ms of CPU per batch).  ``pipeline.for_fit()``
picks the right one for the active backend.

What is where (one idea per module, lowest first):

- :mod:`~kerasnoise.pipelines.inputs` -- what both pipelines share: image arrays,
  standardisation, a finished ``tf.data.Dataset``.
- :mod:`~kerasnoise.pipelines.augment` -- :func:`random_crop_flip`, the CIFAR augmentation.
- :mod:`~kerasnoise.pipelines.train` -- :class:`TrainPipeline` and its NumPy feed
  :class:`PipelineBatches`.
- :mod:`~kerasnoise.pipelines.evaluation` -- :func:`eval_pipeline`.
- :mod:`~kerasnoise.pipelines.corruption` -- :func:`corrupt`: the noise of a data set's
  training (and validation) labels (NumPy).
- :mod:`~kerasnoise.pipelines.noisy_data` -- :func:`build` and :class:`NoisyData`: a
  run's corrupted labels and all its pipelines.
"""

from kerasnoise.pipelines.augment import random_crop_flip
from kerasnoise.pipelines.corruption import corrupt
from kerasnoise.pipelines.evaluation import eval_pipeline
from kerasnoise.pipelines.noisy_data import NoisyData, build
from kerasnoise.pipelines.train import PipelineBatches, TrainPipeline

__all__ = [
    "TrainPipeline",
    "PipelineBatches",
    "NoisyData",
    "eval_pipeline",
    "random_crop_flip",
    "build",
    "corrupt",
]
