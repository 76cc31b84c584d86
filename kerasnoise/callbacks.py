"""The per-epoch instruments of a run, as Keras callbacks.

- :class:`NoiseAwareEvaluation`: test accuracy and accuracy on the clean and the
  noisy training examples (the library knows which labels are noisy);
- :class:`ThroughputTimer`: training examples per second of each epoch;
- :class:`HistoryRecorder`: every finished epoch's logs in ``history.json``;
- :class:`RunCheckpoint`: everything a killed run needs to continue exactly as an
  uninterrupted one, committed atomically at the end of every epoch.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kerasnoise import noise as noise_lib
from kerasnoise._io import atomic_write_json, to_json_safe
from kerasnoise.metrics import detection_metrics, noise_subset_metrics, predict_classes

__all__ = [
    "NoiseAwareEvaluation",
    "ThroughputTimer",
    "HistoryRecorder",
    "RunCheckpoint",
]


HISTORY_COPY = "history.json"  # in a checkpoint's epoch folder: the history up to it


class NoiseAwareEvaluation(keras.callbacks.Callback):
    """Adds ``test_accuracy``, the clean/noisy-subset accuracies and the noisy-label
    detection scores (:func:`detection_metrics`, from the same pass over the scored
    training images) to each epoch's logs.

    A subset that is empty (no noisy label at rate 0) is left out of the logs rather
    than logged as ``None``: Keras's progress bar averages every logged value, and the
    run record then holds ``None`` for it, which means and tables skip.
    """

    def __init__(
        self,
        train_images,
        test,
        y_test: np.ndarray,
        noise: noise_lib.NoiseResult,
        images: np.ndarray | None = None,
    ):
        super().__init__()
        self.train_images, self.test, self.y_test, self.noise = train_images, test, y_test, noise
        self.images = images  # which training images ``train_images`` holds (default: all)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        if not np.isfinite(logs.get("loss", 0.0)):
            return  # diverged: TerminateOnNaN stops the run
        logs["test_accuracy"] = float(
            np.mean(predict_classes(self.model, self.test) == self.y_test)
        )
        logits = self.model.predict(self.train_images, verbose=0)
        predicted = np.argmax(logits, axis=-1)
        subsets = noise_subset_metrics(predicted, self.noise, self.images)
        logs.update({k: v for k, v in subsets.items() if v is not None})
        logs.update(detection_metrics(logits, self.noise, self.images))


class ThroughputTimer(keras.callbacks.Callback):
    """Training examples per second of each epoch, from its start to its last batch."""

    def __init__(self, examples_per_epoch: int):
        super().__init__()
        self.examples = examples_per_epoch
        self.rates: list[float] = []  # one per finished epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.start = self.last = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.last = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = max(self.last - self.start, 1e-9)
        self.rates.append(self.examples / seconds)
        if logs is not None:
            logs["epoch_train_seconds"] = seconds
            logs["examples_per_second"] = self.rates[-1]


def _to_numpy(value: Any) -> Any:
    """A backend tensor in the logs as NumPy (Keras itself hands callbacks Python floats)."""
    return keras.ops.convert_to_numpy(value) if keras.ops.is_tensor(value) else value


class HistoryRecorder(keras.callbacks.Callback):
    """Writes every finished epoch's logs to ``history.json`` atomically; keeps earlier
    epochs across a resume."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.epochs: dict[int, dict] = {}
        if path.exists():
            self.epochs = {int(k): v for k, v in json.loads(path.read_text()).items()}

    def on_epoch_end(self, epoch, logs=None):
        self.epochs[epoch] = to_json_safe({k: _to_numpy(v) for k, v in (logs or {}).items()})
        self.epochs = {e: v for e, v in self.epochs.items() if e <= epoch}
        atomic_write_json(self.path, {str(e): self.epochs[e] for e in sorted(self.epochs)})


class RunCheckpoint(keras.callbacks.Callback):
    """Saves, at the end of every epoch, all a run needs to continue as if never stopped.

    One folder per saved epoch, ``<folder>/epoch-<k>/``, written under a temporary
    name and renamed when complete (the rename is the commit; older folders are then
    removed), holding the model's weights *and the optimizer's state* (moments,
    iteration count, hence the learning-rate schedule's step), the early-stopping
    state (wait counter, best value and epoch, best weights) and the training time
    spent so far, and the history so far (so the checkpoint alone resumes a run whose
    run directory was lost or re-created from its committed files).  The data order
    needs no saving: the pipelines derive it from ``(seed, epoch)``.

    Use: compile the model, call :meth:`restore` (it returns the epoch to start
    from, 0 when there is nothing to resume), pass that as ``fit(initial_epoch=)``
    and put this callback after the ``EarlyStopping`` it saves.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        early_stopping: keras.callbacks.EarlyStopping | None,
        history: HistoryRecorder | None = None,
    ):
        super().__init__()
        self.folder = Path(folder)
        self.early_stopping = early_stopping
        self.history = history
        self.seconds_before = 0.0  # training time of earlier, interrupted parts
        self._restored_state: dict | None = None
        self._best_weights: list | None = None

    def latest(self) -> Path | None:
        """The newest complete epoch folder, or ``None``."""
        done = [p for p in self.folder.glob("epoch-*") if p.is_dir() and p.suffix != ".tmp"]
        return max(done, key=lambda p: int(p.name.split("-")[1]), default=None)

    def restore(self, model: keras.Model) -> int:
        """Load the newest checkpoint into ``model``; return the epoch to start from."""
        latest = self.latest()
        if latest is None:
            return 0
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(latest / "model.weights.h5")
        state = json.loads((latest / "state.json").read_text())
        self.seconds_before = state["seconds"]
        self._restored_state = state.get("early_stopping")
        if self.history is not None and (latest / HISTORY_COPY).is_file():
            saved = json.loads((latest / HISTORY_COPY).read_text())
            self.history.epochs = {int(e): h for e, h in saved.items() if int(e) <= state["epoch"]}
        if self._restored_state is not None and (latest / "best.npz").is_file():
            with np.load(latest / "best.npz") as best:
                self._best_weights = [best[f"w{i}"] for i in range(len(best.files))]
        return state["epoch"] + 1

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        es, state = self.early_stopping, self._restored_state
        if es is not None and state is not None:  # EarlyStopping.on_train_begin reset these
            es.wait, es.best, es.best_epoch = state["wait"], state["best"], state["best_epoch"]
            es.best_weights = self._best_weights

    def seconds(self) -> float:
        """Training time of this part so far."""
        return time.perf_counter() - self._start

    def on_epoch_end(self, epoch, logs=None):
        tmp = self.folder / f"epoch-{epoch}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.model.save_weights(tmp / "model.weights.h5")
        state: dict[str, Any] = {"epoch": epoch, "seconds": self.seconds_before + self.seconds()}
        es = self.early_stopping
        if es is not None:
            state["early_stopping"] = {
                "wait": es.wait,
                "best": None if es.best is None else float(es.best),
                "best_epoch": es.best_epoch,
            }
            if es.best_weights is not None:
                np.savez(tmp / "best.npz", **{f"w{i}": w for i, w in enumerate(es.best_weights)})
        if self.history is not None:
            atomic_write_json(
                tmp / HISTORY_COPY, {str(e): h for e, h in self.history.epochs.items()}
            )
        atomic_write_json(tmp / "state.json", state)
        final = self.folder / f"epoch-{epoch}"
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        for old in self.folder.glob("epoch-*"):
            if old != final:
                shutil.rmtree(old, ignore_errors=True)
