"""Menon et al. (ICLR 2020), MNIST with LeNet-5: test accuracy of six losses under
symmetric (exclusive) label noise, beside the paper's numbers and the PyTorch
reproduction's (Mizrahi et al. 2021; docs/papers.md), with the paper's claims checked.

    python -m experiments.menon_mnist --quick --data-dir DATA  # a first look, 1 seed
    python -m experiments.menon_mnist --data-dir DATA          # the full table: 72 runs
    python -m experiments.menon_mnist --rates 0.6 --methods ce,phuber_ce --backend jax
"""

import sys

from kerasnoise.claims import Compare
from kerasnoise.presets import menon2020 as paper
from kerasnoise.tables import Experiment, main

HIGH = {"noise.rate": 0.6}
SOURCE = "Menon et al. 2020, MNIST results (numbers in docs/papers.md)"

EXPERIMENT = Experiment(
    name="menon-mnist",
    title="Menon et al. 2020, MNIST, {model}: test accuracy (%) vs symmetric noise rate",
    preset="menon-mnist-lenet",
    methods=paper.methods("mnist"),
    labels=paper.labels("mnist"),
    axes={"noise.rate": list(paper.RATES)},
    references=paper.REFERENCES["mnist"],
    claims=[
        Compare(
            "PHuber-CE beats CE at ρ = 0.6",
            {"method": "phuber_ce"},
            {"method": "ce"},
            where=HIGH,
            source=SOURCE,
        ),
        Compare(
            "PHuber-GCE beats GCE at ρ = 0.6",
            {"method": "phuber_gce"},
            {"method": "gce"},
            where=HIGH,
            source=SOURCE,
        ),
        Compare(
            "clipping alone does not help: CE + clipping below CE at ρ = 0.6",
            {"method": "ce_clip"},
            {"method": "ce"},
            where=HIGH,
            relation="<",
            source=SOURCE,
        ),
        Compare(
            "Linear collapses at ρ = 0.6: below CE",
            {"method": "linear"},
            {"method": "ce"},
            where=HIGH,
            relation="<",
            source=SOURCE,
        ),
    ],
    quick={"epochs": 2, "train_limit": 12000},
    panels=True,
    notes="Test accuracy after the last epoch (the preset has no validation split, so no "
    "epoch selection); one fixed noise seed for all trials, as in the paper.",
)

if __name__ == "__main__":
    sys.exit(main(EXPERIMENT))
