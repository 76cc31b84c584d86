"""Rolnick et al. 2017, structured noise: MNIST test accuracy against delta at alpha = 20,
the extra labels favouring the classes a clean model confuses with the true one
(``noise=structured``: each ranked label 1 / (1 - delta) times as likely as the next;
docs/papers.md gives the definition and where the true label stops being the plurality).

    python -m experiments.rolnick_structured --quick --data-dir DATA
    python -m experiments.rolnick_structured --data-dir DATA --orders decreasing,random --seeds 0
"""

import sys

from kerasnoise.claims import Order
from kerasnoise.noise import ORDERS
from kerasnoise.presets import rolnick2017 as paper
from kerasnoise.tables import Experiment, LRChoice, main

SOURCE = "Rolnick et al. 2017, Section 4 and Figure 4 (caption as quoted in docs/papers.md)"

EXPERIMENT = Experiment(
    name="rolnick-structured",
    title="Rolnick et al. 2017, MNIST, {model}, alpha = 20: test accuracy (%) vs structured delta",
    preset="rolnick-mnist",
    methods={"mlp1": {"model": "mlp1", "noise": "structured", "noise.alpha": 20}},
    axes={"noise.order": list(ORDERS), "noise.delta": [0.0, 0.25, 0.5, 0.75, 1.0]},
    series="noise.order",
    labels={
        "decreasing": "most confusing first",
        "increasing": "least confusing first",
        "random": "random order",
    },
    select_lr=LRChoice(paper.LEARNING_RATES, on="clean-validation"),
    claims=[
        Order(
            "random order < decreasing order of confusion at delta = 0.5",
            "noise.order",
            ["random", "decreasing"],
            where={"noise.delta": 0.5},
            source=SOURCE,
        ),
    ],
    metric="test_accuracy_best",
    quick=paper.QUICK,
    figure="accuracy_vs_delta.png",
    notes="Structured noise: the extra labels of an image of class y are drawn over the "
    "classes ranked by a clean MLP1's mean softmax probability on MNIST's test images of "
    "class y (`rolnick2017.MNIST_RANKING`; `increasing` reverses it, `random` permutes it "
    "per class with `noise.order_seed`), the true class last. At alpha = 20 the true label "
    "stops being the plurality label of its images from delta = 0.054 "
    "(`kerasnoise.noise.plurality_delta(20, 10)`).",
)

if __name__ == "__main__":
    sys.exit(main(EXPERIMENT))
