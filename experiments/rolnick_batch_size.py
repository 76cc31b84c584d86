"""Rolnick et al. 2017, batch size and learning rate: MNIST test accuracy against the
batch size at several alphas, the Adadelta rate chosen per cell: noise lowers the
effective batch size (about n / (1 + alpha) clean examples in a batch of n), so larger
batches are more robust and a lower learning rate compensates.  The paper used a
2-layer convnet; MLP1 here keeps it fast on a CPU (``model=conv4`` for a convnet).

    python -m experiments.rolnick_batch_size --quick --data-dir DATA
    python -m experiments.rolnick_batch_size --data-dir DATA --alphas 0,20 --seeds 0
"""

import sys

from kerasnoise.claims import Monotone
from kerasnoise.presets import rolnick2017 as paper
from kerasnoise.tables import Experiment, LRChoice, main

SOURCE = "Rolnick et al. 2017, Section 5 (batch size and learning rate)"

EXPERIMENT = Experiment(
    name="rolnick-batch-size",
    title="Rolnick et al. 2017, MNIST, {model}: test accuracy (%) vs batch size",
    preset="rolnick-mnist",
    methods={"mlp1": {"model": "mlp1"}},
    axes={"noise.alpha": [0, 20, 50], "batch_size": [32, 128, 512]},
    series="noise.alpha",
    select_lr=LRChoice(paper.LEARNING_RATES, on="clean-validation"),
    claims=[
        Monotone(
            "with noise, larger batches are no worse (alpha = 20)",
            "test_accuracy_best",
            along="batch_size",
            where={"noise.alpha": 20},
            direction="non-decreasing",
            source=SOURCE,
        ),
    ],
    metric="test_accuracy_best",
    quick=paper.QUICK,
    figure="accuracy_vs_batch_size.png",
    notes="The budget is counted in steps (the preset's evaluations every 1,000 steps), so a "
    "batch of 512 sees 4 times the examples of a batch of 128 in the same number of steps.",
)

if __name__ == "__main__":
    sys.exit(main(EXPERIMENT))
