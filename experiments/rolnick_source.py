"""Rolnick et al. 2017, the source of noise: MNIST test accuracy when the alpha = 20
extra examples per clean one are MNIST's own images, Fashion-MNIST's (images of no
digit) or white noise, each with a uniform random label.  The paper did this on CIFAR-10
(CIFAR-100 images: about half the drop; white noise: almost none); MNIST with a foreign
source is kerasnoise's extension.  ``noise_source_dir=`` names where Fashion-MNIST is
(default ``--data-dir``; ``keras.datasets`` otherwise).

    python -m experiments.rolnick_source --quick --data-dir DATA noise_source_dir=FASHION
    python -m experiments.rolnick_source --data-dir DATA --seeds 0 noise_source_dir=FASHION

(Debian's ``dataset-fashion-mnist`` puts it under ``/usr/share/datasets``.)
"""

import sys

from kerasnoise.claims import Order
from kerasnoise.presets import rolnick2017 as paper
from kerasnoise.tables import Experiment, LRChoice, main

SOURCE = "Rolnick et al. 2017, Section 4 (CIFAR-10 with CIFAR-100 images and white noise)"

EXPERIMENT = Experiment(
    name="rolnick-source",
    title="Rolnick et al. 2017, MNIST, {model}, alpha = 20: test accuracy (%) by the noise's "
    "images",
    preset="rolnick-mnist",
    methods={"mlp1": {"model": "mlp1", "noise.alpha": 20}},
    axes={"noise.source": ["train", "fashion_mnist", "white_noise"]},
    labels={"mlp1": "MLP1"},
    select_lr=LRChoice(paper.LEARNING_RATES, on="clean-validation"),
    claims=[
        Order(
            "own images hurt most, white noise least",
            "noise.source",
            ["train", "fashion_mnist", "white_noise"],
            source=SOURCE,
        ),
    ],
    metric="test_accuracy_best",
    quick=paper.QUICK,
    figure="accuracy_by_source.png",
    notes="`train`: the extra pairs reuse MNIST's training images; `fashion_mnist`: "
    "Fashion-MNIST's 60,000 training images in turn; `white_noise`: one image per training "
    "image, each pixel normal with MNIST's mean and std, drawn from the noise seed.",
)

if __name__ == "__main__":
    sys.exit(main(EXPERIMENT))
