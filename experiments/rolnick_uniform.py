"""Rolnick et al. 2017, Figure 1: MNIST test accuracy against alpha, the number of
uniformly labelled examples added per clean one, for the perceptron, the MLPs and
Conv4; the Adadelta learning rate chosen per (model, alpha) from the paper's grid on
a clean held-out split (docs/papers.md says why, and what the paper leaves unstated).

    python -m experiments.rolnick_uniform --quick --data-dir DATA   # a first look
    python -m experiments.rolnick_uniform --data-dir DATA --seeds 0 # the figure, 1 seed
    python -m experiments.rolnick_uniform --models mlp1,mlp2 --alphas 50 --data-dir DATA
"""

import sys

from kerasnoise.claims import Monotone, Order
from kerasnoise.presets import rolnick2017 as paper
from kerasnoise.tables import Experiment, LRChoice, main

SOURCE = "Rolnick et al. 2017, Section 3 and Figure 1"
ALPHAS = [0, 10, 25, 50, 75, 100]

EXPERIMENT = Experiment(
    name="rolnick-uniform",
    title="Rolnick et al. 2017, MNIST: test accuracy (%) vs alpha (uniform labels per clean one)",
    preset="rolnick-mnist",
    methods={"ce": {}},
    axes={"model": list(paper.MODELS), "noise.alpha": ALPHAS},
    series="model",
    labels=paper.LABELS,
    references=paper.REFERENCES,
    select_lr=LRChoice(paper.LEARNING_RATES, on="clean-validation"),
    claims=[
        Order(
            "perceptron < MLP1 < Conv4 at alpha = 100",
            "model",
            ["perceptron", "mlp1", "conv4"],
            where={"noise.alpha": 100},
            source=SOURCE,
        ),
        Monotone(
            "the best learning rate does not rise with alpha",
            "optimizer_learning_rate",
            along="noise.alpha",
            per=["model"],
            source="Rolnick et al. 2017, Section 5",
        ),
    ],
    metric="test_accuracy_best",
    columns=["wall_time_s"],
    quick=paper.QUICK,
    figure="accuracy_vs_alpha.png",
    notes="Test accuracy of the weights that scored best on the validation split the rate "
    "is chosen on (5,000 held-out training images: with their true labels for "
    "clean-validation, each joined by alpha uniformly labelled pairs for noisy-validation), "
    "restored by early stopping; "
    "steps are counted, not epochs: one evaluation every 1,000 steps of batch 128, at most "
    "100 of them, stopping after 10 without improvement (column `steps`: steps trained, "
    "`best_step`: where the chosen weights are; `wall_time_s`: seconds a run took, mean over "
    "seeds, on the machine it ran on).",
)

if __name__ == "__main__":
    sys.exit(main(EXPERIMENT))
