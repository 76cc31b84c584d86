"""The ``kerasnoise`` command line.

    kerasnoise [--backend B] noise DATASET MODEL [key=value ...] [--seed S] [--data-dir D]

``--backend`` sets ``KERAS_BACKEND`` before Keras is imported (an alternative to
the environment variable).  ``key=value`` parameters are parsed as Python
literals (``rate=0.4``, ``mapping={2: 7}``), never evaluated as code; anything
that is not a literal stays a string.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from typing import Any

import numpy as np

BACKENDS = ("tensorflow", "jax", "torch")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["rate=0.4", "mapping=mnist"]`` -> ``{"rate": 0.4, "mapping": "mnist"}``."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected key=value, got {item!r}")
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        params[key.strip()] = value
    return params


def _noise(args: argparse.Namespace) -> int:
    from kerasnoise import datasets, noise

    params = parse_overrides(args.params)
    model = noise.get(args.model, **params)  # bad parameters fail before data is loaded
    data = datasets.load(args.dataset, args.data_dir, file=args.file, download=args.download)
    result = model.apply(data.y_train, num_classes=data.info.num_classes, seed=args.seed)
    expected = model.expected_transition(data.info.num_classes)
    print(f"{data!r}")
    print(f"noise model    {model!r}, seed {args.seed}")
    print(f"examples       {result.num_examples:,} ({result.num_clean:,} clean images)")
    print(f"noisy labels   {int(result.is_noisy.sum()):,}")
    print(f"realised rate  {result.rate:.4f}")
    with np.printoptions(precision=3, suppress=True, linewidth=120):
        print("realised transition matrix (row = true class, column = noisy label):")
        print(result.transition)
        print(
            f"largest gap to the model's matrix: {np.abs(result.transition - expected).max():.4f}"
        )
    if args.json:
        from kerasnoise._io import atomic_write_json

        atomic_write_json(
            args.json, {"dataset": data.name, "source": data.source, **result.summary()}
        )
        print(f"wrote {args.json}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kerasnoise", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="Keras backend (default: $KERAS_BACKEND, else tensorflow)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "noise", help="apply a noise model to a data set's training labels and report what it did"
    )
    p.add_argument("dataset", help="mnist, fashion_mnist, cifar10 or cifar100")
    p.add_argument("model", help="noise model name, e.g. symmetric_exclusive, additive")
    p.add_argument(
        "params",
        nargs="*",
        metavar="key=value",
        help="noise model parameters, e.g. rate=0.4 or alpha=100",
    )
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--data-dir", help="folder with the data files (default $KERASNOISE_DATA_DIR)")
    p.add_argument("--file", help="a named file in the data folder, e.g. cifar10_subset.npz")
    p.add_argument(
        "--no-download",
        dest="download",
        action="store_false",
        help="never fall back to keras.datasets downloads",
    )
    p.add_argument("--json", help="also write the realised-noise summary to this JSON file")
    p.set_defaults(func=_noise)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.backend:
        if "keras" in sys.modules and os.environ.get("KERAS_BACKEND") != args.backend:
            parser.error("--backend must be chosen before Keras is imported")
        os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"kerasnoise {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
