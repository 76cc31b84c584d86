"""Menon et al. (ICLR 2020), CIFAR-10 and CIFAR-100 with ResNet-50: test accuracy of six
losses under symmetric (exclusive) noise with the reproduction's corrected protocol
(Mizrahi et al. 2021; docs/papers.md), beside the paper's and the reproduction's numbers,
and a memorisation figure: does CE fit the wrong labels while PHuber-CE holds them off?

    python -m experiments.menon_cifar --dataset cifar10 --quick --data-dir DATA
    python -m experiments.menon_cifar --dataset cifar10 --data-dir DATA        # 72 runs, GPU
    python -m experiments.menon_cifar --dataset cifar100 --rates 0.4 --seeds 0

A run is about 11 h (CIFAR-10, 400 epochs) or 4 h (CIFAR-100) on one 2018 GPU in
float32, about half with ``precision=auto`` (mixed_float16 on a GPU).
"""

import sys

from kerasnoise.claims import Compare
from kerasnoise.presets import menon2020 as paper
from kerasnoise.tables import Experiment, main_among

SOURCE = "Menon et al. 2020, CIFAR results (numbers in docs/papers.md)"


def declare(dataset: str) -> Experiment:
    """The table of one data set."""
    classes = dataset.removeprefix("cifar")
    high = {"noise.rate": 0.4}
    return Experiment(
        name=f"menon-{dataset}",
        title=f"Menon et al. 2020, CIFAR-{classes}, {{model}}: test accuracy (%) vs noise rate",
        preset=f"menon-{dataset}-resnet50",
        methods=paper.methods(dataset),
        labels=paper.labels(dataset),
        axes={"noise.rate": list(paper.RATES)},
        references=paper.REFERENCES[dataset],
        claims=[
            Compare(
                "PHuber-CE beats CE at ρ = 0.4",
                {"method": "phuber_ce"},
                {"method": "ce"},
                where=high,
                source=SOURCE,
            ),
            Compare(
                "PHuber-GCE beats CE at ρ = 0.4",
                {"method": "phuber_gce"},
                {"method": "ce"},
                where=high,
                source=SOURCE,
            ),
        ],
        quick={"epochs": 2, "train_limit": 2000, "model.width": 16, "eval_batch_size": 250},
        quick_seeds=[0],
        panels=True,
        memorisation="memorisation.png",
        notes="Test accuracy after the last epoch (no validation split, as in the paper); "
        "one fixed noise seed for all trials.",
    )


EXPERIMENTS = {dataset: declare(dataset) for dataset in ("cifar10", "cifar100")}

if __name__ == "__main__":
    sys.exit(main_among(EXPERIMENTS, "dataset"))
