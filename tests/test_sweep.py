"""Sweeps on real MNIST (tiny: train_limit and 1 epoch): expansion, bad input, skip
done, resume after a kill, shards, parallel jobs, merging machines' folders."""

import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from kerasnoise import report, sweep
from kerasnoise.results import merging
from kerasnoise.results.store import ResultsStore

# MLP1: the sweeps' logic does not depend on the model, and it compiles fastest everywhere
TINY = {
    "epochs": 1,
    "train_limit": 600,
    "test_limit": 1000,
    "batch_size": 64,
    "train_eval_images": 300,
    "model": "mlp1",
}
METHODS = {"ce": {"loss": "ce"}, "ce_clip": {"loss": "ce", "optimizer.global_clipnorm": 0.1}}


def tiny_sweep(shared_data, **kw):
    args = dict(
        name="t",
        preset="menon-mnist-lenet",
        methods=METHODS,
        axes={"noise.rate": [0.0, 0.4]},
        seeds=[0],
        overrides=TINY,
        data_dir=str(shared_data),
    )
    return sweep.Sweep(**(args | kw))


# --------------------------------------------------------------------------- no training


def test_expansion_order_and_tags():
    s = sweep.Sweep("s", "menon-mnist-lenet", METHODS, {"noise.rate": [0.0, 0.2]}, [0, 1])
    runs = s.expand()
    assert [(r.seed, r.axes["noise.rate"], r.method) for r in runs[:4]] == [
        (0, 0.0, "ce"),
        (0, 0.0, "ce_clip"),
        (0, 0.2, "ce"),
        (0, 0.2, "ce_clip"),
    ]  # seeds outermost: a half-done sweep has whole tables
    assert [r.index for r in runs] == list(range(8))
    clip = runs[1].config
    assert clip.optimizer.global_clipnorm == 0.1 and clip.noise["rate"] == 0.0
    assert runs[0].config.optimizer.global_clipnorm is None
    assert len({r.config.run_id() for r in runs}) == 8
    assert runs[3].tag("s") == {"sweep": "s", "method": "ce_clip", "axes": {"noise.rate": 0.2}}


def test_excluded_points_are_left_out_of_the_product():
    s = sweep.Sweep(
        "s",
        "menon-mnist-lenet",
        METHODS,
        {"noise.rate": [0.0, 0.2, 0.4]},
        [0, 1],
        exclude=[{"method": "ce_clip", "noise.rate": [0.0, 0.4]}, {"noise.rate": 0.2}],
    )
    points = [(r.seed, r.method, r.axes["noise.rate"]) for r in s.expand()]
    assert points == [(0, "ce", 0.0), (0, "ce", 0.4), (1, "ce", 0.0), (1, "ce", 0.4)]
    assert [r.index for r in s.expand()] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"exclude": [{"noise.alpha": 1}]}, "allowed keys are 'method' and the axes"),
        ({"exclude": [{}]}, "non-empty dicts"),
        ({"methods": {"m": {"optimizer.bogus": 1}}}, "optimizer.bogus"),
        ({"methods": {"m": {"loss": "nope"}}}, "loss.name must be one of"),
        ({"methods": {}}, "at least one method"),
        ({"axes": {"bogus": [1]}}, "unknown config key bogus"),
        ({"axes": {"noise.rate": []}}, "non-empty list"),
        ({"axes": {"noise.rate": [2.0]}}, "rate"),
        ({"seeds": []}, "seeds must not be empty"),
        ({"seeds": [0, 0]}, "distinct"),
        ({"methods": {"a": {"loss": "ce"}, "b": {"loss": "ce"}}}, "'a' and 'b' expand to the same"),
    ],
)
def test_bad_sweeps_fail_before_training(change, message):
    args = dict(
        name="s", preset="menon-mnist-lenet", methods=METHODS, axes={"noise.rate": [0.0]}, seeds=[0]
    )
    with pytest.raises((ValueError, TypeError), match=message):
        sweep.Sweep(**(args | change)).expand()


@pytest.mark.parametrize("text", ["3/2", "0/0", "2/2", "-1/3", "1", "a/b", ""])
def test_bad_shards(text):
    with pytest.raises(ValueError, match="shard must be I/N"):
        sweep.parse_shard(text)


def test_shards_cover_every_config_exactly_once():
    s = sweep.Sweep("s", "menon-mnist-lenet", METHODS, {"noise.rate": [0.0, 0.2, 0.4]}, [0, 1])
    runs = s.expand()
    parts = [sweep.select_shard(runs, sweep.parse_shard(f"{i}/3")) for i in range(3)]
    indices = sorted(r.index for part in parts for r in part)
    assert indices == list(range(len(runs))) and all(len(p) == 4 for p in parts)
    env = {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"}
    assert sweep.shard_from_env(env) == (2, 3)
    assert sweep.shard_from_env(
        env | {"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "5"}
    ) == (
        2,
        3,
    )
    assert sweep.shard_from_env({}) is None


def test_unwritable_out(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="output folder .*not a writable folder"):
        sweep.check_writable(blocker / "sub")


# --------------------------------------------------------------------------- training


@pytest.mark.orchestration
def test_sweep_twice_trains_nothing_and_tables_match_records(shared_data, tmp_path):
    s = tiny_sweep(shared_data)
    first = sweep.run_sweep(s, tmp_path, jobs=1, progress=False)
    assert len(first.trained) == 4 and not first.skipped and not first.failed
    second = sweep.run_sweep(s, tmp_path, jobs=1, progress=False)
    assert not second.trained and sorted(second.skipped) == sorted(first.trained)

    store = ResultsStore(tmp_path)
    tags = store.tags("t")
    assert len(tags) == 4 and {t["method"] for t in tags} == {"ce", "ce_clip"}
    frame = report.runs_frame(tmp_path, sweep="t")
    table = report.summarise(frame, "noise.rate")
    assert len(table) == 4  # CE and CE + clipping are distinct rows
    backend = keras.backend.backend()
    for row in table.itertuples():
        (r,) = [
            r
            for r in s.expand()
            if r.method == row.method and r.axes["noise.rate"] == row.noise_rate
        ]
        record = store.get(r.config.run_id(backend))["result"]
        assert row.mean == pytest.approx(100 * record["test_accuracy_last"]) and row.n == 1


THREE = {"ce": {"loss": "ce"}, "gce": {"loss": "gce"}, "linear": {"loss": "linear"}}


# Spawned worker processes and merged folders: the same machinery on every backend.
@pytest.mark.orchestration
def test_parallel_jobs_and_merging_two_machines(shared_data, tmp_path):
    s = tiny_sweep(shared_data, methods=THREE, axes={"noise.rate": [0.4]})
    machine_a = sweep.run_sweep(s, tmp_path / "a", shard=(0, 2), jobs=2, progress=False)
    machine_b = sweep.run_sweep(s, tmp_path / "b", shard=(1, 2), jobs=1, progress=False)
    assert len(machine_a.trained) == 2 and len(machine_b.trained) == 1  # indices 0, 2 | 1
    assert not machine_a.failed and not set(machine_a.trained) & set(machine_b.trained)
    merging.merge_folders(tmp_path / "all", [tmp_path / "a", tmp_path / "b"])
    merged = ResultsStore(tmp_path / "all")
    assert sorted(r["run_id"] for r in merged.runs("finished")) == sorted(
        machine_a.trained + machine_b.trained
    )
    assert len(merged.tags("t")) == 3
    again = sweep.run_sweep(s, tmp_path / "all", jobs=1, progress=False)
    assert not again.trained and len(again.skipped) == 3


KILLABLE = """
import sys
from kerasnoise import sweep
s = sweep.Sweep(name="t", preset="menon-mnist-lenet",
                methods={"ce": {"loss": "ce"}, "gce": {"loss": "gce"},
                         "linear": {"loss": "linear"}},
                axes={"noise.rate": [0.4]}, seeds=[0],
                overrides={"epochs": 2, "train_limit": 600, "test_limit": 1000,
                           "batch_size": 64, "train_eval_images": 300, "model": "mlp1"},
                data_dir=sys.argv[2])
sweep.run_sweep(s, sys.argv[1], jobs=1, progress=False)
"""


@pytest.mark.orchestration
def test_killed_sweep_resumes_and_trains_only_what_is_missing(shared_data, tmp_path):
    env = os.environ | {"PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLABLE, str(tmp_path), str(shared_data)],
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if (tmp_path / "results.sqlite").exists() and ResultsStore(tmp_path).runs("finished"):
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {r["run_id"] for r in ResultsStore(tmp_path).runs("finished")}
    assert 1 <= len(finished) < 3, "kill the sweep after its first run, before its last"

    s = tiny_sweep(
        shared_data, methods=THREE, axes={"noise.rate": [0.4]}, overrides=TINY | {"epochs": 2}
    )
    outcome = sweep.run_sweep(s, tmp_path, jobs=1, progress=False)
    assert set(outcome.skipped) == finished
    assert len(outcome.trained) == 3 - len(finished) and not outcome.failed
    for run_id in outcome.trained:
        assert ResultsStore(tmp_path).get(run_id)["result"]["epochs_run"] == 2
    assert np.isfinite(
        [r["result"]["test_accuracy_last"] for r in ResultsStore(tmp_path).runs()]
    ).all()
