"""What the backend and the machine can do: the devices a run trains on and the speed
choices it makes by itself, probed at run time, never taken from one machine's timing.

    placement = plan("data_parallel")           # every local device, or a ValueError
    execution.resolve_jit_compile("auto", model)  # (choice, reason) for the run record
    execution.resolve_precision("auto")         # mixed precision on a GPU or TPU
    execution.onednn_convolutions()             # the CPU probe most choices follow

One idea per module, importing in one direction: :mod:`~kerasnoise.devices.distribution`
(the ``distribution`` field of a run's config: one device, or data parallelism over
every local device) → :mod:`~kerasnoise.devices.execution` (the automatic choices:
device, precision, XLA, steps per call, image layout).
"""

from kerasnoise.devices import distribution, execution
from kerasnoise.devices.distribution import (
    DISTRIBUTIONS,
    Placement,
    check_supported,
    local_devices,
    mirrored,
    plan,
)
from kerasnoise.devices.execution import (
    accelerator_device,
    channels_first_runs,
    cpu_threads,
    device,
    onednn_convolutions,
    resolve_jit_compile,
    resolve_precision,
    resolve_steps_per_execution,
)

__all__ = [
    "distribution",
    "execution",
    "DISTRIBUTIONS",
    "Placement",
    "check_supported",
    "local_devices",
    "mirrored",
    "plan",
    "device",
    "accelerator_device",
    "onednn_convolutions",
    "channels_first_runs",
    "cpu_threads",
    "resolve_jit_compile",
    "resolve_steps_per_execution",
    "resolve_precision",
]
