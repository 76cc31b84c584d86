"""Menon et al. 2020, Ding's (2013) outliers: the mean loss of a 1-D linear scorer θx
for θ in [−2, 2), with and without 50 far, wrongly placed points, for the logistic,
Huberised (τ = 0.1) and partially Huberised (τ = 1.1) losses, and where each is
smallest (docs/papers.md).

    python -m experiments.menon_outliers
    python -m experiments.menon_outliers --seed 1 --points 4000
"""

import sys

from kerasnoise.synthetic import Outliers
from kerasnoise.tables import main

EXPERIMENT = Outliers(
    name="menon-outliers",
    title="Menon et al. 2020, outliers: mean loss of θx with and without outliers",
    losses={
        "logistic": {},
        "huberised": {"tau": 0.1},
        "partially_huberised": {"tau": 1.1},
    },
)

if __name__ == "__main__":
    sys.exit(main(EXPERIMENT))
