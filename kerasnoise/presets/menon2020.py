"""Menon, Rawat, Reddi, Kumar, ICLR 2020, "Can gradient clipping mitigate label noise?",
with the corrections of its ReScience C reproduction (Mizrahi et al. 2021).

Presets ``menon-mnist-lenet``, ``menon-cifar10-resnet50``, ``menon-cifar100-resnet50``;
the six methods of the paper's tables (:func:`methods`, :func:`labels`), their loss
parameters per data set (:data:`LOSS_PARAMS`: τ = 2 for PHuber-CE on CIFAR-10, 10
elsewhere, written once here) and the published test accuracies (:data:`REFERENCES`).
The protocol and its corrections are in ``docs/papers.md``.
"""

from __future__ import annotations

import copy

from kerasnoise.config import ExperimentConfig, OptimizerConfig
from kerasnoise.presets._registry import Reference, register

__all__ = ["CITATION", "RATES", "LOSS_PARAMS", "methods", "labels", "REFERENCES"]

CITATION = "Menon, Rawat, Reddi, Kumar, ICLR 2020, with the corrections of Mizrahi et al. 2021"
#: The symmetric (exclusive) noise rates of every table.
RATES = (0.0, 0.2, 0.4, 0.6)

#: Loss parameters per data set: what ``loss=NAME`` brings in that preset.
LOSS_PARAMS = {
    "mnist": {"gce": {"q": 0.7}, "phuber_ce": {"tau": 10.0}, "phuber_gce": {"tau": 10.0, "q": 0.7}},
    "cifar10": {
        "gce": {"q": 0.7},
        "phuber_ce": {"tau": 2.0},
        "phuber_gce": {"tau": 10.0, "q": 0.7},
    },
    "cifar100": {
        "gce": {"q": 0.7},
        "phuber_ce": {"tau": 10.0},
        "phuber_gce": {"tau": 10.0, "q": 0.7},
    },
}

_METHODS = {
    "ce": ("CE", {"loss": "ce"}),
    "ce_clip": ("CE + clipping", {"loss": "ce", "optimizer.global_clipnorm": 0.1}),
    "linear": ("Linear", {"loss": "linear"}),
    "gce": ("GCE", {"loss": "gce"}),
    "phuber_ce": ("PHuber-CE", {"loss": "phuber_ce"}),
    "phuber_gce": ("PHuber-GCE", {"loss": "phuber_gce"}),
}
#: The parameter a label shows, as the paper names its methods.
_SHOWN = {"gce": ("q", "q"), "phuber_ce": ("tau", "τ"), "phuber_gce": ("tau", "τ")}


def methods(dataset: str) -> dict[str, dict]:
    """The paper's six methods as config overrides (loss parameters come from the preset)."""
    _check(dataset)
    return {name: dict(overrides) for name, (_, overrides) in _METHODS.items()}


def labels(dataset: str) -> dict[str, str]:
    """The methods' labels with their parameters on ``dataset``: ``'PHuber-CE (τ 2)'``."""
    params = LOSS_PARAMS[_check(dataset)]
    out = {}
    for name, (label, _) in _METHODS.items():
        if name in _SHOWN:
            key, symbol = _SHOWN[name]
            label = f"{label} ({symbol} {params[name][key]:g})"
        out[name] = label
    return out


def _check(dataset: str) -> str:
    if dataset not in LOSS_PARAMS:
        raise ValueError(f"dataset must be one of {', '.join(LOSS_PARAMS)}, got {dataset!r}")
    return dataset


def _columns(rows: dict[str, tuple[float, ...]]) -> dict[str, dict[float, float]]:
    return {method: dict(zip(RATES, values, strict=True)) for method, values in rows.items()}


_PAPER = "Menon et al. 2020, as read off the figures of Mizrahi et al. 2021"
_REPRODUCTION = "Mizrahi et al. 2021 (ReScience C), PyTorch reproduction, mean of 3 trials"

#: Test accuracy (%) at each noise rate: the paper's and the PyTorch reproduction's.
REFERENCES = {
    "mnist": (
        Reference(
            "paper",
            _PAPER,
            _columns(
                {
                    "ce": (98.7, 97.7, 96.4, 91.1),
                    "ce_clip": (98.6, 97.5, 96.8, 88.0),
                    "linear": (98.3, 88.2, 78.8, 9.6),
                    "gce": (98.8, 98.6, 98.2, 97.6),
                    "phuber_ce": (98.5, 98.7, 98.5, 97.6),
                    "phuber_gce": (98.6, 98.5, 98.4, 97.8),
                }
            ),
        ),
        Reference(
            "reproduction",
            _REPRODUCTION,
            _columns(
                {
                    "ce": (99.1, 98.8, 98.6, 98.0),
                    "ce_clip": (97.0, 96.5, 95.7, 94.7),
                    "linear": (95.0, 98.5, 98.2, 97.6),
                    "gce": (98.8, 98.7, 98.5, 98.1),
                    "phuber_ce": (99.0, 98.8, 98.5, 97.6),
                    "phuber_gce": (98.9, 98.7, 98.4, 98.0),
                }
            ),
        ),
    ),
    "cifar10": (
        Reference(
            "paper",
            _PAPER,
            _columns(
                {
                    "ce": (92.4, 72.4, 61.4, 40.6),
                    "ce_clip": (88.3, 68.7, 56.7, 44.2),
                    "linear": (91.3, 88.2, 83.8, 69.3),
                    "gce": (91.7, 88.4, 80.8, 60.0),
                    "phuber_ce": (91.6, 88.6, 83.6, 72.2),
                    "phuber_gce": (92.0, 88.5, 80.8, 62.6),
                }
            ),
        ),
        Reference(
            "reproduction",
            _REPRODUCTION,
            _columns(
                {
                    "ce": (95.8, 84.0, 67.8, 44.0),
                    "ce_clip": (89.3, 82.6, 78.7, 67.6),
                    "linear": (94.1, 91.4, 86.0, 58.6),
                    "gce": (95.3, 92.5, 82.4, 53.3),
                    "phuber_ce": (94.8, 92.8, 87.8, 73.2),
                    "phuber_gce": (95.4, 92.2, 81.5, 54.3),
                }
            ),
        ),
    ),
    "cifar100": (
        Reference(
            "paper",
            _PAPER,
            _columns(
                {
                    "ce": (66.6, 49.7, 29.9, 11.4),
                    "ce_clip": (28.8, 20.6, 14.7, 9.0),
                    "linear": (12.1, 6.6, 5.7, 3.6),
                    "gce": (70.1, 63.9, 52.0, 29.9),
                    "phuber_ce": (66.2, 56.2, 44.4, 18.5),
                    "phuber_gce": (69.8, 64.4, 52.4, 31.5),
                }
            ),
        ),
        Reference(
            "reproduction",
            _REPRODUCTION,
            _columns(
                {
                    "ce": (75.4, 62.2, 45.8, 26.7),
                    "ce_clip": (23.5, 20.4, 16.2, 12.9),
                    "linear": (13.7, 8.2, 5.9, 3.9),
                    "gce": (73.3, 68.5, 59.5, 40.3),
                    "phuber_ce": (60.6, 54.8, 43.1, 24.3),
                    "phuber_gce": (72.7, 68.4, 60.2, 42.2),
                }
            ),
        ),
    ),
}


def mnist_lenet() -> ExperimentConfig:
    """LeNet-5 on MNIST: Adam 1e-3 decayed continuously by 0.1 per 10k steps, coupled
    weight decay 1e-3 added after any clipping (as the reference's torch Adam does),
    batch 32, 20 epochs."""
    return ExperimentConfig(
        preset="menon-mnist-lenet",
        source=f"{CITATION}: MNIST, LeNet-5",
        description="LeNet-5 on MNIST, Adam 1e-3 decayed x0.1 per 10k steps, L2 1e-3, "
        "batch 32, 20 epochs, symmetric exclusive noise",
        dataset="mnist",
        model={"name": "lenet5"},
        loss={"name": "ce"},
        noise={"name": "symmetric_exclusive", "rate": 0.0},
        optimizer=OptimizerConfig(
            name="adam",
            learning_rate=1e-3,
            epsilon=1e-8,
            schedule="exponential",
            decay_rate=0.1,
            decay_steps=10_000,
            staircase=False,
            weight_decay=1e-3,
            weight_decay_mode="coupled_after_clip",  # torch's order: clip, then add wd w
        ),
        batch_size=32,
        epochs=20,
        preset_params={"loss": copy.deepcopy(LOSS_PARAMS["mnist"])},
    )


def cifar_resnet50(classes: int) -> ExperimentConfig:
    """ResNet-50 (CIFAR stem) on CIFAR-10 or CIFAR-100, SGD with Nesterov momentum and
    the step schedule of the reproduction's corrected protocol."""
    c10 = classes == 10
    return ExperimentConfig(
        preset=f"menon-cifar{classes}-resnet50",
        source=f"{CITATION}: CIFAR-{classes}, ResNet-50",
        description=(
            f"ResNet-50 (CIFAR stem) on CIFAR-{classes}, SGD Nesterov momentum 0.1 as reported, "
            f"L2 5e-4, batch {64 if c10 else 128}, {400 if c10 else 200} epochs, crop+flip"
        ),
        dataset=f"cifar{classes}",
        augment=True,
        model={"name": "resnet50"},
        loss={"name": "ce"},
        noise={"name": "symmetric_exclusive", "rate": 0.0},
        optimizer=OptimizerConfig(
            name="sgd",
            learning_rate=0.1,
            momentum=0.1,
            nesterov=True,
            schedule="multistep",
            milestones=[160, 300, 360] if c10 else [60, 120, 160],
            gamma=0.1 if c10 else 0.2,
            weight_decay=5e-4,
            weight_decay_mode="coupled_after_clip",  # torch's order: clip, then add wd w
        ),
        batch_size=64 if c10 else 128,
        epochs=400 if c10 else 200,
        eval_batch_size=500,
        precision="auto",  # mixed_float16 on a GPU, float32 on a CPU
        preset_params={"loss": copy.deepcopy(LOSS_PARAMS[f"cifar{classes}"])},
    )


register("menon-mnist-lenet", mnist_lenet)
register("menon-cifar10-resnet50", lambda: cifar_resnet50(10))
register("menon-cifar100-resnet50", lambda: cifar_resnet50(100))
