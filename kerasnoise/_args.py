"""Command-line pieces the scripts share (``experiments/``, ``tuning/``)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence

#: The Keras backends every command line offers (``--backend``).
BACKENDS = ("tensorflow", "jax", "torch")
#: The learning-rate searches' tuners (``--tuner``).
TUNERS = ("grid", "random", "bayesian", "hyperband")
#: A folder for every run's checkpoint, outside the output folder (fast scratch, or a
#: place that outlives a workspace): ``<folder>/<run_id>/`` (``--checkpoint-dir``).
CHECKPOINT_DIR_ENV = "KERASNOISE_CHECKPOINT_DIR"


def use_checkpoint_dir(value: str | os.PathLike) -> str:
    """Set ``$KERASNOISE_CHECKPOINT_DIR`` to ``value``, made absolute, for this process
    and the worker processes it starts; returns the absolute path."""
    path = os.path.abspath(os.path.expanduser(value))
    os.environ[CHECKPOINT_DIR_ENV] = path
    return path


class _CheckpointDir(argparse.Action):
    """``--checkpoint-dir DIR``: :func:`use_checkpoint_dir`, a file refused."""

    def __call__(self, parser, namespace, value, option_string=None):
        expanded = os.path.expanduser(value)
        if os.path.exists(expanded) and not os.path.isdir(expanded):
            parser.error(f"--checkpoint-dir: {value!r} is a file, not a folder")
        setattr(namespace, self.dest, use_checkpoint_dir(value))


def add_backend(parser: argparse.ArgumentParser) -> None:
    """``--backend``: the Keras backend (set it with :func:`choose_backend`)."""
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="Keras backend (default $KERAS_BACKEND, else tensorflow)",
    )


def add_out(parser: argparse.ArgumentParser, default: str | None, help: str | None = None) -> None:
    """``--out``: the output folder (run directories, the store, tables)."""
    shown = f" (default {default})" if default else ""
    parser.add_argument("--out", default=default, help=help or f"output folder{shown}")


def add_data_dir(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    """``--data-dir``: the folder holding the data files."""
    parser.add_argument(
        "--data-dir", help=help or "folder with the data files (default $KERASNOISE_DATA_DIR)"
    )


def add_jobs(parser: argparse.ArgumentParser, default: int = 0, help: str | None = None) -> None:
    """``--jobs``: worker processes side by side (:mod:`kerasnoise.pool`)."""
    parser.add_argument(
        "--jobs",
        type=int,
        default=default,
        help=help
        or "worker processes side by side; 1 trains in this process; default 0: one "
        "single-threaded worker per core (1 on an accelerator), the faster on 2 CPU cores",
    )


def add_no_progress(parser: argparse.ArgumentParser) -> None:
    """``--no-progress``: no progress bar on stderr."""
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_checkpoint_dir(parser: argparse.ArgumentParser) -> None:
    """The ``--checkpoint-dir`` flag of every command that trains."""
    parser.add_argument(
        "--checkpoint-dir",
        action=_CheckpointDir,
        metavar="DIR",
        help="keep unfinished runs' checkpoints in DIR/<run id>/ (default "
        f"${CHECKPOINT_DIR_ENV}, else each run directory's checkpoint/): a run resumes "
        "from there even when its output folder was re-created",
    )


def csv_list(kind):
    """An argparse type: ``"0,1,2"`` -> ``[kind("0"), ...]``, at least one item."""

    def parse(text: str) -> list:
        items = [t.strip() for t in text.split(",") if t.strip()]
        if not items:
            raise argparse.ArgumentTypeError("expected a comma-separated list, got nothing")
        try:
            return [kind(t) for t in items]
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a list of {kind.__name__}: {text!r}") from None

    return parse


def choose_backend(parser: argparse.ArgumentParser, backend: str | None) -> None:
    """Set ``KERAS_BACKEND`` from ``--backend`` (before Keras loads), then load Keras
    with TensorFlow's start-up noise kept off the terminal."""
    if backend:
        if "keras" in sys.modules and os.environ.get("KERAS_BACKEND") != backend:
            parser.error("--backend must be chosen before Keras is imported")
        os.environ["KERAS_BACKEND"] = backend
    from kerasnoise._quiet import import_keras_quietly

    import_keras_quietly()


def script_command(module: str, argv: Sequence[str]) -> str:
    """The exact command that ran a script, as its ``table.md`` records it: ``python -m
    <module>`` and the arguments, each quoted for a POSIX shell where it needs it
    (``shlex.quote``: ``'model.hidden=[1024]'``), so the line runs it again as pasted."""
    return " ".join(["python -m", module, *map(shlex.quote, argv)])


def declaring_module() -> str:
    """The module whose top level declares an experiment, called from its dataclass's
    ``__post_init__``: ``experiments.menon_mnist`` also when run as ``python -m
    experiments.menon_mnist`` (where ``__name__`` is ``__main__``)."""
    frame = sys._getframe(3)  # declaring_module <- __post_init__ <- __init__ <- declaration
    spec = frame.f_globals.get("__spec__")
    name = frame.f_globals.get("__name__", "")
    if name == "__main__" and spec is not None and spec.name:
        return spec.name
    return name
