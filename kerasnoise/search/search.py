"""A whole search: every level's keras-tuner search, then the chosen rates' final runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from kerasnoise import sweep as sweep_lib
from kerasnoise.search.plan import LRSearch, project_dir
from kerasnoise.search.results import best_learning_rates, trials_frame
from kerasnoise.search.roles import LOCAL, Role, wait_for_chief
from kerasnoise.search.tuner import search_level

__all__ = ["run_search"]


def run_search(
    search: LRSearch,
    out: str | os.PathLike,
    *,
    role: Role = LOCAL,
    chief_timeout: float = 60.0,
    jobs: int = 0,
    progress: bool = True,
    on_trial: Callable[[dict], None] | None = None,
) -> dict | None:
    """Search every level, then (not on a worker) train the best learning rates' seeds.

    Returns ``{level: best learning rate}`` (``None`` on a worker, whose part ends with
    the trials).  Levels with no finished trial are left out.
    """
    search.validate()
    out = sweep_lib.check_writable(out)
    folders = [project_dir(out, search, level) for level in search.levels]
    for index, level in enumerate(search.levels):
        worker = role.kind == "worker"
        if worker and not wait_for_chief(role, search, index, folders, chief_timeout):
            continue
        search_level(search, level, out, index=index, role=role, on_trial=on_trial)
    if role.kind == "worker":
        return None
    best = best_learning_rates(trials_frame(search, out))
    outcome = sweep_lib.run_sweep(
        search.as_sweep({}, search.seeds),  # its name tags the runs
        out,
        runs=search.final_runs(best),
        jobs=jobs,
        progress=progress,
    )
    for run_id, error in outcome.failed.items():
        print(f"failed: {run_id}: {error}", file=sys.stderr)
    return best
