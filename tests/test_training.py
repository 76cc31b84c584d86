"""The runner end to end on real MNIST: run records, eval, skip, resume, divergence."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from kerasnoise import (
    cli,
    datasets,
    methods,
    metrics,
    models,
    noise,
    optimizers,
    presets,
    reevaluation,
    report,
    training,
)
from kerasnoise import config as cfg
from kerasnoise.devices import execution
from kerasnoise.results.store import ResultsStore
from tests.helpers import Interrupt, StopAfterFirstEpoch
from tests.helpers import without_timing as _without_timing

SMALL = [
    "epochs=2",
    "train_limit=1000",
    "test_limit=1000",
    "validation=200",
    "batch_size=64",
    "eval_batch_size=500",
]


def small_config(shared_data, *overrides):
    items = SMALL + list(overrides)
    config = cfg.apply_overrides(presets.get("menon-mnist-lenet"), cfg.parse_overrides(items))
    config.data_dir = str(shared_data)
    return config


def test_train_command_end_to_end_and_eval(shared_data, tmp_path, capsys):
    out = tmp_path / "runs"
    code = cli.main(
        [
            "train",
            "menon-mnist-lenet",
            *SMALL,
            "loss=phuber_ce",
            "noise.rate=0.2",
            "--out",
            str(out),
            "--data-dir",
            str(shared_data),
            "--verbose",
            "0",
        ]
    )
    assert code == 0
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    for name in (
        "config.json",
        "noise.json",
        "history.json",
        "history.csv",
        "model.keras",
        "result.json",
    ):
        assert (run_dir / name).is_file(), name
    assert not (run_dir / "checkpoint").exists()  # removed once the run finished

    config = cfg.ExperimentConfig.from_dict(json.loads((run_dir / "config.json").read_text()))
    assert config.loss == {"name": "phuber_ce", "tau": 10.0} and config.epochs == 2
    noise_record = json.loads((run_dir / "noise.json").read_text())
    assert noise_record["num_examples"] == 800 and abs(noise_record["rate"] - 0.2) < 0.06
    history = json.loads((run_dir / "history.json").read_text())
    assert list(history) == ["0", "1"]
    for key in (
        "loss",
        "accuracy",
        "val_accuracy",
        "test_accuracy",
        "train_clean_accuracy",
        "train_noisy_accuracy",
        "train_noisy_memorised",
        "detection_f1",
        "examples_per_second",
    ):
        assert history["1"][key] is not None, key
    # detection: recomputed from the saved (last-epoch) model on the scored images
    run_data = training.build_data(config)
    saved = keras.saving.load_model(run_dir / "model.keras")
    logits = saved.predict(run_data.train_images, verbose=0)
    again = metrics.detection_metrics(logits, run_data.built.noise, run_data.scored_images)
    for key, value in again.items():
        assert history["1"][key] == pytest.approx(value, abs=1e-6), key

    record = json.loads((run_dir / "result.json").read_text())
    assert record["status"] == "finished" and record["epochs_run"] == 2
    assert record["backend"] == keras.backend.backend() and record["precision"] == "float32"
    assert record["best_by"] == "val_accuracy"
    best = max((0, 1), key=lambda e: history[str(e)]["val_accuracy"])
    assert record["best_epoch"] == best
    assert record["test_accuracy_best"] == history[str(best)]["test_accuracy"]
    assert record["test_accuracy_last"] == history["1"]["test_accuracy"]
    assert record["test_accuracy_last"] > 0.5  # 2 epochs on 800 noisy examples
    assert {"keras", "tensorflow", "numpy"} <= set(record["versions"])
    # the automatic speed choices, resolved (CI and dev machines: CPU only).  LeNet-5 has
    # convolutions, so on a TensorFlow CPU XLA only without oneDNN, which TensorFlow
    # itself tells: only its oneDNN kernels run a channels-first (NCHW) convolution on a
    # CPU.  Elsewhere Keras's own "auto": XLA on JAX, none on PyTorch, which runs one
    # step per call, in its NCHW.
    backend = keras.backend.backend()
    onednn = _tensorflow_runs_nchw_convolutions() if backend == "tensorflow" else None
    if backend == "tensorflow":
        reason = (
            "auto: TensorFlow CPU with oneDNN, its convolutions beat XLA's"
            if onednn
            else "auto: TensorFlow CPU without oneDNN, XLA's kernels are faster"
        )
    else:
        reason = "auto: Keras's own choice"
    assert record["execution"] == {
        "steps_per_execution": 1 if backend == "torch" else 16,
        "jit_compile": {"tensorflow": not onednn, "jax": True, "torch": False}[backend],
        "jit_compile_reason": reason,
        "onednn": onednn,
        "data_format": "channels_first" if backend == "torch" else "channels_last",
        "feed": "tf.data" if backend == "tensorflow" else "PyDataset",
        "cpu_threads": execution.cpu_threads(),
    }
    assert record["execution"]["cpu_threads"] >= 1  # CI and dev machines: CPU only
    assert record["distribution"] == {"name": "none", "num_replicas": 1, "devices": []}
    assert f"{100 * record['test_accuracy_last']:.2f}%" in capsys.readouterr().out

    # eval reproduces the recorded accuracy of the saved model
    evaluated = reevaluation.evaluate_run(run_dir)
    assert evaluated["accuracy"] == record["test_accuracy_final_model"]
    assert record["test_accuracy_final_model"] == record["test_accuracy_last"]
    assert cli.main(["eval", str(run_dir / "model.keras"), "--split", "val"]) == 0

    store = ResultsStore(out)
    assert store.get(record["run_id"])["status"] == "finished"
    assert cli.main(["results", "--out", str(out), "--table"]) == 0
    table = capsys.readouterr().out
    assert "loss=phuber_ce(tau=10" in table and f"{100 * record['test_accuracy_best']:.2f}" in table


def _tensorflow_runs_nchw_convolutions() -> bool:
    """Asked of TensorFlow directly, not through kerasnoise: does a 1x1 channels-first
    convolution run on this CPU (only oneDNN's kernels take NCHW there)?"""
    import tensorflow as tf

    try:
        with tf.device("/CPU:0"):
            tf.nn.conv2d(tf.zeros((1, 1, 2, 2)), tf.zeros((1, 1, 1, 1)), 1, "VALID", "NCHW")
    except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError, tf.errors.NotFoundError):
        return False
    return True


# The resume tests train MLP1: what they test (run records, checkpoints, the epoch order)
# does not depend on the model, and LeNet-5 cost them twice the time on JAX.
@pytest.mark.orchestration  # the store's bookkeeping; resume on every backend: below
def test_test_limit_scores_the_first_test_images_and_names_the_run(shared_data, tmp_path):
    """``test_limit=N``: the record's test accuracy is that of the saved model on the
    first N test images; the setting names the run only when set."""
    plain = small_config(shared_data, "epochs=1", "test_limit=None")
    config = small_config(shared_data, "epochs=1", "test_limit=700")
    assert "test_limit" not in plain.run_key() and config.run_key()["test_limit"] == 700
    assert config.run_id("x") != plain.run_id("x")
    record = training.train(config, tmp_path, verbose=0, quiet=True)
    model = keras.saving.load_model(tmp_path / record["run_id"] / "model.keras")
    mnist = datasets.load("mnist", shared_data)
    x = (mnist.x_test[:700, ..., None] / 255.0 - mnist.info.mean[0]) / mnist.info.std[0]
    predicted = np.argmax(keras.ops.convert_to_numpy(model(x.astype("float32"))), axis=1)
    accuracy = float(np.mean(predicted == mnist.y_test[:700]))
    assert record["test_accuracy_final_model"] == pytest.approx(accuracy, abs=1e-9)
    for value in (0, -3):
        with pytest.raises(ValueError, match="test_limit must be a positive integer"):
            cfg.apply_overrides(plain, {"test_limit": value}).validate_without_keras()
    for value, kind in ((2.5, "an integer"), (True, "an integer")):
        with pytest.raises(TypeError, match=f"test_limit must be {kind}"):
            cfg.apply_overrides(plain, {"test_limit": value})


def test_done_run_is_not_trained_again(shared_data, tmp_path, monkeypatch):
    config = small_config(shared_data, "epochs=1", "model=mlp1")
    first = training.train(config, tmp_path, verbose=0)
    assert first["status"] == "finished"

    def no_fit(*args, **kwargs):
        raise AssertionError("a finished run must not be trained again")

    monkeypatch.setattr(keras.Model, "fit", no_fit)
    again = training.train(config, tmp_path, verbose=0)
    assert again["skipped"] and again["test_accuracy_last"] == first["test_accuracy_last"]
    monkeypatch.undo()
    forced = training.train(config, tmp_path, verbose=0, force=True)
    assert "skipped" not in forced and forced["status"] == "finished"


class EpochsSeen(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.append(epoch)


def test_interrupted_run_resumes_instead_of_restarting(shared_data, tmp_path):
    config = small_config(shared_data, "epochs=3", "model=mlp1")
    with pytest.raises(Interrupt):
        training.train(config, tmp_path, verbose=0, callbacks=[StopAfterFirstEpoch()])
    store = ResultsStore(tmp_path)
    assert store.get(config.run_id(keras.backend.backend()))["status"] == "failed"
    assert not store.is_done(config.run_id(keras.backend.backend()))
    run_dir = tmp_path / config.run_id(keras.backend.backend())
    epoch0 = json.loads((run_dir / "history.json").read_text())["0"]

    seen = EpochsSeen()
    record = training.train(config, tmp_path, verbose=0, callbacks=[seen])
    assert seen.seen == [1, 2]  # continued at epoch 1, did not redo epoch 0
    history = json.loads((run_dir / "history.json").read_text())
    assert list(history) == ["0", "1", "2"] and history["0"] == epoch0
    assert record["epochs_run"] == 3 and record["status"] == "finished"


def test_divergence_is_recorded_not_lost(shared_data, tmp_path):
    config = small_config(
        shared_data,
        "epochs=2",
        "optimizer.learning_rate=1e30",
        "optimizer.schedule='constant'",
        "optimizer.name='sgd'",
    )
    record = training.train(config, tmp_path, verbose=0)
    assert record["status"] == "diverged"
    assert not (tmp_path / config.run_id(keras.backend.backend()) / "model.keras").exists()
    stored = ResultsStore(tmp_path).get(config.run_id(keras.backend.backend()))
    assert stored["status"] == "diverged" and stored["result"]["status"] == "diverged"
    assert ResultsStore(tmp_path).is_done(
        config.run_id(keras.backend.backend())
    )  # a result, not retried


def hand_made_noise(labels, true_labels, *, num_clean, alpha=0) -> noise.NoiseResult:
    """A two-class noise record: the given and the true labels of every example."""
    labels, true_labels = np.array(labels), np.array(true_labels)
    return noise.NoiseResult(
        labels=labels,
        true_labels=true_labels,
        is_noisy=labels != true_labels,
        num_classes=2,
        num_clean=num_clean,
        transition=np.eye(2),
        transition_counts=np.eye(2, dtype=int),
        rate=float(np.mean(labels != true_labels)),
        seed=0,
        rng_state={},
        model={"name": "additive" if alpha else "hand-made", "alpha": alpha},
        alpha=alpha,
    )


def test_noise_subset_metrics_on_a_hand_built_case():
    # 2 images, alpha = 1: examples 0,1 clean; 2,3 are copies of images 0,1 with wrong labels
    result = hand_made_noise([0, 1, 1, 0], [0, 1, 0, 1], num_clean=2, alpha=1)
    # the model predicts class 0 for both images
    got = metrics.noise_subset_metrics(np.array([0, 0]), result)
    # clean: ex0 right (0 == 0), ex1 wrong (0 != 1); noisy vs true: ex2 right, ex3 wrong;
    # noisy vs their wrong labels: ex2 (label 1) no, ex3 (label 0) yes
    assert got == {
        "train_clean_accuracy": 0.5,
        "train_noisy_accuracy": 0.5,
        "train_noisy_memorised": 0.5,
    }
    got = metrics.noise_subset_metrics(np.array([0, 1]), result)
    assert got == {
        "train_clean_accuracy": 1.0,
        "train_noisy_accuracy": 1.0,
        "train_noisy_memorised": 0.0,
    }
    # only image 1 scored (predicted 1): examples 1 (clean) and 3 (noisy, label 0)
    got = metrics.noise_subset_metrics(np.array([1]), result, images=np.array([1]))
    assert got == {
        "train_clean_accuracy": 1.0,
        "train_noisy_accuracy": 1.0,
        "train_noisy_memorised": 0.0,
    }
    clean_only = noise.SymmetricExclusive(0.0).apply([0, 1, 1], num_classes=2, seed=0)
    assert metrics.noise_subset_metrics(np.array([0, 1, 0]), clean_only) == {
        "train_clean_accuracy": 2 / 3,
        "train_noisy_accuracy": None,
        "train_noisy_memorised": None,
    }


def test_detection_flags_the_largest_losses_as_many_as_the_noise_rate():
    """5 images, 2 noisy (examples 1 and 3): 2 flagged; the losses by hand."""
    result = hand_made_noise([0, 0, 1, 0, 1], [0, 1, 1, 1, 1], num_clean=5)
    # CE against the given label: ex0 log(1+e^-2)=0.13, ex1 log(1+e^3)=3.05,
    # ex2 log(1+e^1)=1.31, ex3 log(1+e^-1)=0.31, ex4 log(1+e^-4)=0.02
    logits = np.array([[2, 0], [-3, 0], [1, 0], [1, 0], [0, 4]], float)
    got = metrics.detection_metrics(logits, result)
    # flagged: ex1 (noisy) and ex2 (clean): precision 1/2, recall 1/2
    assert got == {"detection_precision": 0.5, "detection_recall": 0.5, "detection_f1": 0.5}
    # images 1 and 3 only: rate 0.4 of 2 = 1 flag, ex1 (noisy): precision 1, recall 1/2
    got = metrics.detection_metrics(logits[[1, 3]], result, images=np.array([1, 3]))
    assert got["detection_precision"] == 1.0 and got["detection_recall"] == 0.5
    assert got["detection_f1"] == pytest.approx(2 / 3)
    clean = noise.SymmetricExclusive(0.0).apply([0, 1, 1], num_classes=2, seed=0)
    assert metrics.detection_metrics(np.zeros((3, 2)), clean) == {}


def test_the_best_epoch_follows_early_stopping_s_validation_metric():
    """Lowest ``val_loss`` when early stopping watches it (Patrini et al. keep those
    weights), highest ``val_accuracy`` otherwise; ``test_accuracy_best`` is that epoch's."""
    history = {
        0: {"loss": 1.0, "val_loss": 0.9, "val_accuracy": 0.70, "test_accuracy": 0.71},
        1: {"loss": 0.8, "val_loss": 0.5, "val_accuracy": 0.80, "test_accuracy": 0.82},
        2: {"loss": 0.6, "val_loss": 0.7, "val_accuracy": 0.85, "test_accuracy": 0.84},
    }
    by_loss = training.summarise(history, has_val=True, by="val_loss")
    assert (by_loss["best_epoch"], by_loss["test_accuracy_best"]) == (1, 0.82)
    assert by_loss["best_by"] == "val_loss" and by_loss["val_accuracy_best"] == 0.80
    by_accuracy = training.summarise(history, has_val=True)
    assert (by_accuracy["best_epoch"], by_accuracy["test_accuracy_best"]) == (2, 0.84)
    patrini = presets.get("patrini-mnist-mlp")
    assert training.best_by(patrini) == "val_loss"
    assert training.best_by(presets.get("rolnick-mnist")) == "val_accuracy"
    assert training.best_by(presets.get("menon-mnist-lenet")) == "val_accuracy"


def test_unit_input_scale_feeds_pixels_over_255(shared_data):
    config = small_config(shared_data, "input_scale=unit")
    data = training.load_data(config)
    assert data.info.mean == (0.0,) and data.info.std == (1.0,)
    run_data = training.build_data(config)
    x, _ = next(iter(run_data.train_images))
    first = data.x_train[run_data.scored_images[: len(x)]]
    np.testing.assert_allclose(np.asarray(x), first.astype(np.float32) / 255, atol=1e-7)
    standard = training.build_data(small_config(shared_data))
    x_std, _ = next(iter(standard.train_images))
    mean, std = standard.data.info.mean[0], standard.data.info.std[0]
    np.testing.assert_allclose(np.asarray(x_std), (first / 255 - mean) / std, atol=1e-5)


def test_optimizer_schedules_and_clipping():
    opt = cfg.OptimizerConfig(
        name="sgd",
        learning_rate=0.1,
        momentum=0.1,
        nesterov=True,
        schedule="multistep",
        milestones=[2, 4],
        gamma=0.5,
        global_clipnorm=0.1,
    )
    o = optimizers.build(opt, steps_per_epoch=10)
    assert isinstance(o, keras.optimizers.SGD) and o.nesterov and o.global_clipnorm == 0.1
    schedule = optimizers.learning_rate_schedule(opt, steps_per_epoch=10)
    rates = [float(keras.ops.convert_to_numpy(schedule(s))) for s in (0, 19, 20, 39, 40)]
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.05, 0.05, 0.025], rtol=1e-6)
    exp = optimizers.learning_rate_schedule(
        cfg.OptimizerConfig(schedule="exponential", decay_rate=0.1, decay_steps=100), 10
    )
    value = float(keras.ops.convert_to_numpy(exp(50)))
    assert value == pytest.approx(1e-3 * 0.1**0.5, rel=1e-5)  # continuous decay
    assert optimizers.learning_rate_schedule(cfg.OptimizerConfig(), 10) == 1e-3
    per_var = optimizers.build(cfg.OptimizerConfig(clipnorm=1.0), 10)
    assert per_var.clipnorm == 1.0 and per_var.global_clipnorm is None
    decoupled = optimizers.build(
        cfg.OptimizerConfig(weight_decay=1e-4, weight_decay_mode="decoupled"), 10
    )
    assert decoupled.weight_decay == pytest.approx(1e-4)
    coupled = optimizers.build(cfg.OptimizerConfig(weight_decay=1e-4), 10)
    assert not coupled.weight_decay  # coupled decay lives in the model's regularisers
    ada = optimizers.build(cfg.OptimizerConfig(name="adadelta", rho=0.9, epsilon=1e-6), 1)
    assert (ada.rho, ada.epsilon) == (0.9, 1e-6)


@pytest.mark.parametrize("onednn", [True, False])
def test_auto_jit_compile(monkeypatch, onednn):
    """TensorFlow on a CPU: with oneDNN, XLA only for models without convolutions;
    without it, XLA for all.  Elsewhere ``auto`` is Keras's own choice."""
    monkeypatch.setattr(execution, "_nchw_convolution_runs", lambda backend: onednn)
    on_tf = keras.backend.backend() == "tensorflow"  # and on a CPU, as CI and dev machines
    dense, conv = models.get("mlp1"), models.get("lenet5")
    nested = keras.Sequential([keras.Input((28, 28, 1)), conv])  # a convolution one level down
    cases = ((None, not onednn), (dense, True), (conv, not onednn), (nested, not onednn))
    for model, want in cases:
        choice, why = execution.resolve_jit_compile("auto", model)
        assert choice == (want if on_tf else "auto")
        assert why.startswith("auto: ") and (("without oneDNN" in why) == (on_tf and not onednn))
    assert execution.resolve_jit_compile(True, conv) == (True, "as configured")
    assert execution.resolve_jit_compile(False, dense) == (False, "as configured")


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="a TensorFlow switch")
def test_tensorflow_without_onednn_in_a_fresh_process(shared_data, tmp_path):
    """As on an AVX2-only CPU (TF_ENABLE_ONEDNN_OPTS=0): the probe says so, channels-first
    is refused by config.validate() before any data loads, and LeNet-5 trains with XLA.
    Where this process's TensorFlow already runs without oneDNN (an AVX2-only CPU), the
    suite itself is that case (the end-to-end test's automatic choices, test_config's
    refusal of channels-first), so the fresh process would only repeat it."""
    if not execution.onednn_convolutions():
        pytest.skip("this TensorFlow runs without oneDNN already: the suite tests that case")
    script = textwrap.dedent(
        f"""
        import json
        from kerasnoise import config as cfg, presets, training
        from kerasnoise.devices import execution
        assert execution.onednn_convolutions() is False
        base = cfg.apply_overrides(presets.get("menon-mnist-lenet"), {{
            "epochs": 1, "train_limit": 256, "batch_size": 64, "data_dir": {str(shared_data)!r}}})
        try:
            cfg.apply_overrides(base, {{"model.data_format": "channels_first"}}).validate()
        except ValueError as err:
            print("refused:", err)
        record = training.train(base, {str(tmp_path)!r}, verbose=0, quiet=True)
        print("execution:", json.dumps(record["execution"]))
        """
    )
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_ENABLE_ONEDNN_OPTS": "0"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    assert lines["refused"].startswith("model.data_format='channels_first' cannot run here")
    assert "'auto' or 'channels_last'" in lines["refused"]
    executed = json.loads(lines["execution"])
    assert (executed["onednn"], executed["jit_compile"]) == (False, True)
    assert executed["data_format"] == "channels_last"
    assert "without oneDNN" in executed["jit_compile_reason"]


def test_auto_precision_on_this_machine():
    policy, why = execution.resolve_precision("auto")
    assert (policy, why.startswith("auto")) == ("float32", True)  # CI and dev machines: CPU
    assert execution.resolve_precision("mixed_bfloat16") == ("mixed_bfloat16", "as configured")
    assert execution.resolve_precision("auto", "cuda:0")[0] == "mixed_float16"
    assert execution.resolve_precision("auto", "/job:localhost/device:GPU:0")[0] == "mixed_float16"
    assert execution.resolve_precision("auto", "TPU_0(host=0)")[0] == "mixed_bfloat16"


# --------------------------------------------------------------------------- resume, isolation

STATEFUL = [
    "epochs=4",
    "validation=200",
    "early_stopping.enabled=True",
    "early_stopping.patience=2",
    "optimizer.decay_steps=20",  # the schedule moves within the run
    "noise.rate=0.4",
]

KILL_AFTER_EPOCH_1 = """
import json, os, sys
import keras
from kerasnoise import config as cfg, training

class Kill(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            os._exit(9)  # no clean-up at all, as a SIGKILL or a power cut

config = cfg.ExperimentConfig.from_dict(json.loads(sys.argv[1]))
training.train(config, sys.argv[2], verbose=0, callbacks=[Kill()])
"""


#: What git keeps of an unfinished run directory (.gitignore drops checkpoint/, the
#: model files and the store): the folder a new checkout re-creates.
COMMITTED = ("run.json", "config.json", "noise.json", "history.json", "tags.json")


# Where the checkpoint lives and how a re-created folder finds it: the same on every
# backend; test_interrupted_run_resumes_instead_of_restarting resumes on each.
@pytest.mark.orchestration
def test_a_killed_run_resumes_from_the_checkpoint_folder_after_its_output_folder_is_recreated(
    shared_data, tmp_path, monkeypatch, capsys
):
    """A process killed without clean-up (os._exit after epoch 1) resumes to the history
    and records of an uninterrupted run, from a checkpoint kept outside its output folder,
    after that folder was re-created from its committed files or lost (the checkpoint in
    the run folder, the default: test_interrupted_run_resumes_instead_of_restarting)."""
    import shutil

    from kerasnoise._args import CHECKPOINT_DIR_ENV

    config = small_config(shared_data, *STATEFUL, "model=mlp1")
    run_id = config.run_id(keras.backend.backend())
    whole = training.train(config, tmp_path / "whole", verbose=0)
    whole_history = json.loads((tmp_path / "whole" / run_id / "history.json").read_text())

    scratch, parts = tmp_path / "scratch", tmp_path / "parts"
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_EPOCH_1, json.dumps(config.to_dict()), str(parts)],
        env={**os.environ, CHECKPOINT_DIR_ENV: str(scratch)},
        check=False,
    )
    assert killed.returncode == 9
    assert ResultsStore(parts).status(run_id) == "running"  # killed: nothing recorded after
    assert (scratch / run_id / "epoch-1" / "state.json").is_file()
    assert not (parts / run_id / "checkpoint").exists()  # kept outside the output folder
    saved = tmp_path / "scratch-copy"
    shutil.copytree(scratch, saved)
    committed = {
        n: (parts / run_id / n).read_bytes() for n in COMMITTED if (parts / run_id / n).is_file()
    }
    assert "history.json" in committed and "run.json" in committed

    def check(resumed, seen):
        assert seen.seen[0] == 2  # went on after the last finished epoch, not from 0
        history = json.loads((parts / run_id / "history.json").read_text())
        assert list(history) == ["0", "1", "2", "3"]
        assert _without_timing(history) == _without_timing(whole_history)
        for key in (
            "epochs_run",
            "best_epoch",
            "test_accuracy_best",
            "test_accuracy_last",
            "test_accuracy_final_model",
            "val_accuracy_best",
        ):
            assert resumed[key] == whole[key], key
        assert len(resumed["wall_time_parts_s"]) == 2 and len(whole["wall_time_parts_s"]) == 1
        assert resumed["wall_time_s"] == pytest.approx(sum(resumed["wall_time_parts_s"]))
        assert not (scratch / run_id).exists()  # removed once the run finished

    # 1. The output folder restored from its committed files only: a new checkout.
    shutil.rmtree(parts)
    (parts / run_id).mkdir(parents=True)
    for name, data in committed.items():
        (parts / run_id / name).write_bytes(data)
    seen = EpochsSeen()
    check(training.train(config, parts, verbose=0, callbacks=[seen], checkpoint_dir=scratch), seen)
    assert f"resuming at epoch 2 from the checkpoint in {scratch.resolve() / run_id}" in (
        capsys.readouterr().out
    )

    # 2. The output folder gone altogether: the checkpoint alone carries the history.
    shutil.rmtree(parts)
    shutil.copytree(saved, scratch, dirs_exist_ok=True)
    monkeypatch.setenv(CHECKPOINT_DIR_ENV, str(scratch))
    seen = EpochsSeen()
    check(training.train(config, parts, verbose=0, callbacks=[seen]), seen)

    # 3. No checkpoint there: it starts afresh, and says so.
    shutil.rmtree(parts)
    (parts / run_id).mkdir(parents=True)
    for name, data in committed.items():
        (parts / run_id / name).write_bytes(data)
    seen = EpochsSeen()
    fresh = training.train(config, parts, verbose=0, callbacks=[seen])
    assert seen.seen[0] == 0 and fresh["epochs_run"] == whole["epochs_run"]
    assert f"{run_id}: no checkpoint in {scratch.resolve() / run_id}; training from the start" in (
        capsys.readouterr().err
    )


def test_repeated_runs_in_one_process_match_a_separate_process(shared_data, tmp_path):
    import subprocess
    import sys

    config = small_config(shared_data, "epochs=1", "noise.rate=0.2")
    run_id = config.run_id(keras.backend.backend())
    script = (
        "import json, sys\nfrom kerasnoise import config as cfg, training\n"
        "training.train(cfg.ExperimentConfig.from_dict(json.loads(sys.argv[1])), sys.argv[2],"
        " verbose=0)"
    )
    subprocess.run(
        [sys.executable, "-c", script, json.dumps(config.to_dict()), str(tmp_path / "fresh")],
        check=True,
    )
    fresh = json.loads((tmp_path / "fresh" / run_id / "history.json").read_text())

    keras.config.set_dtype_policy("mixed_bfloat16")  # a user's own global state...
    keras.utils.set_random_seed(1234)
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    try:
        keras.layers.Dense(3)  # ... and a layer name counter moved on
        for i in range(2):
            training.train(config, tmp_path / f"again{i}", verbose=0)
            again = json.loads((tmp_path / f"again{i}" / run_id / "history.json").read_text())
            assert _without_timing(again) == _without_timing(fresh), i
        assert keras.config.dtype_policy().name == "mixed_bfloat16"  # given back
        np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    finally:
        keras.config.set_dtype_policy("float32")


@pytest.mark.parametrize(
    "preset, overrides",
    [
        ("menon-mnist-lenet", ["noise.rate=0"]),
        (
            "rolnick-mnist",
            ["model=mlp1", "noise.alpha=0", "validation=200", "eval_every_steps=None"],
        ),
    ],
)
def test_clean_run_with_progress_bar_records_noisy_accuracy_as_absent(
    shared_data, tmp_path, capsys, preset, overrides
):
    out = tmp_path / "runs"
    argv = ["train", preset, "epochs=2", "train_limit=1000", *overrides]
    code = cli.main([*argv, "--out", str(out), "--data-dir", str(shared_data)])  # default verbose
    assert code == 0
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    history = json.loads((run_dir / "history.json").read_text())
    assert (
        "train_noisy_accuracy" not in history["1"] and "train_noisy_memorised" not in history["1"]
    )
    assert history["1"]["train_clean_accuracy"] is not None
    record = json.loads((run_dir / "result.json").read_text())
    assert record["status"] == "finished" and record["noise_rate"] == 0.0
    assert record["train_noisy_accuracy_last"] is None  # absent, not 0 and not NaN
    row = report.store_summary(out, ["train_noisy_accuracy_last", "test_accuracy_last"])[0]
    assert row["train_noisy_accuracy_last_mean"] is None and row["test_accuracy_last_mean"] > 0.5


@pytest.mark.parametrize("precision", ["float32", "mixed_float16"])
def test_global_clipnorm_clips_the_unscaled_gradients(precision):
    """Under mixed_float16 Keras scales the loss (by 2**15 at first) and wraps the
    optimizer in a LossScaleOptimizer: the clip must see the true gradient, not the
    scaled one (which would shrink the step 32,768-fold)."""
    x = np.array([[0.3, 0.4]], dtype="float32")
    y = np.array([0])
    # zero logits: dL/dz = softmax - onehot = (-1/2, 1/2), dL/dW = x^T dz
    gradient = x.T @ np.array([[-0.5, 0.5]])
    norm = np.linalg.norm(gradient)  # 0.354
    clip = 0.1
    opt = cfg.OptimizerConfig(name="sgd", learning_rate=1.0, global_clipnorm=clip)
    with training.isolated_keras_state(precision):
        inputs = keras.Input((2,))
        logits = keras.layers.Dense(2, use_bias=False, kernel_initializer="zeros")(inputs)
        model = keras.Model(inputs, keras.layers.Activation("linear", dtype="float32")(logits))
        model.compile(
            optimizer=optimizers.build(opt, steps_per_epoch=1),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        model.train_on_batch(x, y)
        wrapped = type(model.optimizer).__name__
        step = -keras.ops.convert_to_numpy(model.layers[1].kernel)
    assert wrapped == ("LossScaleOptimizer" if precision == "mixed_float16" else "SGD")
    expected = gradient * clip / norm  # lr 1: the step is the clipped gradient
    np.testing.assert_allclose(step, expected, rtol=2e-3, atol=1e-5)


@pytest.mark.parametrize(
    "backend_variable, value, want",
    [("set", "3", 3), ("set", "0", None), ("set", "x", None), ("unset", None, None)],
)
def test_cpu_threads_comes_from_the_backends_variable_else_every_core(
    monkeypatch, backend_variable, value, want
):
    import os

    cores = len(os.sched_getaffinity(0))
    variable = execution.THREAD_VARIABLES[keras.backend.backend()]
    for name in ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    if variable is not None and backend_variable == "set":
        monkeypatch.setenv(variable, value)
    expected = want if variable is not None and want is not None else cores
    assert execution.cpu_threads() == expected


def test_every_methods_saved_model_class_is_named_for_loading():
    """``kerasnoise eval`` loads a run's model in a fresh process, where a method's own
    model class is not yet imported: each method names the class its model is
    (:meth:`kerasnoise.methods.Method.saved_objects`)."""
    network = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    config = cfg.apply_overrides(presets.get("coteaching-mnist-mlp"), {"noise.rate": 0.5})
    for name in ("standard", "coteaching", "coteaching_plus", "jocor", "dividemix", "elr"):
        method = methods.get(name)
        if name == "elr":
            method.num_examples = 8  # what use_data reads from the run's data
        model = method.build_model(lambda: keras.models.clone_model(network), config)
        saved = method.saved_objects()
        if model.__class__.__module__.startswith("kerasnoise"):
            assert saved == {type(model).__name__: type(model)}, name
        else:
            assert saved == {}, name


@pytest.mark.orchestration  # the command in a fresh process; the classes: the test above
def test_eval_loads_a_two_network_run_in_a_fresh_process(shared_data, tmp_path):
    config = cfg.apply_overrides(
        presets.get("coteaching-mnist-mlp"),
        {
            "method": "jocor",
            "epochs": 2,
            "optimizer.decay_start": 1,
            "train_limit": 1000,
            "train_eval_images": 500,
        },
    )
    config.data_dir = str(shared_data)
    record = training.train(config, tmp_path, verbose=0, quiet=True)
    shown = subprocess.run(
        [sys.executable, "-c", "import sys; from kerasnoise import cli; sys.exit(cli.main())"]
        + ["eval", str(tmp_path / record["run_id"]), "--data-dir", str(shared_data)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"{record['test_accuracy_final_model']:.4f}" in shown
