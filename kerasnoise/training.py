"""Train one experiment configuration with ``model.fit`` and leave a complete run record.

:func:`train` is a sequence of steps that sweeps, tuning and experiments reuse:
:func:`open_run` (where the run lives, is it done?), :func:`build_data` (data,
noise, pipelines), :func:`build_model` (the model), :func:`compile_model` (loss,
optimizer, the speed choices of :mod:`kerasnoise.execution`),
:func:`build_callbacks` (the run's instruments and its checkpoint),
:func:`fit` and :func:`finish` (the result record).  :func:`isolated_keras_state`
keeps one run's global Keras state (dtype policy, seeds, layer names) from
leaking into the next, so repeated runs in one process give the numbers of
separate processes.  The run directory's files are listed in
:mod:`kerasnoise.rundir`.

Per epoch, besides Keras's loss and accuracy on the *noisy* training labels and
the validation metrics, the history holds ``test_accuracy`` and, because the
library knows which labels are noisy, ``train_clean_accuracy`` (examples whose
label is right), ``train_noisy_accuracy`` (examples whose label is wrong,
scored against their TRUE label) and ``train_noisy_memorised`` (the same
examples, scored against their WRONG label: memorisation); a subset that is
empty (no noisy label) is absent from the history and ``None`` in the record.

The result record names both test accuracies: ``test_accuracy_last`` (last
epoch) and ``test_accuracy_best`` at ``best_epoch``, chosen by ``best_by`` —
the validation metric early stopping monitors when it monitors one (``val_loss``:
lowest), else validation accuracy when there is a validation split, otherwise the maximum of
the test accuracy itself, which is an optimistic oracle and labelled as such.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import os
import random
import shutil
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kerasnoise import callbacks as cbs
from kerasnoise import (
    datasets,
    distribution,
    execution,
    losses,
    metrics,
    models,
    optimizers,
    pipelines,
    rundir,
)
from kerasnoise import methods as methods_lib
from kerasnoise import noise as noise_lib
from kerasnoise._io import atomic_write_json, atomic_write_text
from kerasnoise.config import ExperimentConfig
from kerasnoise.store import ResultsStore

__all__ = [
    "train",
    "open_run",
    "isolated_keras_state",
    "build_data",
    "build_model",
    "compile_model",
    "build_callbacks",
    "fit",
    "finish",
    "load_data",
    "loss_for_run",
    "run_earlier_stage",
]


# --------------------------------------------------------------------------- pieces


def load_data(config: ExperimentConfig) -> datasets.Dataset:
    """The data set as the config describes it: limit, then validation split; with
    ``input_scale="unit"`` its statistics are 0 and 1, so every pipeline feeds ``x / 255``."""
    data = datasets.load(config.dataset, config.data_dir, file=config.data_file)
    if config.input_scale == "unit":
        channels = data.info.image_shape[-1]
        info = dataclasses.replace(data.info, mean=(0.0,) * channels, std=(1.0,) * channels)
        data = dataclasses.replace(data, info=info)
    if config.train_limit is not None:
        n = config.train_limit
        data = dataclasses.replace(data, x_train=data.x_train[:n], y_train=data.y_train[:n])
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


# --------------------------------------------------------------------------- results


def best_by(config: ExperimentConfig) -> str:
    """The validation metric that picks a run's best epoch: early stopping's monitor when
    it watches one (``val_loss``: lowest, as Patrini et al. keep the weights), else
    ``val_accuracy`` (highest)."""
    es = config.early_stopping
    return es.monitor if es.enabled and es.monitor.startswith("val_") else "val_accuracy"


def _summarise(history: dict[int, dict], has_val: bool, by: str = "val_accuracy") -> dict:
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


def _steps(summary: dict, steps_per_epoch: int) -> dict:
    """Training steps: per (Keras) epoch, in all, and up to the best epoch's end."""
    best = summary.get("best_epoch")
    return {
        "steps_per_epoch": steps_per_epoch,
        "steps_run": summary["epochs_run"] * steps_per_epoch,
        "best_step": None if best is None else (best + 1) * steps_per_epoch,
    }


def _versions() -> dict:
    names = ("kerasnoise", "keras", "tensorflow", "numpy", "jax", "torch")
    out = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


# --------------------------------------------------------------------------- steps


@dataclasses.dataclass
class Run:
    """Where one config's run lives and how it is keyed (see :func:`open_run`)."""

    config: ExperimentConfig
    store: ResultsStore
    backend: str
    run_id: str
    group: str
    run_dir: Path
    checkpoint_dir: Path  # rundir.checkpoint_folder: in the run directory or outside it

    @property
    def stored_config(self) -> dict:
        """The config as the store holds it: with the backend it ran on."""
        return self.config.to_dict() | {"backend": self.backend}

    def is_done(self) -> bool:
        return self.store.is_done(self.run_id)

    def record(self, status: str, result: dict) -> None:
        self.store.record(
            self.run_id,
            group=self.group,
            seed=self.config.seed,
            status=status,
            config=self.stored_config,
            result=result,
        )

    def tag(self, sweep: str, method: str, axes: dict) -> None:
        """Record in the store and in ``tags.json`` that this run belongs to ``sweep``."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        rundir.add_tag(self.run_dir, sweep=sweep, method=method, axes=axes)
        self.store.tag(self.run_id, sweep=sweep, method=method, axes=axes)


def open_run(
    config: ExperimentConfig,
    out_dir: str | os.PathLike = "runs",
    checkpoint_dir: str | os.PathLike | None = None,
) -> Run:
    """Validate ``config`` and find its run directory and store under ``out_dir``, and
    its checkpoint folder (:func:`kerasnoise.rundir.checkpoint_folder`)."""
    config.validate()
    out = Path(out_dir)
    backend = keras.backend.backend()
    run_id = config.run_id(backend)
    return Run(
        config=config,
        store=ResultsStore(out),
        backend=backend,
        run_id=run_id,
        group=config.group_id(backend),
        run_dir=out / run_id,
        checkpoint_dir=rundir.checkpoint_folder(out / run_id, run_id, checkpoint_dir),
    )


@contextlib.contextmanager
def isolated_keras_state(precision: str):
    """Run a block in a fresh Keras session with ``precision`` as the dtype policy.

    On exit the session is cleared again and what was found on entry comes back: the
    dtype policy, Keras's global seed and the states of Python's and NumPy's global
    generators (which ``keras.utils.set_random_seed`` inside the block reseeds).
    """
    policy = keras.config.dtype_policy()
    seed = _keras_global_seed()
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    keras.backend.clear_session(free_memory=False)
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.backend.clear_session(free_memory=False)
        keras.config.set_dtype_policy(policy)
        if seed is not None:
            keras.utils.set_random_seed(seed)
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002


def _keras_global_seed() -> int | None:
    """The seed of ``keras.utils.set_random_seed``, if any (Keras has no public getter)."""
    try:
        from keras.src.utils.rng_utils import get_random_seed
    except ImportError:  # pragma: no cover - a Keras that moved it
        return None
    return get_random_seed()


@dataclasses.dataclass
class RunData:
    """The data of a run: the data set, its noisy pipelines, the images scored per epoch."""

    data: datasets.Dataset
    built: pipelines.NoisyData
    scored_images: np.ndarray  # indices of the training images scored each epoch
    train_images: Any  # their evaluation pipeline


def build_data(config: ExperimentConfig) -> RunData:
    """Load the data, apply the noise and build the pipelines the config asks for."""
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
        clean_flags=methods_lib.from_config(config.method).needs(config).clean_flags,
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
    return RunData(data=data, built=built, scored_images=images, train_images=train_images)


def data_sizes(run_data: RunData) -> dict[str, int]:
    """The number of examples in each data set a run batches (for the batch checks)."""
    built = run_data.built
    sizes = {"training": built.noise.num_examples}
    if built.val is not None:
        val_noise = built.val_noise
        sizes["validation"] = (
            val_noise.num_examples if val_noise is not None else len(run_data.data.y_val)
        )
    sizes["test"] = len(run_data.data.y_test)
    sizes["training-evaluation"] = len(run_data.scored_images)
    return sizes


def execution_record(model: keras.Model, run_data: RunData, jit_compile_reason: str) -> dict:
    """The speed settings the run used, as the compiled model holds them after the
    automatic choices were resolved, the feed ``fit`` was given, and whether
    TensorFlow's CPU convolutions ran on oneDNN (``None`` where that does not apply),
    and the CPU threads it computed with (``None`` on an accelerator)."""
    return {
        "steps_per_execution": model.steps_per_execution,
        "jit_compile": model.jit_compile,
        "jit_compile_reason": jit_compile_reason,
        "onednn": execution.onednn_convolutions(),
        "data_format": models.data_format_of(model),
        "feed": run_data.built.train.fit_feed,
        "cpu_threads": execution.cpu_threads(),
    }


def build_model(
    config: ExperimentConfig, info: datasets.DatasetInfo, method: methods_lib.Method | None = None
) -> keras.Model:
    """The model the config's training method trains, uncompiled (call inside
    :func:`isolated_keras_state`, which sets the precision): the method's
    :meth:`kerasnoise.methods.Method.build_model` from a factory of the config's
    network (plain training: one network; Co-teaching: two, built one after the other
    from the run's seed, so their initial weights differ)."""
    opt = config.optimizer
    model_params = {k: v for k, v in config.model.items() if k != "name"}
    coupled = opt.weight_decay if opt.effective_decay_mode() == "coupled" else None

    def network():
        return models.get(
            config.model["name"],
            input_shape=info.image_shape,
            num_classes=info.num_classes,
            weight_decay=coupled,
            **model_params,
        )

    method = method or methods_lib.from_config(config.method)
    return method.build_model(network, config)


def compile_model(
    model: keras.Model,
    config: ExperimentConfig,
    steps_per_epoch: int,
    loss_section: dict | None = None,
) -> str:
    """Compile ``model`` with the config's loss, optimizer and speed settings; returns
    why ``jit_compile`` is what it is (for the run record).  ``loss_section``
    (``{"name": ..., **params}``) replaces the config's loss section (a run's loss made
    ready for its noise: :func:`loss_for_run`)."""
    section = dict(config.loss if loss_section is None else loss_section)
    loss = losses.get(section.pop("name"), **section)
    jit_compile, reason = execution.resolve_jit_compile(config.jit_compile, model)
    model.compile(
        optimizer=optimizers.build(config.optimizer, steps_per_epoch, config.epochs),
        loss=loss,
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        steps_per_execution=execution.resolve_steps_per_execution(config.steps_per_execution),
        jit_compile=jit_compile,
    )
    return reason


@dataclasses.dataclass
class RunCallbacks:
    """The callbacks of a run, in the order ``fit`` calls them, and the two read back."""

    all: list
    history: cbs.HistoryRecorder
    checkpoint: cbs.RunCheckpoint


def build_callbacks(
    config: ExperimentConfig,
    run_dir: Path,
    run_data: RunData,
    extra: list | tuple = (),
    checkpoint_dir: Path | None = None,
    method: methods_lib.Method | None = None,
) -> RunCallbacks:
    """The run's instruments, early stopping and checkpoint (in ``checkpoint_dir``,
    default ``run_dir/checkpoint``); ``extra`` goes last."""
    built = run_data.built
    history = cbs.HistoryRecorder(run_dir / rundir.HISTORY)
    out: list = [
        built.train.epoch_callback(),
        cbs.ThroughputTimer(built.train.examples_per_epoch),
        cbs.NoiseAwareEvaluation(
            run_data.train_images,
            built.test,
            run_data.data.y_test,
            built.noise,
            run_data.scored_images,
        ),
        *(method or methods_lib.from_config(config.method)).callbacks(config, run_data),
        keras.callbacks.TerminateOnNaN(),
    ]
    es = config.early_stopping
    early_stopping = None
    if es.enabled:
        early_stopping = keras.callbacks.EarlyStopping(
            monitor=es.monitor,
            patience=es.patience,
            mode="auto",
            restore_best_weights=es.restore_best_weights,
        )
        out.append(early_stopping)
    checkpoint = cbs.RunCheckpoint(
        checkpoint_dir or run_dir / rundir.CHECKPOINT, early_stopping, history
    )
    out += [history, checkpoint]  # the checkpoint commits the epoch: after all it saves
    if config.tensorboard:
        out.append(keras.callbacks.TensorBoard(str(run_dir / "tensorboard")))
    out += list(extra)
    return RunCallbacks(all=out, history=history, checkpoint=checkpoint)


def fit(
    model: keras.Model,
    config: ExperimentConfig,
    run_data: RunData,
    callbacks: RunCallbacks,
    verbose: int | str = "auto",
) -> None:
    """``model.fit`` from the checkpoint's epoch (0 for a fresh run) to ``config.epochs``."""
    initial_epoch = callbacks.checkpoint.restore(model)
    model.fit(
        run_data.built.train.for_fit(),  # tf.data on TensorFlow, chunked NumPy elsewhere
        validation_data=run_data.built.val,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        callbacks=callbacks.all,
        verbose=verbose,
        shuffle=False,
    )


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
        record.update(_summarise(history, has_val=has_val, by=best_by(run.config)))
        record.update(_steps(record, len(run_data.built.train)))
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
        versions=_versions(),
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


# --------------------------------------------------------------------------- train


def train(
    config: ExperimentConfig,
    out_dir: str | os.PathLike = "runs",
    *,
    force: bool = False,
    verbose: int | str = "auto",
    callbacks: list | tuple = (),
    tag: dict | None = None,
    quiet: bool = False,
    checkpoint_dir: str | os.PathLike | None = None,
) -> dict:
    """Train ``config``; return its result record.

    A run that is already finished (or diverged) in ``out_dir``'s results store
    is not trained again unless ``force``; its record comes back with
    ``"skipped": True``.  An interrupted run resumes at its last finished epoch
    and ends with the history an uninterrupted run would have.  ``callbacks`` are
    appended to the library's own.  ``tag`` (``{"sweep", "method", "axes"}``)
    records the sweep the run belongs to.  ``verbose`` is Keras's progress output;
    ``quiet`` also silences the run's own start and result lines.  ``checkpoint_dir``
    keeps the checkpoint in ``<checkpoint_dir>/<run_id>/`` instead of the run
    directory (default ``$KERASNOISE_CHECKPOINT_DIR``, if set): a run whose output
    folder was lost or re-created from its committed records resumes from it there.
    """
    run = open_run(config, out_dir, checkpoint_dir)
    say = (lambda *a, **k: None) if quiet else print
    if run.is_done() and not force:
        if tag:
            run.tag(**tag)
        stored = run.store.get(run.run_id)
        say(f"{run.run_id}: already {stored['status']} (force=True to train again)")
        return {**stored["result"], "skipped": True}

    method = methods_lib.from_config(config.method)
    earlier = method.earlier_stage(config)
    if earlier is not None:  # another run first (found finished by its run id, or trained)
        method.use_earlier_stage(
            config,
            run_earlier_stage(
                earlier, out_dir, verbose=verbose, quiet=quiet, checkpoint_dir=checkpoint_dir
            ),
        )
    placement = distribution.plan(config.distribution)
    precision, why = execution.resolve_precision(config.precision)
    with isolated_keras_state(precision), placement.scope():
        keras.utils.set_random_seed(config.seed)
        run_data = build_data(config)
        loss_section, loss_record = loss_for_run(config, method, run_data.built.noise)
        placement.check_batches(config.batch_size, config.eval_batch_size, data_sizes(run_data))
        if force:
            shutil.rmtree(run.run_dir, ignore_errors=True)
            shutil.rmtree(run.checkpoint_dir, ignore_errors=True)
        run.run_dir.mkdir(parents=True, exist_ok=True)
        if tag:
            run.tag(**tag)
        model = build_model(config, run_data.data.info, method)
        jit_reason = compile_model(model, config, len(run_data.built.train), loss_section)
        rundir.write_identity(
            run.run_dir, run_id=run.run_id, group=run.group, seed=config.seed, backend=run.backend
        )
        atomic_write_json(run.run_dir / rundir.CONFIG, config.to_dict())
        atomic_write_json(run.run_dir / rundir.NOISE, _noise_summary(run_data.built))
        run.record("running", {})
        started_before = (run.run_dir / rundir.HISTORY).is_file()
        run_callbacks = build_callbacks(
            config, run.run_dir, run_data, callbacks, run.checkpoint_dir, method
        )
        noise = run_data.built.noise
        where = f" on {placement.num_replicas} devices" if placement.devices else ""
        say(
            f"{run.run_id}: {config.preset or 'custom'} on {run.backend}{where}, precision "
            f"{precision} ({why}); noise {noise.model} realised rate {noise.rate:.4f}"
        )
        _say_where_it_starts(run, run_callbacks.checkpoint, started_before, say)
        try:
            fit(model, config, run_data, run_callbacks, verbose)
        except BaseException as err:
            run.record("failed", {"error": repr(err)})
            raise
        record = finish(
            run,
            model,
            run_data,
            run_callbacks,
            {
                "precision": precision,
                "precision_reason": why,
                "execution": execution_record(model, run_data, jit_reason),
                "distribution": placement.record(),
                **loss_record,
            },
        )
    say(_one_line(record))
    return record


def loss_for_run(
    config: ExperimentConfig, method: methods_lib.Method, noise: noise_lib.NoiseResult
) -> tuple[dict, dict]:
    """The loss section the run compiles with and what it adds to the run's record: the
    method's (:meth:`kerasnoise.methods.Method.loss_section`), then the loss's own
    reading of the run's noise (:func:`kerasnoise.losses.for_run`)."""
    section, record = method.loss_section(config, noise)
    params, loss_record = losses.for_run(section, noise)
    return {"name": section["name"], **params}, {**loss_record, **record}


def run_earlier_stage(
    config: ExperimentConfig,
    out_dir: str | os.PathLike = "runs",
    *,
    verbose: int | str = "auto",
    quiet: bool = False,
    checkpoint_dir: str | os.PathLike | None = None,
) -> methods_lib.EarlierStage:
    """Train ``config`` in ``out_dir`` (or find it finished there, by its run id) as the
    earlier stage a method asked for, and hand it back as a
    :class:`kerasnoise.methods.EarlierStage`: its record, its folder, and functions
    that give its saved model's logits on every training image and the noisy labels
    it trained on (each computed when called, in a Keras state of its own)."""
    record = train(config, out_dir, verbose=verbose, quiet=quiet, checkpoint_dir=checkpoint_dir)
    run = open_run(config, out_dir, checkpoint_dir)

    def predict() -> np.ndarray:
        precision, _ = execution.resolve_precision(config.precision)
        with isolated_keras_state(precision):
            data = load_data(config)
            info = data.info
            model = keras.saving.load_model(run.run_dir / rundir.MODEL, compile=False)
            images = pipelines.eval_pipeline(
                data.x_train,
                data.y_train,
                batch_size=config.eval_batch_size,
                mean=info.mean,
                std=info.std,
                num_classes=info.num_classes,
            )
            return np.asarray(model.predict(images, verbose=0), dtype=np.float64)

    def noisy_labels() -> np.ndarray:
        noisy, _ = pipelines.corrupt(
            load_data(config),
            noise_lib.from_config(config.noise),
            noise_seed=config.data_noise_seed(),
            noisy_validation=config.validation_labels == "noisy",
        )
        return noisy.labels

    return methods_lib.EarlierStage(
        config=config,
        run_id=run.run_id,
        run_dir=run.run_dir,
        record=record,
        predict=predict,
        noisy_labels=noisy_labels,
    )


def _say_where_it_starts(run: Run, checkpoint, started_before: bool, say) -> None:
    """One line when the run resumes, or when it starts afresh although it was started
    before or its checkpoint is kept outside the run directory (the checkpoint that
    would have resumed it is not there: a warning, on stderr, even when quiet)."""
    latest = checkpoint.latest()
    outside = run.checkpoint_dir != run.run_dir / rundir.CHECKPOINT
    if latest is not None:
        epoch = int(latest.name.split("-")[1]) + 1
        say(f"{run.run_id}: resuming at epoch {epoch} from the checkpoint in {latest.parent}")
    elif started_before or outside:
        print(
            f"{run.run_id}: no checkpoint in {run.checkpoint_dir}; training from the start",
            file=sys.stderr,
        )


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
