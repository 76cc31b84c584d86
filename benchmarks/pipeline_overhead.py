"""Cost of the noisy pipeline: additive noise at alpha = 10 against plain in-memory arrays.

    KERAS_BACKEND=jax python -m benchmarks.pipeline_overhead [--data-dir ../shared/data]
        [--model mlp1] [--images 6000] [--alpha 10] [--epochs 2]

Trains the same model with ``model.fit`` for ``--epochs`` epochs (the first warms up)
on the same number of examples, (1 + alpha) x images, two ways:

- ``pipeline``: :class:`kerasnoise.pipelines.TrainPipeline` over the images and
  ``Additive(alpha)`` noise (index arithmetic, no copies), fed as the runner feeds
  it (``pipeline.for_fit()``: ``tf.data`` on TensorFlow, chunked batches elsewhere);
- ``arrays``: the (1 + alpha) x images examples materialised as one standardised
  float32 array with their labels, ``model.fit(x, y, batch_size, shuffle=True)``.

Both use the runner's compile settings (16 steps per execution except on PyTorch,
``jit_compile`` as ``execution.resolve_jit_compile``).  Prints examples per second
of each and the ratio pipeline / arrays for the active backend.  Run it once per
backend.
"""

from __future__ import annotations

import argparse
import json
import os

from kerasnoise._io import atomic_write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def measure(
    model_name: str, images: int, alpha: int, epochs: int, batch: int, data_dir: str | None
) -> dict:
    import keras
    import numpy as np

    from kerasnoise import callbacks, datasets, execution, models, noise, pipelines

    data = datasets.load("mnist", data_dir)
    x, y = data.x_train[:images], data.y_train[:images]
    result = noise.Additive(alpha).apply(y, num_classes=10, seed=0)
    mean, std = data.info.mean, data.info.std
    out = {
        "backend": keras.backend.backend(),
        "model": model_name,
        "alpha": alpha,
        "examples_per_epoch": result.num_examples,
        "batch_size": batch,
    }

    def fit(*args, **kwargs):
        keras.utils.set_random_seed(0)
        model = models.get(model_name)
        model.compile(  # the runner's settings, for both feeds
            optimizer=keras.optimizers.Adadelta(0.1, rho=0.9, epsilon=1e-6),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            steps_per_execution=execution.resolve_steps_per_execution(16),
            jit_compile=execution.resolve_jit_compile("auto", model)[0],
        )
        timer = callbacks.ThroughputTimer(result.num_examples)
        model.fit(
            *args,
            epochs=epochs,
            verbose=0,
            callbacks=[timer, *kwargs.pop("callbacks", [])],
            **kwargs,
        )
        return float(np.median(timer.rates[1:] or timer.rates))

    pipe = pipelines.TrainPipeline(x, result, batch_size=batch, seed=0, mean=mean, std=std)
    out["pipeline_examples_per_second"] = fit(
        pipe.for_fit(), shuffle=False, callbacks=[pipe.epoch_callback()]
    )
    index = result.image_index(np.arange(result.num_examples))
    x_all = ((x[index].astype(np.float32) / 255 - mean[0]) / std[0]).astype(np.float32)
    out["arrays_examples_per_second"] = fit(
        x_all, result.labels.astype(np.int32), batch_size=batch, shuffle=True
    )
    out["ratio_pipeline_to_arrays"] = (
        out["pipeline_examples_per_second"] / out["arrays_examples_per_second"]
    )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("KERASNOISE_DATA_DIR"))
    parser.add_argument("--model", default="mlp1")
    parser.add_argument("--images", type=int, default=6000)
    parser.add_argument("--alpha", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args(argv)
    row = measure(args.model, args.images, args.alpha, args.epochs, args.batch_size, args.data_dir)
    print(json.dumps(row, indent=1))
    if args.out:
        atomic_write_json(args.out, row)


if __name__ == "__main__":
    main()
