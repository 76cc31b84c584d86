"""Sharding: which of a sweep's runs machine ``i`` of ``n`` trains (a SLURM array)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from kerasnoise.sweep.expansion import SweepRun

__all__ = ["parse_shard", "select_shard", "shard_from_env"]


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> ``(I, N)`` with ``0 <= I < N``."""
    index, sep, count = str(text).partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = -1
    if not sep or n < 1 or not 0 <= i < n:
        raise ValueError(f"shard must be I/N with 0 <= I < N (e.g. 0/4), got {text!r}")
    return i, n


def select_shard(runs: Sequence[SweepRun], shard: tuple[int, int]) -> list[SweepRun]:
    """The runs of shard ``(i, n)``: those whose index is ``i`` modulo ``n``."""
    index, count = shard
    return [r for r in runs if r.index % count == index]


def shard_from_env(environ: dict | None = None) -> tuple[int, int] | None:
    """``(SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT)`` when both are set, else ``None``.

    Array indices are taken as 0-based (``#SBATCH --array=0-3``); with
    ``SLURM_ARRAY_TASK_MIN`` set, the index is counted from it.
    """
    env = os.environ if environ is None else environ
    if "SLURM_ARRAY_TASK_ID" not in env or "SLURM_ARRAY_TASK_COUNT" not in env:
        return None
    first = int(env.get("SLURM_ARRAY_TASK_MIN", 0))
    task, count = int(env["SLURM_ARRAY_TASK_ID"]) - first, env["SLURM_ARRAY_TASK_COUNT"]
    return parse_shard(f"{task}/{count}")
