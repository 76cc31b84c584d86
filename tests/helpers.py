"""Helpers shared by several test modules (tests never import each other).

Importing this module imports no Keras: the Keras callbacks (``StopAfterFirstEpoch``)
are made on first use, so the backend-free tests and the fixture generators in
``tests/fixtures/`` can use the rest.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from kerasnoise import noise

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# --------------------------------------------------------------------------- noise snapshots

#: The noise models whose labels ``fixtures/noise_digests.json`` snapshots
#: (``tests/fixtures/make_noise_digests.py`` writes it).
NOISE_DIGEST_CLASSES = 10
NOISE_DIGEST_MODELS = [
    noise.SymmetricExclusive(0.4),
    noise.SymmetricInclusive(0.4),
    noise.SymmetricExact(0.4),
    noise.PairFlip(0.4),
    noise.Asymmetric(0.4, "mnist"),
    noise.TransitionMatrix(np.full((10, 10), 1 / 10)),
    noise.Additive(3),
    noise.Additive(2, source="other"),
    noise.Structured(3, delta=0.3),
    noise.Structured(3, delta=0.3, order="random"),
]


def labels_digest(result) -> str:
    """sha256 of a noise result's labels (little-endian int64)."""
    return hashlib.sha256(result.labels.astype("<i8").tobytes()).hexdigest()


def noise_digests() -> dict[str, str]:
    """``{repr(model): labels_digest}`` of each of :data:`NOISE_DIGEST_MODELS` on
    ``arange(1000) % 10`` with seed 2024: what ``fixtures/noise_digests.json`` holds."""
    y = np.arange(1000) % NOISE_DIGEST_CLASSES
    return {
        repr(m): labels_digest(m.apply(y, num_classes=NOISE_DIGEST_CLASSES, seed=2024))
        for m in NOISE_DIGEST_MODELS
    }


# --------------------------------------------------------------------------- pipelines


def epoch_pairs(dataset) -> tuple[np.ndarray, np.ndarray]:
    """All (image, label) of one pass of a ``tf.data`` pipeline, images mapped back to
    uint8 pixels (the pipeline divides by 255 when given no mean/std)."""
    xs, ys = [], []
    for xb, yb in dataset:
        xs.append(np.rint(xb.numpy() * 255).astype(np.uint8))
        ys.append(yb.numpy())
    return np.concatenate(xs), np.concatenate(ys)


def pipeline_order_digest(x: np.ndarray, y: np.ndarray) -> dict[str, str]:
    """Digests of two epochs of the augmented training pipeline on ``(x, y)`` (the first
    2,000 MNIST training images), noise and order seeded with 2024: what
    ``fixtures/pipeline_order.json`` holds (``tests/fixtures/make_pipeline_order.py``)."""
    from kerasnoise import pipelines

    result = noise.SymmetricExclusive(0.4).apply(y, num_classes=10, seed=2024)
    pipe = pipelines.TrainPipeline(x, result, batch_size=100, seed=2024, augment=True)
    epochs = [epoch_pairs(pipe.dataset) for _ in range(2)]
    images = np.concatenate([images for images, _ in epochs])
    labels = np.concatenate([labels for _, labels in epochs])
    return {
        "labels": hashlib.sha256(labels.astype("<i4").tobytes()).hexdigest(),
        "images": hashlib.sha256(images.tobytes()).hexdigest(),
    }


# --------------------------------------------------------------------------- training

#: Per-epoch history entries that are measured times, different in every run.
TIMING = ("epoch_train_seconds", "examples_per_second")


def without_timing(history: dict) -> dict:
    """A ``history.json`` without its timing entries (comparable across runs)."""
    return {e: {k: v for k, v in h.items() if k not in TIMING} for e, h in history.items()}


class Interrupt(Exception):
    """Raised by :class:`StopAfterFirstEpoch`: a simulated kill."""


@functools.cache
def _keras_callbacks() -> dict[str, type]:
    import keras

    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise Interrupt("simulated kill after epoch 0")

    return {"StopAfterFirstEpoch": StopAfterFirstEpoch}


def __getattr__(name: str) -> Any:  # the Keras callbacks, made on first use
    callbacks = _keras_callbacks() if name == "StopAfterFirstEpoch" else {}
    if name in callbacks:
        return callbacks[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------- plug-ins


def install_distribution(site: Path, name: str, version: str, entry_points: str) -> Path:
    """An installed distribution as pip leaves it in ``site``:
    ``<name>-<version>.dist-info/`` with ``METADATA`` and ``entry_points.txt`` (the
    ``[group]`` / ``name = module:object`` lines of ``entry_points``).  Put ``site`` on
    ``sys.path`` (then ``importlib.invalidate_caches()`` and
    ``kerasnoise.registry.refresh()``) or on a subprocess's ``PYTHONPATH``
    (:func:`plugin_environment`) to install it there."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points).lstrip())
    return info


def plugin_environment(*sites: Path, **variables: str) -> dict[str, str]:
    """The environment of a subprocess (a fresh interpreter) that has the packages of
    ``sites`` installed and imports this checkout's kerasnoise (and ``tests``), on this
    process's Keras backend; ``variables`` are set too."""
    import keras

    path = os.pathsep.join([*map(str, sites), str(REPO), os.environ.get("PYTHONPATH", "")])
    return {
        **os.environ,
        "PYTHONPATH": path,
        "KERAS_BACKEND": keras.backend.backend(),
        **variables,
    }


# --------------------------------------------------------------------------- run records


def read_runs(out: str | Path, sweep: str) -> list[dict[str, Any]]:
    """Every run of ``out`` tagged with ``sweep``, read straight from its files (not
    through kerasnoise): ``run_id``, ``method``, ``axes`` (``{key: value}``), ``seed``,
    ``result`` (``result.json``), ``config`` (``config.json``) and ``history``
    (``history.json``, ``{}`` if absent)."""
    runs = []
    for tags_path in sorted(Path(out).glob("*/tags.json")):
        tag = json.loads(tags_path.read_text()).get(sweep)
        if tag is None:
            continue
        folder = tags_path.parent
        history = folder / "history.json"
        runs.append(
            {
                "run_id": folder.name,
                "method": tag["method"],
                "axes": tag["axes"],
                "seed": json.loads((folder / "run.json").read_text())["seed"],
                "result": json.loads((folder / "result.json").read_text()),
                "config": json.loads((folder / "config.json").read_text()),
                "history": json.loads(history.read_text()) if history.is_file() else {},
            }
        )
    return runs


# --------------------------------------------------------------------------- figures


def _values(data) -> np.ndarray:
    """Plotted values as floats, or as they were given when they are not numbers (a
    categorical axis keeps its strings)."""
    try:
        return np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        return np.asarray(data, dtype=object)


def figure_data(fig) -> dict[str, Any]:
    """What a matplotlib Figure shows: its suptitle and, per visible axes, the title,
    axis labels, tick labels and the data of its lines, error bars and scatter points."""
    from matplotlib.collections import PathCollection
    from matplotlib.container import ErrorbarContainer

    axes = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        errorbars = []
        for container in ax.containers:
            if isinstance(container, ErrorbarContainer):
                data_line, _, bars = container.lines
                # each bar is a vertical segment (x, y - err) to (x, y + err); NaN bars are
                # not drawn
                half = {
                    float(segment[0][0]): (segment[1][1] - segment[0][1]) / 2
                    for collection in bars
                    for segment in collection.get_segments()
                    if len(segment) == 2
                }
                x = _values(data_line.get_xdata())
                at = np.asarray(ax.xaxis.convert_units(list(x)), dtype=float)  # categories
                yerr = [half.get(float(v), np.nan) for v in np.atleast_1d(at)]
                errorbars.append(
                    {
                        "label": container.get_label(),
                        "x": x,
                        "y": _values(data_line.get_ydata()),
                        "yerr": np.asarray(yerr, dtype=float),
                    }
                )
        axes.append(
            {
                "title": ax.get_title(),
                "xlabel": ax.get_xlabel(),
                "ylabel": ax.get_ylabel(),
                "xscale": ax.get_xscale(),
                "yscale": ax.get_yscale(),
                "xticklabels": [t.get_text() for t in ax.get_xticklabels()],
                "lines": [
                    {
                        "label": line.get_label(),
                        "linestyle": line.get_linestyle(),
                        "marker": line.get_marker(),
                        "x": _values(line.get_xdata()),
                        "y": _values(line.get_ydata()),
                    }
                    for line in ax.get_lines()
                ],
                "errorbars": errorbars,
                "points": [
                    np.asarray(c.get_offsets(), dtype=float)
                    for c in ax.collections
                    if isinstance(c, PathCollection)  # scatter plots
                ],
            }
        )
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    return {"suptitle": suptitle, "axes": axes}


def capture_figures(monkeypatch) -> dict[str, dict[str, Any]]:
    """``{file name: figure_data(...)}`` of every figure kerasnoise saves from now on
    in this process, read from the Figure just before it is written.

    kerasnoise writes every figure with ``kerasnoise._io.atomic_write_figure``, which
    calls ``fig.savefig`` inside ``_io.atomic_write(path, ...)``: the path is taken
    from the one, the figure from the other.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from kerasnoise import _io

    drawn: dict[str, dict[str, Any]] = {}
    writing: list[Path] = []
    real_write, real_savefig = _io.atomic_write, Figure.savefig

    def atomic_write(path, write):
        writing.append(Path(path))
        try:
            return real_write(path, write)
        finally:
            writing.pop()

    def savefig(self, fname, *args, **kwargs):
        target = writing[-1] if writing else Path(fname)
        drawn[target.name] = figure_data(self)
        return real_savefig(self, fname, *args, **kwargs)

    monkeypatch.setattr(_io, "atomic_write", atomic_write)
    monkeypatch.setattr(Figure, "savefig", savefig)
    return drawn
