"""A finished run's result record: its summary of the history (last, best and last-10
test accuracies, the best epoch by the validation metric; for a two-network run also
the last-10 mean of both networks' test accuracies), its steps, and the files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kerasnoise import metrics
from kerasnoise._io import atomic_write_json, atomic_write_text
from kerasnoise.config import ExperimentConfig
from kerasnoise.results import rundir
from kerasnoise.training.assembly import RunCallbacks
from kerasnoise.training.data import RunData
from kerasnoise.training.run import Run, library_versions

__all__ = ["best_by", "finish", "steps_record", "summarise"]


def best_by(config: ExperimentConfig) -> str:
    """The validation metric that picks a run's best epoch: early stopping's monitor when
    it watches one (``val_loss``: lowest, as Patrini et al. keep the weights), else
    ``val_accuracy`` (highest)."""
    es = config.early_stopping
    return es.monitor if es.enabled and es.monitor.startswith("val_") else "val_accuracy"


def summarise(history: dict[int, dict], has_val: bool, by: str = "val_accuracy") -> dict:
    epochs = sorted(history)
    last = history[epochs[-1]]
    test = {e: history[e].get("test_accuracy") for e in epochs}
    scored = [e for e in epochs if test[e] is not None]
    record: dict[str, Any] = {
        "epochs_run": len(epochs),
        "test_accuracy_last": test[epochs[-1]],
        "train_loss_last": last.get("loss"),
        "train_accuracy_last": last.get("accuracy"),
    }
    for key in (
        "train_clean_accuracy",
        "train_noisy_accuracy",
        "train_noisy_memorised",
        "detection_precision",
        "detection_recall",
        "detection_f1",
        "test_accuracy_2",
        "label_precision_1",
        "label_precision_2",
    ):
        record[f"{key}_last"] = last.get(key)
    # what Co-teaching's papers report: the mean test accuracy of the last 10 epochs
    tail = [test[e] for e in epochs[-10:] if test[e] is not None]
    record["test_accuracy_last10"] = float(np.mean(tail)) if tail else None
    if any("test_accuracy_2" in history[e] for e in epochs):
        # what JoCoR reports: the mean over the last 10 epochs of both networks
        both = [history[e] for e in epochs[-10:]]
        both = [
            (h["test_accuracy"] + h["test_accuracy_2"]) / 2
            for h in both
            if h.get("test_accuracy") is not None and h.get("test_accuracy_2") is not None
        ]
        record["test_accuracy_both_last10"] = float(np.mean(both)) if both else None
    record["test_accuracy_peak"] = max((test[e] for e in scored), default=None)
    if has_val:
        scored_val = [e for e in scored if history[e].get(by) is not None]
        pick = min if by.endswith("loss") else max
        best = pick(scored_val, key=lambda e: history[e][by], default=None)
        record["best_by"] = by
        record["val_accuracy_best"] = None if best is None else history[best].get("val_accuracy")
    else:
        best = max(scored, key=lambda e: test[e], default=None)
        record["best_by"] = "test_accuracy (oracle: no validation split)"
    record["best_epoch"] = best
    record["test_accuracy_best"] = None if best is None else test[best]
    rates = [history[e].get("examples_per_second") for e in epochs[1:] or epochs]
    rates = [r for r in rates if r]
    record["examples_per_second"] = float(np.median(rates)) if rates else None
    return record


def steps_record(summary: dict, steps_per_epoch: int) -> dict:
    """Training steps: per (Keras) epoch, in all, and up to the best epoch's end."""
    best = summary.get("best_epoch")
    return {
        "steps_per_epoch": steps_per_epoch,
        "steps_run": summary["epochs_run"] * steps_per_epoch,
        "best_step": None if best is None else (best + 1) * steps_per_epoch,
    }


def finish(
    run: Run, model: keras.Model, run_data: RunData, callbacks: RunCallbacks, extra: dict
) -> dict:
    """Write the model, ``history.csv`` and ``result.json``; store the result record."""
    history = callbacks.history.epochs
    diverged = any(h.get("loss") is None for h in history.values()) or not history
    record: dict[str, Any] = {
        "run_id": run.run_id,
        "group": run.group,
        "status": "diverged" if diverged else "finished",
    }
    if history:
        has_val = run_data.built.val is not None
        record.update(summarise(history, has_val=has_val, by=best_by(run.config)))
        record.update(steps_record(record, len(run_data.train)))
    if not diverged:
        tmp = run.run_dir / "model.tmp.keras"
        model.save(tmp)
        os.replace(tmp, run.run_dir / rundir.MODEL)
        predicted = metrics.predict_classes(model, run_data.built.test)
        record["test_accuracy_final_model"] = float(np.mean(predicted == run_data.data.y_test))
    before = callbacks.checkpoint.seconds_before  # 0 unless the run was resumed
    parts = [before, callbacks.checkpoint.seconds()] if before else [callbacks.checkpoint.seconds()]
    record.update(
        wall_time_s=sum(parts),
        wall_time_parts_s=parts,
        backend=run.backend,
        noise_rate=run_data.built.noise.rate,
        versions=library_versions(),
        **extra,
    )
    _write_history_csv(run.run_dir / rundir.HISTORY_CSV, history)
    atomic_write_json(run.run_dir / rundir.RESULT, record)
    run.record(record["status"], record)
    shutil.rmtree(callbacks.checkpoint.folder, ignore_errors=True)
    return record


def _write_history_csv(path: Path, history: dict[int, dict]) -> None:
    keys = sorted({k for h in history.values() for k in h})
    rows = [",".join(["epoch", *keys])]
    for epoch in sorted(history):
        values = ["" if history[epoch].get(k) is None else str(history[epoch][k]) for k in keys]
        rows.append(",".join([str(epoch), *values]))
    atomic_write_text(path, "\n".join(rows) + "\n")
