"""The files of one run directory, ``<out>/<run_id>/``: the source of truth of a run.

==================  =================================================================
``run.json``        identity: ``run_id``, ``group``, ``seed``, ``backend`` (written first)
``config.json``     the resolved config (reload with ``ExperimentConfig.from_dict``)
``noise.json``      the realised noise: rate, transition matrix, seeds, generator state
                    (and under ``validation`` the validation labels' own draw, if noisy)
``history.json``    one entry per finished epoch (survives interruption and resume)
``history.csv``     the same, from ``keras.callbacks.CSVLogger``
``result.json``     the result record, written when the run ends (finished or diverged)
``tags.json``       ``{sweep: {"method": ..., "axes": {...}}}`` for every sweep it is in
``model.keras``     the final model (best weights when early stopping restores them)
``checkpoint/``     the state to resume from while the run is unfinished (elsewhere
                    when a checkpoint folder is set: :func:`checkpoint_folder`)
==================  =================================================================

The results store (:mod:`kerasnoise.results.store`) indexes these files; it can be rebuilt
from them (:func:`kerasnoise.results.store.rebuild`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kerasnoise._args import CHECKPOINT_DIR_ENV
from kerasnoise._io import atomic_write_json

RUN = "run.json"
CONFIG = "config.json"
NOISE = "noise.json"
HISTORY = "history.json"
HISTORY_CSV = "history.csv"
RESULT = "result.json"
TAGS = "tags.json"
MODEL = "model.keras"
CHECKPOINT = "checkpoint"


def checkpoint_folder(
    run_dir: str | os.PathLike, run_id: str, checkpoint_dir: str | os.PathLike | None = None
) -> Path:
    """Where run ``run_id`` keeps its checkpoint: ``<checkpoint_dir>/<run_id>/`` when a
    checkpoint folder is given (or ``$KERASNOISE_CHECKPOINT_DIR`` is set), else
    ``<run_dir>/checkpoint/``.  Keyed by run id, so an output folder re-created from
    its committed records finds the checkpoint of its unfinished runs there."""
    base = checkpoint_dir or os.environ.get(CHECKPOINT_DIR_ENV) or None
    if base is None:
        return Path(run_dir) / CHECKPOINT
    return Path(base).expanduser().resolve() / run_id


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_identity(run_dir: Path, *, run_id: str, group: str, seed: int, backend: str) -> None:
    atomic_write_json(
        run_dir / RUN, {"run_id": run_id, "group": group, "seed": seed, "backend": backend}
    )


def read_tags(run_dir: str | os.PathLike) -> dict[str, dict]:
    path = Path(run_dir) / TAGS
    return _read(path) if path.is_file() else {}


def add_tag(run_dir: str | os.PathLike, *, sweep: str, method: str, axes: dict) -> None:
    """Add (or update) this run's tag for ``sweep`` in ``tags.json``."""
    tags = read_tags(run_dir)
    tags[sweep] = {"method": method, "axes": axes}
    atomic_write_json(Path(run_dir) / TAGS, tags)


def read_record(run_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The store record a run directory describes, or ``None`` if it is not a run.

    ``{"run_id", "group", "seed", "status", "config", "result"}``: the status is the
    result's (finished or diverged) when ``result.json`` exists, else ``failed``
    (unfinished: a re-run resumes it).  ``config`` carries the backend, as stored.
    """
    run_dir = Path(run_dir)
    if not (run_dir / RUN).is_file() or not (run_dir / CONFIG).is_file():
        return None
    identity = _read(run_dir / RUN)
    result = _read(run_dir / RESULT) if (run_dir / RESULT).is_file() else {}
    return {
        "run_id": identity["run_id"],
        "group": identity["group"],
        "seed": identity["seed"],
        "status": result.get("status", "failed"),
        "config": _read(run_dir / CONFIG) | {"backend": identity["backend"]},
        "result": result,
    }


def is_finished(run_dir: str | os.PathLike) -> bool:
    """True when the run directory holds a result (finished or diverged)."""
    return (Path(run_dir) / RESULT).is_file()


def run_dirs(folder: str | os.PathLike) -> list[Path]:
    """The run directories directly inside an output folder, sorted by name."""
    return sorted(p.parent for p in Path(folder).glob(f"*/{RUN}"))
