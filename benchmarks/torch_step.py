"""The PyTorch backend's training step, variant by variant, against the plain PyTorch loop.

    python -m benchmarks.torch_step --data-dir ../shared/data [--models mlp1 lenet5]
        [--limit 20000] [--epochs 3] [--out benchmarks/results]

Where does Keras-on-PyTorch lose to the loop it replaces?  In one process, for each
model (batch 128, real MNIST in memory, Adadelta as in ``benchmarks.throughput``):

- ``reference``: the plain loop of ``benchmarks.throughput`` (``DataLoader``), run
  before and after the Keras variants; the faster run is the denominator;
- ``keras NHWC eager``: what kerasnoise trains today (Keras's channels-last layout,
  which its torch backend transposes to NCHW around every convolution and pooling);
- ``keras NCHW eager``: the same layers built ``channels_first`` (no transposes);
- ``… compiled``: ``jit_compile=True``, i.e. ``torch.compile`` of Keras's train step;
  its compilation is in the warm-up epoch, and is reported separately.

Keras's variants are fed in-memory arrays (``model.fit(x, y)``), so the figures are
the model step plus Keras's own per-step work, without kerasnoise's pipeline.
Examples/s = median of the epochs after the warm-up.  No test asserts on them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ["KERAS_BACKEND"] = "torch"

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.throughput import BATCH, run_reference  # noqa: E402
from kerasnoise import models  # noqa: E402
from kerasnoise._io import atomic_write_json, atomic_write_text  # noqa: E402

MODELS = ("mlp1", "lenet5")


def keras_model(name: str, data_format: str) -> keras.Model:
    """kerasnoise's own model, in either image layout (MLP1 has none)."""
    if name == "mlp1":
        return models.get(name)
    return models.get(name, data_format=data_format)


def load(data_dir: str, limit: int) -> tuple[np.ndarray, np.ndarray]:
    with np.load(Path(data_dir) / "mnist.npz") as f:
        x, y = f["x_train"][:limit], f["y_train"][:limit]
    x = ((x.astype(np.float32) / 255 - 0.1307) / 0.3081)[..., None]
    return x, y.astype(np.int32)


def run_keras(name: str, data_format: str, jit: bool, x, y, epochs: int) -> dict:
    keras.utils.set_random_seed(0)
    model = keras_model(name, data_format)
    model.compile(
        optimizer=keras.optimizers.Adadelta(0.1, rho=0.9, epsilon=1e-6),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=jit,
    )
    timer = EpochTimer()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=False, callbacks=[timer])
    rates = [len(x) / seconds for seconds in timer.seconds[1:]]
    return {"examples_per_second": float(np.median(rates)), "warmup_epoch_s": timer.seconds[0]}


class EpochTimer(keras.callbacks.Callback):
    """Seconds per epoch, from its start to its last batch (one ``fit`` call, as in training)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def variants(name: str) -> list[tuple[str, str, bool]]:
    layouts = ("channels_last", "channels_first") if name == "lenet5" else ("channels_last",)
    return [(layout, layout, jit) for jit in (False, True) for layout in layouts]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("KERASNOISE_DATA_DIR", "."))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--limit", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=3, help="per variant; the first warms up")
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first one warms up)")
    x, y = load(args.data_dir, args.limit)
    rows = []
    for name in args.models:
        refs = [run_reference(name, args.data_dir, args.epochs, args.limit)]
        measured = []
        for label, layout, jit in variants(name):
            result = run_keras(name, layout, jit, x, y, args.epochs)
            layout_name = "NHWC" if label == "channels_last" else "NCHW"
            run = f"keras {layout_name} {'compiled' if jit else 'eager'}"
            measured.append({"model": name, "run": run, **result})
            print(name, run, f"{result['examples_per_second']:,.0f} ex/s", flush=True)
        refs.append(run_reference(name, args.data_dir, args.epochs, args.limit))
        best = max(r["examples_per_second"] for r in refs)
        ref_row = {"model": name, "run": "plain PyTorch loop (best of 2)"}
        rows.append(ref_row | {"examples_per_second": best, "warmup_epoch_s": None})
        rows += measured
        for row in rows[-len(measured) - 1 :]:
            row["ratio"] = row["examples_per_second"] / best
    lines = [
        "| model | run | examples/s | × loop | warm-up epoch (s) |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        warm = "" if r["warmup_epoch_s"] is None else f"{r['warmup_epoch_s']:.1f}"
        lines.append(
            f"| {r['model']} | {r['run']} | {r['examples_per_second']:,.0f} | "
            f"{r['ratio']:.2f} | {warm} |"
        )
    table = "\n".join(lines) + "\n"
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "torch_step.json", {"argv": sys.argv[1:], "rows": rows})
    atomic_write_text(out / "torch_step.md", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
