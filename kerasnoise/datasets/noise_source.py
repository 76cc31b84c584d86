"""Images as a noise source: what Rolnick et al.'s extra examples can be besides the task's
own training images (``noise.source`` of :class:`~kerasnoise.noise.Additive`): white
noise matched to the task's pixel statistics, or another data set's training images."""

from __future__ import annotations

import os

import numpy as np

from kerasnoise.datasets.catalogue import NAMES, available, get_info, has, load
from kerasnoise.datasets.dataset import Dataset

__all__ = ["NOISE_SOURCES", "check_noise_source", "noise_images"]

#: What Rolnick et al.'s extra examples can be besides the task's own training images
#: (``noise.source``): white noise, or another data set's training images (ours here; a
#: registered or plug-in data set of the same image shape is accepted too).
NOISE_SOURCES = ("train", "white_noise", *NAMES)


def check_noise_source(source: str, task: str) -> None:
    """Raise ``ValueError`` unless ``source`` can give extra images for data set ``task``:
    ``train``, ``white_noise``, or another data set with the same image shape."""
    if source not in NOISE_SOURCES and not has(source):
        allowed = ", ".join(["train", "white_noise", *available()])
        raise ValueError(f"noise.source must be one of {allowed}; got {source!r}")
    if source in ("train", "white_noise"):
        return
    if source == get_info(task).name:
        raise ValueError(f"noise.source={source!r} is the task's own data set: use 'train'")
    theirs, ours = get_info(source).image_shape, get_info(task).image_shape
    if theirs != ours:
        raise ValueError(
            f"noise.source={source!r} has {'x'.join(map(str, theirs))} images but {task} "
            f"has {'x'.join(map(str, ours))}; no conversion is offered: use a data set of the "
            "same shape (fashion_mnist for mnist, cifar100 for cifar10) or white_noise"
        )


def noise_images(
    source: str,
    task: Dataset,
    *,
    seed: int,
    data_dir: str | os.PathLike | None = None,
) -> np.ndarray:
    """Images that belong to no class of ``task``, as uint8 in its shape, for
    ``Additive(source=...)``: ``white_noise`` draws one image per training image of
    ``task``, each pixel normal with the task's per-channel mean and std (on the
    0..255 scale), rounded and clipped, from ``seed`` (the noise seed); a data set's
    name gives its training images (loaded as :func:`load` does, from ``data_dir``)."""
    check_noise_source(source, task.name)
    if source == "train":
        raise ValueError("noise.source='train' uses the task's own images: nothing to load")
    info = task.info
    if source == "white_noise":
        rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
        shape = (len(task.y_train), *info.image_shape)
        mean = 255.0 * np.asarray(info.mean)
        std = 255.0 * np.asarray(info.std)
        pixels = rng.standard_normal(size=shape, dtype=np.float32) * std + mean
        return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
    return load(source, data_dir).x_train
