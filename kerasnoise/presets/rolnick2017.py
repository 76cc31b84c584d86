"""Rolnick, Veit, Belongie, Shavit 2017, "Deep Learning is Robust to Massive Label
Noise" (arXiv 1705.10694): MNIST with alpha uniformly labelled copies per clean example.

Preset ``rolnick-mnist``; the five models of its figures (:data:`MODELS`), its
learning-rate grid (:data:`LEARNING_RATES`: the best rate per (model, alpha) is
reported) and the numbers its text states (:data:`REFERENCES`).  What the paper does
not state (epoch budget, stopping rule, validation data, initialisation) and the
choices kerasnoise makes are in ``docs/papers.md``.
"""

from __future__ import annotations

from kerasnoise.config import EarlyStoppingConfig, ExperimentConfig, OptimizerConfig
from kerasnoise.presets._registry import Reference, register

__all__ = [
    "CITATION",
    "MODELS",
    "LEARNING_RATES",
    "LABELS",
    "REFERENCES",
    "MNIST_RANKING",
    "INIT",
    "EVAL_EVERY_STEPS",
    "EVALUATIONS",
    "PATIENCE",
    "QUICK",
]

CITATION = "Rolnick, Veit, Belongie, Shavit 2017, 'Deep Learning is Robust to Massive Label Noise'"
#: The models of the paper's MNIST figures (hidden sizes of a public re-implementation).
MODELS = ("perceptron", "mlp1", "mlp2", "mlp4", "conv4")
LABELS = {
    "perceptron": "Perceptron",
    "mlp1": "MLP1",
    "mlp2": "MLP2",
    "mlp4": "MLP4",
    "conv4": "Conv4",
}
#: Adadelta learning rates searched per (model, alpha).
LEARNING_RATES = (0.01, 0.05, 0.1, 0.5)

#: Test accuracy (%) by model and alpha that the paper's text states.
REFERENCES = (
    Reference(
        "paper",
        "Rolnick et al. 2017, Section 3 (text): the convnet at alpha = 100",
        {"conv4": {100: 91.0}},
    ),
)


#: For each MNIST digit, the other nine from most to least confused with it: ordered by
#: the mean softmax probability a clean MLP1 gives them on the digit's 10,000 test images
#: (MLP1, alpha 0, Adadelta lr 0.5, 5,000 steps of this preset, 98.0 % test accuracy;
#: computed once, 2026-12-01).  ``noise=structured`` ranks its labels by it.
MNIST_RANKING = (
    (6, 8, 5, 2, 7, 9, 4, 1, 3),
    (8, 2, 3, 6, 5, 7, 9, 4, 0),
    (8, 3, 0, 7, 4, 1, 6, 9, 5),
    (5, 8, 2, 9, 7, 1, 0, 4, 6),
    (9, 2, 6, 8, 0, 3, 7, 1, 5),
    (8, 3, 6, 0, 9, 4, 7, 2, 1),
    (4, 5, 0, 8, 1, 2, 3, 7, 9),
    (2, 8, 1, 9, 3, 4, 0, 5, 6),
    (3, 7, 0, 5, 2, 9, 4, 6, 1),
    (4, 8, 3, 7, 5, 1, 0, 6, 2),
)

#: The initialisation the preset's models use (``model.init``): PyTorch's default, the
#: paper's framework being unstated; ``model.init=glorot`` gives Keras's.
INIT = "torch"
#: Steps between evaluations (clean validation, test, early stopping, checkpoint): a
#: granularity that does not grow with alpha.  At most ``EVALUATIONS`` of them.
EVAL_EVERY_STEPS = 1000
EVALUATIONS = 100
#: Evaluations without a better clean-validation accuracy before stopping.
PATIENCE = 10
#: The overrides of the experiments' ``--quick``: 6,000 images, 3 evaluations of 100 steps.
QUICK = {"train_limit": 6000, "validation": 1000, "epochs": 3, "eval_every_steps": 100}


def mnist() -> ExperimentConfig:
    """Conv4 on MNIST with alpha = 10 uniform-label copies, Adadelta with PyTorch's rho
    and epsilon (Keras's defaults differ), batch 128, PyTorch's initialisation, at most
    100,000 steps evaluated every 1,000 on 5,000 held-out clean images, stopping after
    10 evaluations without improvement and keeping the best weights."""
    return ExperimentConfig(
        preset="rolnick-mnist",
        source=f"{CITATION}: MNIST (hidden sizes of a public re-implementation)",
        description="Conv4 (model=perceptron|mlp1|mlp2|mlp4|conv4) on MNIST with alpha "
        "uniform-label copies per clean example (noise.alpha), Adadelta, batch 128",
        dataset="mnist",
        validation=5000,
        model={"name": "conv4", "init": INIT},
        loss={"name": "ce"},
        noise={"name": "additive", "alpha": 10},
        # PyTorch's Adadelta rho and eps (Keras's defaults differ), lr from the paper's grid
        optimizer=OptimizerConfig(name="adadelta", learning_rate=0.1, rho=0.9, epsilon=1e-6),
        batch_size=128,
        epochs=EVALUATIONS,
        eval_every_steps=EVAL_EVERY_STEPS,
        early_stopping=EarlyStoppingConfig(enabled=True, monitor="val_accuracy", patience=PATIENCE),
        preset_params={
            "noise": {
                "structured": {
                    "alpha": 20,
                    "delta": 0.5,
                    "ranking": [list(row) for row in MNIST_RANKING],
                }
            },
            "model": {name: {"init": INIT} for name in MODELS},
        },
    )


register("rolnick-mnist", mnist)
