"""A run's model, compiled with its loss, optimizer and speed choices, and the callbacks
it trains with."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras

from kerasnoise import callbacks as cbs
from kerasnoise import datasets, losses, models, optimizers
from kerasnoise import methods as methods_lib
from kerasnoise import noise as noise_lib
from kerasnoise.config import ExperimentConfig
from kerasnoise.devices import execution
from kerasnoise.results import rundir
from kerasnoise.training.data import RunData

__all__ = [
    "RunCallbacks",
    "assemble",
    "build_callbacks",
    "build_model",
    "compile_model",
    "execution_record",
    "loss_for_run",
]


def build_model(
    config: ExperimentConfig, info: datasets.DatasetInfo, method: methods_lib.Method
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

    return method.build_model(network, config)


def loss_for_run(
    config: ExperimentConfig, method: methods_lib.Method, noise: noise_lib.NoiseResult
) -> tuple[dict, dict]:
    """The loss section the run compiles with and what it adds to the run's record: the
    method's (:meth:`kerasnoise.methods.Method.loss_section`), then the loss's own
    reading of the run's noise (:func:`kerasnoise.losses.for_run`)."""
    section, record = method.loss_section(config, noise)
    params, loss_record = losses.for_run(section, noise)
    return {"name": section["name"], **params}, {**loss_record, **record}


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
    jit_compile, reason = execution.resolve_jit_compile(config.jit_compile, model)
    steps_per_execution = execution.resolve_steps_per_execution(config.steps_per_execution)
    optimizer = optimizers.build(config.optimizer, steps_per_epoch, config.epochs)
    section = dict(config.loss if loss_section is None else loss_section)
    model.compile(
        optimizer=optimizer,
        loss=losses.get(section.pop("name"), **section),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        steps_per_execution=steps_per_execution,
        jit_compile=jit_compile,
    )
    return reason


def assemble(
    config: ExperimentConfig, run_data: RunData, method: methods_lib.Method
) -> tuple[keras.Model, dict, dict]:
    """The run's model, compiled: :func:`build_model`, then :func:`compile_model` with
    the loss its method gives for its noise (:func:`loss_for_run`).  Returns the model,
    its :func:`execution_record` and what the loss adds to the run's record."""
    model = build_model(config, run_data.data.info, method)
    loss_section, loss_record = loss_for_run(config, method, run_data.built.noise)
    jit_reason = compile_model(model, config, len(run_data.train), loss_section)
    return model, execution_record(model, run_data, jit_reason), loss_record


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
    *,
    method: methods_lib.Method,
) -> RunCallbacks:
    """The run's instruments, early stopping and checkpoint (in ``checkpoint_dir``,
    default ``run_dir/checkpoint``); ``extra`` goes last."""
    built = run_data.built
    history = cbs.HistoryRecorder(run_dir / rundir.HISTORY)
    out: list = [
        run_data.train.epoch_callback(),
        cbs.ThroughputTimer(run_data.train.examples_per_epoch),
        cbs.NoiseAwareEvaluation(
            run_data.train_images,
            built.test,
            run_data.data.y_test,
            built.noise,
            run_data.scored_images,
        ),
        *method.callbacks(config, run_data),
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
        "feed": run_data.train.fit_feed,
        "cpu_threads": execution.cpu_threads(),
    }
