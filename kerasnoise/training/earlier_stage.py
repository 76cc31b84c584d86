"""A finished run handed, as its earlier stage, to the training method that asked for it
(:meth:`kerasnoise.methods.Method.earlier_stage`): its record and folder, and what the
method may compute from it — its saved model's logits on every training image and the
noisy labels it trained on."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from kerasnoise import methods as methods_lib
from kerasnoise import noise as noise_lib
from kerasnoise import pipelines
from kerasnoise.config import ExperimentConfig
from kerasnoise.devices import execution
from kerasnoise.results import rundir
from kerasnoise.training.data import load_data
from kerasnoise.training.keras_state import isolated_keras_state
from kerasnoise.training.run import Run

__all__ = ["FinishedStage", "finished_stage"]


class FinishedStage:
    """A finished run whose saved model and noisy labels are computed when asked, each
    in a Keras state of its own (the run that asked draws the same initial weights as
    without it).

    Args:
        config: the finished run's config.
        run_dir: its run directory (``model.keras``).
    """

    def __init__(self, config: ExperimentConfig, run_dir: Path):
        self.config = config
        self.run_dir = Path(run_dir)

    def predict(self) -> np.ndarray:
        """The saved model's logits on every training image, ``(N, K)`` float64."""
        config = self.config
        precision, _ = execution.resolve_precision(config.precision)
        with isolated_keras_state(precision):
            data = load_data(config)
            info = data.info
            model = keras.saving.load_model(self.run_dir / rundir.MODEL, compile=False)
            images = pipelines.eval_pipeline(
                data.x_train,
                data.y_train,
                batch_size=config.eval_batch_size,
                mean=info.mean,
                std=info.std,
                num_classes=info.num_classes,
            )
            return np.asarray(model.predict(images, verbose=0), dtype=np.float64)

    def noisy_labels(self) -> np.ndarray:
        """The ``(N,)`` training labels the run trained on (its noise, drawn again)."""
        config = self.config
        noisy, _ = pipelines.corrupt(
            load_data(config),
            noise_lib.from_config(config.noise),
            noise_seed=config.data_noise_seed(),
            noisy_validation=config.validation_labels == "noisy",
        )
        return noisy.labels


def finished_stage(run: Run, record: dict) -> methods_lib.EarlierStage:
    """``run``, finished with ``record``, as the :class:`kerasnoise.methods.EarlierStage`
    a method receives."""
    stage = FinishedStage(run.config, run.run_dir)
    return methods_lib.EarlierStage(
        config=run.config,
        run_id=run.run_id,
        run_dir=run.run_dir,
        record=record,
        predict=stage.predict,
        noisy_labels=stage.noisy_labels,
    )
