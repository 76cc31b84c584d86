"""Train one experiment configuration with ``model.fit`` and leave a complete run record.

:func:`train` resolves a validated :class:`~kerasnoise.config.ExperimentConfig`
into data, noise, pipelines, model, loss and optimizer, trains with Keras
callbacks, and writes a run directory ``<out>/<run_id>/``:

==================  =================================================================
``config.json``     the resolved config (reload with ``ExperimentConfig.from_dict``)
``noise.json``      the realised noise: rate, transition matrix, seeds, generator state
``history.json``    one entry per finished epoch (survives interruption and resume)
``history.csv``     the same, from ``keras.callbacks.CSVLogger``
``model.keras``     the final model (best weights when early stopping restores them)
``result.json``     the result record, also stored in ``<out>/results.sqlite``
``backup/``         ``BackupAndRestore`` state while the run is unfinished
==================  =================================================================

Per epoch, besides Keras's loss and accuracy on the *noisy* training labels and
the validation metrics, the history holds ``test_accuracy`` and, because the
library knows which labels are noisy, ``train_clean_accuracy`` (examples whose
label is right), ``train_noisy_accuracy`` (examples whose label is wrong,
scored against their TRUE label) and ``train_noisy_memorised`` (the same
examples, scored against their WRONG label: memorisation).

The result record names both test accuracies: ``test_accuracy_last`` (last
epoch) and ``test_accuracy_best`` at ``best_epoch``, chosen by ``best_by`` —
validation accuracy when there is a validation split, otherwise the maximum of
the test accuracy itself, which is an optimistic oracle and labelled as such.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kerasnoise import datasets, losses, models, pipelines
from kerasnoise import noise as noise_lib
from kerasnoise._io import atomic_write_json
from kerasnoise.config import ExperimentConfig, OptimizerConfig
from kerasnoise.results import ResultsStore

__all__ = [
    "train",
    "evaluate_run",
    "load_data",
    "build_optimizer",
    "learning_rate_schedule",
    "resolve_jit_compile",
    "resolve_steps_per_execution",
    "resolve_precision",
    "noise_subset_metrics",
]


# --------------------------------------------------------------------------- pieces


def _device() -> str:
    """Where the backend puts a new tensor, e.g. 'cpu', 'cuda:0' (no torch/jax import)."""
    return str(getattr(keras.ops.zeros(()), "device", "")).lower()


def _on_accelerator(device: str) -> bool:
    return any(name in device for name in ("gpu", "cuda", "tpu"))


_CONVOLUTIONS = (
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv2D,
)


def _has_convolution(layer: Any) -> bool:
    if isinstance(layer, _CONVOLUTIONS):
        return True
    return any(_has_convolution(inner) for inner in getattr(layer, "layers", ()))


def resolve_jit_compile(jit_compile: bool | str, model: keras.Model | None = None) -> bool | str:
    """``auto`` is Keras's choice, except TensorFlow on a CPU: XLA only for models
    without convolutions (``model`` not given: no XLA).

    Measured on the 2-core development CPU (benchmarks/README.md): XLA's CPU
    convolutions made LeNet-5 2.4x slower than TensorFlow's oneDNN kernels, while
    MLP1 trained ~1.4x faster with XLA (it fuses the small element-wise ops).
    """
    if jit_compile == "auto" and keras.backend.backend() == "tensorflow":
        if _on_accelerator(_device()):
            return "auto"
        return model is not None and not _has_convolution(model)
    return jit_compile


def resolve_steps_per_execution(steps: int) -> int:
    """``steps``, except 1 on PyTorch, where Keras refuses more than one step per call."""
    return 1 if keras.backend.backend() == "torch" else steps


def resolve_precision(precision: str) -> tuple[str, str]:
    """The dtype policy to use and why: ``auto`` is bfloat16 on accelerators, float32 on CPU."""
    if precision != "auto":
        return precision, "as configured"
    device = _device()
    if _on_accelerator(device):
        return "mixed_bfloat16", f"auto: tensors live on an accelerator ({device})"
    return "float32", f"auto: tensors live on the CPU ({device or 'cpu'}), keep float32"


def learning_rate_schedule(opt: OptimizerConfig, steps_per_epoch: int) -> Any:
    """A float (constant) or a ``keras.optimizers.schedules`` schedule over steps."""
    if opt.schedule == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(
            opt.learning_rate, opt.decay_steps, opt.decay_rate, staircase=opt.staircase
        )
    if opt.schedule == "multistep":
        # the update with iterations == m * steps_per_epoch is epoch m's first
        boundaries = [m * steps_per_epoch - 1 for m in opt.milestones]
        values = [opt.learning_rate * opt.gamma**i for i in range(len(boundaries) + 1)]
        return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
    return opt.learning_rate


def build_optimizer(opt: OptimizerConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The optimizer with its learning-rate schedule, clipping and decoupled decay."""
    common: dict[str, Any] = {"learning_rate": learning_rate_schedule(opt, steps_per_epoch)}
    if opt.global_clipnorm is not None:
        common["global_clipnorm"] = opt.global_clipnorm
    if opt.clipnorm is not None:
        common["clipnorm"] = opt.clipnorm
    if opt.weight_decay_mode == "decoupled" and opt.weight_decay:
        common["weight_decay"] = opt.weight_decay
    if opt.name == "adam":
        return keras.optimizers.Adam(epsilon=opt.epsilon, **common)
    if opt.name == "adadelta":
        return keras.optimizers.Adadelta(rho=opt.rho, epsilon=opt.epsilon, **common)
    return keras.optimizers.SGD(momentum=opt.momentum, nesterov=opt.nesterov, **common)


def load_data(config: ExperimentConfig) -> datasets.Dataset:
    """The data set as the config describes it: limit, then validation split."""
    data = datasets.load(config.dataset, config.data_dir, file=config.data_file)
    if config.train_limit is not None:
        n = config.train_limit
        data = dataclasses.replace(data, x_train=data.x_train[:n], y_train=data.y_train[:n])
    if config.validation:
        size = int(config.validation) if config.validation >= 1 else float(config.validation)
        data = data.validation_split(size, seed=config.noise_seed, stratify=config.stratify)
    return data


def noise_subset_metrics(
    predicted: np.ndarray, noise: noise_lib.NoiseResult, images: np.ndarray | None = None
) -> dict:
    """Accuracy of per-image predictions on the clean and the noisy training examples.

    Args:
        predicted: predicted class of each training image, or of the images listed
            in ``images`` (in that order).
        noise: what the noise did; example ``j`` shows image ``noise.image_index(j)``.
        images: indices of the training images that were predicted (default: all N).

    Returns ``train_clean_accuracy`` (clean examples, against their label),
    ``train_noisy_accuracy`` (noisy examples against their TRUE label) and
    ``train_noisy_memorised`` (noisy examples against their WRONG label), over the
    examples whose image was predicted; ``None`` where a subset is empty.  Extra
    images from another array have no true class and are left out.
    """
    per_image = np.full(noise.num_clean, -1)
    per_image[slice(None) if images is None else images] = predicted
    index = np.arange(noise.num_examples)
    known = noise.true_labels >= 0
    pred = np.full(noise.num_examples, -1)
    pred[known] = per_image[noise.image_index(index[known])]
    scored = known & (pred >= 0)
    clean, noisy = scored & ~noise.is_noisy, scored & noise.is_noisy

    def rate(mask, target):
        return float(np.mean(pred[mask] == target[mask])) if mask.any() else None

    return {
        "train_clean_accuracy": rate(clean, noise.true_labels),
        "train_noisy_accuracy": rate(noisy, noise.true_labels),
        "train_noisy_memorised": rate(noisy, noise.labels),
    }


def _train_eval_images(n: int, limit: int | None, seed: int) -> np.ndarray:
    """Sorted indices of the training images scored each epoch: all, or a seeded sample."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def _predict_classes(model, dataset) -> np.ndarray:
    return np.argmax(model.predict(dataset, verbose=0), axis=-1)


# --------------------------------------------------------------------------- callbacks


class NoiseAwareEvaluation(keras.callbacks.Callback):
    """Adds ``test_accuracy`` and the clean/noisy-subset accuracies to each epoch's logs."""

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
            np.mean(_predict_classes(self.model, self.test) == self.y_test)
        )
        predicted = _predict_classes(self.model, self.train_images)
        logs.update(noise_subset_metrics(predicted, self.noise, self.images))


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
        self.epochs[epoch] = {k: _plain(v) for k, v in (logs or {}).items()}
        self.epochs = {e: v for e, v in self.epochs.items() if e <= epoch}
        atomic_write_json(self.path, {str(e): self.epochs[e] for e in sorted(self.epochs)})


def _plain(value: Any) -> Any:
    """JSON-safe numbers: floats, with NaN/inf as None."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return value if value is None or isinstance(value, str) else str(value)
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- results


def _summarise(history: dict[int, dict], has_val: bool) -> dict:
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
    for key in ("train_clean_accuracy", "train_noisy_accuracy", "train_noisy_memorised"):
        record[f"{key}_last"] = last.get(key)
    if has_val:
        scored_val = [e for e in scored if history[e].get("val_accuracy") is not None]
        best = max(scored_val, key=lambda e: history[e]["val_accuracy"], default=None)
        record["best_by"] = "val_accuracy"
        record["val_accuracy_best"] = None if best is None else history[best]["val_accuracy"]
    else:
        best = max(scored, key=lambda e: test[e], default=None)
        record["best_by"] = "test_accuracy (oracle: no validation split)"
    record["best_epoch"] = best
    record["test_accuracy_best"] = None if best is None else test[best]
    rates = [history[e].get("examples_per_second") for e in epochs[1:] or epochs]
    rates = [r for r in rates if r]
    record["examples_per_second"] = float(np.median(rates)) if rates else None
    return record


def _versions() -> dict:
    names = ("kerasnoise", "keras", "tensorflow", "numpy", "jax", "torch")
    out = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


# --------------------------------------------------------------------------- train


def train(
    config: ExperimentConfig,
    out_dir: str | os.PathLike = "runs",
    *,
    force: bool = False,
    verbose: int | str = "auto",
    callbacks: list | tuple = (),
) -> dict:
    """Train ``config``; return its result record.

    A run that is already finished (or diverged) in ``out_dir``'s results store
    is not trained again unless ``force``; its record comes back with
    ``"skipped": True``.  An interrupted run resumes at its last finished epoch
    (``BackupAndRestore``).  ``callbacks`` are appended to the library's own.
    """
    config.validate()
    out = Path(out_dir)
    store = ResultsStore(out)
    backend = keras.backend.backend()
    run_id, group = config.run_id(backend), config.group_id(backend)
    stored_config = config.to_dict() | {"backend": backend}
    run_dir = out / run_id
    if store.is_done(run_id) and not force:
        record = store.get(run_id)["result"]
        print(f"{run_id}: already {store.get(run_id)['status']} (force=True to train again)")
        return {**record, "skipped": True}
    if force and run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)

    precision, why = resolve_precision(config.precision)
    keras.config.set_dtype_policy(precision)
    keras.utils.set_random_seed(config.seed)
    data = load_data(config)
    info = data.info
    built = pipelines.build(
        data,
        noise_lib.from_config(config.noise),
        noise_seed=config.noise_seed,
        seed=config.seed,
        batch_size=config.batch_size,
        eval_batch_size=config.eval_batch_size,
        augment=config.augment,
    )
    opt = config.optimizer
    model_params = {k: v for k, v in config.model.items() if k != "name"}
    coupled = opt.weight_decay if opt.weight_decay_mode == "coupled" else None
    model = models.get(
        config.model["name"],
        input_shape=info.image_shape,
        num_classes=info.num_classes,
        weight_decay=coupled,
        **model_params,
    )
    loss = losses.get(config.loss["name"], **{k: v for k, v in config.loss.items() if k != "name"})
    model.compile(
        optimizer=build_optimizer(opt, len(built.train)),
        loss=loss,
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        steps_per_execution=resolve_steps_per_execution(config.steps_per_execution),
        jit_compile=resolve_jit_compile(config.jit_compile, model),
    )

    atomic_write_json(run_dir / "config.json", config.to_dict())
    atomic_write_json(run_dir / "noise.json", built.noise.summary())
    store.record(
        run_id, group=group, seed=config.seed, status="running", config=stored_config, result={}
    )

    images = _train_eval_images(len(data.y_train), config.train_eval_images, config.noise_seed)
    train_images = pipelines.eval_pipeline(
        data.x_train[images],
        data.y_train[images],
        batch_size=config.eval_batch_size,
        mean=info.mean,
        std=info.std,
        num_classes=info.num_classes,
    )
    history_cb = HistoryRecorder(run_dir / "history.json")
    stops_on_nan = keras.callbacks.TerminateOnNaN()
    cbs: list = [
        built.train.epoch_callback(),
        ThroughputTimer(built.noise.num_examples),
        NoiseAwareEvaluation(train_images, built.test, data.y_test, built.noise, images),
        stops_on_nan,
    ]
    es = config.early_stopping
    if es.enabled:
        cbs.append(
            keras.callbacks.EarlyStopping(
                monitor=es.monitor,
                patience=es.patience,
                mode="auto",
                restore_best_weights=es.restore_best_weights,
            )
        )
    cbs += [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
        history_cb,
    ]
    if config.tensorboard:
        cbs.append(keras.callbacks.TensorBoard(str(run_dir / "tensorboard")))
    cbs += list(callbacks)

    print(
        f"{run_id}: {config.preset or 'custom'} on {backend}, precision "
        f"{precision} ({why}); noise {built.noise.model} realised rate {built.noise.rate:.4f}"
    )
    start = time.perf_counter()
    try:
        model.fit(
            built.train.for_fit(),  # tf.data on TensorFlow, chunked NumPy batches elsewhere
            validation_data=built.val,
            epochs=config.epochs,
            callbacks=cbs,
            verbose=verbose,
            shuffle=False,
        )
    except BaseException as err:
        store.record(
            run_id,
            group=group,
            seed=config.seed,
            status="failed",
            config=stored_config,
            result={"error": repr(err)},
        )
        raise
    wall = time.perf_counter() - start

    history = history_cb.epochs
    diverged = any(h.get("loss") is None for h in history.values()) or not history
    record: dict[str, Any] = {
        "run_id": run_id,
        "group": group,
        "status": "diverged" if diverged else "finished",
    }
    if history:
        record.update(_summarise(history, has_val=built.val is not None))
    if not diverged:
        model_path = run_dir / "model.keras"
        tmp = run_dir / "model.tmp.keras"
        model.save(tmp)
        os.replace(tmp, model_path)
        final = float(np.mean(_predict_classes(model, built.test) == data.y_test))
        record["test_accuracy_final_model"] = final
    record.update(
        wall_time_s=wall,
        backend=backend,
        precision=precision,
        precision_reason=why,
        noise_rate=built.noise.rate,
        versions=_versions(),
    )
    atomic_write_json(run_dir / "result.json", record)
    store.record(
        run_id,
        group=group,
        seed=config.seed,
        status=record["status"],
        config=stored_config,
        result=record,
    )
    print(_one_line(record))
    return record


def _one_line(record: dict) -> str:
    def pct(value):
        return "n/a" if value is None else f"{100 * value:.2f}%"

    if record["status"] == "diverged":
        return f"{record['run_id']}: DIVERGED after {record.get('epochs_run', 0)} epochs"
    return (
        f"{record['run_id']}: test accuracy {pct(record.get('test_accuracy_last'))} last epoch, "
        f"{pct(record.get('test_accuracy_best'))} at best epoch {record.get('best_epoch')} "
        f"(by {record.get('best_by')}); {record.get('epochs_run')} epochs in "
        f"{record['wall_time_s']:.1f} s, {record.get('examples_per_second') or 0:,.0f} examples/s"
    )


# --------------------------------------------------------------------------- evaluate


def evaluate_run(
    path: str | os.PathLike, *, split: str = "test", data_dir: str | None = None
) -> dict:
    """Accuracy of a run's saved model on ``split`` ("test", "val" or "train").

    ``path`` is a run directory or the ``model.keras`` inside one; the run's
    ``config.json`` rebuilds the same data (limit, validation split) and, for
    "train", the same noisy labels, so the test accuracy reproduces the record's
    ``test_accuracy_final_model``.
    """
    path = Path(path)
    run_dir = path if path.is_dir() else path.parent
    model_path = run_dir / "model.keras" if path.is_dir() else path
    if split not in ("test", "val", "train"):
        raise ValueError(f"split must be 'test', 'val' or 'train', got {split!r}")
    for needed in (run_dir / "config.json", model_path):
        if not needed.is_file():
            raise FileNotFoundError(f"{needed} not found: is {run_dir} a finished run directory?")
    config = ExperimentConfig.from_dict(json.loads((run_dir / "config.json").read_text()))
    if data_dir is not None:
        config.data_dir = data_dir
    data = load_data(config)
    info = data.info
    model = keras.saving.load_model(model_path)
    if split == "val" and data.x_val is None:
        raise ValueError("this run has no validation split (validation=0)")
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
    predicted = _predict_classes(model, ds)
    out = {
        "run": str(run_dir),
        "split": split,
        "examples": len(y),
        "accuracy": float(np.mean(predicted == y)),
    }
    if split == "train":
        result = noise_lib.from_config(config.noise).apply(
            data.y_train, num_classes=info.num_classes, seed=config.noise_seed
        )
        own = result.true_labels >= 0  # extras from another array were not predicted
        shown = result.image_index(np.arange(result.num_examples)[own])
        out["accuracy_on_noisy_labels"] = float(np.mean(predicted[shown] == result.labels[own]))
        out.update(noise_subset_metrics(predicted, result))
    return out
