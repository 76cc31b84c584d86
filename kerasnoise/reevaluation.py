"""Evaluate a finished run's saved model again, on the data its config rebuilds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import numpy as np

from kerasnoise import losses, methods, metrics, models, pipelines
from kerasnoise import noise as noise_lib
from kerasnoise.config import ExperimentConfig
from kerasnoise.results import rundir
from kerasnoise.training import load_data

__all__ = ["check_run", "evaluate_run"]


def check_run(
    path: str | os.PathLike, *, split: str = "test"
) -> tuple[Path, Path, ExperimentConfig]:
    """``(run_dir, model_path, config)`` of a finished run that can be evaluated on
    ``split``; ``ValueError``/``FileNotFoundError`` naming what is wrong otherwise."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path} not found: give a run directory or the model.keras in one")
    run_dir = path if path.is_dir() else path.parent
    model_path = run_dir / rundir.MODEL if path.is_dir() else path
    if split not in ("test", "val", "train"):
        raise ValueError(f"split must be 'test', 'val' or 'train', got {split!r}")
    for needed in (run_dir / rundir.CONFIG, model_path):
        if not needed.is_file():
            raise ValueError(f"{needed} not found: is {run_dir} a finished run directory?")
    config = ExperimentConfig.from_dict(json.loads((run_dir / rundir.CONFIG).read_text()))
    if split == "val" and not config.validation:
        raise ValueError("this run has no validation split (validation=0)")
    return run_dir, model_path, config


def evaluate_run(
    path: str | os.PathLike, *, split: str = "test", data_dir: str | None = None
) -> dict:
    """Accuracy of a run's saved model on ``split`` ("test", "val" or "train").

    ``path`` is a run directory or the ``model.keras`` inside one; the run's
    ``config.json`` rebuilds the same data (limit, validation split) and, for
    "train", the same noisy labels, so the test accuracy reproduces the record's
    ``test_accuracy_final_model``.
    """
    run_dir, model_path, config = check_run(path, split=split)
    if data_dir is not None:
        config.data_dir = data_dir
    data = load_data(config)
    info = data.info
    # the names first: a plug-in loss or model is imported then (the loss registered
    # with Keras), so that the saved model's loss and layers are found
    losses.get(config.loss["name"], **{k: v for k, v in config.loss.items() if k != "name"})
    models.builder(config.model["name"])
    # a training method's own model class (Co-teaching's two networks, ELR's targets)
    saved = methods.from_config(config.method).saved_objects()
    model = keras.saving.load_model(model_path, custom_objects=saved)
    x, y = {
        "test": (data.x_test, data.y_test),
        "val": (data.x_val, data.y_val),
        "train": (data.x_train, data.y_train),
    }[split]
    ds = pipelines.eval_pipeline(
        x,
        y,
        batch_size=config.eval_batch_size,
        mean=info.mean,
        std=info.std,
        num_classes=info.num_classes,
    )
    predicted = metrics.predict_classes(model, ds)
    out = {
        "run": str(run_dir),
        "split": split,
        "examples": len(y),
        "accuracy": float(np.mean(predicted == y)),
    }
    if split == "train":
        result, _ = pipelines.corrupt(
            data,
            noise_lib.from_config(config.noise),
            noise_seed=config.data_noise_seed(),
            noisy_validation=config.validation_labels == "noisy",
        )
        own = result.true_labels >= 0  # extras from another array were not predicted
        shown = result.image_index(np.arange(result.num_examples)[own])
        out["accuracy_on_noisy_labels"] = float(np.mean(predicted[shown] == result.labels[own]))
        out.update(metrics.noise_subset_metrics(predicted, result))
    return out
