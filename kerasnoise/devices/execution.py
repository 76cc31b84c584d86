"""The execution choices a run makes by itself — device, precision, XLA, steps per
call, image layout — decided by what this machine's backend can do, probed, never
by one machine's timing.

The probe that matters on a CPU is :func:`onednn_convolutions`: TensorFlow's CPU
convolutions take the channels-first (NCHW) layout only through its oneDNN kernels,
and TensorFlow turns oneDNN on by default only on CPUs with AVX-512-class features
(``TF_ENABLE_ONEDNN_OPTS=0`` turns it off anywhere).  So one tiny NCHW convolution
tells both whether a ``channels_first`` model can run at all and which kernels the
channels-last convolutions will use:

- oneDNN on: its convolutions beat XLA's on the CPU (LeNet-5 2.4x faster measured on
  an AVX-512 machine), so ``jit_compile="auto"`` compiles only convolution-free models;
- oneDNN off: TensorFlow's generic CPU convolutions are slow and XLA's are far faster
  (LeNet-5 at batch 32 on an AVX2-only AMD EPYC: 4,073 -> 7,464 examples/s with XLA,
  the same accuracy), so ``auto`` compiles every model.

Each ``resolve_*`` function returns the choice; :func:`resolve_jit_compile` and
:func:`resolve_precision` return ``(choice, reason)`` for the run record.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import keras

from kerasnoise.devices import distribution

__all__ = [
    "device",
    "accelerator_device",
    "onednn_convolutions",
    "channels_first_runs",
    "cpu_threads",
    "resolve_jit_compile",
    "resolve_steps_per_execution",
    "resolve_precision",
]


def device() -> str:
    """Where the backend puts a new tensor, e.g. 'cpu', 'cuda:0' (no torch/jax import)."""
    return str(getattr(keras.ops.zeros(()), "device", "")).lower()


def _on_accelerator(name: str) -> bool:
    return any(kind in name for kind in ("gpu", "cuda", "tpu"))


def accelerator_device() -> str | None:
    """The accelerator the backend puts new tensors on (e.g. 'cuda:0'), or ``None``."""
    name = device()
    return name if _on_accelerator(name) else None


# TensorFlow's errors for an op without a kernel for these arguments on this device
_NO_KERNEL = ("UnimplementedError", "NotFoundError", "InvalidArgumentError")


@functools.cache
def _nchw_convolution_runs(backend: str) -> bool:
    """Run one 1x1 channels-first convolution on the default device; ``False`` when
    the backend has no kernel for it there (``backend`` keys the cache)."""
    try:
        keras.ops.conv(
            keras.ops.zeros((1, 1, 2, 2)),
            keras.ops.zeros((1, 1, 1, 1)),
            1,
            "valid",
            data_format="channels_first",
        )
    except Exception as error:  # TensorFlow's error classes, without importing TensorFlow
        if type(error).__name__ in _NO_KERNEL:
            return False
        raise
    return True


def channels_first_runs() -> bool:
    """Whether the backend can run a ``channels_first`` convolution where models train
    (probed once per process).  ``False`` only for TensorFlow on a CPU without oneDNN."""
    return _nchw_convolution_runs(keras.backend.backend())


def onednn_convolutions() -> bool | None:
    """Whether TensorFlow's CPU convolutions run on oneDNN (probed: they alone take
    NCHW); ``None`` off TensorFlow or on an accelerator, where it does not apply."""
    if keras.backend.backend() != "tensorflow" or accelerator_device():
        return None
    return channels_first_runs()


#: The variable each backend's CPU kernels take their thread count from.
THREAD_VARIABLES = {"tensorflow": "TF_NUM_INTRAOP_THREADS", "jax": None, "torch": "OMP_NUM_THREADS"}


def cpu_threads() -> int | None:
    """The threads this process's CPU kernels compute with: ``TF_NUM_INTRAOP_THREADS``
    on TensorFlow, ``OMP_NUM_THREADS`` on PyTorch, else every core it may run on
    (JAX's XLA, and the backends' defaults); ``None`` on an accelerator.

    A run's numbers depend on it, not only on its config and seed: a multi-threaded
    kernel splits a sum between threads, so the thread count orders the float
    additions, and over thousands of steps the difference grows (TensorFlow, MLP4 at
    alpha 100: one thread and two gave 84.71 and 85.49 % at the same best step;
    ``experiments/results/README.md``, ``rolnick_budget/``).  The run record keeps it.
    """
    if accelerator_device():
        return None
    variable = THREAD_VARIABLES.get(keras.backend.backend())
    value = os.environ.get(variable, "") if variable else ""
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


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


def resolve_jit_compile(
    jit_compile: bool | str, model: keras.Model | None = None
) -> tuple[bool | str, str]:
    """``(choice, reason)`` for ``model.compile(jit_compile=...)``.

    ``auto`` is Keras's own choice, except for TensorFlow on a CPU, where it follows
    :func:`onednn_convolutions`: with oneDNN, XLA only for models without
    convolutions (``model`` not given: no XLA); without oneDNN, XLA for every model.
    Never XLA inside a tf.distribute strategy (Keras fails with it there).
    """
    if distribution.mirrored():
        return False, "no XLA inside tf.distribute's MirroredStrategy (Keras fails with it)"
    if jit_compile != "auto":
        return jit_compile, "as configured"
    onednn = onednn_convolutions()
    if onednn is None:
        return "auto", "auto: Keras's own choice"
    if not onednn:
        return True, "auto: TensorFlow CPU without oneDNN, XLA's kernels are faster"
    if model is None:
        return False, "auto: TensorFlow CPU with oneDNN, no model to inspect"
    if _has_convolution(model):
        return False, "auto: TensorFlow CPU with oneDNN, its convolutions beat XLA's"
    return True, "auto: TensorFlow CPU, no convolutions, XLA fuses the element-wise ops"


def resolve_steps_per_execution(steps: int) -> int:
    """``steps``, except 1 on PyTorch, where Keras refuses more than one step per call,
    and inside TensorFlow's ``data_parallel`` strategy, where it fails with more."""
    return 1 if keras.backend.backend() == "torch" or distribution.mirrored() else steps


def resolve_precision(precision: str, name: str | None = None) -> tuple[str, str]:
    """The dtype policy to use and why: ``auto`` is ``mixed_float16`` on a GPU (whose
    tensor cores run float16 on every generation; the loss scale keeps small gradients),
    ``mixed_bfloat16`` on a TPU (its native format) and float32 on a CPU.  ``name`` is
    the device (default: where the backend puts a new tensor)."""
    if precision != "auto":
        return precision, "as configured"
    name = device() if name is None else name.lower()
    if "tpu" in name:
        return "mixed_bfloat16", f"auto: tensors live on a TPU ({name})"
    if _on_accelerator(name):
        return "mixed_float16", f"auto: tensors live on a GPU ({name}); loss-scaled float16"
    return "float32", f"auto: tensors live on the CPU ({name or 'cpu'}), keep float32"
