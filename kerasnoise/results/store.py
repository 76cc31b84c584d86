"""The results store of an experiment output folder: one SQLite file, ``<out>/results.sqlite``.

Every training run (one resolved experiment config plus its seeds) records one
row when it starts and again when it ends.  SQLite is in the standard library,
transactional and safe to share between processes on a local file system, so
several workers may finish at the same moment without a lock file of our own.

Schema (``PRAGMA user_version`` = 2; a version-1 store gains the ``tags`` table)::

    CREATE TABLE runs (
        run_id  TEXT PRIMARY KEY,       -- ExperimentConfig.run_id()
        grp     TEXT NOT NULL,          -- ExperimentConfig.group_id(): runs to average over
        seed    INTEGER NOT NULL,       -- the training seed
        status  TEXT NOT NULL CHECK (status IN ('running','finished','diverged','failed')),
        updated TEXT NOT NULL,          -- UTC ISO 8601 time of the last write
        config  TEXT NOT NULL,          -- JSON object: the resolved config
        result  TEXT NOT NULL           -- JSON object: metrics, history, ...
    );
    CREATE INDEX runs_grp_seed ON runs (grp, seed);
    CREATE TABLE tags (                 -- what sweeps a run belongs to (a run may be in many)
        run_id  TEXT NOT NULL,
        sweep   TEXT NOT NULL,          -- the sweep's name
        method  TEXT NOT NULL,          -- the sweep's method name for this run
        axes    TEXT NOT NULL,          -- JSON object: the sweep's axis values for this run
        PRIMARY KEY (run_id, sweep)
    );

The run directories (``<out>/<run_id>/``) are the source of truth: :func:`rebuild`
makes a new store from them, :meth:`ResultsStore.merge` folds another store (and
:func:`kerasnoise.results.merging.merge_folders` another output folder) into this one.

Guarantees:

- **No half-written record.**  A record (status, config and result together) is
  written by a single ``INSERT ... ON CONFLICT DO UPDATE`` statement inside its
  own ``BEGIN IMMEDIATE ... COMMIT`` transaction.  A process killed at any point
  leaves either the old row or the new one; SQLite discards the uncommitted part
  when the database is next opened.
- **No lost record under concurrency.**  The database is in WAL journal mode
  (readers never block the writer and are never blocked by it), every connection
  waits up to ``timeout`` seconds (``busy_timeout``, default 60 s) for the write
  lock, writes take that lock up front with ``BEGIN IMMEDIATE`` (no deadlock on
  upgrading a read lock), and an operation that still fails with "database is
  locked"/"busy" is retried a few times with exponential backoff and jitter.
- **Durable.**  ``synchronous = FULL``: a committed record survives a power cut.
- **No leaked handles.**  Each operation opens its own connection and closes it
  before returning, so a :class:`ResultsStore` holds no open file and may be
  pickled or used after ``fork``.

Values are stored as strict JSON.  JSON has no NaN or infinity, and a diverged
run has NaN losses, so float NaN/+inf/-inf (Python or NumPy) are stored as
``null`` and read back as ``None``; NumPy scalars and arrays become Python
numbers and lists, tuples become lists (:func:`kerasnoise._io.to_json_safe`, the
rule of the run directories' JSON files too).  Anything else that is not JSON
serialisable raises ``TypeError`` before the database is touched.

WAL needs a local file system (not NFS/SMB); on one that cannot do WAL a
``RuntimeWarning`` is issued and SQLite's default rollback journal is used, which
is still transactional but lets writers block readers.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from kerasnoise._io import to_json_safe
from kerasnoise.results import rundir

__all__ = [
    "STATUSES",
    "DONE_STATUSES",
    "FILENAME",
    "ResultsStore",
    "StoreError",
    "rebuild",
]

FILENAME = "results.sqlite"
STATUSES = ("running", "finished", "diverged", "failed")
#: A run with one of these statuses has a result and is not re-run unless forced.
DONE_STATUSES = ("finished", "diverged")
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id  TEXT PRIMARY KEY,
    grp     TEXT NOT NULL,
    seed    INTEGER NOT NULL,
    status  TEXT NOT NULL CHECK (status IN ('running', 'finished', 'diverged', 'failed')),
    updated TEXT NOT NULL,
    config  TEXT NOT NULL,
    result  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_grp_seed ON runs (grp, seed);
CREATE TABLE IF NOT EXISTS tags (
    run_id  TEXT NOT NULL,
    sweep   TEXT NOT NULL,
    method  TEXT NOT NULL,
    axes    TEXT NOT NULL,
    PRIMARY KEY (run_id, sweep)
);
"""
_TAG_UPSERT = """
INSERT INTO tags (run_id, sweep, method, axes) VALUES (?, ?, ?, ?)
ON CONFLICT (run_id, sweep) DO UPDATE SET method = excluded.method, axes = excluded.axes
"""

_UPSERT = """
INSERT INTO runs (run_id, grp, seed, status, updated, config, result)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id) DO UPDATE SET
    grp = excluded.grp, seed = excluded.seed, status = excluded.status,
    updated = excluded.updated, config = excluded.config, result = excluded.result
"""

_COLUMNS = "run_id, grp, seed, status, config, result, updated"
_ORDER = "ORDER BY grp, seed, run_id"

T = TypeVar("T")


class StoreError(RuntimeError):
    """The store file is corrupt or not a kerasnoise results store."""


def _not_a_store(path: Path, reason: object) -> StoreError:
    return StoreError(
        f"{path} is not a readable kerasnoise results store ({reason}). The run "
        f"directories beside it are the source of truth: move the file away and run "
        f"`kerasnoise results rebuild --out {path.parent}` to make a new one from them."
    )


def _check_status(status: Any) -> str:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}; got {status!r}")
    return status


def _is_lock_error(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _dumps(obj: Mapping[str, Any], what: str) -> str:
    if not isinstance(obj, Mapping):
        raise TypeError(f"{what} must be a dict, got {type(obj).__name__}")
    try:
        return json.dumps(to_json_safe(obj), allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} is not JSON serialisable: {e}") from e


def _row_to_dict(row: tuple) -> dict[str, Any]:
    run_id, group, seed, status, config, result, updated = row
    return {
        "run_id": run_id,
        "group": group,
        "seed": seed,
        "status": status,
        "config": json.loads(config),
        "result": json.loads(result),
        "updated": updated,
    }


class ResultsStore:
    """The runs recorded in ``<folder>/results.sqlite`` (see the module docstring).

    ``timeout``: seconds a connection waits for the write lock (``busy_timeout``).
    ``retries``: further attempts after a "database is locked" error, with
    exponential backoff starting at ``backoff`` seconds.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        *,
        timeout: float = 60.0,
        retries: int = 5,
        backoff: float = 0.05,
    ) -> None:
        self.folder = Path(folder)
        self.path = self.folder / FILENAME
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.folder.mkdir(parents=True, exist_ok=True)
        rebuilt = not self.path.exists() and bool(rundir.run_dirs(self.folder))
        if rebuilt:
            rebuild(self.folder)  # e.g. run directories committed or copied without the store
        self._retry(self._create_schema)
        if not rebuilt:  # a rebuilt store holds every run directory already
            self._add_finished_run_dirs()

    def __repr__(self) -> str:
        return f"ResultsStore({str(self.folder)!r})"

    def _add_finished_run_dirs(self) -> None:
        """Record the finished run directories this store does not count as done.

        Such directories came in beside an existing store (a ``git pull`` of runs
        finished elsewhere, results copied back from another machine): without this
        a report would not see them and a sweep would train them again.  Unfinished
        directories are left alone: their runs may be training now.
        """
        done = {
            run_id
            for (run_id,) in self._retry(
                lambda con: con.execute(
                    "SELECT run_id FROM runs WHERE status IN (?, ?)", DONE_STATUSES
                ).fetchall()
            )
        }
        for run_dir in rundir.run_dirs(self.folder):
            if run_dir.name not in done and rundir.is_finished(run_dir):
                record = rundir.read_record(run_dir)
                if record is not None:
                    _record_run_dir(self, run_dir, record)

    # ------------------------------------------------------------------ connections

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection in autocommit mode (transactions are explicit), always closed."""
        con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            con.execute("PRAGMA synchronous = FULL")
            yield con
        finally:
            con.close()

    def _retry(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``operation(connection)``, retrying on "database is locked" with backoff."""
        for attempt in range(self.retries + 1):
            try:
                with self._connect() as con:
                    return operation(con)
            except sqlite3.OperationalError as e:
                if not _is_lock_error(e) or attempt == self.retries:
                    raise
            except sqlite3.DatabaseError as e:  # not a database, malformed image, ...
                raise _not_a_store(self.path, e) from e
            time.sleep(self.backoff * 2**attempt * (1.0 + random.random()))
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    @contextlib.contextmanager
    def _write_transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; ``ROLLBACK`` on any error."""
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
            raise

    def _create_schema(self, con: sqlite3.Connection) -> None:
        mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            warnings.warn(
                f"{self.path}: SQLite could not use WAL mode (got {mode!r}); "
                "is the folder on a network file system?",
                RuntimeWarning,
                stacklevel=4,
            )
        with self._write_transaction(con):
            version = con.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if tables and "runs" not in tables:
                raise _not_a_store(self.path, f"it holds the tables {sorted(tables)}, not 'runs'")
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema version {version}; this kerasnoise reads "
                    f"version {SCHEMA_VERSION} (upgrade kerasnoise)"
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # ------------------------------------------------------------------ writing

    def record(
        self,
        run_id: str,
        *,
        group: str,
        seed: int,
        status: str,
        config: Mapping[str, Any],
        result: Mapping[str, Any],
    ) -> None:
        """Insert or replace the record of ``run_id`` (a forced re-run replaces the old one).

        ``status`` is one of :data:`STATUSES`.  ``config`` and ``result`` are
        stored as strict JSON: float NaN and +-inf (e.g. the losses of a diverged
        run) become ``None``, NumPy values become Python ones.  The time of the
        write is stored as a UTC ISO 8601 timestamp.  Status, config and result
        are written by one statement in one transaction: all or nothing.
        """
        _check_status(status)
        if not isinstance(run_id, str) or not run_id:
            raise ValueError(f"run_id must be a non-empty string, got {run_id!r}")
        if not isinstance(group, str) or not group:
            raise ValueError(f"group must be a non-empty string, got {group!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise TypeError(f"seed must be an integer, got {seed!r}")
        params = (
            run_id,
            group,
            int(seed),
            status,
            datetime.now(UTC).isoformat(timespec="microseconds"),
            _dumps(config, "config"),
            _dumps(result, "result"),
        )

        def write(con: sqlite3.Connection) -> None:
            with self._write_transaction(con):
                con.execute(_UPSERT, params)

        self._retry(write)

    def tag(self, run_id: str, *, sweep: str, method: str, axes: Mapping[str, Any]) -> None:
        """Record that ``run_id`` is ``method`` at ``axes`` in sweep ``sweep`` (upsert)."""
        for name, value in (("run_id", run_id), ("sweep", sweep), ("method", method)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string, got {value!r}")
        params = (run_id, sweep, method, _dumps(axes, "axes"))

        def write(con: sqlite3.Connection) -> None:
            with self._write_transaction(con):
                con.execute(_TAG_UPSERT, params)

        self._retry(write)

    def merge(self, other: ResultsStore) -> dict[str, int]:
        """Fold ``other``'s records and tags into this store, in one transaction.

        A run missing here is copied; a run present in both keeps the more complete
        record (a finished or diverged one over a running or failed one; of two done
        ones, this store's).  Tags are unioned.  Returns counts of ``added``,
        ``replaced`` and ``kept`` runs.
        """
        theirs = other.runs()
        their_tags = other.tags()
        mine = {r["run_id"]: r["status"] for r in self.runs()}
        counts = {"added": 0, "replaced": 0, "kept": 0}
        rows = []
        for rec in theirs:
            status = mine.get(rec["run_id"])
            if status is None:
                counts["added"] += 1
            elif status not in DONE_STATUSES and rec["status"] in DONE_STATUSES:
                counts["replaced"] += 1
            else:
                counts["kept"] += 1
                continue
            rows.append(
                (
                    rec["run_id"],
                    rec["group"],
                    rec["seed"],
                    rec["status"],
                    rec["updated"],
                    _dumps(rec["config"], "config"),
                    _dumps(rec["result"], "result"),
                )
            )
        tag_rows = [
            (t["run_id"], t["sweep"], t["method"], _dumps(t["axes"], "axes")) for t in their_tags
        ]

        def write(con: sqlite3.Connection) -> None:
            with self._write_transaction(con):
                con.executemany(_UPSERT, rows)
                con.executemany(_TAG_UPSERT, tag_rows)

        self._retry(write)
        return counts

    # ------------------------------------------------------------------ reading

    def tags(self, sweep: str | None = None) -> list[dict[str, Any]]:
        """``{"run_id", "sweep", "method", "axes"}`` of every tagged run (of ``sweep``)."""
        sql = "SELECT run_id, sweep, method, axes FROM tags"
        params: tuple = ()
        if sweep is not None:
            sql, params = sql + " WHERE sweep = ?", (sweep,)
        rows = self._retry(
            lambda con: con.execute(sql + " ORDER BY sweep, run_id", params).fetchall()
        )
        return [
            {"run_id": r, "sweep": s, "method": m, "axes": json.loads(a)} for r, s, m, a in rows
        ]

    def _select(self, where: str = "", params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        sql = f"SELECT {_COLUMNS} FROM runs {where} {_ORDER}"
        rows = self._retry(lambda con: con.execute(sql, tuple(params)).fetchall())
        return [_row_to_dict(row) for row in rows]

    def get(self, run_id: str) -> dict[str, Any] | None:
        """``{"run_id", "group", "seed", "status", "config", "result", "updated"}`` or ``None``."""
        rows = self._select("WHERE run_id = ?", (run_id,))
        return rows[0] if rows else None

    def status(self, run_id: str) -> str | None:
        """The status of ``run_id``, ``None`` if it was never recorded."""
        row = self._retry(
            lambda con: con.execute(
                "SELECT status FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        )
        return row[0] if row else None

    def is_done(self, run_id: str) -> bool:
        """True if ``run_id`` is "finished" or "diverged" (a diverged run is a result).

        False if it is missing, "running" (perhaps killed) or "failed": run it (again).
        """
        return self.status(run_id) in DONE_STATUSES

    def runs(self, status: str | None = None) -> list[dict[str, Any]]:
        """All records (or those with ``status``), ordered by group, seed, run id."""
        if status is None:
            return self._select()
        return self._select("WHERE status = ?", (_check_status(status),))


def rebuild(folder: str | os.PathLike) -> dict[str, int]:
    """Make ``<folder>/results.sqlite`` anew from the run directories in ``folder``.

    The new store is written beside the old one and moved into place only when
    complete; an old file that was there is kept as ``results.sqlite.old``.  Returns
    ``{"runs": n, "tags": m}``.
    """
    folder = Path(folder)
    records = [r for r in map(rundir.read_record, rundir.run_dirs(folder)) if r is not None]
    with tempfile.TemporaryDirectory(dir=folder, prefix=".rebuild-") as tmp:
        store = ResultsStore(tmp)
        tags = sum(_record_run_dir(store, folder / rec["run_id"], rec) for rec in records)
        _checkpoint_wal(store.path)
        target = folder / FILENAME
        if target.exists():
            os.replace(target, target.with_name(FILENAME + ".old"))
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(store.path, target)
    return {"runs": len(records), "tags": tags}


def _record_run_dir(store: ResultsStore, run_dir: Path, record: Mapping[str, Any]) -> int:
    """Record one run directory's record and sweep tags in ``store``; the number of tags."""
    store.record(
        record["run_id"],
        group=record["group"],
        seed=record["seed"],
        status=record["status"],
        config=record["config"],
        result=record["result"],
    )
    tags = rundir.read_tags(run_dir)
    for sweep, tag in tags.items():
        store.tag(record["run_id"], sweep=sweep, method=tag["method"], axes=tag["axes"])
    return len(tags)


def _checkpoint_wal(path: Path) -> None:
    """Fold the write-ahead log into the database file so that the file alone is complete."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
