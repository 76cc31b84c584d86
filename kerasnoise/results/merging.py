"""Operations on whole output folders: merge the folders of several machines into one.

Each machine of a cluster writes its own ``--out``; :func:`merge_folders` folds them
into one folder with every run once, keyed by its run id, and one store.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kerasnoise.results import rundir
from kerasnoise.results.store import FILENAME, ResultsStore, rebuild

__all__ = ["merge_folders"]


def merge_folders(target: str | os.PathLike, sources: Sequence[str | os.PathLike]) -> dict:
    """Fold the output folders ``sources`` (e.g. one per machine) into ``target``.

    Run directories missing in ``target`` are copied (through a temporary name, so a
    half-copied directory never appears); an unfinished one is replaced by a finished
    copy.  Each source's store is then merged with :meth:`ResultsStore.merge` (a
    source without a store is read from its run directories).  Every run ends up
    once, keyed by its run id.  Returns per-source counts.
    """
    store = ResultsStore(target)
    summary = {}
    for source in map(Path, sources):
        if source.resolve() == store.folder.resolve():
            raise ValueError(f"cannot merge {source} into itself")
        if not source.is_dir():
            raise FileNotFoundError(f"{source} is not a folder")
        copied = 0
        for run_dir in rundir.run_dirs(source):
            mine = store.folder / run_dir.name
            if mine.exists() and (rundir.is_finished(mine) or not rundir.is_finished(run_dir)):
                continue
            tmp = store.folder / f".{run_dir.name}.merge-tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(run_dir, tmp)
            if mine.exists():
                shutil.rmtree(mine)
            os.replace(tmp, mine)
            copied += 1
        if (source / FILENAME).is_file():
            counts = store.merge(ResultsStore(source))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                shutil.copytree(source, tmp, dirs_exist_ok=True, ignore=_only_run_files)
                rebuild(tmp)
                counts = store.merge(ResultsStore(tmp))
        summary[str(source)] = {"copied_dirs": copied, **counts}
    return summary


def _only_run_files(folder: str, names: list[str]) -> list[str]:
    """``shutil.copytree`` ignore: copy only the small JSON files a record is read from."""
    keep = {rundir.RUN, rundir.CONFIG, rundir.RESULT, rundir.TAGS}
    return [n for n in names if Path(folder, n).is_file() and n not in keep]
