"""Time every noise model on 1,000,000 labels with 10 classes.

    python -m benchmarks.noise_generation [--n 1000000] [--repeats 5] [--out FILE.json]

Prints the best-of-``repeats`` wall time of ``model.apply`` per model (additive
models at alpha = 1 produce 2,000,000 examples).  Not a test: nothing asserts on
these numbers.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from kerasnoise import noise
from kerasnoise._io import atomic_write_json

MODELS = [
    noise.SymmetricExclusive(0.4),
    noise.SymmetricInclusive(0.4),
    noise.SymmetricExact(0.4),
    noise.PairFlip(0.4),
    noise.Asymmetric(0.4, "mnist"),
    noise.TransitionMatrix(noise.SymmetricExclusive(0.4).expected_transition(10)),
    noise.Additive(1),
    noise.Structured(1, delta=0.5),
]


def run(n: int, repeats: int) -> list[dict]:
    labels = np.random.default_rng(0).integers(0, 10, size=n)
    rows = []
    for model in MODELS:
        times = []
        for r in range(repeats):
            start = time.perf_counter()
            model.apply(labels, num_classes=10, seed=r)
            times.append(time.perf_counter() - start)
        rows.append(
            {
                "model": model.name,
                "labels": n,
                "best_s": min(times),
                "median_s": float(np.median(times)),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    rows = run(args.n, args.repeats)
    cpu = platform.processor() or platform.machine()
    print(f"noise generation, {args.n:,} labels, K = 10 ({cpu})")
    print(f"| {'model':<20} | best (s) | median (s) |")
    print(f"|{'-' * 22}|----------|------------|")
    for row in rows:
        print(f"| {row['model']:<20} | {row['best_s']:8.3f} | {row['median_s']:10.3f} |")
    if args.out:
        atomic_write_json(args.out, {"numpy": np.__version__, "rows": rows})


if __name__ == "__main__":
    main()
