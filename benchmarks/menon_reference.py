"""The Menon et al. MNIST protocol as a plain PyTorch loop, on kerasnoise's own noisy labels.

A cross-check of ``experiments.menon_mnist``, not a kerasnoise client: LeNet-5 (ReLU,
average pooling, weights truncated normal with std 0.1 cut at 2 std as Keras's
initializer, zero biases), Adam 1e-3 with ``weight_decay=1e-3`` (torch adds it to the
gradient after ``clip_grad_norm_``), the rate times 0.1 per 10,000 steps (continuous),
batch 32, 20 epochs, the test accuracy of the last epoch, the training labels exactly
those of the kerasnoise run (``symmetric_exclusive``, the preset's noise seed).  One
line per seed and ``<out>/menon_reference.json``::

    python -m benchmarks.menon_reference --data-dir ../shared/data --rate 0.6 --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.throughput import torch_model
from kerasnoise._io import atomic_write_json


def noisy_training_set(data_dir: str, rate: float):
    """(x_train, noisy y_train, x_test, y_test) as the ``menon-mnist-lenet`` run sees them."""
    from kerasnoise import config as cfg
    from kerasnoise import presets, training

    config = cfg.apply_overrides(
        presets.get("menon-mnist-lenet"), {"noise.rate": rate, "data_dir": data_dir}
    )
    data = training.build_data(config)
    info = data.data.info

    def prep(images):
        x = (images.astype(np.float32) / 255.0 - info.mean) / info.std
        return x.reshape(len(x), 1, 28, 28).astype(np.float32)  # NCHW

    labels = np.array(data.built.noise.labels, dtype=np.int64)  # a writable copy for torch
    return prep(data.data.x_train), labels, prep(data.data.x_test), data.data.y_test


def lenet5(nn):
    """:func:`benchmarks.throughput.torch_model`'s LeNet-5 with the preset's initialisation."""
    model = torch_model("lenet5")
    for layer in model:
        if isinstance(layer, nn.Conv2d | nn.Linear):
            nn.init.trunc_normal_(layer.weight, std=0.1, a=-0.2, b=0.2)
            nn.init.zeros_(layer.bias)
    return model


def run(data, seed: int, clip: float | None, epochs: int = 20, batch: int = 32) -> dict:
    import torch
    from torch import nn

    x, y, xt, yt = data
    torch.manual_seed(seed)
    model = lenet5(nn)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.1 ** (step / 1e4))
    loss_fn = nn.CrossEntropyLoss()
    images, labels = torch.from_numpy(x), torch.from_numpy(y)
    order = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=order).split(batch):
            optimizer.zero_grad()
            loss_fn(model(images[idx]), labels[idx]).backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            schedule.step()
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(b).argmax(1) for b in torch.from_numpy(xt).split(1000)])
    return {
        "seed": seed,
        "test_accuracy": float((predicted.numpy() == yt).mean()),
        "seconds": time.perf_counter() - start,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--rate", type=float, default=0.6)
    parser.add_argument("--clip", type=float, default=0.1, help="global norm; 0: no clipping")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    data = noisy_training_set(args.data_dir, args.rate)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    for seed in (int(s) for s in args.seeds.split(",")):
        rows.append(run(data, seed, args.clip or None, args.epochs))
        print(json.dumps(rows[-1]), flush=True)
        summary = summarise(rows, args, torch.__version__)
        atomic_write_json(out / "menon_reference.json", summary)  # after every seed
    print(f"mean {100 * summary['mean']:.2f} ± {100 * summary['std']:.2f} over {len(rows)} seeds")


def summarise(rows: list[dict], args, torch_version: str) -> dict:
    accuracies = [r["test_accuracy"] for r in rows]
    return {
        "rate": args.rate,
        "clip": args.clip or None,
        "epochs": args.epochs,
        "rows": rows,
        "mean": float(np.mean(accuracies)),
        "std": float(np.std(accuracies, ddof=1)) if len(rows) > 1 else 0.0,
        "torch": torch_version,
    }


if __name__ == "__main__":
    main()
