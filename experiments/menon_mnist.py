"""Menon et al. (ICLR 2020), MNIST with LeNet-5: test accuracy of six losses under
symmetric (exclusive) label noise, beside the paper's numbers and the PyTorch
reproduction's (Mizrahi et al. 2021; ``shared/reference/papers.md`` §2).

    python -m experiments.menon_mnist --quick                 # ~10 min on 2 CPU cores
    python -m experiments.menon_mnist --data-dir DATA         # the full table: 72 runs
    python -m experiments.menon_mnist --rates 0.6 --methods ce,phuber_ce --backend jax
"""

import sys

from kerasnoise.experiment import Experiment, main

# the paper's numbers (read off the reproduction's figures) and the reproduction's
PAPER = {
    "ce": (98.7, 97.7, 96.4, 91.1),
    "ce_clip": (98.6, 97.5, 96.8, 88.0),
    "linear": (98.3, 88.2, 78.8, 9.6),
    "gce": (98.8, 98.6, 98.2, 97.6),
    "phuber_ce": (98.5, 98.7, 98.5, 97.6),
    "phuber_gce": (98.6, 98.5, 98.4, 97.8),
}
REPRODUCTION = {
    "ce": (99.1, 98.8, 98.6, 98.0),
    "ce_clip": (97.0, 96.5, 95.7, 94.7),
    "linear": (95.0, 98.5, 98.2, 97.6),
    "gce": (98.8, 98.7, 98.5, 98.1),
    "phuber_ce": (99.0, 98.8, 98.5, 97.6),
    "phuber_gce": (98.9, 98.7, 98.4, 98.0),
}
RATES = (0.0, 0.2, 0.4, 0.6)

EXPERIMENT = Experiment(
    name="menon-mnist",
    title="Menon et al. 2020, MNIST, LeNet-5: test accuracy (%) vs symmetric noise rate",
    preset="menon-mnist-lenet",
    methods={
        "ce": {"loss": "ce"},
        "ce_clip": {"loss": "ce", "optimizer.global_clipnorm": 0.1},
        "linear": {"loss": "linear"},
        "gce": {"loss": "gce"},  # q = 0.7 from the preset
        "phuber_ce": {"loss": "phuber_ce"},  # tau = 10
        "phuber_gce": {"loss": "phuber_gce"},  # tau = 10, q = 0.7
    },
    labels={
        "ce": "CE",
        "ce_clip": "CE + clipping",
        "linear": "Linear",
        "gce": "GCE (q 0.7)",
        "phuber_ce": "PHuber-CE (τ 10)",
        "phuber_gce": "PHuber-GCE (τ 10)",
    },
    axis="noise.rate",
    values=list(RATES),
    axis_flag="rates",
    seeds=[0, 1, 2],
    reference={
        method: {
            rate: {"paper": PAPER[method][i], "reproduction": REPRODUCTION[method][i]}
            for i, rate in enumerate(RATES)
        }
        for method in PAPER
    },
    quick={"epochs": 2, "train_limit": 12000},
    notes="Test accuracy after the last epoch (the preset has no validation split, so no "
    "epoch selection); one fixed noise seed for all trials, as in the paper.",
)

if __name__ == "__main__":
    sys.exit(main(EXPERIMENT))
