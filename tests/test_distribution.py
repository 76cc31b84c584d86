"""``distribution=data_parallel``: the same run on two virtual CPU devices as on one,
the clear errors, and what the run record says about where and how it trained."""

import contextlib
import itertools
import json
import os
import subprocess
import sys

import keras
import pytest

from kerasnoise import config as cfg
from kerasnoise import presets, training
from kerasnoise.devices import distribution

BACKEND = keras.backend.backend()
SMALL = [
    "epochs=2",
    "train_limit=1024",
    "test_limit=1000",
    "validation=256",
    "batch_size=64",
    "eval_batch_size=500",
    "train_eval_images=1000",
    "noise.rate=0.4",
    "model=mlp1",  # data parallelism does not depend on the layers; an MLP compiles fastest
]

# Runs in a fresh interpreter: the virtual devices must exist before the backend starts.
CHILD = """
import json, os, sys
if os.environ["KERAS_BACKEND"] == "tensorflow":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from kerasnoise import config as cfg, presets, training
items, data_dir, out = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
records = {}
for name in ("none", "data_parallel"):
    overrides = cfg.parse_overrides(items + [f"distribution={name}"])
    config = cfg.apply_overrides(presets.get("menon-mnist-lenet"), overrides)
    config.data_dir = data_dir
    record = training.train(config, out, verbose=0, quiet=True)
    history = json.load(open(os.path.join(out, record["run_id"], "history.json")))
    records[name] = {"record": record, "history": history}
print("RESULT " + json.dumps(records))
"""


def _config(shared_data, *overrides):
    config = cfg.apply_overrides(
        presets.get("menon-mnist-lenet"), cfg.parse_overrides(SMALL + list(overrides))
    )
    config.data_dir = str(shared_data)
    return config


@pytest.mark.skipif(BACKEND == "torch", reason="Keras has no data parallelism on PyTorch")
def test_two_virtual_devices_train_as_one(shared_data, tmp_path):
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(SMALL), str(shared_data), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    runs = json.loads(line[len("RESULT ") :])
    one, two = runs["none"], runs["data_parallel"]

    assert one["record"]["distribution"] == {"name": "none", "num_replicas": 1, "devices": []}
    assert two["record"]["distribution"]["name"] == "data_parallel"
    assert two["record"]["distribution"]["num_replicas"] == 2
    assert len(set(two["record"]["distribution"]["devices"])) == 2
    assert one["record"]["run_id"] != two["record"]["run_id"]  # another computation

    # the same examples, noise and seeds: equal within floating-point tolerance
    assert one["record"]["noise_rate"] == two["record"]["noise_rate"]
    assert list(one["history"]) == list(two["history"]) == ["0", "1"]
    for epoch in ("0", "1"):
        a, b = one["history"][epoch], two["history"][epoch]
        for key in ("loss", "val_loss"):
            assert b[key] == pytest.approx(a[key], rel=1e-3), (epoch, key)
        for key in ("accuracy", "val_accuracy", "test_accuracy"):
            # 1024 / 256 / 10,000 examples: allow one or two predictions to flip
            assert abs(b[key] - a[key]) <= 2e-3 + 1e-9, (epoch, key)


def test_torch_data_parallel_is_refused_clearly():
    if distribution._backend_has_distribution("torch"):
        pytest.skip("this Keras implements distribution on PyTorch")
    with pytest.raises(ValueError, match="not supported on the torch backend.*jax or tensorflow"):
        distribution.check_supported("data_parallel", "torch")
    distribution.check_supported("none", "torch")  # the default stays fine


def test_unknown_distribution_is_refused_by_the_config():
    config = presets.get("menon-mnist-lenet")
    config.distribution = "model_parallel"
    with pytest.raises(ValueError, match="distribution must be one of none, data_parallel"):
        config.validate()


def test_distribution_is_in_the_run_id_only_when_set():
    config = presets.get("menon-mnist-lenet")
    assert "distribution" not in config.run_key()
    before = config.run_id("jax")
    config.distribution = "data_parallel"
    assert config.run_key()["distribution"] == "data_parallel"
    assert config.run_id("jax") != before


@pytest.mark.parametrize(
    ("backend", "batch", "eval_batch", "sizes", "message"),
    [
        ("tensorflow", 63, 500, {"training": 1024}, "batch_size=63 must be divisible by 2"),
        ("jax", 63, 500, {"training": 1024}, "batch_size=63 must be divisible by 2"),
        ("jax", 64, 333, {"training": 1024}, "eval_batch_size=333 must be divisible by 2"),
        ("jax", 64, 500, {"training": 1025}, "last training batch has 1 examples"),
        ("jax", 64, 500, {"test": 10_001}, "last test batch has 1 examples"),
    ],
)
def test_batches_that_do_not_split_are_refused(backend, batch, eval_batch, sizes, message):
    placement = distribution.Placement("data_parallel", ("d0", "d1"), backend)
    with pytest.raises(ValueError, match=message):
        placement.check_batches(batch, eval_batch, sizes)


def _splits(backend, devices, batch, eval_batch, sizes) -> bool:
    """The rule, written out: the batch size divides by the number of devices; on JAX,
    which shards every batch into equal parts, so do the evaluation batch size and the
    last batch of every data set (``count mod size``)."""
    if devices == 1:
        return True
    if batch % devices:
        return False
    if backend != "jax":
        return True
    if eval_batch % devices:
        return False
    return all(
        (count % (batch if name == "training" else eval_batch)) % devices == 0
        for name, count in sizes.items()
    )


def test_batches_that_split_pass_and_only_those():
    """Every combination of a small grid is accepted exactly when the rule says so
    (both outcomes occur for every backend and device count)."""
    outcomes = {}
    for backend in ("tensorflow", "jax"):
        for devices in (1, 2, 4):
            placement = distribution.Placement(
                "data_parallel" if devices > 1 else "none",
                tuple(f"d{i}" for i in range(devices)) if devices > 1 else (),
                backend,
            )
            for batch, eval_batch, n_train, n_test in itertools.product(
                (62, 63, 64), (333, 500), (1024, 1025, 1026), (10_000, 10_001)
            ):
                sizes = {"training": n_train, "validation": 256, "test": n_test}
                want = _splits(backend, devices, batch, eval_batch, sizes)
                try:
                    placement.check_batches(batch, eval_batch, sizes)
                    got = True
                except ValueError:
                    got = False
                assert got == want, (backend, devices, batch, eval_batch, sizes)
                outcomes.setdefault((backend, devices), set()).add(got)
    assert outcomes[("jax", 2)] == outcomes[("tensorflow", 4)] == {True, False}
    assert outcomes[("tensorflow", 1)] == outcomes[("jax", 1)] == {True}  # one device
    # TensorFlow splits an uneven last batch itself: only the batch size must divide
    tf2 = distribution.Placement("data_parallel", ("d0", "d1"), "tensorflow")
    assert tf2.check_batches(64, 333, {"training": 1025, "test": 10_001}) is None


def test_bad_batch_is_refused_before_anything_is_written(shared_data, tmp_path, monkeypatch):
    class TwoDevices(distribution.Placement):  # claims two devices, trains on one
        def scope(self):
            return contextlib.nullcontext()

    two = TwoDevices("data_parallel", ("d0", "d1"), BACKEND)
    monkeypatch.setattr(distribution, "plan", lambda name: two)
    config = _config(shared_data, "batch_size=63")
    with pytest.raises(ValueError, match="batch_size=63 must be divisible by 2"):
        training.train(config, tmp_path / "runs", verbose=0, quiet=True)
    assert not (tmp_path / "runs" / config.run_id(BACKEND)).exists()
