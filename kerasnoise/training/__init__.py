"""Train one experiment configuration with ``model.fit`` and leave a complete run record.

One idea per submodule: :mod:`~kerasnoise.training.run` (where a run lives, its
store rows) → :mod:`~kerasnoise.training.keras_state` → :mod:`~kerasnoise.training.data`
(the data set, noise and pipelines) → :mod:`~kerasnoise.training.assembly` (model,
loss, optimizer, callbacks) → :mod:`~kerasnoise.training.record` (the result record)
→ :mod:`~kerasnoise.training.earlier_stage` (a finished run handed to the method that
asked for it) → :mod:`~kerasnoise.training.lifecycle` (:func:`train`).

:func:`train` is a sequence of steps that sweeps, tuning and experiments reuse:
:func:`open_run` (where the run lives, is it done?), :func:`build_data` (data,
noise, pipelines), :func:`build_model` (the model), :func:`compile_model` (loss,
optimizer, the speed choices of :mod:`kerasnoise.devices.execution`),
:func:`build_callbacks` (the run's instruments and its checkpoint),
:func:`fit` and :func:`finish` (the result record).  :func:`isolated_keras_state`
keeps one run's global Keras state (dtype policy, seeds, layer names) from
leaking into the next, so repeated runs in one process give the numbers of
separate processes.  The run directory's files are listed in
:mod:`kerasnoise.results.rundir`.

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

from kerasnoise.training.assembly import (
    RunCallbacks,
    assemble,
    build_callbacks,
    build_model,
    compile_model,
    execution_record,
    loss_for_run,
)
from kerasnoise.training.data import RunData, build_data, load_data
from kerasnoise.training.keras_state import isolated_keras_state
from kerasnoise.training.lifecycle import fit, run_earlier_stage, train
from kerasnoise.training.record import best_by, finish, steps_record, summarise
from kerasnoise.training.run import Run, library_versions, open_run

__all__ = [
    "Run",
    "RunCallbacks",
    "RunData",
    "assemble",
    "best_by",
    "build_callbacks",
    "build_data",
    "build_model",
    "compile_model",
    "execution_record",
    "finish",
    "fit",
    "isolated_keras_state",
    "library_versions",
    "load_data",
    "loss_for_run",
    "open_run",
    "run_earlier_stage",
    "steps_record",
    "summarise",
    "train",
]
