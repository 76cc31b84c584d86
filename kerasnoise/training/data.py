"""A run's data: the data set as its config describes it, its noisy pipelines, and the
training images scored each epoch."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from kerasnoise import datasets, pipelines
from kerasnoise import methods as methods_lib
from kerasnoise import noise as noise_lib
from kerasnoise.config import ExperimentConfig

__all__ = ["RunData", "build_data", "load_data"]


def load_data(config: ExperimentConfig) -> datasets.Dataset:
    """The data set as the config describes it: limits, then validation split; with
    ``input_scale="unit"`` its statistics are 0 and 1, so every pipeline feeds ``x / 255``."""
    data = datasets.load(config.dataset, config.data_dir, file=config.data_file)
    if config.input_scale == "unit":
        channels = data.info.image_shape[-1]
        info = dataclasses.replace(data.info, mean=(0.0,) * channels, std=(1.0,) * channels)
        data = dataclasses.replace(data, info=info)
    if config.train_limit is not None:
        n = config.train_limit
        data = dataclasses.replace(data, x_train=data.x_train[:n], y_train=data.y_train[:n])
    if config.test_limit is not None:
        n = config.test_limit
        data = dataclasses.replace(data, x_test=data.x_test[:n], y_test=data.y_test[:n])
    if config.validation:
        size = int(config.validation) if config.validation >= 1 else float(config.validation)
        data = data.validation_split(size, seed=config.data_noise_seed(), stratify=config.stratify)
    return data


def _train_eval_images(n: int, limit: int | None, seed: int) -> np.ndarray:
    """Sorted indices of the training images scored each epoch: all, or a seeded sample."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def _noise_summary(built: pipelines.NoisyData) -> dict:
    """The training labels' noise, and the validation labels' own draw when noisy."""
    summary = built.noise.summary()
    if built.val_noise is not None:
        summary["validation"] = built.val_noise.summary()
    return summary


@dataclasses.dataclass
class RunData:
    """The data of a run: the data set, its noisy pipelines, the images scored per epoch,
    the number of examples in each data set it batches (for the batch checks) and the
    summary of its noise (the run directory's ``noise.json``)."""

    data: datasets.Dataset
    built: pipelines.NoisyData
    scored_images: np.ndarray  # indices of the training images scored each epoch
    train_images: Any  # their evaluation pipeline
    sizes: dict[str, int] = dataclasses.field(default_factory=dict)
    noise_summary: dict = dataclasses.field(default_factory=dict)
    #: the training pipeline ``fit`` trains on: ``built.train``, or the training
    #: method's own (:meth:`kerasnoise.methods.Method.train_pipeline`)
    train: Any = None

    def __post_init__(self) -> None:
        if self.train is None:
            self.train = self.built.train


def build_data(config: ExperimentConfig, needs: methods_lib.PipelineNeeds | None = None) -> RunData:
    """Load the data, apply the noise and build the pipelines the config asks for, and
    what its training method ``needs`` of them (:meth:`kerasnoise.methods.Method.needs`;
    default: plain training's batches)."""
    needs = needs or methods_lib.PipelineNeeds()
    data = load_data(config)
    info = data.info
    source = config.noise.get("source", "train")
    extra = None
    if source != "train":
        where = config.noise_source_dir or config.data_dir
        extra = datasets.noise_images(source, data, seed=config.data_noise_seed(), data_dir=where)
    built = pipelines.build(
        data,
        noise_lib.from_config(config.noise),
        extra_images=extra,
        noise_seed=config.data_noise_seed(),
        seed=config.seed,
        batch_size=config.batch_size,
        eval_batch_size=config.eval_batch_size,
        augment=config.augment,
        noisy_validation=config.validation_labels == "noisy",
        steps_per_period=config.eval_every_steps,
        clean_flags=needs.clean_flags,
        indices=needs.indices,
    )
    images = _train_eval_images(
        len(data.y_train), config.train_eval_images, config.data_noise_seed()
    )
    train_images = pipelines.eval_pipeline(
        data.x_train[images],
        data.y_train[images],
        batch_size=config.eval_batch_size,
        mean=info.mean,
        std=info.std,
        num_classes=info.num_classes,
    )
    return RunData(
        data=data,
        built=built,
        scored_images=images,
        train_images=train_images,
        sizes=_sizes(data, built, len(images)),
        noise_summary=_noise_summary(built),
    )


def _sizes(data: datasets.Dataset, built: pipelines.NoisyData, scored: int) -> dict[str, int]:
    """The number of examples in each data set a run batches (for the batch checks)."""
    sizes = {"training": built.noise.num_examples}
    if built.val is not None:
        val_noise = built.val_noise
        sizes["validation"] = val_noise.num_examples if val_noise is not None else len(data.y_val)
    sizes["test"] = len(data.y_test)
    sizes["training-evaluation"] = scored
    return sizes
