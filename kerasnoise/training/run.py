"""Where one config's run lives, how it is keyed, and its rows in the results store."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
from pathlib import Path

import keras

from kerasnoise._io import atomic_write_json
from kerasnoise.config import ExperimentConfig
from kerasnoise.results import rundir
from kerasnoise.results.store import ResultsStore

__all__ = ["Run", "library_versions", "open_run"]


@dataclasses.dataclass
class Run:
    """Where one config's run lives and how it is keyed (see :func:`open_run`)."""

    config: ExperimentConfig
    store: ResultsStore
    backend: str
    run_id: str
    group: str
    run_dir: Path
    checkpoint_dir: Path  # rundir.checkpoint_folder: in the run directory or outside it

    @property
    def stored_config(self) -> dict:
        """The config as the store holds it: with the backend it ran on."""
        return self.config.to_dict() | {"backend": self.backend}

    def is_done(self) -> bool:
        return self.store.is_done(self.run_id)

    def stored(self) -> dict:
        """The run's row in the results store (its status, config and result)."""
        return self.store.get(self.run_id)

    def begin(self, noise: dict) -> None:
        """Write the run directory's identity, config and noise files (``noise``: the
        noise summary) and mark the run running in the store."""
        rundir.write_identity(
            self.run_dir,
            run_id=self.run_id,
            group=self.group,
            seed=self.config.seed,
            backend=self.backend,
        )
        atomic_write_json(self.run_dir / rundir.CONFIG, self.config.to_dict())
        atomic_write_json(self.run_dir / rundir.NOISE, noise)
        self.record("running", {})

    def record(self, status: str, result: dict) -> None:
        self.store.record(
            self.run_id,
            group=self.group,
            seed=self.config.seed,
            status=status,
            config=self.stored_config,
            result=result,
        )

    def tag(self, sweep: str, method: str, axes: dict) -> None:
        """Record in the store and in ``tags.json`` that this run belongs to ``sweep``."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        rundir.add_tag(self.run_dir, sweep=sweep, method=method, axes=axes)
        self.store.tag(self.run_id, sweep=sweep, method=method, axes=axes)


def open_run(
    config: ExperimentConfig,
    out_dir: str | os.PathLike = "runs",
    checkpoint_dir: str | os.PathLike | None = None,
) -> Run:
    """Validate ``config`` and find its run directory and store under ``out_dir``, and
    its checkpoint folder (:func:`kerasnoise.results.rundir.checkpoint_folder`)."""
    config.validate()
    out = Path(out_dir)
    backend = keras.backend.backend()
    run_id = config.run_id(backend)
    return Run(
        config=config,
        store=ResultsStore(out),
        backend=backend,
        run_id=run_id,
        group=config.group_id(backend),
        run_dir=out / run_id,
        checkpoint_dir=rundir.checkpoint_folder(out / run_id, run_id, checkpoint_dir),
    )


def library_versions() -> dict:
    names = ("kerasnoise", "keras", "tensorflow", "numpy", "jax", "torch")
    out = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out
