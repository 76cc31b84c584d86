"""Peak memory and batch throughput of the alpha = 100 additive pipeline on full MNIST.

    python -m benchmarks.pipeline_memory [--data-dir ../shared/data] [--alpha 100] [--steps 500]

Builds ``Additive(alpha)`` on the 60,000 MNIST training labels (6,060,000 examples
an epoch at alpha = 100), iterates ``--steps`` batches of 128 through the
``tf.data`` pipeline and reports the process's peak resident memory (ru_maxrss),
split into the part after importing TensorFlow and the growth the pipeline adds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("KERASNOISE_DATA_DIR"))
    parser.add_argument("--alpha", type=int, default=100)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args()

    import tensorflow as tf

    from kerasnoise import datasets, noise, pipelines

    after_import = peak_mb()
    data = datasets.load("mnist", args.data_dir)
    start = time.perf_counter()
    result = noise.Additive(args.alpha).apply(data.y_train, num_classes=10, seed=0)
    noise_s = time.perf_counter() - start
    pipe = pipelines.TrainPipeline(
        data.x_train,
        result,
        batch_size=args.batch_size,
        seed=0,
        mean=data.info.mean,
        std=data.info.std,
    )
    batches = iter(pipe.dataset)
    next(batches)  # warm-up
    start = time.perf_counter()
    for _ in range(args.steps):
        next(batches)
    seconds = time.perf_counter() - start
    row = {
        "examples_per_epoch": result.num_examples,
        "noise_apply_s": round(noise_s, 3),
        "batches_per_s": round(args.steps / seconds, 1),
        "examples_per_s": round(args.steps * args.batch_size / seconds),
        "peak_rss_mb": round(peak_mb()),
        "rss_after_tf_import_mb": round(after_import),
        "tensorflow": tf.__version__,
    }
    print(json.dumps(row, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(row, f, indent=1)


if __name__ == "__main__":
    main()
