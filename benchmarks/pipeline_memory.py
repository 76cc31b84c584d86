"""Peak memory of the alpha = 100 additive pipeline on full MNIST, iterated and trained.

    KERAS_BACKEND=jax python -m benchmarks.pipeline_memory [--data-dir ../shared/data]
        [--alpha 100] [--steps 500] [--train-steps 300] [--model mlp1]

Builds ``Additive(alpha)`` on the 60,000 MNIST training labels (6,060,000 examples
an epoch at alpha = 100), iterates ``--steps`` batches of 128 through the
``tf.data`` pipeline (batch rate without a model), then trains ``--model`` for
``--train-steps`` steps with ``model.fit`` on the active backend, and reports the
process's peak resident memory (ru_maxrss) and the part reached after importing
Keras and its backend.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

from kerasnoise._io import atomic_write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("KERASNOISE_DATA_DIR"))
    parser.add_argument("--alpha", type=int, default=100)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--train-steps", type=int, default=300)
    parser.add_argument("--model", default="mlp1")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from kerasnoise import datasets, models, noise, pipelines

    keras.ops.zeros(())  # load the backend

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
    model = models.get(args.model)
    model.compile(
        optimizer=keras.optimizers.Adadelta(0.1, rho=0.9, epsilon=1e-6),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    if args.train_steps:
        model.fit(
            pipe.for_fit(),
            epochs=1,
            steps_per_epoch=args.train_steps,
            shuffle=False,
            callbacks=[pipe.epoch_callback()],
            verbose=0,
        )
    row = {
        "backend": keras.backend.backend(),
        "trained_steps": args.train_steps,
        "examples_per_epoch": result.num_examples,
        "noise_apply_s": round(noise_s, 3),
        "batches_per_s": round(args.steps / seconds, 1),
        "examples_per_s": round(args.steps * args.batch_size / seconds),
        "peak_rss_mb": round(peak_mb()),
        "rss_after_imports_mb": round(after_import),
        "tensorflow": tf.__version__,
    }
    print(json.dumps(row, indent=1))
    if args.out:
        atomic_write_json(args.out, row)


if __name__ == "__main__":
    main()
