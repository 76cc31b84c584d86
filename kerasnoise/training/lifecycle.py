"""One run's lifecycle: its training method's earlier stage, its data, model and loss,
``model.fit`` from its checkpoint, and its result record (:func:`train`)."""

from __future__ import annotations

import os
import shutil
import sys

import keras

from kerasnoise import methods as methods_lib
from kerasnoise.config import ExperimentConfig
from kerasnoise.devices import distribution, execution
from kerasnoise.results import rundir
from kerasnoise.training.assembly import RunCallbacks, assemble, build_callbacks
from kerasnoise.training.data import RunData, build_data
from kerasnoise.training.earlier_stage import finished_stage
from kerasnoise.training.keras_state import isolated_keras_state
from kerasnoise.training.record import finish
from kerasnoise.training.run import Run, open_run

__all__ = ["fit", "run_earlier_stage", "train"]


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
        stored = run.stored()
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
    precision, why = execution.resolve_precision(config.precision)
    placement = distribution.plan(config.distribution)
    with isolated_keras_state(precision), placement.scope():
        keras.utils.set_random_seed(config.seed)
        run_data = build_data(config, method.needs(config))
        method.use_data(config, run_data)
        run_data.train = method.train_pipeline(config, run_data)
        placement.check_batches(config.batch_size, config.eval_batch_size, run_data.sizes)
        if force:
            shutil.rmtree(run.run_dir, ignore_errors=True)
            shutil.rmtree(run.checkpoint_dir, ignore_errors=True)
        run.run_dir.mkdir(parents=True, exist_ok=True)
        if tag:
            run.tag(**tag)
        model, speed, loss_record = assemble(config, run_data, method)
        run.begin(run_data.noise_summary)
        started_before = (run.run_dir / rundir.HISTORY).is_file()
        run_callbacks = build_callbacks(
            config, run.run_dir, run_data, callbacks, run.checkpoint_dir, method=method
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
                "execution": speed,
                "distribution": placement.record(),
                **loss_record,
            },
        )
    say(_one_line(record))
    return record


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
        run_data.train.for_fit(),  # tf.data on TensorFlow, chunked NumPy elsewhere
        validation_data=run_data.built.val,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        callbacks=callbacks.all,
        verbose=verbose,
        shuffle=False,
    )


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
    :class:`kerasnoise.methods.EarlierStage` (:mod:`kerasnoise.training.earlier_stage`)."""
    record = train(config, out_dir, verbose=verbose, quiet=quiet, checkpoint_dir=checkpoint_dir)
    return finished_stage(open_run(config, out_dir, checkpoint_dir), record)


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
