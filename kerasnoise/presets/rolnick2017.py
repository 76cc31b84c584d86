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

__all__ = ["CITATION", "MODELS", "LEARNING_RATES", "LABELS", "REFERENCES"]

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


#: The initialisation the preset's models use (``model.init``): PyTorch's default, the
#: paper's framework being unstated; ``model.init=glorot`` gives Keras's.
INIT = "torch"
#: Steps between evaluations (clean validation, test, early stopping, checkpoint): a
#: granularity that does not grow with alpha.  At most ``EVALUATIONS`` of them.
EVAL_EVERY_STEPS = 1000
EVALUATIONS = 100
#: Evaluations without a better clean-validation accuracy before stopping.
PATIENCE = 10


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
            "noise": {"structured": {"alpha": 20, "delta": 0.5}},
            "model": {name: {"init": INIT} for name in MODELS},
        },
    )


register("rolnick-mnist", mnist)
