"""One way to run tasks side by side: spawned worker processes with a tqdm bar, the
pending tasks cancelled when the caller is interrupted; or in this process, one after
the other, when ``jobs`` is 1.  Sweeps of training runs and the synthetic experiments'
repeats both run through :func:`run_tasks`.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["run_tasks", "progress_bar"]

#: ``on_done(index, result, error)``: called in this process as each task ends.
OnDone = Callable[[int, Any, BaseException | None], None]


def progress_bar(total: int, desc: str, unit: str, *, enabled: bool = True):
    """A tqdm bar on stderr (``enabled=False``: one that shows nothing)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr)


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[tuple],
    *,
    jobs: int,
    on_done: OnDone,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    catch: tuple[type[BaseException], ...] = (Exception,),
) -> None:
    """``fn(*task)`` for every task: in this process when ``jobs`` is 1 (or there is one
    task), else in ``min(jobs, len(tasks))`` spawned processes, each started with
    ``initializer(*initargs)``.  ``on_done(index, result, error)`` gets every task's
    result, or the exception it raised (an exception of ``catch`` in this process; any
    ``Exception`` in a worker), in the order they end; ``on_done`` may raise to stop
    everything.  An interruption (Ctrl-C, or ``on_done`` raising) cancels the tasks not
    started yet and propagates.

    ``fn`` must be importable by name from a module (the workers are spawned: they
    import it again, so a script's top-level code must sit under
    ``if __name__ == "__main__":``).
    """
    if jobs == 1 or len(tasks) <= 1:
        for index, task in enumerate(tasks):
            try:
                result = fn(*task)
            except catch as err:
                on_done(index, None, err)
            else:
                on_done(index, result, None)
        return
    with cf.ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    ) as pool:
        futures = {pool.submit(fn, *task): index for index, task in enumerate(tasks)}
        try:
            for future in cf.as_completed(futures):
                error = future.exception()
                on_done(futures[future], None if error else future.result(), error)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
