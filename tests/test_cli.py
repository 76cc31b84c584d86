"""The command line: literal-only parameter parsing, the noise report, errors."""

import json
import subprocess
import sys

import pytest

from kerasnoise import cli


@pytest.mark.backend_free
def test_parse_overrides_literals_only():
    got = cli.parse_overrides(["rate=0.4", "alpha=100", "mapping={2: 7}", "name=mnist", "x=[1,2]"])
    assert got == {"rate": 0.4, "alpha": 100, "mapping": {2: 7}, "name": "mnist", "x": [1, 2]}
    # never evaluated as code: a call stays a string
    assert cli.parse_overrides(["rate=__import__('os').getcwd()"]) == {
        "rate": "__import__('os').getcwd()"
    }
    with pytest.raises(ValueError, match="key=value"):
        cli.parse_overrides(["rate"])


@pytest.mark.backend_free
def test_noise_command_on_real_mnist(shared_data, tmp_path, capsys):
    out = tmp_path / "noise.json"
    code = cli.main(
        [
            "noise",
            "mnist",
            "pair_flip",
            "rate=0.2",
            "--seed",
            "3",
            "--data-dir",
            str(shared_data),
            "--json",
            str(out),
        ]
    )
    assert code == 0
    record = json.loads(out.read_text())
    assert record["model"] == {"name": "pair_flip", "rate": 0.2}
    assert record["seed"] == 3 and record["num_examples"] == 60000
    assert abs(record["rate"] - 0.2) < 0.01
    assert f"realised rate  {record['rate']:.4f}" in capsys.readouterr().out
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


@pytest.mark.backend_free
def test_noise_command_errors(tmp_path, capsys):
    assert cli.main(["noise", "mnist", "pair_flip", "rate=2"]) == 2
    assert "rate must be in [0, 1]" in capsys.readouterr().err
    assert (
        cli.main(
            [
                "noise",
                "mnist",
                "pair_flip",
                "rate=0.1",
                "--data-dir",
                str(tmp_path),
                "--no-download",
            ]
        )
        == 2
    )
    assert "mnist.npz" in capsys.readouterr().err


def test_a_bug_surfaces_as_a_bug_not_as_bad_input(monkeypatch):
    from kerasnoise import training

    def broken(*args, **kwargs):
        raise TypeError("unsupported operand type(s) for /: 'NoneType' and 'int'")

    monkeypatch.setattr(training, "train", broken)
    with pytest.raises(TypeError, match="NoneType"):  # a traceback, not "error:" and exit 2
        cli.main(["train", "menon-mnist-lenet", "epochs=1"])


def test_invalid_config_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["train", "menon-mnist-lenet", "noise.rate=7"]) == 2
    assert "error:" in capsys.readouterr().err
    assert cli.main(["train", "menon-mnist-lenet", "bogus=1"]) == 2
    assert "unknown config key bogus" in capsys.readouterr().err
    # names only the loss registry knows: checked once Keras is there
    assert cli.main(["train", "menon-mnist-lenet", "loss=my_focal"]) == 2
    err = capsys.readouterr().err
    assert "loss.name must be one of" in err and "phuber_ce" in err and "'my_focal'" in err
    missing = tmp_path / "does-not-exist"
    assert cli.main(["eval", str(missing)]) == 2
    assert f"kerasnoise eval: error: {missing} not found" in capsys.readouterr().err


# Runs the command in a fresh interpreter, then names the heavy packages it imported.
HEAVY = """
import sys
from kerasnoise import cli
code = cli.main(sys.argv[1:])
assert "kerasnoise.config" in sys.modules  # the command ran
heavy = {"keras", "tensorflow", "jax", "torch"} & {m.split(".")[0] for m in sys.modules}
print("IMPORTED", *sorted(heavy))
sys.exit(code)
"""


@pytest.mark.backend_free
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "menon-mnist-lenet", "noise.rate=7"], "noise: rate must be in [0, 1], got 7"),
        (["train", "menon-mnist-lenet", "epochs=-1"], "epochs must be a positive integer"),
        (["train", "menon-mnist-lenet", "bogus=1"], "unknown config key bogus"),
        (["train", "rolnick-mnist", "optimizer.learning_rate=fast"], "must be a number"),
        (["train", "menon-mnist-lenet", "optimizer.rho=1.5"], "optimizer.rho must be in [0, 1)"),
        (["train", "menon-mnist-lenet", "noise=nope"], "noise.name must be one of"),
        (["train", "nope"], "unknown preset 'nope'"),
        (["eval", "runs/does-not-exist"], "runs/does-not-exist not found"),
    ],
)
def test_bad_values_are_reported_before_keras_is_imported(tmp_path, argv, message):
    """What can be checked without Keras is reported without importing Keras,
    TensorFlow or a backend (which takes seconds); only the names the Keras registries
    hold (losses, models) wait for it (``test_invalid_config_is_a_usage_error``)."""
    proc = subprocess.run(
        [sys.executable, "-c", HEAVY, *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert f"kerasnoise {argv[0]}: error: " in proc.stderr and message in proc.stderr
    assert "IMPORTED" in proc.stdout.splitlines()  # nothing after it: no heavy package


def test_results_rebuild_merge_and_corrupt_store(tmp_path, capsys):
    from kerasnoise.results import rundir

    for folder, run_id in ((tmp_path / "a", "r1"), (tmp_path / "b", "r2")):
        d = folder / run_id
        d.mkdir(parents=True)
        rundir.write_identity(d, run_id=run_id, group="g", seed=0, backend="jax")
        (d / "config.json").write_text("{}")
        (d / "result.json").write_text('{"status": "finished"}')
    (tmp_path / "a" / "results.sqlite").write_text("garbage" * 50)
    assert cli.main(["results", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "results.sqlite" in err and "kerasnoise results rebuild --out" in err

    assert cli.main(["results", "rebuild", "--out", str(tmp_path / "a")]) == 0
    assert "1 runs" in capsys.readouterr().out
    assert (
        cli.main(
            ["results", "merge", str(tmp_path / "all"), str(tmp_path / "a"), str(tmp_path / "b")]
        )
        == 0
    )
    capsys.readouterr()
    assert cli.main(["results", "--out", str(tmp_path / "all")]) == 0
    listing = capsys.readouterr().out
    assert "r1" in listing and "r2" in listing


@pytest.mark.backend_free
def test_results_tables_print_one_style(tmp_path, capsys):
    from kerasnoise.results.store import ResultsStore

    store = ResultsStore(tmp_path)
    for seed, acc in ((0, 0.90), (1, 0.94)):
        run_id = f"r{seed}"
        config = {"preset": "p", "loss": {"name": "ce"}}
        result = {"test_accuracy_best": acc, "test_accuracy_last": acc}
        store.record(run_id, group="g", seed=seed, status="finished", config=config, result=result)
        store.tag(run_id, sweep="sw", method="ce", axes={"noise.rate": 0.2})

    tables = {}
    for extra in ([], ["--sweep", "sw"]):
        assert cli.main(["results", "--out", str(tmp_path), "--table", *extra]) == 0
        tables[bool(extra)] = capsys.readouterr().out.strip().splitlines()
    for lines in tables.values():  # a padded grid with a plain rule, no alignment colons
        assert len({len(line) for line in lines}) == 1
        assert set(lines[1]) == {"|", "-"}
    # mean 92, sample std |94 - 90| / sqrt(2) = 2.83
    assert "92.00 ± 2.83" in tables[False][2] and tables[False][2].startswith("| p \\| loss=ce ")
    assert "92.00 ± 2.83" in tables[True][2]
