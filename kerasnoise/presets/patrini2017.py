"""Patrini, Rozza, Menon, Nock, Qu, CVPR 2017, "Making deep neural networks robust to
label noise: a loss correction approach", in the setting of the authors' Keras 2 code.

Preset ``patrini-mnist-mlp``; the methods of its MNIST comparison (:func:`methods`,
:data:`LABELS`): cross-entropy, backward and forward correction with the realised
transition matrix (``oracle``) and with the anchor-point estimate T-hat
(``estimated``: a plain cross-entropy run of the same cell first, reused by every
corrected method of the cell), and GCE and PHuber-CE for comparison
(:mod:`kerasnoise.losses.correction`, :mod:`kerasnoise.losses`).  The noise is the paper's
MNIST flips (``noise=asymmetric``, map ``mnist``: 2→7, 3→8, 5↔6, 7→1, each with
probability ``noise.rate``) or instance-dependent noise (``noise=instance_dependent``,
Xia et al. 2020).  The paper's own MNIST table is not at hand (docs/papers.md).
"""

from __future__ import annotations

from kerasnoise.config import EarlyStoppingConfig, ExperimentConfig, OptimizerConfig
from kerasnoise.presets._registry import register

__all__ = ["CITATION", "CLIP", "EPOCHS", "METHODS", "LABELS", "methods", "mnist_mlp"]

CITATION = "Patrini, Rozza, Menon, Nock, Qu, CVPR 2017 (the authors' Keras 2 code)"
#: Epochs of every run; the weights of the epoch with the lowest validation loss count.
EPOCHS = 40
#: The authors' cross-entropy, forward and backward clip ``p`` to ``[1e-7, 1 - 1e-7]``
#: (Keras 2's ``K.epsilon()``) before the log: ``loss.clip``.
CLIP = 1e-7

#: The methods of the comparison as config overrides; the corrected ones keep the
#: preset's network and optimizer and change only the loss.
METHODS = {
    "ce": {"loss": "ce"},
    "backward_oracle": {"loss": "backward", "loss.transition": "oracle"},
    "forward_oracle": {"loss": "forward", "loss.transition": "oracle"},
    "backward_estimated": {"loss": "backward", "loss.transition": "estimated"},
    "forward_estimated": {"loss": "forward", "loss.transition": "estimated"},
    "gce": {"loss": "gce"},
    "phuber_ce": {"loss": "phuber_ce"},
}
#: The methods' labels (T: the realised matrix; T-hat: the estimate).
LABELS = {
    "ce": "CE",
    "backward_oracle": "backward (T)",
    "forward_oracle": "forward (T)",
    "backward_estimated": "backward (T-hat)",
    "forward_estimated": "forward (T-hat)",
    "gce": "GCE (q 0.7)",
    "phuber_ce": "PHuber-CE (τ 10)",
}


def methods() -> dict[str, dict]:
    """The comparison's methods as config overrides (a fresh copy)."""
    return {name: dict(overrides) for name, overrides in METHODS.items()}


def mnist_mlp() -> ExperimentConfig:
    """Patrini et al.'s MNIST network and protocol: inputs in [0, 1], Dense 128 ReLU +
    Dropout 0.2 twice (he_normal), Adagrad with Keras 2's defaults (learning rate 0.01,
    epsilon 1e-8, accumulators from 0), batch 128, 40 epochs, 10 % of the training
    images held out with noisy labels, the weights of the lowest validation loss kept;
    cross-entropy and the corrected losses clip ``p`` at 1e-7 as their code does, and
    the noise is drawn anew for every seed (``noise_seed="seed"``), as their code's
    ``random_state=run`` does."""
    return ExperimentConfig(
        preset="patrini-mnist-mlp",
        source=f"{CITATION}: MNIST, fully connected network",
        description="MLP 784-128-128-10 (ReLU, dropout 0.2, he_normal) on MNIST in [0, 1], "
        "Adagrad lr 0.01, batch 128, 40 epochs, 10 % noisy validation, best validation loss, "
        "p clipped at 1e-7 in CE and the corrections; noise drawn per seed: the paper's "
        "flips 2->7, 3->8, 5<->6, 7->1 (noise.rate)",
        dataset="mnist",
        validation=0.1,
        validation_labels="noisy",
        input_scale="unit",
        model={"name": "mlp", "hidden": [128, 128], "dropout": 0.2, "init": "he_normal"},
        loss={"name": "ce", "clip": CLIP},
        noise={"name": "asymmetric", "rate": 0.2, "mapping": "mnist"},
        # the authors' code draws the noise per run (random_state=run)
        noise_seed="seed",
        # Keras 2's Adagrad: lr 0.01 (tf.keras later chose 0.001), epsilon 1e-8, and
        # accumulators starting at 0 (Keras 3 starts them at 0.1)
        optimizer=OptimizerConfig(
            name="adagrad", learning_rate=0.01, epsilon=1e-8, initial_accumulator=0.0
        ),
        batch_size=128,
        epochs=EPOCHS,
        # never stops (patience = the budget): keeps the lowest validation loss's weights
        early_stopping=EarlyStoppingConfig(enabled=True, monitor="val_loss", patience=EPOCHS),
        preset_params={
            "noise": {"asymmetric": {"mapping": "mnist"}, "instance_dependent": {"sigma": 0.1}},
            "loss": {
                "ce": {"clip": CLIP},
                "forward": {"clip": CLIP},
                "backward": {"clip": CLIP},
                "gce": {"q": 0.7},
                "phuber_ce": {"tau": 10.0},
            },
        },
    )


register("patrini-mnist-mlp", mnist_mlp)
