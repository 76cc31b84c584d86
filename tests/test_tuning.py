"""tuning/lr_search: keras-tuner searches whose trials are kerasnoise runs.

Real MNIST (a few hundred images, 1 epoch): a 2-level x 2-rate grid runs every
combination once, the choice is the best recorded validation accuracy (read back
from the runs' own result.json), a re-run trains nothing, and a chief with two
worker processes on 127.0.0.1 finishes the same grid with no trial run twice.
"""

import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("keras_tuner")

from kerasnoise import config as cfg  # noqa: E402
from kerasnoise import presets  # noqa: E402
from kerasnoise import search as search_lib  # noqa: E402
from tuning import lr_search  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TINY = [
    "model=mlp1",
    "train_limit=600",
    "test_limit=1000",
    "validation=200",
    "epochs=1",
    "train_eval_images=200",
    "eval_every_steps=None",  # an epoch is one pass (the preset's is 1,000 steps)
]
GRID = ["--axis", "noise.alpha=0,1", "--learning-rates", "0.1,0.5", "--seeds", "0"]
TRAINED = re.compile(r"trial \S+ noise\.alpha=(\S+) lr=(\S+) seed \d+: trained (\S+),")


def _argv(out, data, *extra, grid=GRID):
    return ["rolnick-mnist", *grid, "--out", str(out), "--data-dir", str(data), "--no-progress"] + [
        *TINY,
        *extra,
    ]


# --------------------------------------------------------------------------- parsing, bad input


def test_parsers():
    assert search_lib.parse_learning_rates("0.01, 0.05,0.1") == [0.01, 0.05, 0.1]
    assert search_lib.parse_lr_range("1e-3:1") == (0.001, 1.0)
    assert search_lib.parse_axis("noise.alpha=0,20,50") == ("noise.alpha", [0, 20, 50])
    assert search_lib.parse_axis("noise.rate=0.0,0.6") == ("noise.rate", [0.0, 0.6])


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--learning-rates", "0.1,0"], "learning rates must be > 0"),
        (["--learning-rates", "-0.1"], "learning rates must be > 0"),
        (["--learning-rates", "0.1,fast"], "learning rates must be numbers"),
        (["--learning-rates", ",,"], "expected a comma-separated list"),
        (["--learning-rates", "0.1,0.1"], "distinct"),
        (["--lr-range", "1:1e-3"], "0 < LOW < HIGH"),
        (["--lr-range", "0:1"], "0 < LOW < HIGH"),
        (["--lr-range", "1e-3"], "LOW:HIGH"),
        (["--learning-rates", "0.1", "--axis", "noise.beta=0,1"], "noise.beta"),
        (["--learning-rates", "0.1", "--axis", "noise.alpha="], "has no values"),
        (["--learning-rates", "0.1", "--axis", "=1,2"], "KEY=V1,V2"),
        (["--lr-range", "1e-3:1", "--tuner", "random", "--trials", "0"], "trials"),
        (["--lr-range", "1e-3:1", "--tuner", "grid"], "grid tuner needs learning_rates"),
        (["--learning-rates", "0.1", "--executions-per-trial", "0"], "executions_per_trial"),
        (["--learning-rates", "0.1", "--oracle-port", "99999", "--chief"], "oracle port"),
        (["--learning-rates", "0.1", "--worker", "chief2"], "--worker ID"),
        (["--learning-rates", "0.1", "--chief-timeout", "0"], "--chief-timeout"),
        (["--learning-rates", "0.1", "bogus=1"], "bogus"),
    ],
)
def test_bad_input_is_refused_before_training(tmp_path, capsys, extra, message):
    axis = [] if "--axis" in extra else ["--axis", "noise.alpha=0,1"]
    with pytest.raises(SystemExit) as exit_:
        lr_search.main(["rolnick-mnist", *axis, *extra, "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not list((tmp_path / "out").glob("*/"))  # nothing trained, no search started


def test_selection_needs_a_validation_split(tmp_path, capsys):
    # menon-mnist-lenet has no validation split: neither choice can be made
    for select in ("clean-validation", "noisy-validation"):
        with pytest.raises(SystemExit):
            lr_search.main(
                ["menon-mnist-lenet", "--axis", "noise.rate=0,0.6", "--learning-rates", "1e-3"]
                + ["--select-on", select, "--out", str(tmp_path / "out")]
            )
        err = capsys.readouterr().err
        assert "needs a validation split" in err and "validation=5000" in err


def test_noisy_validation_changes_the_run_only_when_asked():
    base = presets.get("rolnick-mnist")
    assert "validation_labels" not in base.run_key()  # ids of older runs unchanged
    noisy = cfg.apply_overrides(base, {"validation_labels": "noisy"})
    assert noisy.run_key()["validation_labels"] == "noisy"
    assert noisy.run_id() != base.run_id()
    with pytest.raises(ValueError, match="validation_labels must be one of clean, noisy"):
        cfg.apply_overrides(base, {"validation_labels": "dirty"}).validate()


def test_best_markdown_is_the_report_table():
    from types import SimpleNamespace

    from kerasnoise import report

    best = pd.DataFrame(
        {
            "noise_level": [0, 10],
            "best_learning_rate": [0.1, 0.005],
            "val_accuracy": [91.234, 80.0],
            "test_accuracy": ["90.00 ± 0.50", "n/a"],
            "n_seeds": [3, 0],
        }
    )
    text = search_lib.best_markdown(SimpleNamespace(axis="noise.alpha"), best)
    header = ["noise.alpha", "best learning rate", "val accuracy (%)", "test accuracy (%)", "n"]
    body = [["0", "0.1", "91.23", "90.00 ± 0.50", "3"], ["10", "0.005", "80.00", "n/a", "0"]]
    assert text == report.markdown_table(header, body)
    assert text.startswith("| noise.alpha | best learning rate |")


def test_eager_grid_hands_out_every_value_at_once(tmp_path):
    """Three workers asking at once get three different rates (keras-tuner's own grid
    search would keep the third waiting until a trial finished), then STOPPED."""
    search = search_lib.LRSearch(
        "rolnick-mnist", "noise.alpha", [0], learning_rates=[0.5, 0.01, 0.1]
    )
    oracle = search_lib.build_oracle(search)
    oracle._set_project_dir(str(tmp_path), "project")
    trials = [oracle.create_trial(f"w{i}") for i in range(3)]
    assert [t.status for t in trials] == ["RUNNING"] * 3
    assert [t.hyperparameters.values["learning_rate"] for t in trials] == [0.01, 0.1, 0.5]
    assert oracle.create_trial("w3").status == "STOPPED"


def test_role_from_keras_tuner_environment():
    assert search_lib.Role.from_env({}) == search_lib.Role()
    env = {"KERASTUNER_ORACLE_IP": "10.0.0.1", "KERASTUNER_ORACLE_PORT": "8000"}
    assert search_lib.Role.from_env(env | {"KERASTUNER_TUNER_ID": "chief"}).kind == "chief"
    worker = search_lib.Role.from_env(env | {"KERASTUNER_TUNER_ID": "tuner3"})
    assert (worker.kind, worker.tuner_id, worker.ip, worker.level_port(2)) == (
        "worker",
        "tuner3",
        "10.0.0.1",
        8002,
    )
    with pytest.raises(ValueError, match="KERASTUNER_TUNER_ID is not"):
        search_lib.Role.from_env(env)
    with pytest.raises(ValueError, match="oracle port"):
        search_lib.Role.from_env(env | {"KERASTUNER_ORACLE_PORT": "x", "KERASTUNER_TUNER_ID": "t"})
    with worker.environment(1):
        assert os.environ["KERASTUNER_ORACLE_PORT"] == "8001"
    assert "KERASTUNER_ORACLE_PORT" not in os.environ


@pytest.mark.orchestration
@pytest.mark.timeout(240)  # a hang fails here instead of waiting for keras-tuner's hour
def test_worker_without_a_chief_stops_in_bounded_time(shared_data, tmp_path, capsys):
    port = _free_ports(1)
    argv = [*_argv(tmp_path / "out", shared_data), "--worker", "w1"]
    argv += ["--oracle-port", str(port), "--chief-timeout", "3"]
    assert lr_search.main(argv) == 2
    assert f"no chief oracle at 127.0.0.1:{port} after 3 s" in capsys.readouterr().err
    assert not list((tmp_path / "out").glob("rolnick-mnist-*"))
    assert "KERASTUNER_TUNER_ID" not in os.environ  # the worker's variables are restored


# --------------------------------------------------------------------------- a real search


def _records(out: Path, run_ids) -> dict:
    return {i: json.loads((out / i / "result.json").read_text()) for i in run_ids}


@pytest.mark.orchestration
def test_a_widened_or_narrowed_grid_searches_the_level_again_training_only_new_rates(
    shared_data, tmp_path, capsys
):
    """keras-tuner reloads a project with its saved space and ignores a new one: an
    ended level asked for another grid is searched again, reading finished runs back."""
    out = tmp_path / "out"

    def search(rates):
        grid = ["--axis", "noise.alpha=0", "--learning-rates", rates, "--seeds", "0"]
        assert lr_search.main(_argv(out, shared_data, "--jobs", "1", grid=grid)) == 0
        err = capsys.readouterr().err
        return [lr for _, lr, _ in TRAINED.findall(err)], "searching it again" in err

    assert search("0.1") == (["0.1"], False)
    (folder,) = [p.parent for p in (out / "search").rglob(search_lib.plan.DONE_MARKER)]
    plan = search_lib.LRSearch("rolnick-mnist", "noise.alpha", [0], learning_rates=[0.1])
    assert search_lib.project_dir(out, plan, 0) == folder
    wider = dataclasses.replace(plan, learning_rates=[0.1, 0.5])
    assert search_lib.level_done(plan, folder) and search_lib.saved_space_matches(plan, folder)
    assert not search_lib.level_done(wider, folder)  # a worker waits for the chief instead
    assert search_lib.saved_space_matches(wider, folder) is False

    assert search("0.1,0.5") == (["0.5"], True)  # 0.1's run is read back, not trained
    trials = pd.read_csv(out / "trials.csv")
    assert sorted(trials["learning_rate"]) == [0.1, 0.5] and set(trials["status"]) == {"COMPLETED"}
    records = _records(out, trials["run_ids"])
    vals = {r.learning_rate: records[r.run_ids]["val_accuracy_best"] for r in trials.itertuples()}
    best = pd.read_csv(out / "best.csv")
    assert best["best_learning_rate"].item() == max(vals, key=lambda lr: (vals[lr], -lr))
    assert search_lib.level_done(wider, folder)

    assert search("0.5") == ([], True)  # narrowed: the choice is among its rates only
    assert list(pd.read_csv(out / "trials.csv")["learning_rate"]) == [0.5]
    assert pd.read_csv(out / "best.csv")["best_learning_rate"].item() == 0.5
    assert search("0.5") == ([], False)  # the same grid again: nothing to redo


@pytest.mark.orchestration
def test_a_level_searched_on_another_backend_is_searched_again_on_this_one(
    shared_data, tmp_path, capsys
):
    """A run id includes the backend, so a level searched into the same folder with
    another KERAS_BACKEND has ended trials but no runs this backend can read back: it is
    searched again rather than counted as done with no choice and no final runs.  Seen
    from this backend, the other one's runs are simply absent: removing this backend's
    run (directory and store) leaves exactly that state."""
    out = tmp_path / "out"
    grid = ["--axis", "noise.alpha=0", "--learning-rates", "0.1", "--seeds", "0"]

    def search():
        assert lr_search.main(_argv(out, shared_data, "--jobs", "1", grid=grid)) == 0
        err = capsys.readouterr().err
        return [lr for _, lr, _ in TRAINED.findall(err)], "no finished runs on this backend" in err

    assert search() == (["0.1"], False)
    (run_id,) = pd.read_csv(out / "trials.csv")["run_ids"]
    shutil.rmtree(out / run_id)
    (out / "results.sqlite").unlink()
    (folder,) = [p.parent for p in (out / "search").rglob(search_lib.plan.DONE_MARKER)]
    plan = search_lib.LRSearch("rolnick-mnist", "noise.alpha", [0], learning_rates=[0.1])
    assert search_lib.level_done(plan, folder)  # ended: before, it was left at that

    assert search() == (["0.1"], True)
    assert (out / run_id / "result.json").is_file()
    assert pd.read_csv(out / "best.csv")["best_learning_rate"].item() == 0.1
    assert search() == ([], False)  # its run is there now: nothing to redo


@pytest.mark.orchestration
def test_grid_search_runs_each_combination_once_and_resumes(shared_data, tmp_path, capsys, figures):
    out = tmp_path / "out"
    assert lr_search.main(_argv(out, shared_data, "--jobs", "1")) == 0
    err = capsys.readouterr().err
    trained = TRAINED.findall(err)
    assert sorted((a, lr) for a, lr, _ in trained) == [
        ("0", "0.1"),
        ("0", "0.5"),
        ("1", "0.1"),
        ("1", "0.5"),
    ]
    assert len({run_id for *_, run_id in trained}) == 4

    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 4 and set(trials["status"]) == {"COMPLETED"}
    records = _records(out, trials["run_ids"])
    for row in trials.itertuples():  # the trial's number is its run's record
        assert row.val_accuracy == pytest.approx(
            100 * records[row.run_ids]["val_accuracy_best"], abs=1e-4
        )
        config = json.loads((out / row.run_ids / "config.json").read_text())
        assert config["validation_labels"] == "noisy"
        assert config["optimizer"]["learning_rate"] == row.learning_rate
        assert config["noise"]["alpha"] == row.noise_level

    best = pd.read_csv(out / "best.csv")
    assert list(best.columns[:4]) == [
        "noise_level",
        "best_learning_rate",
        "val_accuracy",
        "test_accuracy",
    ]
    chosen_rate = {}
    for row in best.itertuples():
        mine = trials[trials["noise_level"] == row.noise_level]
        vals = {r.learning_rate: records[r.run_ids]["val_accuracy_best"] for r in mine.itertuples()}
        chosen_rate[row.noise_level] = max(vals, key=lambda lr: (vals[lr], -lr))
        assert row.best_learning_rate == chosen_rate[row.noise_level]
        assert row.n_seeds == 1  # seed 0 is the trial's own run: not trained again
        chosen = mine[mine["learning_rate"] == row.best_learning_rate]["run_ids"].item()
        test = 100 * records[chosen]["test_accuracy_best"]
        assert row.test_accuracy == f"{test:.2f} ± 0.00"
    # the final runs alone carry the search's name: report's one aggregation tabulates them
    from kerasnoise import report

    final = report.runs_frame(out, sweep="lr-search")
    assert len(final) == len(best) and len(report.runs_frame(out, sweep="lr-search/trials")) == 4
    table = report.summarise(final, "noise.alpha", "test_accuracy_best")
    assert list(table["noise_alpha"]) == list(best["noise_level"])
    np.testing.assert_allclose(table["mean"], best["test_accuracy_mean"])
    assert set(final["optimizer_learning_rate"]) == set(best["best_learning_rate"])
    for name in (
        "best.md",
        "val_accuracy_vs_lr.png",
        "test_accuracy_vs_lr.png",
        "best_lr_vs_level.png",
    ):
        assert (out / name).stat().st_size > 0
    # the figures: per alpha, each rate's run record against the rate; the chosen rates
    by_level = {}
    for row in trials.itertuples():
        by_level.setdefault(row.noise_level, {})[row.learning_rate] = records[row.run_ids]
    for metric in ("val_accuracy", "test_accuracy"):
        (axes,) = figures[f"{metric}_vs_lr.png"]["axes"]
        assert axes["xscale"] == "log" and axes["xlabel"] == "learning rate"
        lines = {ln["label"]: ln for ln in axes["lines"]}
        assert sorted(lines) == ["noise.alpha = 0", "noise.alpha = 1"]
        for level, runs in by_level.items():
            line, rates = lines[f"noise.alpha = {level}"], sorted(runs)
            assert list(line["x"]) == rates == [0.1, 0.5]
            want = [100 * runs[lr][f"{metric}_best"] for lr in rates]
            np.testing.assert_allclose(line["y"], want, rtol=0, atol=1e-9)
    (axes,) = figures["best_lr_vs_level.png"]["axes"]
    (line,) = axes["lines"]
    assert axes["yscale"] == "log" and list(line["x"]) == [0, 1]
    assert list(line["y"]) == [chosen_rate[0], chosen_rate[1]]

    # the same command again trains nothing and writes the same choice
    assert lr_search.main(_argv(out, shared_data, "--jobs", "1")) == 0
    again = capsys.readouterr()
    assert not TRAINED.findall(again.err)
    assert pd.read_csv(out / "best.csv").equals(best)
    assert "| noise.alpha | best learning rate |" in again.out


@pytest.mark.parametrize("tuner", ["random", "bayesian", "hyperband"])
@pytest.mark.orchestration
def test_range_tuners(shared_data, tmp_path, capsys, tuner):
    out = tmp_path / "out"
    argv = ["rolnick-mnist", "--axis", "noise.alpha=1", "--lr-range", "0.01:1", "--tuner", tuner]
    argv += [] if tuner == "hyperband" else ["--trials", "2"]
    argv += ["--seeds", "0", "--jobs", "1", "--out", str(out), "--data-dir", str(shared_data)]
    argv += ["--no-progress", "model=mlp1", "train_limit=300", "validation=100", "epochs=2"]
    argv += ["eval_every_steps=None"]  # an epoch is one pass, as hyperband's budgets assume
    assert lr_search.main(argv) == 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) >= 2 and trials["learning_rate"].between(0.01, 1).all()
    assert trials["val_accuracy"].notna().all()
    best = pd.read_csv(out / "best.csv")
    top = trials.sort_values(["val_accuracy", "learning_rate"], ascending=[False, True]).iloc[0]
    assert best["best_learning_rate"].item() == top["learning_rate"]
    if tuner == "hyperband":  # its budgets are the runs' epochs
        assert set(trials["epochs"]) <= {1, 2}
    capsys.readouterr()


def test_noisy_validation_labels(shared_data):
    """The validation split gets its own draw of the run's noise; training labels do not change."""
    from kerasnoise import training

    base = cfg.apply_overrides(
        presets.get("rolnick-mnist"), {"noise.alpha": 2, "train_limit": 600, "validation": 200}
    )
    base.data_dir = str(shared_data)
    clean = training.build_data(base)
    noisy = training.build_data(cfg.apply_overrides(base, {"validation_labels": "noisy"}))
    np.testing.assert_array_equal(clean.built.noise.labels, noisy.built.noise.labels)
    assert clean.built.val_noise is None
    val = noisy.built.val_noise
    y_val, x_val = noisy.data.y_val, noisy.data.x_val
    assert val.num_examples == 3 * 200
    np.testing.assert_array_equal(val.labels[:200], y_val)  # additive: the clean pairs first
    np.testing.assert_array_equal(val.true_labels, np.tile(y_val, 3))
    images, labels = zip(*((x, y) for x, y in noisy.built.val.as_numpy_iterator()), strict=True)
    np.testing.assert_array_equal(np.concatenate(labels), val.labels)
    info = noisy.data.info
    expected = (x_val[np.arange(600) % 200].astype(np.float32) / 255.0 - info.mean) / info.std
    np.testing.assert_allclose(np.concatenate(images), expected.reshape(-1, 28, 28, 1), atol=1e-5)
    again = training.build_data(cfg.apply_overrides(base, {"validation_labels": "noisy"}))
    np.testing.assert_array_equal(again.built.val_noise.labels, val.labels)  # seeded


def _free_ports(count: int) -> int:
    """A first port of ``count`` consecutive free ones."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + count >= 65536:
            continue
        try:
            for p in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return first
    raise RuntimeError("no free ports")


@pytest.mark.orchestration
def test_distributed_search_chief_and_two_workers(shared_data, tmp_path):
    # Two levels, so two oracle ports, one after the other (tox runs it on one backend).
    levels = ["0", "1"]
    out = tmp_path / "out"
    port = _free_ports(len(levels))  # one oracle per level
    grid = ["--axis", "noise.alpha=" + ",".join(levels), *GRID[2:]]
    argv = [sys.executable, "-m", "tuning.lr_search", *_argv(out, shared_data, grid=grid)]
    argv += ["--oracle-port", str(port), "--chief-timeout", "120"]
    env = os.environ | {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}
    procs = {"chief": subprocess.Popen([*argv, "--chief"], **_pipes(env))}
    for worker in ("w1", "w2"):
        procs[worker] = subprocess.Popen([*argv, "--worker", worker], **_pipes(env))
    outputs = {name: p.communicate(timeout=540) for name, p in procs.items()}
    for name, p in procs.items():
        assert p.returncode == 0, f"{name}: {outputs[name][1][-3000:]}"
    trained = [t for w in ("w1", "w2") for t in TRAINED.findall(outputs[w][1])]
    run_ids = [run_id for *_, run_id in trained]
    expected = 2 * len(levels)  # two rates per level
    assert len(run_ids) == expected and len(set(run_ids)) == expected  # each trial once
    assert not TRAINED.findall(outputs["chief"][1])  # the chief only serves the oracles
    trials = pd.read_csv(out / "trials.csv")
    assert sorted(trials["run_ids"]) == sorted(run_ids)
    assert set(trials["status"]) == {"COMPLETED"}
    assert len(pd.read_csv(out / "best.csv")) == len(levels)


def _pipes(env):
    return {
        "cwd": REPO,
        "env": env,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
        "text": True,
    }
