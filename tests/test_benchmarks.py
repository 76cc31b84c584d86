"""Smoke tests: the benchmark scripts run with minimal settings (no timing assertions)."""

import json

import keras
import numpy as np
import pytest

from benchmarks import noise_generation, throughput


@pytest.mark.backend_free
def test_noise_generation_runs(tmp_path):
    out = tmp_path / "noise.json"
    noise_generation.main(["--n", "1000", "--repeats", "1", "--out", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert [r["model"] for r in rows] == [m.name for m in noise_generation.MODELS]
    assert all(r["best_s"] > 0 for r in rows)


@pytest.mark.orchestration  # the script's own logic; it trains the backend it is run on
def test_throughput_runs_with_a_minimal_setting(shared_data, tmp_path, monkeypatch):
    pytest.importorskip("torch")  # the reference loop is PyTorch
    monkeypatch.chdir(throughput.Path(__file__).resolve().parents[1])
    throughput.main(
        [
            "--data-dir",
            str(shared_data),
            "--models",
            "mlp1",
            "--backends",
            keras.backend.backend(),
            "--precisions",
            "float32",
            "--epochs",
            "1",
            "--limit",
            "512",
            "--ceiling",
            "--out",
            str(tmp_path),
        ]
    )
    rows = json.loads((tmp_path / "throughput.json").read_text())["rows"]
    assert [r["run"] for r in rows] == ["pytorch reference", f"{keras.backend.backend()} float32"]
    assert all("error" not in r and r["examples_per_second"] > 0 for r in rows), rows
    reference, run = rows
    assert reference["examples_per_second"] == max(reference["measurements"])  # best of two
    assert run["ratio"] == run["examples_per_second"] / reference["examples_per_second"]
    assert run["ceiling_ratio"] == (
        run["ceiling_examples_per_second"] / reference["examples_per_second"]
    )
    table = (tmp_path / "throughput.md").read_text()
    assert "| mlp1 | pytorch reference |" in table
    # the run record's automatic choices travel into the table (MLP1: no layout)
    steps = run["execution"]["steps_per_execution"]
    assert steps == (1 if keras.backend.backend() == "torch" else 16)
    assert f"| {steps} steps/call, " in table and "NHWC" not in table


@pytest.mark.backend_free
def test_throughput_variants_switch_onednn_for_tensorflow_only():
    args = throughput.argparse.Namespace(
        backends=["tensorflow", "jax"],
        precisions=["float32"],
        onednn=["on", "off"],
        jit_compile=["auto", "false"],
    )
    assert throughput.variants(args) == [
        ("tensorflow", "float32", "on", "auto"),
        ("tensorflow", "float32", "on", "false"),
        ("tensorflow", "float32", "off", "auto"),
        ("tensorflow", "float32", "off", "false"),
        ("jax", "float32", "on", "auto"),
        ("jax", "float32", "on", "false"),
    ]


def test_torch_step_runs_with_a_minimal_setting(shared_data, tmp_path):
    """Once, in the torch environment: the script sets KERAS_BACKEND=torch itself."""
    if keras.backend.backend() != "torch":
        pytest.skip("runs on the PyTorch backend only")
    from benchmarks import torch_step

    argv = ["--data-dir", str(shared_data), "--models", "mlp1", "--limit", "512"]
    assert torch_step.main([*argv, "--epochs", "2", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "torch_step.json").read_text())["rows"]
    assert [r["run"] for r in rows] == [
        "plain PyTorch loop (best of 2)",
        "keras NHWC eager",
        "keras NHWC compiled",
    ]
    assert rows[0]["ratio"] == 1.0 and all(r["examples_per_second"] > 0 for r in rows)


# A plain PyTorch loop: the Keras backend plays no part.
@pytest.mark.orchestration
def test_menon_reference_loop_uses_the_runs_labels_and_is_seeded(shared_data):
    """The plain PyTorch cross-check of the Menon MNIST protocol: the training labels
    are the kerasnoise run's noisy labels, and one seed gives one result."""
    pytest.importorskip("torch")
    from benchmarks import menon_reference
    from kerasnoise import datasets, noise

    x, y, xt, yt = menon_reference.noisy_training_set(str(shared_data), 0.6)
    mnist = datasets.load("mnist", shared_data)
    expected = noise.SymmetricExclusive(0.6).apply(mnist.y_train, num_classes=10, seed=0)
    np.testing.assert_array_equal(y, expected.labels)  # the preset's noise seed is 0
    assert x.shape == (60000, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_array_equal(yt, mnist.y_test)
    tiny = (x[:256], y[:256], xt[:500], yt[:500])
    a, b, c = (menon_reference.run(tiny, seed, clip=0.1, epochs=1) for seed in (0, 0, 1))
    assert a["test_accuracy"] == b["test_accuracy"] and 0 <= a["test_accuracy"] <= 1
    assert (a["seed"], c["seed"]) == (0, 1)
