"""The SQLite results store: round trip, upsert, statuses, NaN, summary statistics,
concurrent writers in separate processes, and a writer killed mid-transaction.

Expected means and standard deviations are written out by hand, not recomputed
with the code under test.
"""

import math
import multiprocessing as mp
import os
import signal
import sqlite3
import sys
import threading

import numpy as np
import pytest

from kerasnoise import report
from kerasnoise.report import describe
from kerasnoise.results import merging
from kerasnoise.results import store as store_lib
from kerasnoise.results.store import ResultsStore

# SQLite, run folders and pandas: never a Keras backend (tox runs these once)
pytestmark = pytest.mark.backend_free

CONFIG = {
    "preset": "menon-mnist-lenet",
    "loss": {"name": "phuber_ce", "tau": 10},
    "noise": {"name": "symmetric_exclusive", "rate": 0.2},
}
LABEL = "menon-mnist-lenet | loss=phuber_ce(tau=10) | noise=symmetric_exclusive(rate=0.2)"


def integrity(path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


# --------------------------------------------------------------------------- basics


def test_creates_folder_schema_and_wal(tmp_path):
    store = ResultsStore(tmp_path / "out" / "sub")
    assert store.path == tmp_path / "out" / "sub" / "results.sqlite"
    assert store.path.is_file()
    con = sqlite3.connect(store.path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA user_version").fetchone()[0] == 2
    finally:
        con.close()
    assert store.runs() == []
    ResultsStore(store.folder)  # reopening an existing store is fine


def test_record_get_round_trip(tmp_path):
    store = ResultsStore(tmp_path)
    result = {"test_accuracy_best": 0.9871, "history": {"loss": [2.3, 0.5]}, "epochs": 3}
    store.record("r1", group="g", seed=3, status="finished", config=CONFIG, result=result)
    rec = store.get("r1")
    assert set(rec) == {"run_id", "group", "seed", "status", "config", "result", "updated"}
    assert (rec["run_id"], rec["group"], rec["seed"], rec["status"]) == ("r1", "g", 3, "finished")
    assert rec["config"] == CONFIG
    assert rec["result"] == result
    assert rec["updated"].endswith("+00:00")  # UTC ISO 8601
    assert store.get("missing") is None


def test_upsert_replaces(tmp_path):
    store = ResultsStore(tmp_path)
    store.record("r1", group="g", seed=0, status="running", config=CONFIG, result={})
    store.record("r1", group="g", seed=0, status="finished", config=CONFIG, result={"a": 1})
    store.record("r1", group="g2", seed=5, status="failed", config={"x": 1}, result={"e": "boom"})
    assert len(store.runs()) == 1
    rec = store.get("r1")
    assert (rec["group"], rec["seed"], rec["status"]) == ("g2", 5, "failed")
    assert rec["config"] == {"x": 1} and rec["result"] == {"e": "boom"}


@pytest.mark.parametrize(
    "status, done",
    [("running", False), ("finished", True), ("diverged", True), ("failed", False)],
)
def test_is_done(tmp_path, status, done):
    store = ResultsStore(tmp_path)
    assert store.is_done("r") is False
    store.record("r", group="g", seed=0, status=status, config={}, result={})
    assert store.is_done("r") is done
    assert store.status("r") == status


def test_bad_status_raises_and_writes_nothing(tmp_path):
    store = ResultsStore(tmp_path)
    with pytest.raises(ValueError, match="running, finished, diverged, failed"):
        store.record("r", group="g", seed=0, status="done", config={}, result={})
    with pytest.raises(ValueError, match="running, finished, diverged, failed"):
        store.runs(status="done")
    assert store.get("r") is None


def test_nan_and_inf_stored_as_none(tmp_path):
    store = ResultsStore(tmp_path)
    result = {
        "loss": float("nan"),
        "history": {"loss": [1.5, float("inf"), np.float32("nan"), -np.inf]},
        "test_accuracy_last": np.float64(0.1),
        "epochs": np.int64(4),
        "per_class": np.array([0.5, np.nan]),
    }
    store.record("d", group="g", seed=0, status="diverged", config={"lr": 1.0}, result=result)
    rec = store.get("d")
    assert rec["result"] == {
        "loss": None,
        "history": {"loss": [1.5, None, None, None]},
        "test_accuracy_last": 0.1,
        "epochs": 4,
        "per_class": [0.5, None],
    }
    con = sqlite3.connect(store.path)
    try:
        text = con.execute("SELECT result FROM runs WHERE run_id = 'd'").fetchone()[0]
    finally:
        con.close()
    assert "NaN" not in text and "Infinity" not in text  # strict JSON on disk


def test_unserialisable_result_raises_before_writing(tmp_path):
    store = ResultsStore(tmp_path)
    with pytest.raises(TypeError, match="result"):
        store.record("r", group="g", seed=0, status="finished", config={}, result={"f": object()})
    assert store.get("r") is None


def test_runs_filter_and_order(tmp_path):
    store = ResultsStore(tmp_path)
    for run_id, group, seed, status in [
        ("c", "b", 1, "finished"),
        ("a", "b", 0, "failed"),
        ("d", "a", 2, "finished"),
        ("b", "a", 1, "running"),
    ]:
        store.record(run_id, group=group, seed=seed, status=status, config={}, result={})
    assert [r["run_id"] for r in store.runs()] == ["b", "d", "a", "c"]
    assert [r["run_id"] for r in store.runs("finished")] == ["d", "c"]
    assert store.runs("diverged") == []


def test_waits_for_and_retries_a_held_write_lock(tmp_path):
    store = ResultsStore(tmp_path, timeout=0.05, retries=6, backoff=0.05)
    holder = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.3, holder.execute, args=("COMMIT",))
    timer.start()
    try:
        store.record("r", group="g", seed=0, status="finished", config={}, result={})
    finally:
        timer.join()
        holder.close()
    assert store.is_done("r")


def test_gives_up_on_a_lock_held_forever(tmp_path):
    store = ResultsStore(tmp_path, timeout=0.01, retries=2, backoff=0.01)
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            store.record("r", group="g", seed=0, status="finished", config={}, result={})
        assert store.get("r") is None  # readers are not blocked by the writer (WAL)
    finally:
        holder.close()


# --------------------------------------------------------------------------- describe, summary


def test_describe():
    assert describe(CONFIG) == LABEL
    assert describe({**CONFIG, "model": {"name": "lenet5"}}) == LABEL + " | model=lenet5"
    assert describe({"loss": "ce", "noise": {"name": "pairflip", "rate": 0.45}}) == (
        "loss=ce | noise=pairflip(rate=0.45)"
    )
    assert describe({"preset": None, "loss": {"name": "gce", "q": 0.7, "k": 1.0}}) == (
        "loss=gce(q=0.7, k=1)"
    )
    assert describe({"epochs": 3}) == ""


def _fill_summary_store(tmp_path) -> ResultsStore:
    store = ResultsStore(tmp_path)
    config_b = {"preset": "b", "loss": {"name": "ce"}}

    def rec(run_id, group, seed, status, config, **metrics):
        store.record(run_id, group=group, seed=seed, status=status, config=config, result=metrics)

    # Group A: 3 finished seeds, 1 diverged, 1 failed, 1 running.
    rec("a2", "A", 2, "finished", CONFIG, test_accuracy_best=0.94, test_accuracy_last=0.94)
    rec("a0", "A", 0, "finished", CONFIG, test_accuracy_best=0.90, test_accuracy_last=0.89)
    rec("a1", "A", 1, "finished", CONFIG, test_accuracy_best=0.92, test_accuracy_last=0.90)
    rec("a3", "A", 3, "diverged", CONFIG, test_accuracy_best=0.10, loss=float("nan"))
    rec("a4", "A", 4, "failed", CONFIG, test_accuracy_best=0.0)
    rec("a5", "A", 5, "running", CONFIG)
    # Group B: 2 finished seeds; the "last" metric is missing from one of them.
    rec("b0", "B", 0, "finished", config_b, test_accuracy_best=0.80, test_accuracy_last=0.79)
    rec("b1", "B", 1, "finished", config_b, test_accuracy_best=0.85)
    # Group C: a single run.  Group D: every seed diverged.
    rec("c0", "C", 7, "finished", {"loss": "mae"}, test_accuracy_best=0.5, test_accuracy_last=0.4)
    rec("d0", "D", 0, "diverged", {"loss": "ce"}, test_accuracy_best=float("nan"))
    rec("d1", "D", 1, "diverged", {"loss": "ce"})
    return store


def test_summary_by_hand(tmp_path):
    rows = {row["group"]: row for row in report.store_summary(_fill_summary_store(tmp_path))}
    assert list(rows) == ["A", "B", "C", "D"]

    a = rows["A"]
    assert (a["n"], a["seeds"], a["diverged"], a["label"]) == (3, [0, 1, 2], 1, LABEL)
    # 0.90, 0.92, 0.94: mean 0.92, deviations -0.02, 0, 0.02 -> var 0.0008 / 2 -> std 0.02.
    assert a["test_accuracy_best_mean"] == pytest.approx(0.92, abs=1e-12)
    assert a["test_accuracy_best_std"] == pytest.approx(0.02, abs=1e-12)
    # 0.89, 0.90, 0.94: mean 0.91, deviations -0.02, -0.01, 0.03 -> var 0.0014 / 2 = 0.0007.
    assert a["test_accuracy_last_mean"] == pytest.approx(0.91, abs=1e-12)
    assert a["test_accuracy_last_std"] == pytest.approx(math.sqrt(0.0007), abs=1e-12)

    b = rows["B"]
    assert (b["n"], b["seeds"], b["diverged"], b["label"]) == (2, [0, 1], 0, "b | loss=ce")
    # 0.80, 0.85: mean 0.825, std = |0.85 - 0.80| / sqrt(2) = 0.0353553...
    assert b["test_accuracy_best_mean"] == pytest.approx(0.825, abs=1e-12)
    assert b["test_accuracy_best_std"] == pytest.approx(0.05 / math.sqrt(2), abs=1e-12)
    # Only one run has the metric: its value, std 0.
    assert (b["test_accuracy_last_mean"], b["test_accuracy_last_std"]) == (0.79, 0.0)

    c = rows["C"]
    assert (c["n"], c["seeds"], c["label"]) == (1, [7], "loss=mae")
    assert (c["test_accuracy_best_mean"], c["test_accuracy_best_std"]) == (0.5, 0.0)

    d = rows["D"]
    assert (d["n"], d["seeds"], d["diverged"]) == (0, [], 2)
    assert d["test_accuracy_best_mean"] is None and d["test_accuracy_best_std"] is None


def test_summary_custom_metrics(tmp_path):
    rows = report.store_summary(_fill_summary_store(tmp_path), metrics=["test_accuracy_last"])
    assert "test_accuracy_best_mean" not in rows[0]
    assert rows[0]["test_accuracy_last_mean"] == pytest.approx(0.91)


def test_summary_markdown(tmp_path):
    """The ``kerasnoise results --table`` table (kept here, beside its store)."""
    table = report.summary_markdown(report.store_summary(_fill_summary_store(tmp_path)))
    lines = table.splitlines()
    assert len(lines) == 2 + 4
    assert "test_accuracy_best (%)" in lines[0] and "diverged" in lines[0]
    row_a = next(line for line in lines if "menon-mnist-lenet" in line)
    assert "92.00 ± 2.00" in row_a
    assert "91.00 ± 2.65" in row_a  # 100 * sqrt(0.0007) = 2.6458
    assert "symmetric_exclusive(rate=0.2)" in row_a and "\\|" in row_a  # escaped separators
    assert row_a.rstrip(" |").endswith("1")  # one diverged run
    assert "82.50 ± 3.54" in table  # 100 * 0.05 / sqrt(2) = 3.5355
    assert "79.00 ± 0.00" in table
    row_d = lines[-1]
    assert "-" in row_d and row_d.rstrip(" |").endswith("2")
    # the one table style: every line as wide as the header, a plain rule
    assert len({len(line) for line in lines}) == 1
    assert set(lines[1]) == {"|", "-"}


def test_summary_markdown_non_accuracy_metric():
    rows = [{"group": "g", "label": "", "n": 2, "diverged": 0, "loss_mean": 1.5, "loss_std": 0.25}]
    table = report.summary_markdown(rows, metrics=["loss"])
    assert "1.5000 ± 0.2500" in table and "| g " in table and "(%)" not in table


# --------------------------------------------------------------------------- processes

N_WORKERS = 8
RUNS_PER_WORKER = 25


def _worker(folder: str, worker: int, barrier) -> None:
    barrier.wait(timeout=60)
    store = ResultsStore(folder)  # schema creation races too
    for i in range(RUNS_PER_WORKER):
        status = "diverged" if i % 5 == 0 else "finished"
        store.record(
            f"w{worker}-r{i}",
            group=f"g{i % 3}",
            seed=worker * 100 + i,
            status=status,
            config={"worker": worker, "i": i, "pad": "x" * 200},
            result={"test_accuracy_best": i / 100, "loss": float("nan") if i % 5 == 0 else 0.1},
        )
        # every worker also tags every run, as sweeps sharing one store do
        store.tag(f"w{worker}-r{i}", sweep=f"s{worker}", method="m", axes={"i": i})
        store.tag(f"w{(worker + 1) % N_WORKERS}-r{i}", sweep=f"t{worker}", method="m", axes={})


def test_concurrent_writers(tmp_path):
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(N_WORKERS)
    procs = [
        ctx.Process(target=_worker, args=(str(tmp_path), w, barrier)) for w in range(N_WORKERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * N_WORKERS

    store = ResultsStore(tmp_path)
    runs = store.runs()
    assert len(runs) == N_WORKERS * RUNS_PER_WORKER
    expected = {f"w{w}-r{i}" for w in range(N_WORKERS) for i in range(RUNS_PER_WORKER)}
    assert {r["run_id"] for r in runs} == expected
    for r in runs:
        w, i = r["config"]["worker"], r["config"]["i"]
        assert r["run_id"] == f"w{w}-r{i}" and r["seed"] == w * 100 + i
        assert r["result"]["test_accuracy_best"] == i / 100
        assert r["result"]["loss"] == (None if i % 5 == 0 else 0.1)
    assert len(store.runs("diverged")) == N_WORKERS * 5
    tags = store.tags()
    assert len(tags) == 2 * N_WORKERS * RUNS_PER_WORKER  # no tag lost
    assert {(t["run_id"], t["sweep"]) for t in store.tags("s0")} == {
        (f"w0-r{i}", "s0") for i in range(RUNS_PER_WORKER)
    }
    assert integrity(store.path) == "ok"


def _crash_mid_write(folder: str, how: str) -> None:
    """Replace run 'a' and insert run 'b' inside one open write transaction, then die."""
    store = ResultsStore(folder)
    big = "y" * (8 << 20)  # larger than the page cache: pages spill into the WAL uncommitted
    con = sqlite3.connect(store.path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    params = ("a", "g", 0, "failed", "2000-01-01T00:00:00+00:00", "{}", f'{{"big":"{big}"}}')
    con.execute(store_lib._UPSERT, params)
    con.execute(store_lib._UPSERT, ("b", *params[1:]))
    sys.stdout.flush()
    if how == "exit":
        os._exit(1)
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("how", ["exit", "sigkill"])
def test_killed_writer_leaves_no_partial_record(tmp_path, how):
    store = ResultsStore(tmp_path)
    before = {"test_accuracy_best": 0.97}
    store.record("a", group="g", seed=0, status="finished", config=CONFIG, result=before)

    proc = mp.get_context("spawn").Process(target=_crash_mid_write, args=(str(tmp_path), how))
    proc.start()
    proc.join(timeout=60)
    assert proc.exitcode == (1 if how == "exit" else -signal.SIGKILL)

    store = ResultsStore(tmp_path)
    a = store.get("a")
    assert (a["status"], a["result"], a["config"]) == ("finished", before, CONFIG)
    assert store.get("b") is None
    assert integrity(store.path) == "ok"
    # Still usable: the lock died with the process.
    store.record("b", group="g", seed=1, status="finished", config={}, result={"ok": True})
    assert store.get("b")["result"] == {"ok": True}
    assert [r["run_id"] for r in store.runs()] == ["a", "b"]


# --------------------------------------------------------------------------- tags, merge, rebuild


def test_tags_round_trip_and_upsert(tmp_path):
    store = ResultsStore(tmp_path)
    store.tag("r1", sweep="s", method="ce", axes={"noise.rate": 0.2})
    store.tag("r1", sweep="s", method="ce_clip", axes={"noise.rate": 0.4})  # replaces
    store.tag("r1", sweep="other", method="x", axes={})
    assert store.tags("s") == [
        {"run_id": "r1", "sweep": "s", "method": "ce_clip", "axes": {"noise.rate": 0.4}}
    ]
    assert [t["sweep"] for t in store.tags()] == ["other", "s"]
    with pytest.raises(ValueError, match="method"):
        store.tag("r1", sweep="s", method="", axes={})


def test_version_1_store_gains_tags(tmp_path):
    con = sqlite3.connect(tmp_path / "results.sqlite")
    con.executescript(store_lib._SCHEMA.split("CREATE TABLE IF NOT EXISTS tags")[0])
    con.execute("PRAGMA user_version = 1")
    con.execute(store_lib._UPSERT, ("a", "g", 0, "finished", "t", "{}", '{"x": 1}'))
    con.commit()
    con.close()
    store = ResultsStore(tmp_path)
    assert store.get("a")["result"] == {"x": 1} and store.tags() == []
    store.tag("a", sweep="s", method="m", axes={})
    assert len(store.tags()) == 1


def test_merge_keeps_the_more_complete_record(tmp_path):
    a, b = ResultsStore(tmp_path / "a"), ResultsStore(tmp_path / "b")
    a.record("r1", group="g", seed=0, status="finished", config=CONFIG, result={"v": 1})
    a.record("r2", group="g", seed=1, status="running", config=CONFIG, result={})
    b.record("r1", group="g", seed=0, status="finished", config=CONFIG, result={"v": 99})
    b.record("r2", group="g", seed=1, status="finished", config=CONFIG, result={"v": 2})
    b.record("r3", group="g", seed=2, status="failed", config=CONFIG, result={})
    b.tag("r3", sweep="s", method="m", axes={"k": 1})
    assert a.merge(b) == {"added": 1, "replaced": 1, "kept": 1}
    got = {r["run_id"]: (r["status"], r["result"]) for r in a.runs()}
    assert got == {
        "r1": ("finished", {"v": 1}),  # both done: ours is kept
        "r2": ("finished", {"v": 2}),  # ours was unfinished
        "r3": ("failed", {}),
    }
    assert a.tags() == [{"run_id": "r3", "sweep": "s", "method": "m", "axes": {"k": 1}}]
    assert a.merge(b) == {"added": 0, "replaced": 0, "kept": 3}  # idempotent
    assert len(a.runs()) == 3


def _fake_run_dir(folder, run_id, *, finished, tags=None):
    from kerasnoise.results import rundir

    d = folder / run_id
    d.mkdir(parents=True)
    rundir.write_identity(d, run_id=run_id, group="g", seed=0, backend="jax")
    (d / "config.json").write_text('{"preset": "p"}')
    if finished:
        (d / "result.json").write_text('{"status": "finished", "test_accuracy_last": 0.5}')
    for sweep, (method, axes) in (tags or {}).items():
        rundir.add_tag(d, sweep=sweep, method=method, axes=axes)
    return d


def test_corrupt_store_names_the_file_and_the_rebuild_command(tmp_path):
    _fake_run_dir(tmp_path, "r1", finished=True, tags={"s": ("ce", {"noise.rate": 0.2})})
    _fake_run_dir(tmp_path, "r2", finished=False)
    (tmp_path / "results.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(store_lib.StoreError) as err:
        ResultsStore(tmp_path)
    message = str(err.value)
    assert str(tmp_path / "results.sqlite") in message
    assert f"kerasnoise results rebuild --out {tmp_path}" in message

    assert store_lib.rebuild(tmp_path) == {"runs": 2, "tags": 1}
    store = ResultsStore(tmp_path)
    assert {r["run_id"]: r["status"] for r in store.runs()} == {"r1": "finished", "r2": "failed"}
    assert store.get("r1")["config"] == {"preset": "p", "backend": "jax"}
    assert store.get("r1")["result"]["test_accuracy_last"] == 0.5
    assert store.tags() == [
        {"run_id": "r1", "sweep": "s", "method": "ce", "axes": {"noise.rate": 0.2}}
    ]
    assert (tmp_path / "results.sqlite.old").read_bytes().startswith(b"this is not")
    assert not list(tmp_path.glob(".rebuild-*"))


def test_a_database_of_something_else_is_refused(tmp_path):
    con = sqlite3.connect(tmp_path / "results.sqlite")
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(store_lib.StoreError, match="invoices"):
        ResultsStore(tmp_path)


def test_missing_store_is_rebuilt_from_run_directories(tmp_path):
    _fake_run_dir(tmp_path, "r1", finished=True)
    assert ResultsStore(tmp_path).is_done("r1")  # e.g. a checkout of committed run records


def test_merge_folders_copies_run_directories_once(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _fake_run_dir(a, "r1", finished=True)
    _fake_run_dir(b, "r1", finished=True)  # the same run on both machines
    _fake_run_dir(b, "r2", finished=True, tags={"s": ("m", {})})
    ResultsStore(a), ResultsStore(b)
    target = tmp_path / "all"
    summary = merging.merge_folders(target, [a, b])
    assert summary[str(a)]["copied_dirs"] == 1 and summary[str(b)]["copied_dirs"] == 1
    store = ResultsStore(target)
    assert sorted(r["run_id"] for r in store.runs()) == ["r1", "r2"]
    assert (target / "r2" / "tags.json").is_file() and len(store.tags()) == 1
    again = merging.merge_folders(target, [a, b])
    assert again[str(b)] == {"copied_dirs": 0, "added": 0, "replaced": 0, "kept": 2}
    with pytest.raises(ValueError, match="itself"):
        merging.merge_folders(target, [target])


def test_table_labels_tell_apart_configs_that_differ_outside_the_usual_parts(tmp_path):
    store = ResultsStore(tmp_path)
    base = {"preset": "p", "loss": {"name": "ce"}, "data_dir": "/a", "seed": 0}
    for run_id, clip, data_dir, seed in (("a", None, "/a", 0), ("b", 0.1, "/b", 1)):
        config = base | {"optimizer": {"name": "adam", "global_clipnorm": clip}}
        config |= {"data_dir": data_dir, "seed": seed}  # neither identifies a run
        store.record(
            run_id,
            group=run_id,
            seed=seed,
            status="finished",
            config=config,
            result={"test_accuracy_last": 0.9},
        )
    labels = [row["label"] for row in report.store_summary(store)]
    assert labels == [
        "p | loss=ce | optimizer.global_clipnorm=None",
        "p | loss=ce | optimizer.global_clipnorm=0.1",
    ]


def test_finished_run_directories_added_beside_a_store_are_recorded(tmp_path):
    # a `git pull` brings runs finished elsewhere into a folder whose store predates them
    _fake_run_dir(tmp_path, "r1", finished=True)
    assert ResultsStore(tmp_path).is_done("r1")
    _fake_run_dir(tmp_path, "r2", finished=True, tags={"s": ("ce", {"noise.alpha": 100})})
    _fake_run_dir(tmp_path, "r3", finished=False)
    store = ResultsStore(tmp_path)
    assert {r["run_id"]: r["status"] for r in store.runs()} == {"r1": "finished", "r2": "finished"}
    assert store.get("r2")["result"]["test_accuracy_last"] == 0.5
    assert store.tags() == [
        {"run_id": "r2", "sweep": "s", "method": "ce", "axes": {"noise.alpha": 100}}
    ]


def test_a_run_finished_elsewhere_replaces_its_unfinished_record(tmp_path):
    store = ResultsStore(tmp_path)
    store.record("r1", group="g", seed=0, status="running", config={"preset": "p"}, result={})
    _fake_run_dir(tmp_path, "r1", finished=True)
    assert ResultsStore(tmp_path).status("r1") == "finished"
