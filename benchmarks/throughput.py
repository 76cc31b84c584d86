"""Training throughput of kerasnoise against a plain PyTorch loop, measured in one run.

    python -m benchmarks.throughput [--data-dir ../shared/data] [--models mlp1 lenet5 conv4]
        [--backends tensorflow jax torch] [--precisions float32 bfloat16] [--epochs 3]
        [--limit N] [--ceiling] [--out benchmarks/results]
        [--onednn on off] [--jit-compile auto false true]

For each model (batch size 128, real MNIST) it runs, each in a fresh process:

- the *reference*: the papers' public-code style PyTorch loop — ``TensorDataset`` +
  ``DataLoader(shuffle=True)`` over in-memory tensors, ``nn.CrossEntropyLoss``,
  ``torch.optim.Adadelta`` — with the same architecture;
- kerasnoise's real training path (``kerasnoise.training.train``: noisy ``tf.data``
  pipeline + ``model.fit``, the ``rolnick-mnist`` preset) on every backend and
  precision.

Throughput is training examples per second after a warm-up epoch (the first
epoch compiles), the median over the later epochs, from epoch start to its last
batch; kerasnoise's per-epoch evaluation is not counted.  The reference runs twice
per model, before and after kerasnoise's runs, and the faster of the two is the
denominator of every ratio (on a noisy machine this errs against kerasnoise).

``--onednn on off`` runs TensorFlow twice, with oneDNN as this CPU has it and with
``TF_ENABLE_ONEDNN_OPTS=0`` (as on a CPU without AVX-512); ``--jit-compile`` sets the
runs' ``jit_compile`` (default ``auto``, the runner's own choice), so the rule of
``kerasnoise.execution.resolve_jit_compile`` can be checked against its alternatives.

``--ceiling`` adds, for each kerasnoise run, the same compiled model trained on one
in-memory batch repeated (no pipeline, no callbacks): the speed of the model step
alone, the bound no input pipeline can beat.  Results go to
``<out>/throughput.json`` and ``<out>/throughput.md``.  No test asserts on them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from kerasnoise._io import atomic_write_json, atomic_write_text

MODELS = ("mlp1", "lenet5", "conv4")
BACKENDS = ("tensorflow", "jax", "torch")
PRECISIONS = ("float32", "bfloat16")
JIT_CHOICES = {"auto": "auto", "false": False, "true": True}
BATCH = 128


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- reference


def torch_model(name: str):
    """The same architectures as kerasnoise.models, in PyTorch (NCHW, 28x28x1)."""
    from torch import nn

    if name == "mlp1":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2),
            nn.ReLU(),
            nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.AvgPool2d(2),
            nn.Flatten(),
            nn.Linear(400, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, 10),
        )
    if name == "conv4":
        layers, c = [], 1
        for f in (32, 64, 128, 256):
            layers += [nn.Conv2d(c, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c = f
        return nn.Sequential(
            *layers, nn.Flatten(), nn.Linear(256, 1000), nn.ReLU(), nn.Linear(1000, 10)
        )
    raise ValueError(name)


def run_reference(
    model_name: str,
    data_dir: str,
    epochs: int,
    limit: int | None,
    *,
    batch: int = BATCH,
    protocol: str = "rolnick",
) -> dict:
    """The plain PyTorch loop.  ``protocol``: ``rolnick`` (Adadelta 0.1, rho 0.9, eps
    1e-6) or ``menon`` (Adam 1e-3 with L2 1e-3 in the gradient and the learning rate
    times 0.1 per 10,000 steps, continuous; test accuracy after every epoch, as the
    papers' loops do)."""
    import numpy as np
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    with np.load(Path(data_dir) / "mnist.npz") as f:
        x, y, xt, yt = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    if limit:
        x, y = x[:limit], y[:limit]

    def prep(a):
        return torch.tensor((a.astype(np.float32) / 255 - 0.1307) / 0.3081).unsqueeze(1)

    loader = DataLoader(
        TensorDataset(prep(x), torch.tensor(y, dtype=torch.long)), batch_size=batch, shuffle=True
    )
    model = torch_model(model_name)
    if protocol == "menon":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-3)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.1 ** (step / 1e4))
    else:
        optimizer = torch.optim.Adadelta(model.parameters(), lr=0.1, rho=0.9, eps=1e-6)
        schedule = None
    loss_fn = nn.CrossEntropyLoss()
    test_images = prep(xt)

    def test_accuracy() -> float:
        model.eval()
        with torch.no_grad():
            return float((model(test_images).argmax(1).numpy() == yt).mean())

    rates = []
    for _ in range(epochs):
        model.train()
        start = time.perf_counter()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
        rates.append(len(x) / (time.perf_counter() - start))
        if protocol == "menon":
            test_accuracy()
    return {
        "examples_per_second": float(np.median(rates[1:] or rates)),
        "test_accuracy": test_accuracy(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }


# --------------------------------------------------------------------------- kerasnoise


def run_kerasnoise(
    model_name: str,
    precision: str,
    data_dir: str,
    epochs: int,
    limit: int | None,
    jit_compile: bool | str = "auto",
) -> dict:
    from kerasnoise import config as cfg
    from kerasnoise import presets, training

    overrides = {
        "model": model_name,
        "noise": "symmetric_exclusive",
        "noise.rate": 0.0,
        "validation": 0,
        "early_stopping.enabled": False,
        "epochs": epochs,
        "eval_every_steps": None,  # an epoch is one pass (the preset counts 1,000 steps)
        "batch_size": BATCH,
        "precision": "float32" if precision == "float32" else f"mixed_{precision}",
        "data_dir": data_dir,
        "train_limit": limit,
        "jit_compile": jit_compile,
    }
    config = cfg.apply_overrides(presets.get("rolnick-mnist"), overrides)
    with tempfile.TemporaryDirectory() as out:
        record = training.train(config, out, verbose=0)
    return {
        "examples_per_second": record["examples_per_second"],
        "test_accuracy": record["test_accuracy_last"],
        "status": record["status"],
        "execution": record["execution"],
    }


# --------------------------------------------------------------------------- driver


def run_ceiling(model_name: str, precision: str, epochs: int, steps: int = 160) -> dict:
    """The model step alone: the runner's model and compile settings on one fixed batch."""
    import keras
    import numpy as np

    from kerasnoise import callbacks, execution, losses, models

    keras.config.set_dtype_policy("float32" if precision == "float32" else f"mixed_{precision}")
    keras.utils.set_random_seed(0)
    backend = keras.backend.backend()
    model = models.get(model_name)
    model.compile(
        optimizer=keras.optimizers.Adadelta(0.1, rho=0.9, epsilon=1e-6),
        loss=losses.get("ce"),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        steps_per_execution=execution.resolve_steps_per_execution(16),
        jit_compile=execution.resolve_jit_compile("auto", model)[0],
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, BATCH).astype(np.int32)

    class Same(keras.utils.PyDataset):
        def __len__(self):
            return steps

        def __getitem__(self, index):
            return x, y

    if backend == "tensorflow":
        import tensorflow as tf

        feed = tf.data.Dataset.from_tensors((x, y)).repeat(steps)
    else:
        feed = Same()
    timer = callbacks.ThroughputTimer(steps * BATCH)
    model.fit(feed, epochs=epochs, callbacks=[timer], shuffle=False, verbose=0)
    return {"ceiling_examples_per_second": float(np.median(timer.rates[1:] or timer.rates))}


def worker(args) -> None:
    start = time.perf_counter()
    if args.worker == "reference":
        row = run_reference(args.model, args.data_dir, args.epochs, args.limit)
    else:
        jit = JIT_CHOICES[args.jit_compile[0]]
        row = run_kerasnoise(
            args.model, args.precision, args.data_dir, args.epochs, args.limit, jit
        )
        if args.ceiling:
            row.update(run_ceiling(args.model, args.precision, args.epochs))
    row.update(wall_s=time.perf_counter() - start, peak_rss_mb=peak_rss_mb())
    print("RESULT " + json.dumps(row))


def spawn(
    kind: str,
    model: str,
    args,
    backend: str | None = None,
    precision: str | None = None,
    onednn: str = "on",
    jit: str = "auto",
) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.throughput",
        "--worker",
        kind,
        "--model",
        model,
        "--data-dir",
        args.data_dir,
        "--epochs",
        str(args.epochs),
    ]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    if precision:
        cmd += ["--precision", precision]
    if args.ceiling:
        cmd += ["--ceiling"]
    cmd += ["--jit-compile", jit]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if onednn == "off":
        env["TF_ENABLE_ONEDNN_OPTS"] = "0"
    if backend:
        env["KERAS_BACKEND"] = backend
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode or not lines:
        return {"error": (done.stderr or done.stdout)[-2000:]}
    return json.loads(lines[-1].removeprefix("RESULT "))


def variants(args) -> list[tuple[str, str, str, str]]:
    """(backend, precision, oneDNN, jit_compile) of every kerasnoise run; the oneDNN
    switch is TensorFlow's alone."""
    return [
        (backend, precision, onednn, jit)
        for backend in args.backends
        for precision in args.precisions
        for onednn in (args.onednn if backend == "tensorflow" else ["on"])
        for jit in args.jit_compile
    ]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", default=os.environ.get("KERASNOISE_DATA_DIR", "../shared/data")
    )
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=PRECISIONS)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run; the first warms up")
    parser.add_argument(
        "--ceiling", action="store_true", help="also time the model step alone on a fixed batch"
    )
    parser.add_argument("--limit", type=int, help="use only the first N training examples")
    parser.add_argument(
        "--onednn",
        nargs="+",
        default=["on"],
        choices=("on", "off"),
        help="TensorFlow runs: 'on' as this CPU has it, 'off' with TF_ENABLE_ONEDNN_OPTS=0",
    )
    parser.add_argument("--jit-compile", nargs="+", default=["auto"], choices=tuple(JIT_CHOICES))
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--worker", choices=("reference", "kerasnoise"), help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="float32", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return

    rows = []
    for model in args.models:
        first = spawn("reference", model, args)
        runs = []
        for backend, precision, onednn, jit in variants(args):
            row = spawn("kerasnoise", model, args, backend, precision, onednn, jit)
            name = " ".join(
                [backend, precision]
                + (["oneDNN off"] if onednn == "off" else [])
                + ([f"jit_compile={jit}"] if jit != "auto" else [])
            )
            runs.append({"model": model, "run": name, **row})
            print(
                f"{model:7s} {name:40s} {row.get('examples_per_second') or 0:10,.0f} ex/s  "
                f"acc {row.get('test_accuracy')}"
            )
        second = spawn("reference", model, args)
        refs = [r for r in (first, second) if "examples_per_second" in r]
        ref = max(refs, key=lambda r: r["examples_per_second"]) if refs else first
        ref["measurements"] = [r.get("examples_per_second") for r in (first, second)]
        rows.append({"model": model, "run": "pytorch reference", **ref})
        print(f"{model:7s} reference (best of 2)  {ref.get('examples_per_second', 0):10,.0f} ex/s")
        base = ref.get("examples_per_second")
        for row in runs:
            if base and row.get("examples_per_second"):
                row["ratio"] = row["examples_per_second"] / base
            if base and row.get("ceiling_examples_per_second"):
                row["ceiling_ratio"] = row["ceiling_examples_per_second"] / base
            rows.append(row)
    meta = {
        "date": date.today().isoformat(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "epochs": args.epochs,
        "ceiling": args.ceiling,
        "limit": args.limit,
        "batch_size": BATCH,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "throughput.json", {"meta": meta, "rows": rows})
    atomic_write_text(out / "throughput.md", to_markdown(meta, rows))
    print(to_markdown(meta, rows))


def _choices(execution: dict | None) -> str:
    """The run record's resolved speed settings, in a few words."""
    if not execution:
        return ""
    words = [f"{execution['steps_per_execution']} steps/call"]
    words.append("compiled" if execution["jit_compile"] is True else "not compiled")
    if execution.get("data_format"):
        words.append("NCHW" if execution["data_format"] == "channels_first" else "NHWC")
    return ", ".join(words)


def to_markdown(meta: dict, rows: list[dict]) -> str:
    ceiling = meta.get("ceiling")
    lines = [
        f"Training throughput, MNIST, batch {meta['batch_size']}, {meta['date']}, "
        f"{meta['cores']} cores ({meta['cpu']}), epochs {meta['epochs']} (first = warm-up); "
        "reference = the faster of two runs",
        "",
        "| model | run | examples/s | × reference | test accuracy (%) | peak RSS (MB) | "
        "automatic choices |" + (" model step alone, × reference |" if ceiling else ""),
        "|---|---|---:|---:|---:|---:|---|" + ("---:|" if ceiling else ""),
    ]
    for r in rows:
        if "error" in r:
            empty = " | | | | |" + (" |" if ceiling else "")
            lines.append(f"| {r['model']} | {r['run']} | error |{empty}")
            continue
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else ("1.00" if "reference" in r["run"] else "")
        acc = r.get("test_accuracy")
        line = (
            f"| {r['model']} | {r['run']} | {r['examples_per_second']:,.0f} | {ratio} | "
            f"{'' if acc is None else f'{100 * acc:.2f}'} | {r['peak_rss_mb']:,.0f} | "
            f"{_choices(r.get('execution'))} |"
        )
        if ceiling:
            line += f" {r['ceiling_ratio']:.2f} |" if "ceiling_ratio" in r else " |"
        lines.append(line)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
