"""The command line: literal-only parameter parsing, the noise report, errors."""

import json

import pytest

from kerasnoise import cli


def test_parse_overrides_literals_only():
    got = cli.parse_overrides(["rate=0.4", "alpha=100", "mapping={2: 7}", "name=mnist", "x=[1,2]"])
    assert got == {"rate": 0.4, "alpha": 100, "mapping": {2: 7}, "name": "mnist", "x": [1, 2]}
    # never evaluated as code: a call stays a string
    assert cli.parse_overrides(["rate=__import__('os').getcwd()"]) == {
        "rate": "__import__('os').getcwd()"
    }
    with pytest.raises(ValueError, match="key=value"):
        cli.parse_overrides(["rate"])


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
